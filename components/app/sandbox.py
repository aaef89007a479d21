"""dify:app:Sandbox: dify-sandbox 0.2.15, the code-node executor on port 8194.

Creates: a Deployment, a ClusterIP Service and a PDB when replicas ≥ 2. Its only egress is the
SSRF proxy (HTTP(S)_PROXY). The image's own /conf/config.yaml is used (the process panics if it
is missing, so /conf is never mounted over) and env overrides its values.
"""

from __future__ import annotations

import pulumi

from components.app.args import AppService, AppServiceArgs
from components.catalog import CATALOG
from components.kube import ContainerSpec, EnvValue, SecurityProfile, empty_dir, http_probe, mount, startup

ENTRY = CATALOG["sandbox"]

# dify-sandbox isolates user code itself: at start it runs `useradd` (writes /etc/passwd) and
# unpacks Node into /opt; per run it chroots, installs seccomp and setuid()s to uid 65537. That
# needs root with exactly these capabilities and a writable root filesystem; every other
# capability is dropped and privilege escalation stays off (the code sets no_new_privs itself).
# KILL: on timeout the root parent signals the snippet, which runs under another uid; without
# CAP_KILL that kill fails silently and the worker slot stays taken for good.
SECURITY = SecurityProfile(
    run_as_user=0,
    run_as_group=0,
    run_as_non_root=False,
    read_only_root_filesystem=False,
    add_capabilities=("SYS_CHROOT", "SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL"),
    reason="dify-sandbox chroots and drops to uid 65537 per execution and edits /etc/passwd at start",
)


def sandbox_env(args: AppServiceArgs) -> dict[str, EnvValue]:
    proxy = CATALOG["ssrf-proxy"].url("proxy")
    return {
        "API_KEY": args.ctx.credentials["sandbox-api-key"],
        "GIN_MODE": "release",
        "WORKER_TIMEOUT": "15",
        "ENABLE_NETWORK": "true",
        "HTTP_PROXY": proxy,
        "HTTPS_PROXY": proxy,
        "SANDBOX_PORT": str(ENTRY.port()),
    }


class Sandbox(AppService):
    def __init__(self, name: str, args: AppServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ready = http_probe("/health", period=10)
        container = ContainerSpec(
            name="sandbox",
            image=args.image,
            resources=args.resources,
            security=SECURITY,
            ports=ENTRY.ports,
            env=sandbox_env(args),
            readiness=ready,
            liveness=http_probe("/health", period=20, failures=6),
            # Startup installs python-requirements.txt through the proxy before listening.
            startup=startup(ready, budget_seconds=600, period=10),
            mounts=[mount("tmp", "/tmp")],
        )
        super().__init__("dify:app:Sandbox", name, ENTRY, args, container, [empty_dir("tmp", "1Gi")], opts)
