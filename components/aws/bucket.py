"""dify:aws:Bucket: the S3 bucket behind Dify's files and the plugin daemon's packages.

Creates: the bucket (named by config or generated from a prefix), BucketOwnerEnforced ownership
(ACLs off), a public access block with all four flags, SSE-S3 (AES256) as default encryption with
bucket keys, versioning, a lifecycle rule expiring noncurrent versions (and stale multipart
uploads), and a bucket policy denying every request not made over TLS. SSE-S3 rather than a KMS
key keeps the IRSA policy to S3 actions alone; the per-tenant RSA keys Dify stores here
(privkeys/, KEY_PROVIDER_TYPE=local) are what versioning protects from an overwrite.
Upstream prefixes are disjoint: the api writes upload_files/, privkeys/, tools/…, the plugin
daemon plugin/, plugin_packages/ and assets/ (its PLUGIN_*_PATH settings).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.config.aws import S3Settings

ABORT_MULTIPART_DAYS = 7


@dataclass
class BucketArgs:
    prefix: str
    settings: S3Settings


def deny_insecure_transport(bucket_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


class Bucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket

    def __init__(self, name: str, args: BucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:aws:Bucket", name, None, opts)
        settings = args.settings
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=settings.bucket_name,
            bucket_prefix=None if settings.bucket_name else args.prefix,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Companions are the component's children, not the bucket's (which would hand them its
        # protect); the policy pack pairs them with the bucket by their dependency on it.
        on_bucket = pulumi.ResourceOptions(parent=self)
        bucket_id = self.bucket.id
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=on_bucket,
        )
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=on_bucket,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=on_bucket,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=on_bucket,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-noncurrent-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=settings.noncurrent_version_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_MULTIPART_DAYS
                    ),
                )
            ],
            # A lifecycle rule on an unversioned bucket would be accepted and do nothing.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=self.bucket.arn.apply(deny_insecure_transport),
            # S3 rejects a bucket policy while the public access block is being changed.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block, ownership]),
        )
        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
