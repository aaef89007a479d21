"""AWS policies that need more than one resource: an S3 bucket's companions (public access block,
encryption, versioning, TLS-only policy) and the parameter group that forces SSL on RDS.

A companion belongs to a bucket when its ``bucket`` names it or it depends on it (the engine
sends dependencies with every stack resource), so the check works before names are known."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from ._base import stack_policy
from .aws import RDS_CLUSTER, RDS_INSTANCE, _as_list, _document, statements

Report = Callable[..., None]
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def _companions(args: StackValidationArgs, bucket: PolicyResource, types: tuple[str, ...]) -> list[PolicyResource]:
    names = {str(bucket.props.get(k)) for k in ("bucket", "id") if bucket.props.get(k)}
    return [
        r
        for r in args.resources
        if r.resource_type in types
        and (str(r.props.get("bucket")) in names or any(d.urn == bucket.urn for d in r.dependencies))
    ]


def _buckets(args: StackValidationArgs) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type in BUCKETS]


def _public_access(args: StackValidationArgs, report: Report) -> None:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for b in _buckets(args):
        blocks = _companions(args, b, (ACCESS_BLOCK,))
        if not blocks:
            report(f"bucket {b.name} has no BucketPublicAccessBlock", b.urn)
        for block in blocks:
            off = [f for f in flags if block.props.get(f) is not True]
            if off:
                report(f"bucket {b.name}: public access block leaves {', '.join(off)} off", block.urn)


def _encryption(args: StackValidationArgs, report: Report) -> None:
    for b in _buckets(args):
        inline = b.props.get("serverSideEncryptionConfiguration")
        if not inline and not _companions(args, b, ENCRYPTION):
            report(f"bucket {b.name} has no server-side encryption configuration", b.urn)


def _versioning(args: StackValidationArgs, report: Report) -> None:
    for b in _buckets(args):
        inline = any(v.get("enabled") is True for v in _as_list(b.props.get("versioning")) if v)
        configured = [
            v for v in _companions(args, b, VERSIONING)
            if (v.props.get("versioningConfiguration") or {}).get("status") == "Enabled"
        ]  # fmt: skip
        if not inline and not configured:
            report(f"bucket {b.name} does not enable versioning", b.urn)


def _denies_plain_http(document: Any) -> bool:
    for s in statements(document):
        condition = s.get("Condition") or {}
        secure = {
            str(v).lower() for op in condition.values() for k, v in (op or {}).items() if k == "aws:SecureTransport"
        }
        if s.get("Effect") == "Deny" and "false" in secure:
            return True
    return False


def _tls_only(args: StackValidationArgs, report: Report) -> None:
    for b in _buckets(args):
        policies = [*_companions(args, b, (BUCKET_POLICY,))]
        documents = [_document(p.props.get("policy")) for p in policies] + [_document(b.props.get("policy"))]
        if not any(_denies_plain_http(d) for d in documents):
            report(f"bucket {b.name} has no policy denying requests without TLS (aws:SecureTransport false)", b.urn)


# Parameter that forces TLS per engine family prefix, and the values that mean "on".
FORCE_SSL = {"postgres": ("rds.force_ssl", {"1"}), "mysql": ("require_secure_transport", {"1", "on"})}
FORCE_SSL["aurora-postgresql"] = FORCE_SSL["postgres"]
FORCE_SSL["aurora-mysql"] = FORCE_SSL["mysql"]
FORCE_SSL["mariadb"] = FORCE_SSL["mysql"]


def _rds_ssl(args: StackValidationArgs, report: Report) -> None:
    groups = {
        RDS_INSTANCE: ("parameterGroupName", "aws:rds/parameterGroup:ParameterGroup"),
        RDS_CLUSTER: ("dbClusterParameterGroupName", "aws:rds/clusterParameterGroup:ClusterParameterGroup"),
    }
    for r in args.resources:
        if r.resource_type not in groups:
            continue
        engine = str(r.props.get("engine") or "")
        rule = FORCE_SSL.get(engine)
        if rule is None:
            continue
        field, group_type = groups[r.resource_type]
        name = r.props.get(field)
        group = next(
            (
                g for g in args.resources
                if g.resource_type == group_type
                and (g.props.get("name") == name or any(d.urn == g.urn for d in r.dependencies))
            ),
            None,
        )  # fmt: skip
        values = (
            {str(p.get("name")): str(p.get("value")).lower() for p in (group.props.get("parameters") or [])}
            if group
            else {}
        )
        if values.get(rule[0]) not in rule[1]:
            report(f"{r.name} ({engine}): its parameter group does not set {rule[0]}=1 (SSL not forced)", r.urn)


POLICIES = [
    stack_policy("aws-s3-public-access-block", "Every S3 bucket has a public access block with all four flags on.",
                 Severity.CRITICAL, "Add aws.s3.BucketPublicAccessBlock with every block_*/ignore_*/restrict_* True.",
                 _public_access),
    stack_policy("aws-s3-encryption", "Every S3 bucket has a server-side encryption configuration.", Severity.HIGH,
                 "Add aws.s3.BucketServerSideEncryptionConfiguration (aws:kms or AES256).", _encryption),
    stack_policy("aws-s3-versioning", "Every S3 bucket has versioning enabled.", Severity.MEDIUM,
                 "Add aws.s3.BucketVersioning with status Enabled.", _versioning),
    stack_policy("aws-s3-tls-only", "Every S3 bucket's policy denies requests made without TLS.", Severity.HIGH,
                 "Add a Deny statement on s3:* with Condition Bool aws:SecureTransport false.", _tls_only),
    stack_policy("aws-rds-force-ssl", "RDS Postgres/MySQL use a parameter group that forces SSL.", Severity.HIGH,
                 "Create a parameter group with rds.force_ssl=1 (Postgres) or require_secure_transport=1 (MySQL) "
                 "and set it on the instance or cluster.", _rds_ssl),
]  # fmt: skip
