"""Runs the policy pack (policy/) over a synth recording the way the Pulumi engine would.

Not a re-implementation of the analyzer: the pack's own gRPC servicer from pulumi-policy (the
object ``PolicyPack`` would serve, constructed here without a server) receives the same protobuf
requests the CLI sends. So props go through ``json_format.MessageToDict`` (numbers become floats),
``deserialize_properties`` (secrets unwrapped) and ``unknown_checking_proxy`` (the unknown sentinel
raises), exactly as under ``pulumi preview --policy-pack``. What the CLI does before that is ported
(pkg/resource/analyzer/config.go, v3.274.1): ``--policy-pack-config`` parsing, schema defaults,
"all", then JSON-schema validation of the result. Per the engine (step_generator.go), every
registered resource, components and providers included, is analyzed with its inputs; the stack
analysis gets every resource's outputs with parent and dependencies.

Known differences from a real run: inputs are the program's, not the provider's Check output (the
kubernetes provider adds auto-names there), and a resource's provider is inferred (the only
explicit provider of its package, else the default one) because the recording does not keep it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format, struct_pb2

from synth.harness import PROJECT, ROOT
from synth.mocks import Recording, Registration

POLICY_DIR = ROOT / "policy"
LEVELS = ("advisory", "mandatory", "remediate", "disabled")


def _pack() -> Any:
    # policy/ is a namespace package here; the CLI runs policy/__main__.py with policy/ as its root,
    # where the same package is the top-level dify_policies (it imports only relatively).
    from policy import dify_policies

    return dify_policies


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str  # advisory | mandatory
    message: str
    urn: str = ""
    severity: str = ""


@dataclass
class Report:
    pack: str
    version: str
    violations: list[Violation] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    def print(self, *, quiet: bool) -> list[str]:
        """Prints the block (always when something fired); returns one problem per mandatory violation."""
        if self.violations or not quiet:
            print(self.format() + "\n")
        return [f"policy {v.policy}: {v.message.splitlines()[-1]}" for v in self.mandatory]

    def format(self) -> str:
        """The CLI's "Policies:" block (pkg/backend/display/progress.go, printPolicies)."""
        mark = "❌" if self.mandatory else "⚠️" if self.violations else "✅"
        lines = ["Policies:", f"    {mark} {self.pack}@v{self.version} (local: policy)"]
        for v in sorted(self.violations, key=lambda v: (v.level != "mandatory", v.policy, v.urn, v.message)):
            severity = f" [severity: {v.severity}]" if v.severity else ""
            clause = ""
            if v.urn:
                type_, name = v.urn.split("::")[-2].split("$")[-1], v.urn.split("::")[-1]
                clause = f"  ({type_}: {name})"
            lines.append(f"        - [{v.level}]{severity}  {v.policy}{clause}")
            lines += [f"          {line}" for line in v.message.split("\n")]
        return "\n".join(lines)


# ---- --policy-pack-config (pkg/resource/analyzer/config.go) -------------------------------------


def parse_config_file(path: Path | None) -> dict[str, tuple[str | None, dict[str, Any] | None]]:
    """``{policy: (enforcement level or None, properties or None)}`` as parsePolicyPackConfig reads it."""
    text = path.read_text() if path else ""
    if not text.strip():
        return {}
    raw = json.loads(text)
    if isinstance(raw.get("version"), (int, float)):
        if raw["version"] != 2:
            raise ValueError('"version" must be 2')
        raw = dict(raw.get("policies") or {})
    raw.pop("environments", None)
    result: dict[str, tuple[str | None, dict[str, Any] | None]] = {}
    for name, value in raw.items():
        level, props = None, None
        if isinstance(value, str):
            level = value
        elif isinstance(value, dict):
            props = dict(value)
            level = props.pop("enforcementLevel", None)
            props = props or None
        else:
            raise TypeError(f"parsing {name!r}: must be a string or object")
        if level is not None and level not in LEVELS:
            raise ValueError(f"parsing enforcement level for {name!r}: {level!r} is not a valid enforcement level")
        if level or props:
            result[name] = (level, props)
    return result


