"""python -m synth <stack> [--out DIR] [--timings] [--show-secrets] [--quiet]

The offline preview: evaluates the Pulumi program under the mock runtime, writes every
Kubernetes object to DIR/manifests/<component>.yaml and DIR/resources.json, then validates them
(official OpenAPI schemas in strict mode, cross-references, secret placement). Exit codes: 0 ok,
1 validation failed, 2 bad stack config.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from components.config import ConfigError, parse_config
from components.config.models import StackConfig
from components.images import unverified_facts
from components.monitoring.operator import check_operator_objects
from components.scaling.keda import check_keda_objects
from synth import render
from synth.flows import check_flows, rendered_matrix
from synth.footprint import footprint_report
from synth.harness import ROOT, known_stacks, run_stack, stack_config
from synth.netpol import render_matrix
from synth.parity import check_compose_parity
from synth.podsecurity import check_pod_security
from synth.policy import gate as policy_gate
from synth.runtime import check_runtime_contracts
from synth.schema import validate_schemas
from synth.xref import check_references

OPERATOR_KINDS = ("monitoring.coreos.com/v1/*",)
# KEDA's ScaledObject and TriggerAuthentication (autoscaling.keda) likewise.
KEDA_KINDS = ("keda.sh/v1alpha1/*",)


def validate(objects: list[dict[str, object]], k8s_version: str, config: StackConfig | None = None) -> list[str]:
    # Prometheus Operator and KEDA objects have no bundled schema: our own checks.
    unknown = OPERATOR_KINDS + KEDA_KINDS
    problems = [f"schema: {p}" for p in validate_schemas(objects, k8s_version, allow_unknown_kinds=unknown)]
    problems += [f"schema: {p}" for p in check_operator_objects(objects)]
    problems += [f"schema: {p}" for p in check_keda_objects(objects)]
    problems += [f"reference: {p}" for p in check_references(objects)]
    problems += [f"pod security: {p}" for p in check_pod_security(objects)]
    problems += [f"runtime contract: {p}" for p in check_runtime_contracts(objects)]
    problems += [f"compose parity: {p}" for p in check_compose_parity(objects)]
    if config is not None:
        problems += [f"flows: {p}" for p in check_flows(objects, config)]
    return problems


def _print_reports(args: argparse.Namespace, objects: list[dict[str, object]], settings: StackConfig) -> None:
    if args.flows:
        print(render_matrix(rendered_matrix(objects, settings)))
        print()
    if args.footprint:
        print(footprint_report(objects))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synth", description=__doc__.splitlines()[0])
    parser.add_argument("stack", help=f"stack name ({', '.join(known_stacks())})")
    parser.add_argument("--out", type=Path, help="output directory (default build/<stack>)")
    parser.add_argument("--timings", action="store_true", help="print evaluation/render/validation times")
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="write secret values (mock-generated or still-encrypted config) instead of redaction tokens",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument("--flows", action="store_true", help="print who can reach whom under the rendered policies")
    parser.add_argument(
        "--footprint", action="store_true", help="print the summed requests of the monitoring and logging workloads"
    )
    parser.add_argument(
        "--policy",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the policy pack (policy/) as `pulumi preview --policy-pack` would; a mandatory violation fails",
    )
    parser.add_argument("--policy-config", type=Path, help="policy pack config (default policy/config/<stack>.json)")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "build" / args.stack

    started = time.perf_counter()
    try:
        config, secret_keys = stack_config(args.stack)
        settings = parse_config(config, set(secret_keys))
        k8s_version = settings.kubernetes.version
        recording = run_stack(args.stack)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    evaluated = time.perf_counter()

    grouped = render.write(recording, out, show_secrets=args.show_secrets)
    rendered = time.perf_counter()

    objects = [obj for docs in grouped.values() for obj in docs]
    problems = validate(objects, k8s_version, settings) + [f"secrets: {p}" for p in render.leaks(recording)]
    validated = time.perf_counter()
    policy_report = policy_gate(recording, args.stack, args.policy_config) if args.policy else None

    if not args.quiet:
        print("\n".join(render.tree(recording)))
        print()
        print("\n".join(render.counts(recording)))
        print()
    print(
        f"{args.stack}: {len(recording.registrations)} resources, {len(objects)} Kubernetes objects "
        f"in {len(grouped)} manifests → {out / 'manifests'}"
    )
    _print_reports(args, objects, settings)
    problems += policy_report.print(quiet=args.quiet) if policy_report else []
    if args.timings:
        policy_seconds = policy_report.seconds if policy_report else 0.0
        print(
            f"timings: evaluate {evaluated - started:.2f}s, render {rendered - evaluated:.2f}s, "
            f"validate {validated - rendered:.2f}s, policy {policy_seconds:.2f}s, "
            f"total {validated - started + policy_seconds:.2f}s"
        )
    for problem in problems:
        print(f"ERROR {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s): synth failed", file=sys.stderr)
        return 1
    print(
        f"valid: Kubernetes {k8s_version} schemas (strict), cross-references, pod security "
        "(per namespace), image runtime contracts, compose parity, NetworkPolicy reachability = flow table, "
        "secret placement"
    )
    unverified = unverified_facts()
    print(f"runtime contract: {len(unverified)} upstream facts unverified (components/images/)")
    if not args.quiet:
        print("\n".join(f"  unverified: {line}" for line in unverified))
    return 0


if __name__ == "__main__":
    sys.exit(main())
