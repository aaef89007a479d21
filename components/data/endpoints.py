"""The interface between data stores and Dify: what an app needs to reach Postgres, Redis and
the vector store, independent of where they run.

The in-cluster components (dev) and managed services (prod: RDS, ElastiCache, S3) both produce these
endpoints; the Dify components only ever see this module, so swapping a store touches no app
code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

import pulumi

from components.kube import SecretRef, WorkloadIdentity


@dataclass(frozen=True)
class PostgresEndpoint:
    host: pulumi.Input[str]
    port: int
    username: str
    password: SecretRef
    database: str
    plugin_database: str
    ssl_mode: Literal["disable", "require"] = "disable"


@dataclass(frozen=True)
class RedisEndpoint:
    host: pulumi.Input[str]
    port: int
    password: SecretRef
    password_value: pulumi.Output[str]
    use_ssl: bool = False
    username: str = ""

    def url(self, database: int) -> pulumi.Output[str]:
        """A broker URL that embeds the password: built from Outputs and kept secret."""
        scheme = "rediss" if self.use_ssl else "redis"
        suffix = "?ssl_cert_reqs=required" if self.use_ssl else ""
        url = pulumi.Output.all(self.host, self.password_value).apply(
            lambda parts: (
                f"{scheme}://{quote(self.username, safe='')}:{quote(str(parts[1]), safe='')}"
                f"@{parts[0]}:{self.port}/{database}{suffix}"
            )
        )
        return pulumi.Output.secret(url)


@dataclass(frozen=True)
class VectorStoreEndpoint:
    kind: Literal["weaviate"]
    endpoint: pulumi.Input[str]
    grpc_endpoint: pulumi.Input[str]
    api_key: SecretRef


@dataclass(frozen=True)
class ObjectStoreEndpoint:
    """An S3 bucket reached through IRSA: pods that name ``service_account`` get the role's
    web-identity token from the EKS pod identity webhook, so no access key exists anywhere."""

    bucket: pulumi.Input[str]
    region: str
    service_account: WorkloadIdentity


@dataclass(frozen=True)
class DataStores:
    postgres: PostgresEndpoint
    redis: RedisEndpoint
    vector: VectorStoreEndpoint
    # What Dify workloads must wait for (StatefulSets on dev, managed instances on prod).
    ready: Sequence[pulumi.Resource] = field(default_factory=tuple)
    # None: Dify's files live on the shared volume (dev); set: on S3 (prod on AWS).
    objects: ObjectStoreEndpoint | None = None
