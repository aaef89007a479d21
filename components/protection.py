"""What ``dify:protect`` guards: the one table of stateful resource types.

With the flag on (prod), a transformation on the platform marks every resource of these types,
wherever it is created, with ``protect`` (``pulumi destroy`` and a replacing update stop before
touching it), and the Kubernetes ones also with ``retain_on_delete`` (removed from the program,
the object stays in the cluster with its data). AWS resources are only protected: RDS and
ElastiCache already keep a final snapshot and S3 keeps versions, and a retained instance would
outlive the stack unseen. An SDK-side transformation, not a stack transform: children inherit it,
and the mock runtime applies it exactly as the engine does.
"""

from __future__ import annotations

import pulumi

PROTECTED_AWS = frozenset(
    {
        "aws:rds/instance:Instance",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:s3/bucket:Bucket",
        # Losing the key makes the database, its snapshots and its backups unreadable.
        "aws:kms/key:Key",
    }
)
RETAINED_KUBERNETES = frozenset(
    {
        "kubernetes:core/v1:PersistentVolumeClaim",
        # A StatefulSet's claims come from its volumeClaimTemplates (whenDeleted: Retain by default),
        # so the StatefulSet itself is what Pulumi must not delete.
        "kubernetes:apps/v1:StatefulSet",
    }
)


def protect_stateful(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    if args.type_ in PROTECTED_AWS:
        extra = pulumi.ResourceOptions(protect=True)
    elif args.type_ in RETAINED_KUBERNETES:
        extra = pulumi.ResourceOptions(protect=True, retain_on_delete=True)
    else:
        return None
    return pulumi.ResourceTransformationResult(args.props, pulumi.ResourceOptions.merge(args.opts, extra))


def protection(enabled: bool) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(transformations=[protect_stateful] if enabled else None)