def reconcile(info: Any, given: Mapping[str, tuple[str | None, dict[str, Any] | None]]) -> dict[str, Any]:
    """ReconcilePolicyPackConfig: schema defaults, then ``all``, then per-policy values; validated."""
    import jsonschema
    from pulumi.runtime.proto import analyzer_pb2 as proto

    names = {proto.ADVISORY: "advisory", proto.MANDATORY: "mandatory", proto.REMEDIATE: "remediate"}
    names[proto.DISABLED] = "disabled"
    result: dict[str, list[Any]] = {}
    schemas: dict[str, dict[str, Any]] = {}
    for p in info.policies:
        properties = json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {}
        defaults = {k: v["default"] for k, v in properties.items() if "default" in v} or None
        result[p.name] = [names[p.enforcementLevel], defaults]
        if properties or p.configSchema.required:
            schemas[p.name] = {"type": "object", "properties": properties, "required": list(p.configSchema.required)}
    all_level = (given.get("all") or (None, None))[0]
    if all_level:
        for entry in result.values():
            entry[0] = all_level
    for name, (level, props) in given.items():
        entry = result.setdefault(name, [None, None])
        if level:
            entry[0] = level
        if props:
            entry[1] = {**(entry[1] or {}), **props}
    errors = [
        f"{name}: {e.message}"
        for name, s in schemas.items()
        for e in jsonschema.Draft7Validator({k: v for k, v in s.items() if v}).iter_errors(result[name][1] or {})
    ]
    if errors:
        raise ValueError("invalid policy pack config: " + "; ".join(errors))
    return result


# ---- requests -----------------------------------------------------------------------------------


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """MarshalProperties(KeepSecrets, KeepUnknowns, SkipInternalKeys): the recording already holds
    secrets in their wire form ({sig: secret, value}) and unknowns as the engine's sentinel string."""
    s = struct_pb2.Struct()
    s.update({k: v for k, v in props.items() if not k.startswith("__")})
    return s


def _provider_for(reg: Registration, providers: dict[str, list[Registration]], version: str) -> Any:
    from pulumi.runtime.proto import analyzer_pb2 as proto

    package = reg.type.split(":", 1)[0]
    if package == "pulumi" or not reg.custom:
        return None
    explicit = providers.get(package, [])
    if len(explicit) == 1:
        p = explicit[0]
        return proto.AnalyzerProviderResource(type=p.type, urn=p.urn, name=p.name, properties=_struct(p.inputs))
    name = f"default_{version}"
    urn = reg.urn.split("::", 3)
    return proto.AnalyzerProviderResource(
        type=f"pulumi:providers:{package}", urn=f"{urn[0]}::{urn[1]}::pulumi:providers:{package}::{name}", name=name
    )


def _options(reg: Registration) -> Any:
    from pulumi.runtime.proto import analyzer_pb2 as proto

    return proto.AnalyzerResourceOptions(
        parent=reg.parent, customTimeouts=proto.AnalyzerResourceOptions.CustomTimeouts()
    )


