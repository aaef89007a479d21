"""dify:app:AgentBackend: the Agent v2 run server (uvicorn on 5050), state in Redis db 2.

Creates: a Deployment, a ClusterIP Service and a PDB when replicas ≥ 2. The image serves no
health route (its routers are /runs, /sandbox and /agent-stub), so probes check the socket.
Env names are those the pinned 1.16.1 image reads (DIFY_AGENT_SHELLCTL_*; later releases renamed
them to DIFY_AGENT_LOCAL_SANDBOX_* and still read these as fallbacks).
"""

from __future__ import annotations

import pulumi

from components.app.args import AppService, AppServiceArgs
from components.catalog import CATALOG
from components.kube import ContainerSpec, EnvValue, SecurityProfile, empty_dir, mount, startup, tcp_probe

ENTRY = CATALOG["agent-backend"]
# dify-agent/Dockerfile: USER dify, uid/gid 1001; state lives in Redis, temp files in /tmp.
SECURITY = SecurityProfile(run_as_user=1001, run_as_group=1001, fs_group=1001)


def agent_backend_env(args: AppServiceArgs) -> dict[str, EnvValue]:
    creds = args.ctx.credentials
    if args.ctx.agent_redis_url is None:
        raise ValueError("agent_backend needs the agent Redis URL secret")
    return {
        "DIFY_AGENT_REDIS_URL": args.ctx.agent_redis_url,
        "DIFY_AGENT_REDIS_PREFIX": "dify-agent",
        "DIFY_AGENT_PLUGIN_DAEMON_URL": CATALOG["plugin-daemon"].url(),
        "DIFY_AGENT_PLUGIN_DAEMON_API_KEY": creds["plugin-daemon-key"],
        "DIFY_AGENT_INNER_API_URL": CATALOG["api"].url(),
        "DIFY_AGENT_INNER_API_KEY": creds["inner-api-key"],
        "DIFY_AGENT_SHELLCTL_ENTRYPOINT": CATALOG["local-sandbox"].url(),
        "DIFY_AGENT_SHELLCTL_AUTH_TOKEN": creds["local-sandbox-auth-token"],
        "DIFY_AGENT_STUB_API_BASE_URL": f"{ENTRY.url()}/agent-stub",
        "DIFY_AGENT_SERVER_SECRET_KEY": creds["agent-server-secret-key"],
        "DIFY_AGENT_API_TOKEN": creds["agent-api-token"],
        "DIFY_AGENT_SHUTDOWN_GRACE_SECONDS": "30",
        "DIFY_AGENT_RUN_RETENTION_SECONDS": "259200",
    }


class AgentBackend(AppService):
    def __init__(self, name: str, args: AppServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ready = tcp_probe("http", period=10)
        container = ContainerSpec(
            name="agent-backend",
            image=args.image,
            resources=args.resources,
            security=SECURITY,
            ports=ENTRY.ports,
            env=agent_backend_env(args),
            readiness=ready,
            liveness=tcp_probe("http", period=20, failures=6),
            startup=startup(ready, budget_seconds=120),
            mounts=[mount("tmp", "/tmp")],
        )
        super().__init__(
            "dify:app:AgentBackend",
            name,
            ENTRY,
            args,
            container,
            [empty_dir("tmp", "512Mi")],
            opts,
            # Lets in-flight agent runs finish (DIFY_AGENT_SHUTDOWN_GRACE_SECONDS is 30).
            termination_grace_period_seconds=45,
        )
