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
           'mount(STORAGE_VOLUME if shared else SCRATCH_STORAGE_VOLUME, STORAGE_PATH)', 'mount("tmp", "/tmp")'),
    Mutant("sandbox-kill", "components/app/sandbox.py", '"FOWNER", "KILL"', '"FOWNER"'),
    Mutant("migration-everywhere", "components/app/env.py", '_bool(mode == "migration")', '"true"'),
    Mutant("package-size", "components/app/env.py", '"PLUGIN_MAX_PACKAGE_SIZE": PLUGIN_PACKAGE_MAX_BYTES,\n', ""),
    Mutant("beat-rolling", "components/app/worker_beat.py", 'strategy="Recreate"', 'strategy="RollingUpdate"'),
    Mutant("weaviate-anonymous", "components/data/weaviate.py", '"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": "false"',
           '"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": "true"'),
    # The AWS managed data tier (prod): IRSA, S3, RDS, ElastiCache and the TLS Dify speaks to them.
    Mutant("irsa-wrong-account", "components/aws/identity.py",
           'f"system:serviceaccount:{namespace}:{service_account}"', 'f"system:serviceaccount:{namespace}:default"'),
    Mutant("irsa-wrong-namespace", "components/aws/identity.py",
           "args.oidc_provider_arn, args.issuer_host, args.namespace_name, args.service_account",
           'args.oidc_provider_arn, args.issuer_host, "default", args.service_account'),
    Mutant("irsa-no-audience", "components/aws/identity.py",
           '                            f"{issuer_host}:aud": AUDIENCE,\n', ""),
    Mutant("irsa-issuer-scheme", "components/config/aws.py",
           'return (self.oidc_issuer_url or "").removeprefix("https://")', 'return self.oidc_issuer_url or ""'),
    Mutant("s3-objects-not-covered", "components/aws/identity.py", '"Resource": f"{bucket_arn}/*",',
           '"Resource": bucket_arn,'),
    Mutant("s3-static-keys", "components/app/env.py", '"S3_USE_AWS_MANAGED_IAM": "true",',
           '"S3_USE_AWS_MANAGED_IAM": "false",'),
    Mutant("daemon-s3-api-names", "components/app/plugin_daemon.py", '"PLUGIN_STORAGE_OSS_BUCKET": objects.bucket,',
           '"S3_BUCKET_NAME": objects.bucket,'),
    Mutant("daemon-redis-plain", "components/app/plugin_daemon.py",
           '        "REDIS_USE_SSL": "true" if redis.use_ssl else "false",\n', ""),
    Mutant("broker-plain-redis", "components/data/endpoints.py", 'scheme = "rediss" if self.use_ssl else "redis"',
           'scheme = "redis"'),
    Mutant("db-sslmode-dropped", "components/app/env.py", 'env["DB_EXTRAS"] = "sslmode=require"',
           'env["DB_EXTRAS"] = ""'),
    Mutant("rds-unencrypted", "components/aws/database.py", "storage_encrypted=True,", "storage_encrypted=False,"),
    Mutant("rds-deletable", "components/aws/database.py", "deletion_protection=True,", "deletion_protection=False,"),
    Mutant("cache-plain-transit", "components/aws/cache.py", "transit_encryption_enabled=True,",
           "transit_encryption_enabled=False,"),
    # High availability and the connection budget.
    Mutant("budget-no-overflow", "components/images/capacity.py", "SQLALCHEMY_MAX_OVERFLOW = 10",
           "SQLALCHEMY_MAX_OVERFLOW = 0"),
    Mutant("budget-at-hpa-minimum", "components/config/scaling.py",
           "return settings.max_replicas if settings else replicas",
           "return settings.min_replicas if settings else replicas"),
    Mutant("hpa-min-max-swapped", "components/scaling/hpa.py",
           "min_replicas=settings.min_replicas,\n                max_replicas=settings.max_replicas,",
           "min_replicas=settings.max_replicas,\n                max_replicas=settings.min_replicas,"),
    Mutant("pdb-blocks-drains", "components/kube.py", "max_unavailable=1, selector=", "max_unavailable=0, selector="),
    Mutant("keda-queue-missing", "components/images/capacity.py", '    "dataset_summary",\n', ""),
    Mutant("keda-trigger-missing", "components/scaling/keda.py", "for queue in settings.queues\n",
           "for queue in settings.queues[1:]\n"),
    Mutant("keda-wrong-database", "components/scaling/keda.py", '"databaseIndex": str(BROKER_DB),',
           '"databaseIndex": "0",'),
    Mutant("alb-old-tls", "components/net/alb.py", 'SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"',
           'SSL_POLICY = "ELBSecurityPolicy-2016-08"'),
    # Central logging.
    Mutant("logstash-superuser", "components/logging/logstash.py", '"ELASTICSEARCH_USER": WRITER_USER,',
           '"ELASTICSEARCH_USER": "elastic",'),
    Mutant("ilm-retention-off-by-one", "components/logging/settings.py", '"min_age": f"{retention_days}d"',
           '"min_age": f"{retention_days + 1}d"'),
    Mutant("filebeat-hostpath-writable", "components/logging/filebeat.py",
           "*(mount(volume, path, read_only=True) for volume, path in LOG_PATHS.items()),",
           "*(mount(volume, path) for volume, path in LOG_PATHS.items()),"),
    Mutant("es-transport-plain", "components/logging/settings.py", '"xpack.security.transport.ssl.enabled": True,',
           '"xpack.security.transport.ssl.enabled": False,'),
    Mutant("kibana-no-allow-list", "components/logging/kibana.py",
           '            f"{_NGINX}/whitelist-source-range": ",".join(config.edge.console_allow_list),\n', ""),
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
        print(f"{mutant.name:28} {verdict:32} {seconds:5.0f}s")
    killed = sum(verdict.startswith("killed") for _, verdict, _ in results)
    print(f"realistic mutants: {killed}/{len(results)} killed")
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
