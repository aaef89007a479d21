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

# dify-sandbox 0.2.15 isolates user code itself (components/images/ has the traced facts): at
# start the entrypoint unpacks Node into /opt and the server rewrites /var/sandbox; on the first
# run it appends pool users to /etc/passwd; per run it chowns the script to a pool uid
# (10000-10999), chroots, installs seccomp and setuid()s. That needs root with exactly these
# capabilities and a writable root filesystem; every other capability is dropped and privilege
# escalation stays off (the code sets no_new_privs itself). KILL: on timeout the root parent
# SIGKILLs the snippet, which runs under a pool uid; without CAP_KILL the kill fails silently
# and the worker slot stays taken for good.
SECURITY = SecurityProfile(
    run_as_user=0,
    run_as_group=0,
    run_as_non_root=False,
    read_only_root_filesystem=False,
    add_capabilities=("SYS_CHROOT", "SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL"),
    reason="dify-sandbox chroots and drops to a pool uid per execution and writes /etc/passwd, /opt, /var/sandbox",
)


def sandbox_env(args: AppServiceArgs) -> dict[str, EnvValue]:
    # The proxy lives in the main namespace, the sandbox in <namespace>-sandbox.
    proxy = CATALOG["ssrf-proxy"].url("proxy", namespace=args.ctx.config.namespace)
    return {
        "API_KEY": args.ctx.credentials["sandbox-api-key"],
        # The image's config.yaml says debug: True; upstream compose turns it off.
        "DEBUG": "false",
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
            # The server listens before its background dependency setup ends; the budget covers
            # unpacking Node and relinking the Python chroot on a slow node.
            startup=startup(ready, budget_seconds=600, period=10),
            mounts=[mount("tmp", "/tmp")],
        )
        super().__init__("dify:app:Sandbox", name, ENTRY, args, container, [empty_dir("tmp", "1Gi")], opts)
