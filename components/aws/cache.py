"""dify:aws:Cache: ElastiCache for Redis, one shard with a primary and replicas in other AZs.

Creates: a subnet group over the private subnets, a security group admitting the port only from
the nodes, and a replication group with automatic failover and Multi-AZ, TLS required in transit
(``transit_encryption_mode`` "required": plain connections are refused), encryption at rest, an
AUTH token and daily snapshots. The token is the generated ``redis-password`` (pulumi-random,
alphanumeric, 32 characters: inside ElastiCache's 16-128 and its forbidden-character rules), the
same value Dify's Secret and broker URLs carry. Cluster mode stays off: Dify selects Redis
databases (0 cache, 1 Celery broker, 2 agent backend), which cluster mode does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.network import Placement, node_only_security_group
from components.config.aws import ElastiCacheSettings
from components.versions import AWS_ENGINES

SNAPSHOT_WINDOW = "01:00-02:00"
MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"


@dataclass
class CacheArgs:
    identifier: str
    settings: ElastiCacheSettings
    placement: Placement
    auth_token: pulumi.Input[str]


class Cache(pulumi.ComponentResource):
    group: aws.elasticache.ReplicationGroup

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:aws:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(args.placement.subnet_ids),
            description=f"{args.identifier}: private subnets",
            opts=child,
        )
        group = node_only_security_group(self, name, args.placement, settings.port, "Redis")
        self.group = aws.elasticache.ReplicationGroup(
            f"{name}-group",
            replication_group_id=args.identifier,
            description=f"{args.identifier}: Dify cache, Celery broker and agent state",
            engine="redis",
            engine_version=settings.engine_version,
            auto_minor_version_upgrade=False,
            parameter_group_name=f"default.{AWS_ENGINES.redis_family}",
            node_type=settings.node_type,
            num_cache_clusters=1 + settings.replicas,
            port=settings.port,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            at_rest_encryption_enabled=True,
            auth_token=args.auth_token,
            auth_token_update_strategy="ROTATE",
            subnet_group_name=subnets.name,
            security_group_ids=[group.id],
            snapshot_retention_limit=settings.snapshot_retention_days,
            snapshot_window=SNAPSHOT_WINDOW,
            maintenance_window=MAINTENANCE_WINDOW,
            final_snapshot_identifier=f"{args.identifier}-final",
            apply_immediately=False,
            opts=child,
        )
        self.address = self.group.primary_endpoint_address
        self.port = settings.port
        self.register_outputs({"address": self.address, "arn": self.group.arn})
