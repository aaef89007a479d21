"""AWS data-store, IAM and network policies, written against pulumi-aws 7.51.1 input names (the
AWS resources arrive with a later issue; today's stacks have none, so these find nothing)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import config, resource_policy

Report = Callable[..., None]

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS = (RDS_INSTANCE, RDS_CLUSTER)
REDIS_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
# Types the pack checks that accept `tags` in pulumi-aws 7.51.1 (tests/test_policy_aws.py checks
# each against the SDK's constructor).
TAGGABLE = {
    RDS_INSTANCE, RDS_CLUSTER, REDIS_GROUP,
    "aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    "aws:rds/subnetGroup:SubnetGroup", "aws:elasticache/cluster:Cluster", "aws:elasticache/subnetGroup:SubnetGroup",
    "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:iam/role:Role", "aws:iam/policy:Policy",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:kms/key:Key",
    "aws:secretsmanager/secret:Secret", "aws:eks/cluster:Cluster",
}  # fmt: skip
OPEN = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def _where(args: ResourceValidationArgs) -> str:
    return f"{args.resource_type.rsplit(':', 1)[-1]} {args.name}"


def _rds_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type in RDS and args.props.get("storageEncrypted") is not True:
        report(f"{_where(args)}: storageEncrypted is not true")


def _rds_multi_az(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == RDS_INSTANCE and args.props.get("multiAz") is not True:
        report(f"{_where(args)}: multiAz is not true")


def _rds_backups(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type in RDS:
        minimum = float(config(args, "aws-rds-backup-retention", "minDays"))
        # Both resources default to 1 day when unset.
        days = float(args.props.get("backupRetentionPeriod", 1))
        if days < minimum:
            report(f"{_where(args)}: backupRetentionPeriod {days:g} < {minimum:g} days")


def _rds_deletion(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type in RDS and args.props.get("deletionProtection") is not True:
        report(f"{_where(args)}: deletionProtection is not true")


def _rds_final_snapshot(args: ResourceValidationArgs, report: Report) -> None:
    # skipFinalSnapshot defaults to false, and then RDS needs a name to snapshot to on delete.
    if args.resource_type in RDS:
        if args.props.get("skipFinalSnapshot") is True:
            report(f"{_where(args)}: skipFinalSnapshot is true: a delete drops the data with no snapshot")
        elif not args.props.get("finalSnapshotIdentifier"):
            report(f"{_where(args)}: no finalSnapshotIdentifier: a delete cannot take the final snapshot")


def _cache_snapshots(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == REDIS_GROUP and float(args.props.get("snapshotRetentionLimit") or 0) < 1:
        # 0 (the default) turns automatic backups off.
        report(f"{_where(args)}: snapshotRetentionLimit is 0: no automatic backups")


def _rds_public(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == RDS_INSTANCE and args.props.get("publiclyAccessible") is True:
        report(f"{_where(args)}: publiclyAccessible is true")


def _require_true(types: tuple[str, ...], *fields: str) -> Callable[[ResourceValidationArgs, Report], None]:
    def validate(args: ResourceValidationArgs, report: Report) -> None:
        if args.resource_type in types:
            for field in fields:
                if args.props.get(field) is not True:
                    report(f"{_where(args)}: {field} is not true")

    return validate


def _cache_auth(args: ResourceValidationArgs, report: Report) -> None:
    auth = ("authToken", "authTokenWoVersion", "userGroupIds")
    if args.resource_type == REDIS_GROUP and not any(args.props.get(f) for f in auth):
        report(f"{_where(args)}: no AUTH token and no user group: anyone on the network can connect")


def policy_documents(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(label, parsed document) of every IAM policy document a resource carries."""
    if resource_type in (
        "aws:iam/policy:Policy",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
        "aws:s3/bucketPolicy:BucketPolicy",
    ):
        yield "policy", _document(props.get("policy"))
    if resource_type == "aws:iam/role:Role":
        for inline in props.get("inlinePolicies") or []:
            yield f"inline policy {inline.get('name')}", _document(inline.get("policy"))


