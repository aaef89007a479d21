"""dify:monitoring:OperatorObjects: the same monitoring for a cluster that runs the Prometheus
Operator (kube-prometheus-stack): no Prometheus, Alertmanager or Grafana of ours.

Creates (monitoring.coreos.com/v1, checked by ``check_operator_objects`` since no Kubernetes
schema covers CRDs): a PodMonitor per pod scrape job of components/monitoring/scrape.py that
the operator's stack does not already have (the exporters, the collector, the plugin daemon),
a Probe for the blackbox health checks, a PrometheusRule with the same rule groups, and the
dashboards as a ConfigMap labelled for the Grafana sidecar (``dify:monitoring.dashboardLabel``).
Every object carries ``dify:monitoring.operatorLabels`` so the operator's selectors pick it up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import CATALOG, ServiceKey
from components.kube import object_meta, selector
from components.monitoring.context import ContextArgs
from components.monitoring.dashboards import dashboards
from components.monitoring.prometheus import dify_namespaces
from components.monitoring.rules import rule_groups
from components.monitoring.scrape import probes

API_VERSION = "monitoring.coreos.com/v1"
# (job, workload, namespace attribute of scrape.Namespaces, port name, path, honour the labels)
POD_MONITORS: tuple[tuple[str, ServiceKey, str, str, str, bool], ...] = (
    ("plugin-daemon", "plugin-daemon", "dify", "http", "/metrics/", False),
    ("dify-otel", "otel-collector", "monitoring", "metrics", "/metrics", True),
    ("postgres-exporter", "postgres-exporter", "monitoring", "metrics", "/metrics", False),
    ("redis-exporter", "redis-exporter", "monitoring", "metrics", "/metrics", False),
)
# What each kind must have, the operator's CRD requires more of nothing we set.
REQUIRED: Mapping[str, Sequence[str]] = {
    "PodMonitor": ("selector", "podMetricsEndpoints", "namespaceSelector"),
    "Probe": ("prober", "targets", "module"),
    "PrometheusRule": ("groups",),
}


def check_operator_objects(objects: Sequence[Mapping[str, Any]]) -> list[str]:
    """Our own schema check of the monitoring.coreos.com objects we render."""
    problems = []
    for obj in objects:
        if obj.get("apiVersion") != API_VERSION:
            continue
        where = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        required = REQUIRED.get(str(obj.get("kind")))
        if required is None:
            problems.append(f"{where}: kind not rendered by components/monitoring/operator.py")
            continue
        spec = obj.get("spec") or {}
        problems += [f"{where}: spec.{field} is missing" for field in required if not spec.get(field)]
        for endpoint in spec.get("podMetricsEndpoints", []):
            if not str(endpoint.get("port", "")) or not str(endpoint.get("path", "")).startswith("/"):
                problems.append(f"{where}: every podMetricsEndpoint needs a port name and an absolute path")
        for group in spec.get("groups", []):
            for rule in group.get("rules", []):
                if not rule.get("alert") or not rule.get("expr"):
                    problems.append(f"{where}: a rule without alert or expr in group {group.get('name')}")
    return problems


class OperatorObjects(pulumi.ComponentResource):
    def __init__(self, name: str, args: ContextArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:monitoring:OperatorObjects", name, None, opts)
        ctx = args.ctx
        settings = ctx.config.monitoring
        child = pulumi.ResourceOptions(parent=self)
        extra = dict(settings.operator_labels)
        base = {**ctx.labels("otel-collector", "otel_collector"), **extra}

        def resource(kind: str, resource_name: str, object_name: str, spec: dict[str, Any]) -> None:
            k8s.apiextensions.CustomResource(
                f"{name}-{resource_name}",
                api_version=API_VERSION,
                kind=kind,
                metadata=object_meta(object_name, ctx.monitoring, base),
                spec=spec,
                opts=child,
            )

        for job, key, where, port, path, honor in POD_MONITORS:
            endpoint: dict[str, Any] = {"port": port, "path": path, "interval": "30s"}
            if honor:
                endpoint["honorLabels"] = True
            resource(
                "PodMonitor",
                f"podmonitor-{job}",
                f"dify-{job}",
                {
                    "jobLabel": "app.kubernetes.io/component",
                    "selector": {"matchLabels": selector(key, ctx.instance)},
                    "namespaceSelector": {"matchNames": [getattr(ctx.names, where)]},
                    "podMetricsEndpoints": [endpoint],
                },
            )
        for probe in probes(ctx.names):
            resource(
                "Probe",
                f"probe-{probe.name}",
                f"dify-{probe.name}",
                {
                    "jobName": "blackbox",
                    "prober": {"url": CATALOG["blackbox-exporter"].address(namespace=ctx.names.monitoring)},
                    "module": probe.module,
                    # The alerts select by the ``probe`` label, as in the bundled probe jobs.
                    "targets": {"staticConfig": {"static": [probe.url], "labels": {"probe": probe.name}}},
                },
            )
        resource("PrometheusRule", "rules", "dify", rule_groups(dify_namespaces(ctx)))
        k8s.core.v1.ConfigMap(
            f"{name}-dashboards",
            metadata=object_meta("dify-dashboards", ctx.monitoring, {**base, settings.dashboard_label: "1"}),
            data={file: json.dumps(board, indent=1) for file, board in dashboards(dify_namespaces(ctx)).items()},
            opts=child,
        )
        self.register_outputs({})
