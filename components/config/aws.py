"""``dify:aws``: the existing VPC and EKS cluster, and the managed data tier created in them.

Pure models (no Pulumi imports). Every id is checked for the shape AWS gives it, so a typo is a
one-line error before anything exists; ``aws_problems`` adds the checks that need more than one key
(required when enabled, two subnets for Multi-AZ, the OIDC provider matching its issuer).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from components.config.base import ConfigModel
from components.config.errors import key_path, problem
from components.config.types import Count, Flag, _strict_str
from components.versions import AWS_ENGINES

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$")
_VPC = re.compile(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$")
_SUBNET = re.compile(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$")
_SECURITY_GROUP = re.compile(r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$")
# EKS: 1-100 characters, letters, digits, '-' and '_', starting with a letter or digit.
_CLUSTER = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")
_ISSUER = re.compile(r"^https://(oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/id/[0-9A-F]{32})$")
_PROVIDER_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:oidc-provider/(oidc\.eks\.[a-z0-9-]+\..+)$")
_RDS_CLASS = re.compile(r"^db\.[a-z0-9]+\.[a-z0-9]+$")
_CACHE_NODE = re.compile(r"^cache\.[a-z0-9]+\.[a-z0-9]+$")
_ENGINE_VERSION = re.compile(r"^[0-9]{1,2}\.[0-9]{1,2}$")
# S3 general-purpose bucket naming rules, without dots: a dotted name breaks virtual-hosted TLS.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def _matching(pattern: re.Pattern[str], expected: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"expected {expected}")
        return value

    return check


def _private_cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError("expected a private CIDR block of the VPC such as 10.0.0.0/16") from None
    if not network.is_private or network.prefixlen < 8:
        raise ValueError("expected a private CIDR block of the VPC such as 10.0.0.0/16")
    return str(network)


def _bucket(value: str) -> str:
    if not _BUCKET.fullmatch(value) or "--" in value or value.startswith(("xn-", "sthree-")):
        raise ValueError("expected an S3 bucket name: 3-63 lower-case letters, digits and single '-', no dots")
    return value


Region = Annotated[
    str, BeforeValidator(_strict_str), AfterValidator(_matching(_REGION, "an AWS region such as eu-west-1"))
]
VpcId = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_matching(_VPC, "a VPC id such as vpc-0a1b2c3d"))]
SubnetId = Annotated[
    str, BeforeValidator(_strict_str), AfterValidator(_matching(_SUBNET, "a subnet id such as subnet-0a1b2c3d"))
]
SecurityGroupId = Annotated[
    str,
    BeforeValidator(_strict_str),
    AfterValidator(_matching(_SECURITY_GROUP, "a security group id such as sg-0a1b2c3d")),
]
ClusterName = Annotated[
    str,
    BeforeValidator(_strict_str),
    AfterValidator(_matching(_CLUSTER, "an EKS cluster name: letters, digits, '-' and '_', at most 100")),
]
IssuerUrl = Annotated[
    str,
    BeforeValidator(_strict_str),
    AfterValidator(
        _matching(_ISSUER, "the cluster's OIDC issuer URL, https://oidc.eks.<region>.amazonaws.com/id/<32 hex>")
    ),
]
ProviderArn = Annotated[
    str,
    BeforeValidator(_strict_str),
    AfterValidator(
        _matching(_PROVIDER_ARN, "an IAM OIDC provider ARN, arn:aws:iam::<account>:oidc-provider/oidc.eks.…")
    ),
]
RdsClass = Annotated[
    str,
    BeforeValidator(_strict_str),
    AfterValidator(_matching(_RDS_CLASS, "an RDS instance class such as db.m6g.large")),
]
CacheNodeType = Annotated[
    str,
    BeforeValidator(_strict_str),
    AfterValidator(_matching(_CACHE_NODE, "an ElastiCache node type such as cache.m6g.large")),
]
EngineVersion = Annotated[
    str,
    BeforeValidator(_strict_str),
    AfterValidator(_matching(_ENGINE_VERSION, 'a quoted major.minor engine version such as "15.15"')),
]
PrivateCidr = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_private_cidr)]
BucketName = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_bucket)]

# Memory of each RDS instance class in GiB (the AWS instance-class table; Graviton and Intel
# generations of one size have the same memory). RDS's default for PostgreSQL is
# max_connections = LEAST({DBInstanceClassMemory/9531392}, 5000), where DBInstanceClassMemory is the
# class's memory less what the OS and RDS reserve, which AWS does not publish. Reported values
# (db.t2.small 198, db.t2.medium 413, db.t2.large 856, db.r4.large 1660) are 88-97 % of the
# nominal memory's quotient, so 88 % is used: the estimate never exceeds the real limit.
_GIB_PER_SIZE = {"micro": 1, "small": 2, "medium": 4}
_GENERAL = {"large": 8, "xlarge": 16, "2xlarge": 32, "4xlarge": 64, "8xlarge": 128, "12xlarge": 192, "16xlarge": 256}
_MEMORY = {"large": 16, "xlarge": 32, "2xlarge": 64, "4xlarge": 128, "8xlarge": 256, "12xlarge": 384, "16xlarge": 512}
RDS_CLASS_MEMORY_GIB: dict[str, int] = {
    **{f"db.{family}.{size}": gib for family in ("t3", "t4g") for size, gib in _GIB_PER_SIZE.items()},
    **{f"db.{family}.{size}": gib for family in ("t3", "t4g") for size, gib in (("large", 8), ("xlarge", 16))},
    **{f"db.{family}.2xlarge": 32 for family in ("t3", "t4g")},
    **{f"db.{family}.{size}": gib for family in ("m5", "m6g", "m6i", "m7g") for size, gib in _GENERAL.items()},
    **{f"db.{family}.{size}": gib for family in ("r5", "r6g", "r6i", "r7g") for size, gib in _MEMORY.items()},
}
RDS_CONNECTION_BYTES = 9531392
RDS_CONNECTION_CAP = 5000
DBINSTANCECLASSMEMORY_SHARE = 0.88


def estimated_max_connections(instance_class: str) -> int:
    memory = RDS_CLASS_MEMORY_GIB[instance_class] * 2**30 * DBINSTANCECLASSMEMORY_SHARE
    return min(int(memory // RDS_CONNECTION_BYTES), RDS_CONNECTION_CAP)


class _Model(ConfigModel):
    pass


class RdsSettings(_Model):
    instance_class: RdsClass = Field(default="db.m6g.large", description="RDS instance class.")
    engine_version: EngineVersion = Field(
        default=AWS_ENGINES.postgres, description="RDS PostgreSQL version (components/versions.py)."
    )
    allocated_storage: Count = Field(default=100, ge=20, le=65536, description="gp3 storage in GiB.")
    max_allocated_storage: Count = Field(
        default=500, ge=20, le=65536, description="Storage autoscaling ceiling in GiB (≥ allocatedStorage)."
    )
    backup_retention_days: Count = Field(default=7, ge=7, le=35, description="Automated backup retention.")
    port: Count = Field(default=5432, ge=1150, le=65535, description="Port RDS listens on.")
    slow_query_ms: Count = Field(
        default=1000, ge=100, le=600000, description="log_min_duration_statement: statements slower are logged."
    )
    max_connections_override: Count | None = Field(
        default=None,
        ge=50,
        le=262143,
        alias="maxConnections",
        description="Sets max_connections in the parameter group; unset = RDS's memory-based default.",
    )

    @property
    def max_connections(self) -> int:
        """The server's max_connections: the parameter group's value when set, else RDS's
        default estimated from the class's memory (see RDS_CLASS_MEMORY_GIB). The connection
        budget compares against it; superuser-reserved slots (3) are the budget's to subtract."""
        if self.max_connections_override is not None:
            return self.max_connections_override
        return estimated_max_connections(self.instance_class)


