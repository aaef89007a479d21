"""dify:monitoring:Monitoring: composes the monitoring components for one stack.

Creates, in ``<namespace>-monitoring``: a Secret with the exporters' copies of the database and
Redis passwords, then per ``dify:monitoring.mode``:
- bundled: Prometheus, Alertmanager, Grafana, kube-state-metrics, node-exporter (in
  ``<namespace>-monitoring-host``), blackbox, postgres and redis exporters, the collector;
- operator: only the exporters and the collector, plus the Prometheus Operator objects that make
  an existing Prometheus scrape them and load the same rules and dashboards
  (components/monitoring/operator.py).
The namespaces themselves (and their NetworkPolicies) belong to the platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pulumi
import pulumi_kubernetes as k8s

from components.kube import SecretRef, object_meta
from components.monitoring.alertmanager import Alertmanager, AlertmanagerArgs
from components.monitoring.cluster import KubeStateMetrics, NodeExporter
from components.monitoring.context import ContextArgs, LogsSource, MonitoringContext
from components.monitoring.exporters import BlackboxExporter, PostgresExporter, RedisExporter
from components.monitoring.grafana import Grafana
from components.monitoring.operator import OperatorObjects
from components.monitoring.otel_collector import OtelCollector
from components.monitoring.prometheus import Prometheus, PrometheusArgs


@dataclass
class MonitoringArgs:
    ctx: MonitoringContext
    labels: Mapping[str, str]
    # Dify's generated credentials the exporters need (values, copied into this namespace).
    db_password: pulumi.Input[str]
    redis_password: pulumi.Input[str]
    receiver_url: pulumi.Output[str] | None = None
    logs: LogsSource | None = None


class Monitoring(pulumi.ComponentResource):
    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        secret = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=object_meta(None, args.ctx.monitoring, args.labels),
            string_data={
                "db-password": args.db_password,
                "redis-password": args.redis_password,
                **({"logs-password": args.logs.password, "logs-ca": args.logs.ca_pem} if args.logs else {}),
            },
            opts=child,
        )
        ctx = replace(
            args.ctx,
            db_password=SecretRef(secret.metadata.name, "db-password"),
            redis_password=SecretRef(secret.metadata.name, "redis-password"),
            logs=args.logs,
            logs_password=SecretRef(secret.metadata.name, "logs-password") if args.logs else None,
            logs_ca=SecretRef(secret.metadata.name, "logs-ca") if args.logs else None,
        )
        shared = ContextArgs(ctx)
        PostgresExporter("postgres-exporter", shared, child)
        RedisExporter("redis-exporter", shared, child)
        BlackboxExporter("blackbox-exporter", shared, child)
        OtelCollector("otel-collector", shared, child)
        if ctx.config.monitoring.mode == "bundled":
            KubeStateMetrics("kube-state-metrics", shared, child)
            NodeExporter("node-exporter", shared, child)
            Alertmanager("alertmanager", AlertmanagerArgs(ctx, args.receiver_url), child)
            Prometheus("prometheus", PrometheusArgs(ctx), child)
            Grafana("grafana", shared, child)
        else:
            OperatorObjects("operator", shared, child)
        self.register_outputs({"namespace": ctx.monitoring})
