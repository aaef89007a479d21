"""Prod's managed data tier (dify:aws), asserted on the inputs the mock runtime recorded: every
security property issue 11 asks for, as literals (AWS's and upstream's names and values)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.runtime import rpc

from components.config.models import StackConfig
from components.flows import Pods, VpcCidrs, flows
from components.protection import PROTECTED_AWS, RETAINED_KUBERNETES
from synth.mocks import Recording, Registration
from tests.conftest import objects
from tests.lookup import find, kinds

ISSUER_HOST = "oidc.eks.eu-west-1.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER_HOST}"
NODE_SG = "sg-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]
# Every Dify process that opens the bucket (api-image processes build the S3 client at start).
S3_PODS = {
    "dify-api",
    "dify-api-websocket",
    "dify-worker",
    "dify-worker-beat",
    "dify-migrate-1-16-1",
    "dify-plugin-daemon",
}
API_FAMILY = ("dify-api", "dify-api-websocket", "dify-worker", "dify-worker-beat", "dify-migrate-1-16-1")


def one(recording: Recording, type_: str) -> Registration:
    (found,) = recording.by_type(type_)
    return found


def inputs(recording: Recording, type_: str) -> dict[str, Any]:
    return one(recording, type_).inputs


def test_provider_tags_every_resource(prod: Recording) -> None:
    provider = inputs(prod, "pulumi:providers:aws")
    assert provider["region"] == "eu-west-1"
    assert json.loads(provider["defaultTags"]) == {
        "tags": {"project": "dify", "stack": "prod", "environment": "prod", "managed-by": "pulumi"}
    }
    # Every AWS resource goes through that provider (none through an ambient default).
    provider_urn = one(prod, "pulumi:providers:aws").urn
    assert all(r.type != "pulumi:providers:aws" or r.urn == provider_urn for r in prod.registrations)


def test_dev_creates_no_aws_resource(dev: Recording) -> None:
    # The real-engine e2e tier runs dev without the aws plugin.
    assert [r.type for r in dev.registrations if r.type.startswith("aws:") or r.type == "pulumi:providers:aws"] == []
    assert [r.name for r in dev.registrations if r.protect or r.retain_on_delete] == []


def test_rds_instance(prod: Recording) -> None:
    db = inputs(prod, "aws:rds/instance:Instance")
    key = one(prod, "aws:kms/key:Key")
    assert {k: db[k] for k in ("engine", "engineVersion", "instanceClass", "identifier", "dbName", "username")} == {
        "engine": "postgres",
        "engineVersion": "15.15",
        "instanceClass": "db.m6g.large",
        "identifier": "dify-prod",
        "dbName": "dify",
        "username": "dify",
    }
    assert db["multiAz"] is True and db["publiclyAccessible"] is False
    assert db["storageEncrypted"] is True and db["storageType"] == "gp3"
    assert db["kmsKeyId"] == db["performanceInsightsKmsKeyId"] == key.outputs["arn"]
    assert db["backupRetentionPeriod"] == 14  # Pulumi.prod.yaml; the config floor is 7
    assert db["deletionProtection"] is True
    assert db["skipFinalSnapshot"] is False and db["finalSnapshotIdentifier"] == "dify-prod-final"
    assert db["deleteAutomatedBackups"] is False
    assert db["performanceInsightsEnabled"] is True and db["performanceInsightsRetentionPeriod"] == 7
    assert db["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert db["allocatedStorage"] == 100 and db["port"] == 5432
    assert rpc.is_rpc_secret(db["password"])
    assert key.inputs["enableKeyRotation"] is True


def test_rds_parameter_group_forces_tls_and_logs_slow_statements(prod: Recording) -> None:
    group = inputs(prod, "aws:rds/parameterGroup:ParameterGroup")
    assert group["family"] == "postgres15"
    assert {p["name"]: (p["value"], p["applyMethod"]) for p in group["parameters"]} == {
        "rds.force_ssl": ("1", "pending-reboot"),
        "log_min_duration_statement": ("1000", "immediate"),
    }
    assert (
        inputs(prod, "aws:rds/instance:Instance")["parameterGroupName"]
        == one(prod, "aws:rds/parameterGroup:ParameterGroup").outputs["name"]
    )


def test_a_max_connections_override_lands_in_the_parameter_group() -> None:
    from tests.conftest import synth_with

    aws = dict(_prod_aws())
    aws["rds"] = {**aws["rds"], "maxConnections": 1000}
    recording = synth_with("prod", aws=aws)
    params = {p["name"]: p["value"] for p in inputs(recording, "aws:rds/parameterGroup:ParameterGroup")["parameters"]}
    assert params["max_connections"] == "1000"


def _prod_aws() -> dict[str, Any]:
    from synth.harness import stack_config

    config, _ = stack_config("prod")
    return json.loads(config["dify:aws"])  # type: ignore[no-any-return]


def test_elasticache_replication_group(prod: Recording) -> None:
    group = inputs(prod, "aws:elasticache/replicationGroup:ReplicationGroup")
    assert group["engine"] == "redis" and group["engineVersion"] == "7.1"
    assert group["automaticFailoverEnabled"] is True and group["multiAzEnabled"] is True
    assert group["numCacheClusters"] == 2  # a primary and one replica in another AZ
    assert group["transitEncryptionEnabled"] is True and group["transitEncryptionMode"] == "required"
    assert group["atRestEncryptionEnabled"] is True
    assert rpc.is_rpc_secret(group["authToken"])
    assert group["snapshotRetentionLimit"] == 7 and group["finalSnapshotIdentifier"] == "dify-prod-final"
    assert group["replicationGroupId"] == "dify-prod" and group["port"] == 6379
    assert "clusterMode" not in group  # Dify selects Redis databases 0-2, which cluster mode lacks


def test_auth_token_and_master_password_are_dify_s_own_secrets(prod: Recording) -> None:
    objs = objects(prod)
    # Dify's own credentials Secret (monitoring's exporters get a copy in their namespace).
    (credentials,) = [
        s
        for s in kinds(objs, "Secret")
        if "db-password" in s.get("stringData", {}) and s["metadata"]["namespace"] == "dify-prod"
    ]
    data = credentials["stringData"]
    db = inputs(prod, "aws:rds/instance:Instance")
    cache = inputs(prod, "aws:elasticache/replicationGroup:ReplicationGroup")
    assert rpc.unwrap_rpc_secret(db["password"]) == data["db-password"]
    assert rpc.unwrap_rpc_secret(cache["authToken"]) == data["redis-password"]
    # ElastiCache's AUTH rules: 16-128 characters, no spaces, '/', '"' or '@'.
    assert 16 <= len(data["redis-password"]) <= 128 and data["redis-password"].isalnum()


@pytest.mark.parametrize(
    ("group", "port", "what"), [("aws-database-sg", 5432, "PostgreSQL"), ("aws-cache-sg", 6379, "Redis")]
)
def test_security_groups_admit_one_port_from_the_nodes_only(prod: Recording, group: str, port: int, what: str) -> None:
    (sg,) = [r for r in prod.registrations if r.name == group]
    assert sg.inputs["vpcId"] == "vpc-0a1b2c3d4e5f60718"
    assert sg.inputs["description"] == f"{what}: {port}/tcp from the nodes of EKS cluster dify-prod only"
    assert "ingress" not in sg.inputs and "egress" not in sg.inputs
    rules = [r.inputs for r in prod.registrations if r.type.startswith("aws:vpc/") and r.parent == sg.urn]
    assert rules == [
        {
            "securityGroupId": rules[0]["securityGroupId"],
            "referencedSecurityGroupId": NODE_SG,
            "ipProtocol": "tcp",
            "fromPort": port,
            "toPort": port,
            "description": f"{what} from the EKS nodes",
        }
    ]
    assert not [r for r in prod.registrations if r.type == "aws:ec2/securityGroupRule:SecurityGroupRule"]


def test_subnet_groups_span_the_private_subnets(prod: Recording) -> None:
    assert inputs(prod, "aws:rds/subnetGroup:SubnetGroup")["subnetIds"] == SUBNETS
    assert inputs(prod, "aws:elasticache/subnetGroup:SubnetGroup")["subnetIds"] == SUBNETS


def test_bucket_is_private_encrypted_versioned_and_tls_only(prod: Recording) -> None:
    bucket = one(prod, "aws:s3/bucket:Bucket")
    name, arn = bucket.outputs["bucket"], bucket.outputs["arn"]
    assert bucket.inputs == {"bucketPrefix": "dify-prod-"} or bucket.inputs.get("bucketPrefix") == "dify-prod-"
    block = inputs(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert block == {
        "bucket": name,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    assert inputs(prod, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"
    }
    encryption = inputs(prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert encryption["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}, "bucketKeyEnabled": True}
    ]
    assert inputs(prod, "aws:s3/bucketVersioning:BucketVersioning")["versioningConfiguration"] == {"status": "Enabled"}
    (rule,) = inputs(prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"]
    assert rule["status"] == "Enabled" and rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    policy = json.loads(inputs(prod, "aws:s3/bucketPolicy:BucketPolicy")["policy"])
    assert policy["Statement"] == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def test_irsa_trust_is_scoped_to_one_service_account_and_the_sts_audience(prod: Recording) -> None:
    trust = json.loads(inputs(prod, "aws:iam/role:Role")["assumeRolePolicy"])
    assert trust == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER_ARN},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{ISSUER_HOST}:sub": "system:serviceaccount:dify-prod:dify-storage",
                        f"{ISSUER_HOST}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def test_irsa_policy_reaches_this_bucket_only(prod: Recording) -> None:
    arn = one(prod, "aws:s3/bucket:Bucket").outputs["arn"]
    role = one(prod, "aws:iam/role:Role")
    policy = inputs(prod, "aws:iam/rolePolicy:RolePolicy")
    assert policy["role"] == role.outputs["name"]
    # Without the current language version IAM reads the document as 2008-10-17 (mutmut
    # components.aws.identity.x_bucket_policy__mutmut_2/_3 renamed the key and survived).
    assert json.loads(policy["policy"])["Version"] == "2012-10-17"
    assert json.loads(policy["policy"])["Statement"] == [
        {"Sid": "ListTheBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": arn},
        {
            "Sid": "ReadWriteItsObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": f"{arn}/*",
        },
    ]
    assert not prod.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")


def test_protect_is_on_every_stateful_resource_and_only_there(prod: Recording) -> None:
    protected = {(r.type, r.name) for r in prod.registrations if r.protect}
    assert protected == {
        ("aws:rds/instance:Instance", "aws-database-instance"),
        ("aws:kms/key:Key", "aws-database-key"),
        ("aws:elasticache/replicationGroup:ReplicationGroup", "aws-cache-group"),
        ("aws:s3/bucket:Bucket", "aws-bucket-bucket"),
        ("kubernetes:apps/v1:StatefulSet", "weaviate-statefulset"),
        # Bundled monitoring's claims: 30 days of metrics, the silences and notification log.
        ("kubernetes:apps/v1:StatefulSet", "prometheus-statefulset"),
        ("kubernetes:apps/v1:StatefulSet", "alertmanager-statefulset"),
        # Logging's: thirty days of indices, Logstash's persistent queue.
        ("kubernetes:apps/v1:StatefulSet", "elasticsearch-statefulset"),
        ("kubernetes:apps/v1:StatefulSet", "logstash-statefulset"),
    }
    retained = {(r.type, r.name) for r in prod.registrations if r.retain_on_delete}
    assert retained == {
        ("kubernetes:apps/v1:StatefulSet", "weaviate-statefulset"),
        ("kubernetes:apps/v1:StatefulSet", "prometheus-statefulset"),
        ("kubernetes:apps/v1:StatefulSet", "alertmanager-statefulset"),
        ("kubernetes:apps/v1:StatefulSet", "elasticsearch-statefulset"),
        ("kubernetes:apps/v1:StatefulSet", "logstash-statefulset"),
    }
    assert {t for t, _ in protected} <= PROTECTED_AWS | RETAINED_KUBERNETES


def test_protect_reaches_every_claim_of_a_stack_with_volumes() -> None:
    from tests.conftest import synth_with

    recording = synth_with("dev", protect=True)
    claims = [r for r in recording.registrations if r.type == "kubernetes:core/v1:PersistentVolumeClaim"]
    sets = [r for r in recording.registrations if r.type == "kubernetes:apps/v1:StatefulSet"]
    assert {r.name for r in claims} == {"storage-pvc", "plugin-daemon-pvc"}
    assert len(sets) == 3
    assert all(r.protect and r.retain_on_delete for r in claims + sets)
    assert not [r.name for r in recording.registrations if r.protect and r not in claims + sets]


def test_stack_outputs_are_plain_and_shaped(prod: Recording) -> None:
    outputs = prod.stack_outputs
    assert outputs["url"] == "https://dify.example.com"
    assert outputs["rds_endpoint"] == one(prod, "aws:rds/instance:Instance").outputs["address"]
    assert outputs["rds_endpoint"].endswith(".eu-west-1.rds.amazonaws.com")
    assert outputs["redis_primary_endpoint"].startswith("master.dify-prod.")
    assert outputs["redis_primary_endpoint"].endswith(".euw1.cache.amazonaws.com")
    assert outputs["bucket"].startswith("dify-prod-")
    assert outputs["irsa_role_arn"].startswith("arn:aws:iam::123456789012:role/")
    plain = ("url", "rds_endpoint", "redis_primary_endpoint", "bucket", "irsa_role_arn")
    assert not [k for k in plain if rpc.is_rpc_secret(outputs[k])]
    assert rpc.is_rpc_secret(outputs["init_password"])


def test_flow_table_sends_the_stores_to_the_vpc_on_their_ports(prod: Recording) -> None:
    from components.config import parse_config
    from synth.harness import stack_config

    config, keys = stack_config("prod")
    settings: StackConfig = parse_config(config, set(keys))
    managed = {
        (f.source.key, f.ports)
        for f in flows(settings)
        if isinstance(f.target, VpcCidrs) and isinstance(f.source, Pods)
    }
    family = {"api", "api-websocket", "worker", "worker-beat", "migration"}
    assert managed == (
        {(s, ((5432, "TCP"),)) for s in (*family, "plugin-daemon")}
        | {(s, ((6379, "TCP"),)) for s in (*family, "plugin-daemon", "agent-backend")}
        # Prod's bundled monitoring reads RDS and ElastiCache through its exporters.
        | {("postgres-exporter", ((5432, "TCP"),)), ("redis-exporter", ((6379, "TCP"),))}
    )
    # The generated policy admits exactly the VPC's CIDR on those ports.
    policy = find(objects(prod), "NetworkPolicy", "dify-api")
    egress = [
        rule
        for rule in policy["spec"]["egress"]
        if any("ipBlock" in p and p["ipBlock"]["cidr"] == "10.20.0.0/16" for p in rule["to"])
    ]
    assert sorted(p["port"] for rule in egress for p in rule["ports"]) == [5432, 6379]
