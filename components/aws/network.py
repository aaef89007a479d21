"""The security group every managed data store gets: one port, admitted only from the nodes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class Placement:
    """Where a managed store lives in the existing VPC, and who may reach it."""

    vpc_id: str
    subnet_ids: Sequence[str]
    node_security_group_id: str
    cluster_name: str


def node_only_security_group(
    parent: pulumi.Resource, name: str, placement: Placement, port: int, what: str
) -> aws.ec2.SecurityGroup:
    """A group whose single ingress rule is ``port``/tcp from the cluster's node security group.

    The EKS VPC CNI gives pods their node's security groups (unless security groups for pods are
    configured), so this admits every Dify pod and nothing outside the cluster. No egress rule:
    the provider drops AWS's default allow-all, and neither RDS nor ElastiCache dials out."""
    group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=placement.vpc_id,
        description=f"{what}: {port}/tcp from the nodes of EKS cluster {placement.cluster_name} only",
        revoke_rules_on_delete=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-from-nodes",
        security_group_id=group.id,
        referenced_security_group_id=placement.node_security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=f"{what} from the EKS nodes",
        opts=pulumi.ResourceOptions(parent=group),
    )
    return group
