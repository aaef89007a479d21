"""dify:data:Weaviate: Weaviate 1.27 (HTTP 8080, gRPC 50051) with API-key auth, anonymous off.

Creates: a StatefulSet with one PVC and a ClusterIP Service exposing both ports (the v4 client
Dify uses needs gRPC). Exposes a ``VectorStoreEndpoint``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.catalog import CATALOG
from components.data.endpoints import VectorStoreEndpoint
from components.data.store import StoreArgs, deploy_store
from components.kube import ContainerSpec, SecretRef, SecurityProfile, empty_dir, http_probe, mount, startup

ENTRY = CATALOG["weaviate"]
DATA_PATH = "/var/lib/weaviate"
# The identity Weaviate's own chart documents for unprivileged runs; it needs no root.
SECURITY = SecurityProfile(run_as_user=1000, run_as_group=1000, fs_group=1000)
ADMIN_USER = "dify"


@dataclass(kw_only=True)
class WeaviateArgs(StoreArgs):
    api_key: SecretRef


class Weaviate(pulumi.ComponentResource):
    endpoint: VectorStoreEndpoint

    def __init__(self, name: str, args: WeaviateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:data:Weaviate", name, None, opts)
        ready = http_probe("/v1/.well-known/ready", period=10)
        container = ContainerSpec(
            name="weaviate",
            image=args.image,
            resources=args.resources,
            security=SECURITY,
            ports=ENTRY.ports,
            env={
                "PERSISTENCE_DATA_PATH": DATA_PATH,
                "QUERY_DEFAULTS_LIMIT": "25",
                "DEFAULT_VECTORIZER_MODULE": "none",
                "CLUSTER_HOSTNAME": "node1",
                "GRPC_PORT": str(ENTRY.port("grpc")),
                "AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": "false",
                "AUTHENTICATION_APIKEY_ENABLED": "true",
                "AUTHENTICATION_APIKEY_ALLOWED_KEYS": args.api_key,
                "AUTHENTICATION_APIKEY_USERS": ADMIN_USER,
                "AUTHORIZATION_ADMINLIST_ENABLED": "true",
                "AUTHORIZATION_ADMINLIST_USERS": ADMIN_USER,
                "DISABLE_TELEMETRY": "true",
                # Without it the Go runtime ignores the cgroup limit; with it GOMEMLIMIT is 80% of
                # the limit, so GC works before the OOM killer does (configure_api.go @ v1.27.0).
                "LIMIT_RESOURCES": "true",
            },
            readiness=ready,
            liveness=http_probe("/v1/.well-known/live", period=20, failures=6),
            startup=startup(ready, budget_seconds=300),
            mounts=[mount("data", DATA_PATH), mount("tmp", "/tmp")],
        )
        deployed = deploy_store(self, name, ENTRY, args, container, [empty_dir("tmp", "256Mi")])
        self.stateful_set = deployed.stateful_set
        self.endpoint = VectorStoreEndpoint(
            kind="weaviate",
            endpoint=ENTRY.url("http"),
            grpc_endpoint=ENTRY.url("grpc", scheme="grpc"),
            api_key=args.api_key,
        )
        self.register_outputs({"endpoint": ENTRY.url("http"), "stateful_set": self.stateful_set.metadata.name})