def _document(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return {}
    return raw or {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    # The engine's lists arrive as unknown-checking proxies (Sequence, not list).
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]


def statements(document: Any) -> list[Mapping[str, Any]]:
    return [s for s in _as_list((document or {}).get("Statement")) if isinstance(s, Mapping)]


def _iam_wildcard(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == "aws:s3/bucketPolicy:BucketPolicy":
        return
    for label, doc in policy_documents(args.resource_type, args.props):
        for s in statements(doc):
            actions = {str(a) for a in _as_list(s.get("Action"))}
            resources = {str(r) for r in _as_list(s.get("Resource"))}
            if s.get("Effect", "Allow") == "Allow" and actions & {"*", "*:*"} and "*" in resources:
                report(f"{_where(args)}: {label} allows every action on every resource")


def _irsa(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != "aws:iam/role:Role":
        return
    for s in statements(_document(args.props.get("assumeRolePolicy"))):
        principal = s.get("Principal") or {}
        federated = [str(f) for f in _as_list(principal.get("Federated") if isinstance(principal, Mapping) else None)]
        oidc = [f for f in federated if "oidc-provider/" in f]
        if not oidc or "sts:AssumeRoleWithWebIdentity" not in {str(a) for a in _as_list(s.get("Action"))}:
            continue
        keys = {str(k).rsplit(":", 1)[-1] for cond in (s.get("Condition") or {}).values() for k in (cond or {})}
        missing = [k for k in ("sub", "aud") if k not in keys]
        if missing:
            report(
                f"{_where(args)}: web-identity trust on {oidc[0].rsplit('/', 1)[-1]} "
                f"has no {' or '.join(missing)} condition"
            )


def _ports(args: ResourceValidationArgs) -> set[int]:
    return {int(p) for p in config(args, "aws-security-group-no-public-data-ports", "ports")}


def _rule_opens(rule: Mapping[str, Any], ports: set[int], v4: str, v6: str, proto: str) -> list[int]:
    cidrs = [*_as_list(rule.get(v4)), *_as_list(rule.get(v6))]
    if not any(ipaddress.ip_network(str(c), strict=False) in OPEN for c in cidrs):
        return []
    if str(rule.get(proto)) in ("-1", "all"):
        return sorted(ports)
    low, high = float(rule.get("fromPort", 0)), float(rule.get("toPort", 65535))
    return sorted(p for p in ports if low <= p <= high)


def _security_groups(args: ResourceValidationArgs, report: Report) -> None:
    ports, t = _ports(args), args.resource_type
    rules: list[tuple[Mapping[str, Any], str, str, str]] = []
    if t == "aws:ec2/securityGroup:SecurityGroup":
        rules = [(r, "cidrBlocks", "ipv6CidrBlocks", "protocol") for r in args.props.get("ingress") or []]
    elif t == "aws:ec2/securityGroupRule:SecurityGroupRule" and args.props.get("type") == "ingress":
        rules = [(args.props, "cidrBlocks", "ipv6CidrBlocks", "protocol")]
    elif t == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        rules = [(args.props, "cidrIpv4", "cidrIpv6", "ipProtocol")]
    for rule, v4, v6, proto in rules:
        opened = _rule_opens(rule, ports, v4, v6, proto)
        if opened:
            report(f"{_where(args)}: opens port(s) {', '.join(map(str, opened))} to the whole internet")


def _tags(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type not in TAGGABLE:
        return
    tags = dict(args.props.get("tags") or {})
    if args.provider is not None:
        # Provider inputs arrive JSON-encoded: defaultTags is '{"tags": {...}}'.
        default = _document(args.provider.props.get("defaultTags"))
        tags = {**dict((default or {}).get("tags") or {}), **tags}
    missing = [t for t in config(args, "aws-required-tags", "tags") if not tags.get(t)]
    if missing:
        report(f"{_where(args)}: missing tag(s) {', '.join(missing)}")


def _p(name: str, description: str, severity: Severity, remediation: str, fn: Any, schema: Any = None) -> Any:
    return resource_policy(name, description, severity, remediation, fn, schema)


POLICIES = [
    _p("aws-rds-encrypted", "RDS instances and clusters encrypt their storage.", Severity.CRITICAL,
       "Set storage_encrypted=True (and a kms_key_id for a customer key).", _rds_encrypted),
    _p("aws-rds-multi-az", "RDS instances run Multi-AZ.", Severity.HIGH, "Set multi_az=True.", _rds_multi_az),
    _p("aws-rds-backup-retention", "RDS keeps automated backups for at least minDays days.", Severity.HIGH,
       "Set backup_retention_period to 7 or more.", _rds_backups,
       {"minDays": {"type": "integer", "minimum": 1, "maximum": 35, "default": 7}}),
    _p("aws-rds-deletion-protection", "RDS instances and clusters have deletion protection.", Severity.HIGH,
       "Set deletion_protection=True.", _rds_deletion),
    _p("aws-rds-final-snapshot", "RDS takes a final snapshot when the instance or cluster is deleted.", Severity.HIGH,
       "Leave skip_final_snapshot false and set final_snapshot_identifier.", _rds_final_snapshot),
    _p("aws-elasticache-snapshots", "ElastiCache replication groups keep automatic daily snapshots.", Severity.MEDIUM,
       "Set snapshot_retention_limit to 1 or more (days).", _cache_snapshots),
    _p("aws-rds-not-public", "RDS instances are not publicly accessible.", Severity.CRITICAL,
       "Set publicly_accessible=False and place the instance in private subnets.", _rds_public),
    _p("aws-elasticache-encryption", "ElastiCache replication groups encrypt in transit and at rest.",
       Severity.CRITICAL,
       "Set transit_encryption_enabled=True and at_rest_encryption_enabled=True.",
       _require_true((REDIS_GROUP,), "transitEncryptionEnabled", "atRestEncryptionEnabled")),
    _p("aws-elasticache-auth", "ElastiCache replication groups require AUTH (a token or RBAC user group).",
       Severity.CRITICAL, "Set auth_token (secret) or user_group_ids.", _cache_auth),
    _p("aws-elasticache-failover", "ElastiCache replication groups fail over automatically across AZs.", Severity.HIGH,
       "Set automatic_failover_enabled=True and multi_az_enabled=True with at least two nodes.",
       _require_true((REDIS_GROUP,), "automaticFailoverEnabled", "multiAzEnabled")),
    _p("aws-iam-no-wildcard-admin", "No IAM policy allows every action on every resource.", Severity.CRITICAL,
       "Name the actions and resources the workload needs.", _iam_wildcard),
    _p("aws-iam-irsa-trust-scoped", "Web-identity (IRSA) trust policies pin both the sub and aud claims.",
       Severity.CRITICAL, "Add StringEquals conditions on <issuer>:sub (system:serviceaccount:<ns>:<sa>) and "
       "<issuer>:aud (sts.amazonaws.com).", _irsa),
    _p("aws-security-group-no-public-data-ports",
       "Security groups never open database or cache ports to 0.0.0.0/0 or ::/0.",
       Severity.CRITICAL, "Allow the ports only from the cluster's security group or private CIDRs.", _security_groups,
       {"ports": {"type": "array", "items": {"type": "integer"}, "default": [5432, 3306, 6379, 11211, 8080, 50051],
                  "description": "Postgres, MySQL, Redis, Memcached, Weaviate HTTP and gRPC"}}),
    _p("aws-required-tags", "Taggable AWS resources carry the required tags (resource or provider default tags).",
       Severity.LOW, "Set the tags on the resource or in the aws provider's default_tags.", _tags,
       {"tags": {"type": "array", "items": {"type": "string"}, "default": ["project", "environment"]}}),
]  # fmt: skip
