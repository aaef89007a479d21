"""dify:core:Connections: the composite credentials, URLs that embed the Redis password.

Creates: one Kubernetes Secret holding CELERY_BROKER_URL (Redis db 1) and, with Agent v2, the
agent backend's Redis URL (db 2). Both are built from Outputs and stay Pulumi secrets end to end;
the CDK sample stores the same URL in a plain SSM String, which is what this avoids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.data.endpoints import RedisEndpoint
from components.kube import SecretRef, object_meta

BROKER_DB = 1
AGENT_DB = 2


@dataclass
class ConnectionsArgs:
    namespace: pulumi.Input[str]
    labels: Mapping[str, str]
    redis: RedisEndpoint
    agent_v2: bool


class Connections(pulumi.ComponentResource):
    broker_url: SecretRef
    agent_redis_url: SecretRef | None

    def __init__(self, name: str, args: ConnectionsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:core:Connections", name, None, opts)
        data = {"celery-broker-url": args.redis.url(BROKER_DB)}
        if args.agent_v2:
            data["agent-redis-url"] = args.redis.url(AGENT_DB)
        self.secret = k8s.core.v1.Secret(
            f"{name}-secret",
            metadata=object_meta(None, args.namespace, args.labels),
            type="Opaque",
            string_data=data,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.broker_url = SecretRef(self.secret.metadata.name, "celery-broker-url")
        self.agent_redis_url = SecretRef(self.secret.metadata.name, "agent-redis-url") if args.agent_v2 else None
        self.register_outputs({"secret_name": self.secret.metadata.name})