class ElastiCacheSettings(_Model):
    node_type: CacheNodeType = Field(default="cache.m6g.large", description="ElastiCache node type.")
    engine_version: EngineVersion = Field(
        default=AWS_ENGINES.redis, description="ElastiCache Redis version (components/versions.py)."
    )
    replicas: Count = Field(
        default=1, ge=1, le=5, description="Read replicas besides the primary (≥ 1 for automatic failover)."
    )
    snapshot_retention_days: Count = Field(default=7, ge=1, le=35, description="Daily snapshot retention.")
    port: Count = Field(default=6379, ge=1024, le=65535, description="Port ElastiCache listens on.")


class S3Settings(_Model):
    bucket_name: BucketName | None = Field(default=None, description="Bucket name; unset = generated.")
    noncurrent_version_days: Count = Field(
        default=30, ge=1, le=3650, description="Days before an overwritten or deleted object version expires."
    )


class AwsSettings(_Model):
    """Prod on AWS: RDS, ElastiCache and S3 replace the in-cluster Postgres, Redis and volumes."""

    enabled: Flag = Field(default=False, description="Create the managed data tier on AWS (prod).")
    region: Region | None = Field(default=None, description="AWS region of the VPC and the cluster.")
    vpc_id: VpcId | None = Field(default=None, description="Existing VPC the cluster runs in.")
    private_subnet_ids: list[SubnetId] = Field(
        default_factory=list, description="Private subnets in at least two AZs (RDS and ElastiCache subnet groups)."
    )
    vpc_cidrs: list[PrivateCidr] = Field(
        default_factory=list, description="The VPC's private CIDRs: the NetworkPolicy egress to RDS and ElastiCache."
    )
    eks_cluster_name: ClusterName | None = Field(default=None, description="Existing EKS cluster's name.")
    oidc_provider_arn: ProviderArn | None = Field(default=None, description="The cluster's IAM OIDC provider ARN.")
    oidc_issuer_url: IssuerUrl | None = Field(default=None, description="The cluster's OIDC issuer URL.")
    node_security_group_id: SecurityGroupId | None = Field(
        default=None, description="Security group of the cluster's nodes: the only source RDS and Redis admit."
    )
    rds: RdsSettings = Field(default=RdsSettings(), description="RDS PostgreSQL.")
    elasticache: ElastiCacheSettings = Field(default=ElastiCacheSettings(), description="ElastiCache Redis.")
    s3: S3Settings = Field(default=S3Settings(), description="S3 bucket for Dify and plugin storage.")

    @property
    def issuer_host(self) -> str:
        """The issuer without https://: the prefix of the IRSA trust policy's condition keys."""
        return (self.oidc_issuer_url or "").removeprefix("https://")