def run(recording: Recording, stack: str, config_path: Path | None = None, *, exact: bool = False) -> Report:
    """Analyze every registration and the stack; returns the violations the CLI would print.

    ``exact`` sends each request through the servicer's own Analyze/AnalyzeStack, which decode the
    properties once per policy (about 3 s on prod). The default decodes them once per resource with
    the same functions and runs the same loop (about 0.3 s); tests/test_policy_runner.py holds the
    two equal on both stacks."""
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2 as proto
    from pulumi_policy.policy import EnforcementLevel, _PolicyAnalyzerServicer

    started = time.perf_counter()
    pack = _pack()
    version = str(yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text()).get("version", "0.0.1"))
    servicer = _PolicyAnalyzerServicer(
        pack.PACK_NAME, version, list(pack.POLICIES), EnforcementLevel.MANDATORY, None, pack.DESCRIPTION
    )
    info = servicer.GetAnalyzerInfo(empty_pb2.Empty(), None)
    levels = {"advisory": proto.ADVISORY, "mandatory": proto.MANDATORY, "remediate": proto.REMEDIATE}
    levels["disabled"] = proto.DISABLED
    configure = proto.AnalyzerStackConfigureRequest(stack=stack, project=PROJECT)
    servicer.ConfigureStack(configure, None)
    request = proto.ConfigureAnalyzerRequest()
    for name, (level, props) in reconcile(info, parse_config_file(config_path)).items():
        request.policyConfig[name].CopyFrom(
            proto.PolicyConfig(enforcementLevel=levels[level], properties=_struct(props or {}))
        )
    servicer.Configure(request, None)

    root = f"urn:pulumi:{stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{stack}"
    stack_reg = Registration(root, "pulumi:pulumi:Stack", f"{PROJECT}-{stack}", "", [], {}, {}, False)
    registrations = [stack_reg, *recording.registrations]
    requests, stack_req = _requests(registrations)

    if exact:
        responses = [servicer.Analyze(req, None) for req in requests]
        responses.append(servicer.AnalyzeStack(stack_req, None))
    else:
        responses = [_analyze_once(servicer, req, pack.POLICIES) for req in requests]
        responses.append(_analyze_stack_once(servicer, stack_req, pack.POLICIES))
    for response, req in zip(responses, [*requests, None], strict=True):
        for d in response.diagnostics:
            # The engine files a resource policy's violation without a URN under the analyzed resource.
            # A stack violation without one is attributed to the root stack (snapshotRootStackURN).
            if not d.urn:
                d.urn = req.urn if req is not None else root

    names = {proto.ADVISORY: "advisory", proto.MANDATORY: "mandatory", proto.REMEDIATE: "mandatory"}
    severities = {proto.POLICY_SEVERITY_LOW: "low", proto.POLICY_SEVERITY_MEDIUM: "medium"}
    severities |= {proto.POLICY_SEVERITY_HIGH: "high", proto.POLICY_SEVERITY_CRITICAL: "critical"}
    report = Report(pack.PACK_NAME, version)
    for response in responses:
        for d in response.diagnostics:
            report.violations.append(
                Violation(
                    d.policyName,
                    names.get(d.enforcementLevel, "advisory"),
                    d.message,
                    d.urn,
                    severities.get(d.severity, ""),
                )
            )
    report.seconds = time.perf_counter() - started
    return report


def _requests(registrations: list[Registration]) -> tuple[list[Any], Any]:
    """One AnalyzeRequest per registration (inputs) and the AnalyzeStackRequest (outputs)."""
    from pulumi.runtime.proto import analyzer_pb2 as proto

    providers: dict[str, list[Registration]] = {}
    for r in registrations:
        if r.type.startswith("pulumi:providers:"):
            providers.setdefault(r.type.removeprefix("pulumi:providers:"), []).append(r)
    sdk_versions = {"kubernetes": "4_34_2", "random": "4_21_4", "aws": "7_51_1"}

    requests = []
    for r in registrations:
        provider = _provider_for(r, providers, sdk_versions.get(r.type.split(":", 1)[0], "0_0_0"))
        req = proto.AnalyzeRequest(
            type=r.type, urn=r.urn, name=r.name, properties=_struct(r.inputs), options=_options(r)
        )
        if provider is not None:
            req.provider.CopyFrom(provider)
        requests.append(req)
    stack_req = proto.AnalyzeStackRequest()
    for r in registrations:
        resource = proto.AnalyzerResource(
            type=r.type, urn=r.urn, name=r.name, properties=_struct(r.outputs), options=_options(r),
            parent=r.parent, dependencies=r.dependencies,
        )  # fmt: skip
        provider = _provider_for(r, providers, sdk_versions.get(r.type.split(":", 1)[0], "0_0_0"))
        if provider is not None:
            resource.provider.CopyFrom(provider)
        stack_req.resources.append(resource)

    return requests, stack_req


def config_for(stack: str) -> Path | None:
    path = POLICY_DIR / "config" / f"{stack}.json"
    return path if path.exists() else None


def gate(recording: Recording, stack: str, config_path: Path | None = None) -> Report:
    """What ``python -m synth`` runs: the stack's own config file unless another is given."""
    return run(recording, stack, config_path or config_for(stack))


