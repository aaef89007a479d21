"""dify:app:LocalSandbox: the Agent v2 shell workspace (shellctl on 5004).

Creates: a Deployment, a ClusterIP Service and a PDB when replicas ≥ 2. Its egress is forced
through the agent SSRF proxy (HTTP(S)_PROXY), which only lets it reach agent_backend's
/agent-stub/ and the api's /files/.
"""

from __future__ import annotations

import pulumi

from components.app.args import AppService, AppServiceArgs
from components.catalog import CATALOG
from components.kube import ContainerSpec, EnvValue, SecurityProfile, empty_dir, http_probe, mount, startup

ENTRY = CATALOG["local-sandbox"]

# The image's `dify` user (first useradd on Debian: uid/gid 1000). Agent shell sessions install
# tools into $HOME, /home/<agent> and /mnt/drive and shellctl keeps its SQLite state under
# $HOME; an emptyDir over /home would hide the image's /home/dify, so the root stays writable.
SECURITY = SecurityProfile(
    run_as_user=1000,
    run_as_group=1000,
    fs_group=1000,
    read_only_root_filesystem=False,
    reason="agent shell sessions write under /home and /mnt/drive, which the image pre-creates",
)


def local_sandbox_env(args: AppServiceArgs) -> dict[str, EnvValue]:
    proxy = CATALOG["agent-ssrf-proxy"].url("proxy")
    return {
        "SHELLCTL_AUTH_TOKEN": args.ctx.credentials["local-sandbox-auth-token"],
        "HTTP_PROXY": proxy,
        "HTTPS_PROXY": proxy,
        "NO_PROXY": "localhost,127.0.0.1",
        # Landlock confines each session to its own home (needs Linux ≥ 5.13; else a warning).
        "SHELLCTL_ENABLE_PATH_ISOLATION": "true",
    }


class LocalSandbox(AppService):
    def __init__(self, name: str, args: AppServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ready = http_probe("/healthz", period=10)
        container = ContainerSpec(
            name="local-sandbox",
            image=args.image,
            resources=args.resources,
            security=SECURITY,
            ports=ENTRY.ports,
            env=local_sandbox_env(args),
            readiness=ready,
            liveness=http_probe("/healthz", period=20, failures=6),
            startup=startup(ready, budget_seconds=120),
            mounts=[mount("tmp", "/tmp")],
        )
        super().__init__("dify:app:LocalSandbox", name, ENTRY, args, container, [empty_dir("tmp", "1Gi")], opts)
