"""AWS outputs as AWS and the pulumi-aws provider shape them, for the recording mock runtime.

Auto-named resources get ``<resource name>-<7 hex>`` (the provider's auto-naming); RDS and
ElastiCache endpoints carry the per-account hash and the region (ElastiCache's short region, e.g.
euw1); ARNs name the partition, service, region and a 12-digit account; ids have AWS's prefixes
(sg-, sgr-, db-) and lengths. Everything is seeded by the URN, so a synth is reproducible.
"""

from __future__ import annotations

import hashlib
import random
import string
import uuid
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
_DIRECTIONS = {"east": "e", "west": "w", "north": "n", "south": "s", "central": "c", "southeast": "se"}
_DIRECTIONS |= {"northeast": "ne", "southwest": "sw", "northwest": "nw"}


def _rng(seed: str) -> random.Random:
    return random.Random(hashlib.sha256(seed.encode()).digest())


def _hex(seed: str, length: int) -> str:
    rng = _rng(seed)
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def _upper(seed: str, length: int) -> str:
    rng = _rng(seed)
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def short_region(region: str) -> str:
    """ElastiCache's endpoint form of a region: eu-west-1 → euw1, ap-southeast-2 → apse2."""
    area, direction, number = region.split("-", 2)
    return f"{area}{_DIRECTIONS.get(direction, direction[0])}{number}"


def _autoname(name: str, seed: str, given: Any) -> str:
    return str(given) if given else f"{name}-{_hex(seed, 7)}"


def aws_resource(typ: str, name: str, seed: str, state: dict[str, Any], region: str = REGION) -> tuple[str, dict]:
    """(id, state) for one AWS resource registration."""
    arn = f"arn:aws:{{}}:{region}:{ACCOUNT}:{{}}"
    if typ == "aws:rds/instance:Instance":
        identifier = _autoname(name, seed, state.get("identifier"))
        address = f"{identifier}.{_hex(seed + 'host', 12)}.{region}.rds.amazonaws.com"
        port = int(state.get("port") or 5432)
        state |= {
            "identifier": identifier,
            "arn": arn.format("rds", f"db:{identifier}"),
            "address": address,
            "endpoint": f"{address}:{port}",
            "port": port,
            "resourceId": f"db-{_upper(seed, 26)}",
            "hostedZoneId": "Z2R2ITUGPM61AM",
        }
        return str(state["resourceId"]), state
    if typ == "aws:elasticache/replicationGroup:ReplicationGroup":
        group = _autoname(name, seed, state.get("replicationGroupId"))
        suffix = f"{group}.{_hex(seed + 'host', 6)}.{short_region(region)}.cache.amazonaws.com"
        state |= {
            "replicationGroupId": group,
            "arn": arn.format("elasticache", f"replicationgroup:{group}"),
            "primaryEndpointAddress": f"master.{suffix}",
            "readerEndpointAddress": f"replica.{suffix}",
            "memberClusters": [f"{group}-{i:03d}" for i in range(1, int(state.get("numCacheClusters") or 1) + 1)],
        }
        return group, state
    if typ == "aws:s3/bucket:Bucket":
        # bucket_prefix: the provider appends a 26-digit timestamp-and-counter id.
        bucket = state.get("bucket") or f"{state.get('bucketPrefix', name)}{_rng(seed).randrange(10**25, 10**26)}"
        state |= {
            "bucket": bucket,
            "arn": f"arn:aws:s3:::{bucket}",
            "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
            "region": region,
        }
        return str(bucket), state
    if typ.startswith("aws:s3/"):
        return str(state.get("bucket") or name), state
    if typ == "aws:iam/role:Role":
        role = _autoname(name, seed, state.get("name"))
        state |= {"name": role, "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "uniqueId": f"AROA{_upper(seed, 17)}"}
        return role, state
    if typ == "aws:iam/rolePolicy:RolePolicy":
        policy = _autoname(name, seed, state.get("name"))
        state["name"] = policy
        return f"{state.get('role')}:{policy}", state
    if typ == "aws:kms/key:Key":
        key_id = str(uuid.UUID(int=_rng(seed).getrandbits(128), version=4))
        state |= {"keyId": key_id, "arn": arn.format("kms", f"key/{key_id}")}
        return key_id, state
    if typ == "aws:ec2/securityGroup:SecurityGroup":
        group_id = f"sg-{_hex(seed, 17)}"
        state |= {
            "name": _autoname(name, seed, state.get("name")),
            "arn": arn.format("ec2", f"security-group/{group_id}"),
            "ownerId": ACCOUNT,
        }
        return group_id, state
    if typ == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        rule_id = f"sgr-{_hex(seed, 17)}"
        state |= {"securityGroupRuleId": rule_id, "arn": arn.format("ec2", f"security-group-rule/{rule_id}")}
        return rule_id, state
    kinds = {
        "aws:rds/subnetGroup:SubnetGroup": ("rds", "subgrp"),
        "aws:rds/parameterGroup:ParameterGroup": ("rds", "pg"),
        "aws:elasticache/subnetGroup:SubnetGroup": ("elasticache", "subnetgroup"),
    }
    if typ in kinds:
        service, kind = kinds[typ]
        # RDS and ElastiCache store these names in lower case.
        group = _autoname(name, seed, state.get("name")).lower()
        state |= {"name": group, "arn": arn.format(service, f"{kind}:{group}")}
        return group, state
    raise NotImplementedError(f"synth/aws_mocks.py has no shape for {typ}: add one as AWS returns it")