# ---- the servicer's loops, decoding each resource once ------------------------------------------


def _decode(properties: Any) -> Any:
    from pulumi_policy.deserialize import deserialize_properties
    from pulumi_policy.proxy import unknown_checking_proxy

    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(properties)))


def _level(servicer: Any, policy: Any) -> Any:
    from pulumi_policy.policy import EnforcementLevel

    level = servicer._get_enforcement_level(policy)
    # As Analyze/AnalyzeStack: a violation that survives remediation is reported as mandatory.
    return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level


def _call(servicer: Any, response: Any, policy: Any, args: Any, report: Any) -> None:
    """policy.validate with the servicer's handling of unknowns and not-applicable."""
    from inspect import isawaitable

    from pulumi.runtime.proto import analyzer_pb2 as proto
    from pulumi_policy.policy import EnforcementLevel, _NotApplicableError
    from pulumi_policy.proxy import UnknownValueError

    try:
        result = policy.validate(args, report)
        if isawaitable(result):
            import asyncio

            asyncio.new_event_loop().run_until_complete(result)
    except UnknownValueError as e:
        pack, version = (
            servicer._PolicyAnalyzerServicer__policy_pack_name,
            servicer._PolicyAnalyzerServicer__policy_pack_version,
        )
        response.diagnostics.append(
            proto.AnalyzeDiagnostic(
                policyName=policy.name, policyPackName=pack, policyPackVersion=version, urn="",
                message=f"can't run policy '{policy.name}' from policy pack '{pack}@v{version}' "
                f"during preview: {e.message}",
                description=policy.description,
                enforcementLevel=servicer._map_enforcement_level(EnforcementLevel.ADVISORY),
            )
        )  # fmt: skip
    except _NotApplicableError as e:
        response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or ""))


def _analyze_once(servicer: Any, request: Any, policies: list[Any]) -> Any:
    from pulumi.runtime.proto import analyzer_pb2 as proto
    from pulumi_policy.policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

    response = proto.AnalyzeResponse()
    props = _decode(request.properties)
    opts = servicer._get_resource_options(request)
    provider = servicer._get_provider_resource(request)
    tags = servicer._PolicyAnalyzerServicer__stack_tags
    for policy in policies:
        level = _level(servicer, policy)
        if level == EnforcementLevel.DISABLED or not isinstance(policy, ResourceValidationPolicy):
            continue
        report = servicer._create_report_violation(response, policy.name, policy.description, level, policy.severity)
        config = servicer._get_policy_config(policy.name)
        args = ResourceValidationArgs(request.type, props, request.urn, request.name, opts, provider, config, tags)
        _call(servicer, response, policy, args, report)
    return response


def _analyze_stack_once(servicer: Any, request: Any, policies: list[Any]) -> Any:
    from pulumi.runtime.proto import analyzer_pb2 as proto
    from pulumi_policy.policy import EnforcementLevel, PolicyResource, StackValidationArgs, StackValidationPolicy

    response = proto.AnalyzeResponse()
    resources = []
    by_urn = {}
    for r in request.resources:
        opts, provider = servicer._get_resource_options(r), servicer._get_provider_resource(r)
        resource = PolicyResource(r.type, _decode(r.properties), r.urn, r.name, opts, provider, None, [], {})
        resources.append((resource, r))
        by_urn[r.urn] = resource
    for resource, r in resources:
        resource.parent = by_urn.get(r.parent)
        resource.dependencies = [by_urn[d] for d in r.dependencies if d in by_urn]
        resource.property_dependencies = {
            k: [by_urn[u] for u in v.urns if u in by_urn] for k, v in r.propertyDependencies.items()
        }
    tags = servicer._PolicyAnalyzerServicer__stack_tags
    for policy in policies:
        level = _level(servicer, policy)
        if level == EnforcementLevel.DISABLED or not isinstance(policy, StackValidationPolicy):
            continue
        report = servicer._create_report_violation(response, policy.name, policy.description, level, policy.severity)
        args = StackValidationArgs([res for res, _ in resources], servicer._get_policy_config(policy.name), tags)
        _call(servicer, response, policy, args, report)
    return response
