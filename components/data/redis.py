"""dify:data:Redis: a single-replica Redis 6 StatefulSet with AUTH for stacks without ElastiCache.

Creates: a StatefulSet with one PVC (append-only file) and a ClusterIP Service. Exposes a
``RedisEndpoint``. The password reaches redis-server through ``$(REDIS_PASSWORD)`` expansion,
so it is never written into the pod spec.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.catalog import CATALOG
from components.data.endpoints import RedisEndpoint
from components.data.store import StoreArgs, deploy_store
from components.kube import ContainerSpec, SecretRef, SecurityProfile, exec_probe, mount, tcp_probe

ENTRY = CATALOG["redis"]

# The alpine image's redis user is uid 999 in gid 1000.
SECURITY = SecurityProfile(run_as_user=999, run_as_group=1000, fs_group=1000)


@dataclass(kw_only=True)
class RedisArgs(StoreArgs):
    password: SecretRef
    password_value: pulumi.Output[str]


class Redis(pulumi.ComponentResource):
    endpoint: RedisEndpoint

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:data:Redis", name, None, opts)
        container = ContainerSpec(
            name="redis",
            image=args.image,
            resources=args.resources,
            security=SECURITY,
            ports=ENTRY.ports,
            # Arguments only: the image's docker-entrypoint.sh still runs and, as a non-root uid,
            # sets umask 0077 so the AOF/RDB files are private (docker-library/redis 6.2/alpine).
            args=["redis-server", "--requirepass", "$(REDIS_PASSWORD)", "--appendonly", "yes", "--dir", "/data"],
            # REDISCLI_AUTH lets the probe authenticate without the password on its command line.
            env={"REDIS_PASSWORD": args.password, "REDISCLI_AUTH": args.password},
            readiness=exec_probe(["sh", "-c", "redis-cli ping | grep -q PONG"], period=10, timeout=5),
            liveness=tcp_probe("redis", period=20, failures=6),
            mounts=[mount("data", "/data")],
        )
        deployed = deploy_store(self, name, ENTRY, args, container)
        self.stateful_set = deployed.stateful_set
        self.endpoint = RedisEndpoint(
            host=ENTRY.name,
            port=ENTRY.port("redis"),
            password=args.password,
            password_value=args.password_value,
        )
        self.register_outputs({"host": ENTRY.name, "stateful_set": self.stateful_set.metadata.name})
