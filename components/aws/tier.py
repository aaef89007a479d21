"""dify:aws:DataTier: RDS, ElastiCache, the bucket and its IRSA identity, behind ``DataStores``.

What the in-cluster Postgres and Redis components give the dev stack, this gives prod: the same
``PostgresEndpoint`` and ``RedisEndpoint``, now with TLS (``ssl_mode="require"``, ``use_ssl``),
plus an ``ObjectStoreEndpoint`` that moves Dify's files and the plugin daemon's packages from
volumes to S3. The Dify components read only the endpoints, so nothing else changes for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.aws.bucket import Bucket, BucketArgs
from components.aws.cache import Cache, CacheArgs
from components.aws.database import DATABASE, PLUGIN_DATABASE, USERNAME, Database, DatabaseArgs
from components.aws.identity import StorageIdentity, StorageIdentityArgs
from components.aws.network import Placement
from components.catalog import PREFIX
from components.config.models import StackConfig
from components.core.credentials import Credentials
from components.data.endpoints import ObjectStoreEndpoint, PostgresEndpoint, RedisEndpoint

STORAGE_ACCOUNT = f"{PREFIX}-storage"


@dataclass
class DataTierArgs:
    config: StackConfig
    namespace: pulumi.Input[str]
    labels: Mapping[str, str]
    # The generated db-password and redis-password become the master password and AUTH token.
    credentials: Credentials


class DataTier(pulumi.ComponentResource):
    postgres: PostgresEndpoint
    redis: RedisEndpoint
    objects: ObjectStoreEndpoint

    def __init__(self, name: str, args: DataTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:aws:DataTier", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        config = args.config
        settings = config.aws
        region, vpc, nodes, cluster = (
            settings.region,
            settings.vpc_id,
            settings.node_security_group_id,
            settings.eks_cluster_name,
        )
        if not (settings.enabled and region and vpc and nodes and cluster):
            raise ValueError("DataTier needs a validated dify:aws with enabled: true")
        identifier = f"{PREFIX}-{config.environment}"
        creds = args.credentials
        placement = Placement(vpc, tuple(settings.private_subnet_ids), nodes, cluster)
        self.database = Database(
            f"{name}-database",
            DatabaseArgs(identifier, settings.rds, placement, creds.values["db-password"]),
            child,
        )
        self.cache = Cache(
            f"{name}-cache",
            CacheArgs(identifier, settings.elasticache, placement, creds.values["redis-password"]),
            child,
        )
        self.bucket = Bucket(f"{name}-bucket", BucketArgs(f"{identifier}-", settings.s3), child)
        self.identity = StorageIdentity(
            f"{name}-identity",
            StorageIdentityArgs(
                namespace=args.namespace,
                namespace_name=config.namespace,
                service_account=STORAGE_ACCOUNT,
                labels=args.labels,
                oidc_provider_arn=settings.oidc_provider_arn or "",
                issuer_host=settings.issuer_host,
                bucket_arn=self.bucket.arn,
            ),
            child,
        )
        self.postgres = PostgresEndpoint(
            host=self.database.address,
            port=self.database.port,
            username=USERNAME,
            password=creds.ref("db-password"),
            database=DATABASE,
            plugin_database=PLUGIN_DATABASE,
            ssl_mode="require",
        )
        self.redis = RedisEndpoint(
            host=self.cache.address,
            port=self.cache.port,
            password=creds.ref("redis-password"),
            password_value=creds.values["redis-password"],
            use_ssl=True,
        )
        self.objects = ObjectStoreEndpoint(
            bucket=self.bucket.name, region=region, service_account=self.identity.service_account
        )
        # What Dify's pods wait for: the instances, the group and the identity they start with.
        self.ready: list[pulumi.Resource] = [self.database, self.cache, self.bucket, self.identity]
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, pulumi.Output[str]]:
        """The stack outputs an operator needs; none is secret (the credentials stay in the
        Kubernetes Secret and in Pulumi's encrypted state)."""
        return {
            "rds_endpoint": self.database.address,
            "redis_primary_endpoint": self.cache.address,
            "bucket": self.bucket.name,
            "irsa_role_arn": self.identity.role.arn,
        }
