"""``dify:aws`` bad-config corpus: each case is one mistake on a valid prod-shaped config and must
produce exactly one, exactly-worded line naming the camelCase key, the value and what is expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from components.config import ConfigError, parse_config
from components.config.aws import RDS_CLASS_MEMORY_GIB, AwsSettings, RdsSettings, estimated_max_connections

ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9"
PROVIDER = (
    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9"
)
VALID: dict[str, Any] = {
    "enabled": True,
    "region": "eu-west-1",
    "vpcId": "vpc-0a1b2c3d4e5f60718",
    "privateSubnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
    "vpcCidrs": ["10.20.0.0/16"],
    "eksClusterName": "dify-prod",
    "oidcProviderArn": PROVIDER,
    "oidcIssuerUrl": ISSUER,
    "nodeSecurityGroupId": "sg-0a1b2c3d4e5f60718",
}
BASELINE = {"dify:environment": "prod", "dify:host": "dify.example.com"}


@dataclass(frozen=True)
class Case:
    id: str
    aws: dict[str, Any]
    expected: str


def _with(**changes: Any) -> dict[str, Any]:
    merged = dict(VALID)
    for key, value in changes.items():
        if value is None:
            merged.pop(key)
        else:
            merged[key] = value
    return merged


CASES = [
    Case("subnet-not-subnet-id", _with(privateSubnetIds=["subnet-0a1b2c3d4e5f60001", "sn-12345678"]),
         'dify:aws.privateSubnetIds[1]: "sn-12345678" is not allowed (expected a subnet id such as subnet-0a1b2c3d)'),
    Case("one-subnet", _with(privateSubnetIds=["subnet-0a1b2c3d4e5f60001"]),
         'dify:aws.privateSubnetIds: ["subnet-0a1b2c3d4e5f60001"] is not allowed '
         "(expected at least 2 distinct private subnets in different AZs (Multi-AZ))"),
    Case("same-subnet-twice", _with(privateSubnetIds=["subnet-0a1b2c3d4e5f60001"] * 2),
         'dify:aws.privateSubnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60001"] is not allowed '
         "(expected at least 2 distinct private subnets in different AZs (Multi-AZ))"),
    Case("vpc-id-shape", _with(vpcId="vpc-XYZ"),
         'dify:aws.vpcId: "vpc-XYZ" is not allowed (expected a VPC id such as vpc-0a1b2c3d)'),
    Case("vpc-id-missing", _with(vpcId=None),
         "dify:aws.vpcId: is missing (expected the id of the VPC the cluster runs in, vpc-… when aws.enabled is true)"),
    Case("region-shape", _with(region="Europe"),
         'dify:aws.region: "Europe" is not allowed (expected an AWS region such as eu-west-1)'),
    Case("security-group-shape", _with(nodeSecurityGroupId="sg-nodes"),
         'dify:aws.nodeSecurityGroupId: "sg-nodes" is not allowed (expected a security group id such as sg-0a1b2c3d)'),
    Case("node-sg-missing", _with(nodeSecurityGroupId=None),
         "dify:aws.nodeSecurityGroupId: is missing "
         "(expected the security group of the cluster's nodes, sg-… when aws.enabled is true)"),
    Case("issuer-not-eks", _with(oidcIssuerUrl="https://token.actions.githubusercontent.com"),
         'dify:aws.oidcIssuerUrl: "https://token.actions.githubusercontent.com" is not allowed '
         "(expected the cluster's OIDC issuer URL, https://oidc.eks.<region>.amazonaws.com/id/<32 hex>)"),
    Case("issuer-other-region", _with(oidcIssuerUrl=ISSUER.replace("eu-west-1", "us-east-1"),
                                      oidcProviderArn=PROVIDER.replace("eu-west-1", "us-east-1")),
         f'dify:aws.oidcIssuerUrl: "{ISSUER.replace("eu-west-1", "us-east-1")}" is not allowed '
         "(expected an issuer in region eu-west-1)"),
    Case("provider-of-another-issuer", _with(oidcProviderArn=PROVIDER.replace("0A1B", "FFFF")),
         "dify:aws.oidcProviderArn: names the issuer "
         "oidc.eks.eu-west-1.amazonaws.com/id/FFFF2C3D4E5F60718293A4B5C6D7E8F9 "
         f"(expected the provider of {ISSUER})"),
    Case("provider-arn-shape", _with(oidcProviderArn="arn:aws:iam::1234:role/x"),
         'dify:aws.oidcProviderArn: "arn:aws:iam::1234:role/x" is not allowed '
         "(expected an IAM OIDC provider ARN, arn:aws:iam::<account>:oidc-provider/oidc.eks.…)"),
    Case("cluster-name-shape", _with(eksClusterName="-prod"),
         'dify:aws.eksClusterName: "-prod" is not allowed '
         "(expected an EKS cluster name: letters, digits, '-' and '_', at most 100)"),
    Case("public-vpc-cidr", _with(vpcCidrs=["8.8.0.0/16"]),
         'dify:aws.vpcCidrs[0]: "8.8.0.0/16" is not allowed '
         "(expected a private CIDR block of the VPC such as 10.0.0.0/16)"),
    Case("vpc-cidrs-missing", _with(vpcCidrs=None),
         "dify:aws.vpcCidrs: is missing (expected the VPC's private CIDRs when aws.enabled is true)"),
    Case("backup-retention-short", _with(rds={"backupRetentionDays": 3}),
         "dify:aws.rds.backupRetentionDays: 3 is not allowed (expected an integer ≥ 7)"),
    Case("rds-class-shape", _with(rds={"instanceClass": "m6g.large"}),
         'dify:aws.rds.instanceClass: "m6g.large" is not allowed '
         "(expected an RDS instance class such as db.m6g.large)"),
    Case("rds-class-unknown-memory", _with(rds={"instanceClass": "db.x2iedn.large"}),
         'dify:aws.rds.instanceClass: "db.x2iedn.large" is not allowed '
         "(expected a class of the memory table in components/config/aws.py, or set aws.rds.maxConnections)"),
    Case("storage-below-gp3-minimum", _with(rds={"allocatedStorage": 10}),
         "dify:aws.rds.allocatedStorage: 10 is not allowed (expected an integer ≥ 20)"),
    Case("autoscaling-ceiling-below-storage", _with(rds={"allocatedStorage": 200, "maxAllocatedStorage": 100}),
         "dify:aws.rds.maxAllocatedStorage: 100 is not allowed (expected at least allocatedStorage 200)"),
    Case("max-connections-tiny", _with(rds={"maxConnections": 10}),
         "dify:aws.rds.maxConnections: 10 is not allowed (expected an integer ≥ 50)"),
    Case("engine-version-unquoted", _with(rds={"engineVersion": 15.15}),
         "dify:aws.rds.engineVersion: 15.15 is not allowed (expected a string)"),
    Case("cache-node-type-shape", _with(elasticache={"nodeType": "m6g.large"}),
         'dify:aws.elasticache.nodeType: "m6g.large" is not allowed '
         "(expected an ElastiCache node type such as cache.m6g.large)"),
    Case("cache-without-replica", _with(elasticache={"replicas": 0}),
         "dify:aws.elasticache.replicas: 0 is not allowed (expected an integer ≥ 1)"),
    Case("snapshot-retention-zero", _with(elasticache={"snapshotRetentionDays": 0}),
         "dify:aws.elasticache.snapshotRetentionDays: 0 is not allowed (expected an integer ≥ 1)"),
    Case("bucket-with-dots", _with(s3={"bucketName": "dify.example.com"}),
         'dify:aws.s3.bucketName: "dify.example.com" is not allowed '
         "(expected an S3 bucket name: 3-63 lower-case letters, digits and single '-', no dots)"),
    Case("bucket-upper-case", _with(s3={"bucketName": "Dify-Files"}),
         'dify:aws.s3.bucketName: "Dify-Files" is not allowed '
         "(expected an S3 bucket name: 3-63 lower-case letters, digits and single '-', no dots)"),
    Case("unknown-key", _with(vpc="vpc-0a1b2c3d"),
         "dify:aws.vpc: unknown key (expected one of: enabled, region, vpcId, privateSubnetIds, vpcCidrs, "
         "eksClusterName, oidcProviderArn, oidcIssuerUrl, nodeSecurityGroupId, rds, elasticache, s3)"),
    Case("enabled-yes", _with(enabled="yes"),
         'dify:aws.enabled: "yes" is not allowed (expected true or false)'),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_aws_config_reports_exactly_one_problem(case: Case) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASELINE, "dify:aws": json.dumps(case.aws)}, set())
    assert caught.value.problems == [case.expected]


def test_the_corpus_is_large_and_unique() -> None:
    assert len(CASES) >= 15 and len({c.id for c in CASES}) == len(CASES)


def test_disabled_aws_checks_nothing_and_prod_shape_parses() -> None:
    # Off (the default, and dev): no key is required.
    assert parse_config(BASELINE, set()).aws == AwsSettings()
    config = parse_config({**BASELINE, "dify:aws": json.dumps(VALID)}, set())
    assert config.aws.issuer_host == "oidc.eks.eu-west-1.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9"
    assert config.aws.private_subnet_ids == ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]


# RDS's default is LEAST({DBInstanceClassMemory/9531392}, 5000); the estimate takes 88 % of the
# nominal memory as DBInstanceClassMemory. Literals: floor(GiB × 2^30 × 0.88 / 9531392).
@pytest.mark.parametrize(
    ("instance_class", "connections"),
    [
        ("db.t3.micro", 99),
        ("db.t4g.small", 198),
        ("db.t3.medium", 396),
        ("db.m6g.large", 793),
        ("db.r6g.large", 1586),
        ("db.m7g.4xlarge", 5000),
        ("db.r7g.16xlarge", 5000),
    ],
)
def test_max_connections_estimate_per_class(instance_class: str, connections: int) -> None:
    assert estimated_max_connections(instance_class) == connections
    assert RdsSettings(instance_class=instance_class).max_connections == connections


def test_estimate_never_exceeds_reported_rds_values() -> None:
    # max_connections RDS reports for classes of the same memory (db.t2.small/medium/large 198/413/856,
    # db.r4.large with 15.25 GiB 1660): the estimate must stay at or below them.
    for gib, reported in ((2, 198), (4, 413), (8, 856), (16, 1660)):
        klass = next(k for k, v in RDS_CLASS_MEMORY_GIB.items() if v == gib)
        assert estimated_max_connections(klass) <= reported, klass


def test_an_explicit_max_connections_wins_and_lifts_the_table_requirement() -> None:
    settings = RdsSettings.model_validate({"instanceClass": "db.x2iedn.large", "maxConnections": 1200})
    assert settings.max_connections == 1200
    config = parse_config(
        {**BASELINE, "dify:aws": json.dumps(_with(rds={"instanceClass": "db.x2iedn.large", "maxConnections": 1200}))},
        set(),
    )
    assert config.aws.rds.max_connections == 1200