_REQUIRED: tuple[tuple[str, str], ...] = (
    ("region", "an AWS region such as eu-west-1"),
    ("vpcId", "the id of the VPC the cluster runs in, vpc-…"),
    ("eksClusterName", "the EKS cluster's name"),
    ("oidcProviderArn", "the cluster's IAM OIDC provider ARN"),
    ("oidcIssuerUrl", "the cluster's OIDC issuer URL"),
    ("nodeSecurityGroupId", "the security group of the cluster's nodes, sg-…"),
)


def aws_problems(aws: AwsSettings) -> list[str]:
    """What one key alone cannot say: only meaningful with ``aws.enabled``."""
    if not aws.enabled:
        return []
    problems = []
    values = aws.model_dump(by_alias=True)
    for key, expected in _REQUIRED:
        if values[key] is None:
            problems.append(f"{key_path(['aws', key])}: is missing (expected {expected} when aws.enabled is true)")
    subnets = aws.private_subnet_ids
    if len(subnets) < 2 or len(set(subnets)) != len(subnets):
        problems.append(
            problem(
                ["aws", "privateSubnetIds"], subnets, "at least 2 distinct private subnets in different AZs (Multi-AZ)"
            )
        )
    if not aws.vpc_cidrs:
        problems.append(
            f"{key_path(['aws', 'vpcCidrs'])}: is missing (expected the VPC's private CIDRs when aws.enabled is true)"
        )
    provider = _PROVIDER_ARN.fullmatch(aws.oidc_provider_arn or "")
    if provider and aws.oidc_issuer_url and provider.group(2) != aws.issuer_host:
        # The ARN is too long to show whole in one line; its issuer host is the part that differs.
        problems.append(
            f"{key_path(['aws', 'oidcProviderArn'])}: names the issuer {provider.group(2)} "
            f"(expected the provider of {aws.oidc_issuer_url})"
        )
    issuer = _ISSUER.fullmatch(aws.oidc_issuer_url or "")
    if issuer and aws.region and issuer.group(2) != aws.region:
        problems.append(problem(["aws", "oidcIssuerUrl"], aws.oidc_issuer_url, f"an issuer in region {aws.region}"))
    rds = aws.rds
    if rds.max_connections_override is None and rds.instance_class not in RDS_CLASS_MEMORY_GIB:
        problems.append(
            problem(
                ["aws", "rds", "instanceClass"],
                rds.instance_class,
                "a class of the memory table in components/config/aws.py, or set aws.rds.maxConnections",
            )
        )
    if rds.max_allocated_storage < rds.allocated_storage:
        problems.append(
            problem(
                ["aws", "rds", "maxAllocatedStorage"],
                rds.max_allocated_storage,
                f"at least allocatedStorage {rds.allocated_storage}",
            )
        )
    return problems
