"""dify:app:Web: the Next.js console and web apps on port 3000.

Creates: a Deployment, a ClusterIP Service and a PDB when replicas ≥ 2. Server-side rendering
calls the api in-cluster (SERVER_CONSOLE_API_URL); browsers call the public URL. The web app has
no health route, so probes check the listening socket.
"""

from __future__ import annotations

import pulumi

from components.app.args import AppService, AppServiceArgs
from components.app.env import MARKETPLACE_URL
from components.catalog import CATALOG
from components.kube import ContainerSpec, SecurityProfile, empty_dir, mount, startup, tcp_probe

ENTRY = CATALOG["web"]
# web/Dockerfile: USER dify, uid/gid 1001; the entrypoint only exports env, writing nothing.
SECURITY = SecurityProfile(run_as_user=1001, run_as_group=1001, fs_group=1001)
NEXT_CACHE = "/app/targets/next/web/.next/cache"


def web_env(args: AppServiceArgs) -> dict[str, str]:
    config = args.ctx.config
    return {
        "CONSOLE_API_URL": config.public_url,
        "APP_API_URL": config.public_url,
        "SERVER_CONSOLE_API_URL": CATALOG["api"].url(),
        "NEXT_PUBLIC_SOCKET_URL": config.socket_url,
        "MARKETPLACE_API_URL": MARKETPLACE_URL,
        "MARKETPLACE_URL": MARKETPLACE_URL,
        "DEPLOY_ENV": "PRODUCTION",
        "EDITION": "SELF_HOSTED",
        "NEXT_TELEMETRY_DISABLED": "1",
        "TEXT_GENERATION_TIMEOUT_MS": "60000",
        "NEXT_PUBLIC_ENABLE_AGENT_V2": "true" if config.features.agent_v2 else "false",
        "PORT": str(ENTRY.port()),
        # Kubernetes sets HOSTNAME to the pod name, and the Next standalone server binds to
        # HOSTNAME: without this it ignores localhost, which breaks port-forward and probes.
        "HOSTNAME": "0.0.0.0",
    }


class Web(AppService):
    def __init__(self, name: str, args: AppServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ready = tcp_probe("http", period=10)
        container = ContainerSpec(
            name="web",
            image=args.image,
            resources=args.resources,
            security=SECURITY,
            ports=ENTRY.ports,
            env=web_env(args),
            readiness=ready,
            liveness=tcp_probe("http", period=20, failures=6),
            startup=startup(ready, budget_seconds=120),
            mounts=[mount("tmp", "/tmp"), mount("next-cache", NEXT_CACHE)],
        )
        super().__init__(
            "dify:app:Web",
            name,
            ENTRY,
            args,
            container,
            [empty_dir("tmp", "256Mi"), empty_dir("next-cache", "512Mi")],
            opts,
        )
