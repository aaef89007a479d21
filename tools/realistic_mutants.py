"""Realistic single-point mistakes, each of which must fail `make test` or `make synth`.

mutmut mutates operators and literals inside functions; the mistakes that broke real deployments
sit as often in tables (a port, a route, an image tag) and wiring (a dependency, a credential).
Each mutant here is one such edit: the tree is copied, the edit applied, and the suite plus the
synth of both stacks must notice. Usage: python tools/realistic_mutants.py [--jobs N] [NAME ...]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str


MUTANTS = (
    Mutant("env-port", "components/app/env.py", '"PLUGIN_DAEMON_URL": CATALOG["plugin-daemon"].url(),',
           '"PLUGIN_DAEMON_URL": "http://dify-plugin-daemon:5003",'),
    Mutant("sandbox-wrong-namespace", "components/app/env.py",
           'CATALOG["sandbox"].url(namespace=ctx.config.sandbox_namespace)', 'CATALOG["sandbox"].url()'),
    Mutant("policy-sandbox-to-postgres", "components/flows.py",
           'Flow(Pods("sandbox"), Pods("ssrf-proxy"), ("proxy",)',
           'Flow(Pods("sandbox"), Pods("postgres"), ("postgres",)'),
    Mutant("policy-metadata-open", "components/net/squid_conf.py",
           '    "127.0.0.0/8",\n    "169.254.0.0/16",\n', '    "127.0.0.0/8",\n'),
    Mutant("policy-no-default-deny", "components/net/network_policies.py",
           'policy_types=["Ingress", "Egress"]\n                ),', 'policy_types=["Ingress"]\n                ),'),
    Mutant("namespace-baseline", "components/platform.py", 'config.namespace, common, "restricted"',
           'config.namespace, common, "baseline"'),
    Mutant("probe-port", "components/app/plugin_daemon.py", 'ready = http_probe("/health/check", period=10)',
           'ready = http_probe("/health/check", "plugin-debug", period=10)'),
    Mutant("route-service", "components/routing.py", 'Route("/e/", "plugin-daemon", hook_url_header=True)',
           'Route("/e/", "api", hook_url_header=True)'),
    Mutant("credential-reuse", "components/app/env.py", '"CODE_EXECUTION_API_KEY": creds["sandbox-api-key"],',
           '"CODE_EXECUTION_API_KEY": creds["plugin-daemon-key"],'),
    Mutant("store-dependency", "components/platform.py", "                depends_on=ready,\n", ""),
    Mutant("migration-dependency", "components/platform.py", "[migration, *ready]", "ready"),
    Mutant("image-tag", "components/versions.py", "redis:6.2.20-alpine", "redis:6.2.20-alpline"),
    Mutant("pdb-serviceless", "components/workload.py", "    if args.replicas >= 2:\n        pdb =",
           "    if args.replicas >= 2 and svc is not None:\n        pdb ="),
    Mutant("squid-private-range", "components/net/squid_conf.py", '    "100.64.0.0/10",\n    "127.0.0.0/8",\n',
           '    "127.0.0.0/8",\n'),
    Mutant("read-only-storage-root", "components/app/api_family.py",
           'mount(STORAGE_VOLUME if with_storage else SCRATCH_STORAGE_VOLUME, STORAGE_PATH)', 'mount("tmp", "/tmp")'),
    Mutant("sandbox-kill", "components/app/sandbox.py", '"FOWNER", "KILL"', '"FOWNER"'),
    Mutant("migration-everywhere", "components/app/env.py", '_bool(mode == "migration")', '"true"'),
    Mutant("package-size", "components/app/env.py", '"PLUGIN_MAX_PACKAGE_SIZE": PLUGIN_PACKAGE_MAX_BYTES,\n', ""),
    Mutant("beat-rolling", "components/app/worker_beat.py", 'strategy="Recreate"', 'strategy="RollingUpdate"'),
    Mutant("weaviate-anonymous", "components/data/weaviate.py", '"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": "false"',
           '"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": "true"'),
)  # fmt: skip


def _copy_tree(target: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()  # fmt: skip
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run(mutant: Mutant, python: str) -> tuple[Mutant, str, float]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as scratch:
        tree = Path(scratch)
        _copy_tree(tree)
        path = tree / mutant.path
        text = path.read_text()
        if text.count(mutant.old) != 1:
            return mutant, "stale (the code it edits has changed)", time.monotonic() - started
        path.write_text(text.replace(mutant.old, mutant.new))
        for command in (
            [python, "-m", "synth", "dev", "--quiet", "--out", str(tree / "build" / "dev")],
            [python, "-m", "synth", "prod", "--quiet", "--out", str(tree / "build" / "prod")],
            [python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--ignore=tests/e2e"],
        ):
            done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False, timeout=900)
            if done.returncode != 0:
                return mutant, f"killed by {command[2]}", time.monotonic() - started
    return mutant, "SURVIVED", time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only these mutants")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda m: run(m, sys.executable), chosen))
    for mutant, verdict, seconds in results:
        print(f"{mutant.name:24} {verdict:32} {seconds:5.0f}s")
    killed = sum(verdict.startswith("killed") for _, verdict, _ in results)
    print(f"realistic mutants: {killed}/{len(results)} killed")
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
