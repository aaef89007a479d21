"""Grafana dashboards as Python data, on the metrics our scrape jobs produce.

The seed's five panels (request rate, error rate, latency, model calls, CPU/memory) rebuilt on
real series, plus Celery queues, Postgres, Redis, the plugin daemon, endpoint health and the
Kubernetes workloads. Only current panel types (timeseries, heatmap, stat, table), schemaVersion
39; every query's metric names are checked against components/monitoring/metrics.py by a test.
Both modes use the same JSON: the bundled Grafana mounts it, the operator mode labels a
ConfigMap for the Grafana sidecar.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
SCHEMA_VERSION = 39
_WIDTH = 12
_HEIGHT = 8


def _target(expr: str, legend: str = "", ref: str = "A") -> dict[str, Any]:
    return {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": ref}


def _panel(kind: str, title: str, targets: Sequence[tuple[str, str]], unit: str = "short") -> dict[str, Any]:
    return {
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "targets": [_target(expr, legend, chr(ord("A") + i)) for i, (expr, legend) in enumerate(targets)],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
    }


def _heatmap(title: str, expr: str) -> dict[str, Any]:
    panel = _panel("heatmap", title, [(expr, "{{le}}")], "s")
    panel["targets"][0]["format"] = "heatmap"
    panel["options"] = {"calculate": False, "yAxis": {"unit": "s"}}
    return panel


def _layout(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two panels per row, ids in order."""
    for index, panel in enumerate(panels):
        panel["id"] = index + 1
        panel["gridPos"] = {"h": _HEIGHT, "w": _WIDTH, "x": (index % 2) * _WIDTH, "y": (index // 2) * _HEIGHT}
    return panels


def _requests(dify_namespace: str) -> list[dict[str, Any]]:
    ns = f'namespace="{dify_namespace}"'
    latency = f"sum by (le) (rate(http_server_request_duration_seconds_bucket{{{ns}}}[5m]))"
    return [
        _panel(
            "timeseries",
            "API requests by route",
            [(f"sum by (http_route) (rate(http_server_response_count_total{{{ns}}}[5m]))", "{{http_route}}")],
            "reqps",
        ),
        _panel(
            "timeseries",
            "API error rate (5xx share)",
            [
                (
                    f'sum(rate(http_server_response_count_total{{{ns}, status_class="5xx"}}[5m]))'
                    f" / sum(rate(http_server_response_count_total{{{ns}}}[5m]))",
                    "5xx",
                )
            ],
            "percentunit",
        ),
        _panel(
            "timeseries",
            "API latency",
            [(f"histogram_quantile({q}, {latency})", f"p{round(q * 100)}") for q in (0.5, 0.95, 0.99)],
            "s",
        ),
        _heatmap("API latency distribution", latency),
    ]


def _plugins() -> list[dict[str, Any]]:
    return [
        _panel(
            "timeseries",
            "Model and tool calls by plugin",
            [("sum by (plugin_id, operation) (rate(plugin_invocations_total[5m]))", "{{plugin_id}} {{operation}}")],
            "ops",
        ),
        _panel(
            "table",
            "Plugin invocation errors (last hour)",
            [('sum by (plugin_id) (increase(plugin_invocations_total{status="error"}[1h]))', "{{plugin_id}}")],
        ),
        _panel(
            "timeseries",
            "Plugin invocation p95",
            [
                (
                    "histogram_quantile(0.95, sum by (plugin_id, le) "
                    "(rate(plugin_invocation_duration_seconds_bucket[5m])))",
                    "{{plugin_id}}",
                )
            ],
            "s",
        ),
        _panel(
            "timeseries",
            "Plugin daemon HTTP requests",
            [("sum by (status) (rate(plugin_http_requests_total[5m]))", "{{status}}")],
            "reqps",
        ),
    ]


def _stores() -> list[dict[str, Any]]:
    return [
        _panel("timeseries", "Celery queue lengths", [('redis_key_size{db="db1"}', "{{key}}")]),
        _panel(
            "timeseries",
            "Celery task runtime p95",
            [("histogram_quantile(0.95, sum by (le) (rate(flower_task_runtime_seconds_bucket[5m])))", "p95")],
            "s",
        ),
        _panel(
            "timeseries",
            "Postgres connections",
            [
                ("sum by (state) (pg_stat_activity_count)", "{{state}}"),
                ("max(pg_settings_max_connections)", "max_connections"),
            ],
        ),
        _panel(
            "timeseries",
            "Redis memory",
            [("redis_memory_used_bytes", "used"), ("redis_memory_max_bytes", "maxmemory")],
            "bytes",
        ),
    ]


def _kubernetes(namespaces: Sequence[str]) -> list[dict[str, Any]]:
    ns = "|".join(namespaces)
    sel = f'namespace=~"{ns}", container!=""'
    return [
        _panel(
            "timeseries",
            "CPU by container",
            [
                (
                    f"sum by (pod, container) (rate(container_cpu_usage_seconds_total{{{sel}}}[5m]))",
                    "{{pod}} {{container}}",
                )
            ],
        ),
        _panel(
            "timeseries",
            "Memory working set by container",
            [(f"sum by (pod, container) (container_memory_working_set_bytes{{{sel}}})", "{{pod}} {{container}}")],
            "bytes",
        ),
        _panel("stat", "Endpoint health", [("probe_success", "{{probe}}")]),
        _panel(
            "table",
            "Deployments: desired vs available",
            [
                (f'kube_deployment_spec_replicas{{namespace=~"{ns}"}}', "desired {{deployment}}"),
                (f'kube_deployment_status_replicas_available{{namespace=~"{ns}"}}', "available {{deployment}}"),
            ],
        ),
        _panel(
            "stat",
            "Container restarts (last hour)",
            [(f'sum(increase(kube_pod_container_status_restarts_total{{namespace=~"{ns}"}}[1h]))', "restarts")],
        ),
        _panel(
            "table",
            "Volume usage",
            [
                (
                    f'kubelet_volume_stats_used_bytes{{namespace=~"{ns}"}}'
                    f' / kubelet_volume_stats_capacity_bytes{{namespace=~"{ns}"}}',
                    "{{persistentvolumeclaim}}",
                )
            ],
            "percentunit",
        ),
    ]


def overview(namespaces: Sequence[str]) -> dict[str, Any]:
    """The Dify dashboard; ``namespaces[0]`` is Dify's main namespace."""
    panels = _requests(namespaces[0]) + _plugins() + _stores() + _kubernetes(namespaces)
    return {
        "uid": "dify-overview",
        "title": "Dify",
        "tags": ["dify"],
        "schemaVersion": SCHEMA_VERSION,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "timezone": "utc",
        "templating": {"list": []},
        "panels": _layout(panels),
    }


def dashboards(namespaces: Sequence[str]) -> dict[str, dict[str, Any]]:
    """File name → dashboard JSON."""
    return {"dify-overview.json": overview(namespaces)}
