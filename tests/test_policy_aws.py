"""The AWS policies against resources the pulumi-aws 7.51.1 SDK itself registers (its own
snake_case → camelCase translation under the recording mocks), not hand-written props: the
property names the policies read are the ones the SDK sends."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth import policy
from synth.harness import run_program

PROGRAM = """
import json
import pulumi_aws as aws

tags = {"project": "dify", "environment": "prod"}
pg = aws.rds.ParameterGroup("pg", name="dify-pg", family="postgres16", tags=tags,
                            parameters=[aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1")])
aws.rds.Instance("db", engine="postgres", instance_class="db.t4g.micro", allocated_storage=20,
                 storage_encrypted=ENCRYPTED, multi_az=True, backup_retention_period=7, deletion_protection=True,
                 publicly_accessible=False, final_snapshot_identifier="dify-final", parameter_group_name=pg.name,
                 tags=tags)
aws.ec2.SecurityGroup("db-sg", tags=tags, ingress=[aws.ec2.SecurityGroupIngressArgs(
    protocol="tcp", from_port=5432, to_port=5432, cidr_blocks=[CIDR])])
bucket = aws.s3.Bucket("files", bucket="dify-files", tags=tags)
aws.s3.BucketPublicAccessBlock("files-pab", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
                               ignore_public_acls=True, restrict_public_buckets=True)
aws.s3.BucketServerSideEncryptionConfiguration("files-sse", bucket=bucket.id, rules=[
    aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms"))])
aws.s3.BucketVersioning("files-ver", bucket=bucket.id,
                        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"))
aws.s3.BucketPolicy("files-policy", bucket=bucket.id, policy=json.dumps({"Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
"""


def fired(tmp_path: Path, encrypted: str = "True", cidr: str = '"10.0.0.0/16"') -> set[str]:
    program = tmp_path / "__main__.py"
    program.write_text(PROGRAM.replace("ENCRYPTED", encrypted).replace("CIDR", cidr))
    recording = run_program({}, stack="prod", program=program)
    assert {r.type for r in recording.registrations} >= {"aws:rds/instance:Instance", "aws:s3/bucket:Bucket"}
    return {v.policy for v in policy.run(recording, "prod", policy.config_for("prod")).violations}


def test_sdk_shaped_compliant_resources_pass(tmp_path: Path) -> None:
    assert fired(tmp_path) == set()


@pytest.mark.parametrize(
    ("expected", "change"),
    [
        ("aws-rds-encrypted", {"encrypted": "False"}),
        ("aws-security-group-no-public-data-ports", {"cidr": '"0.0.0.0/0"'}),
    ],
)
def test_sdk_shaped_mistake_fires_its_policy(tmp_path: Path, expected: str, change: dict[str, str]) -> None:
    assert fired(tmp_path, **change) == {expected}
