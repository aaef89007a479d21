"""dify:aws:Database: RDS for PostgreSQL, Multi-AZ, the Dify database and its plugin daemon's.

Creates: a customer-managed KMS key (rotated yearly) for the storage and Performance Insights, a
subnet group over the private subnets, a security group admitting the port only from the nodes,
a parameter group that refuses unencrypted connections (rds.force_ssl) and logs slow statements,
and the instance: gp3, encrypted, backups kept ``backupRetentionDays``, deletion protection and a
final snapshot, Performance Insights. The master password is the generated ``db-password``
(pulumi-random, components/core/credentials.py), so Dify's Secret and RDS cannot disagree.
The plugin daemon creates ``dify_plugin`` itself on first start (as the master user, who has
CREATEDB), so nothing here creates it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.network import Placement, node_only_security_group
from components.config.aws import RdsSettings
from components.versions import AWS_ENGINES

USERNAME = "dify"
DATABASE = "dify"
PLUGIN_DATABASE = "dify_plugin"
# Free tier of Performance Insights; longer retention is billed per vCPU.
INSIGHTS_RETENTION_DAYS = 7
# Off-peak UTC windows that do not overlap (RDS rejects overlapping backup/maintenance windows).
BACKUP_WINDOW = "02:00-03:00"
MAINTENANCE_WINDOW = "sun:03:30-sun:04:30"


@dataclass
class DatabaseArgs:
    identifier: str
    settings: RdsSettings
    placement: Placement
    password: pulumi.Input[str]


def parameters(settings: RdsSettings) -> list[aws.rds.ParameterGroupParameterArgs]:
    """rds.force_ssl=1 makes the server refuse non-TLS clients, whatever a client asks for."""
    params = [
        aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1", apply_method="pending-reboot"),
        aws.rds.ParameterGroupParameterArgs(
            name="log_min_duration_statement", value=str(settings.slow_query_ms), apply_method="immediate"
        ),
    ]
    if settings.max_connections_override is not None:
        params.append(
            aws.rds.ParameterGroupParameterArgs(
                name="max_connections", value=str(settings.max_connections_override), apply_method="pending-reboot"
            )
        )
    return params


class Database(pulumi.ComponentResource):
    instance: aws.rds.Instance

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:aws:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.identifier}: RDS storage and Performance Insights",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=child,
        )
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(args.placement.subnet_ids),
            description=f"{args.identifier}: private subnets",
            opts=child,
        )
        group = node_only_security_group(self, name, args.placement, settings.port, "PostgreSQL")
        params = aws.rds.ParameterGroup(
            f"{name}-params",
            family=AWS_ENGINES.postgres_family,
            description=f"{args.identifier}: TLS only, slow statements logged",
            parameters=parameters(settings),
            opts=child,
        )
        self.instance = aws.rds.Instance(
            f"{name}-instance",
            identifier=args.identifier,
            engine="postgres",
            engine_version=settings.engine_version,
            # Pinned in components/versions.py: an automatic minor upgrade would show as drift.
            auto_minor_version_upgrade=False,
            instance_class=settings.instance_class,
            allocated_storage=settings.allocated_storage,
            max_allocated_storage=settings.max_allocated_storage,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=self.key.arn,
            db_name=DATABASE,
            username=USERNAME,
            password=args.password,
            port=settings.port,
            multi_az=True,
            publicly_accessible=False,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[group.id],
            parameter_group_name=params.name,
            backup_retention_period=settings.backup_retention_days,
            backup_window=BACKUP_WINDOW,
            maintenance_window=MAINTENANCE_WINDOW,
            copy_tags_to_snapshot=True,
            deletion_protection=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{args.identifier}-final",
            delete_automated_backups=False,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=self.key.arn,
            performance_insights_retention_period=INSIGHTS_RETENTION_DAYS,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            opts=child,
        )
        self.address = self.instance.address
        self.port = settings.port
        self.register_outputs({"address": self.address, "arn": self.instance.arn})
