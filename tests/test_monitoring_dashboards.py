"""Dashboards and rules only query metrics our scrape jobs produce (components/monitoring/metrics.py).

The seed's dashboards used names Dify never exports (``dify_api_requests_total``): they would stay
empty. Every panel query and every alert expression is parsed here and each metric name must be
in one source's list; the lists themselves are held to literals read in upstream source.
"""

from __future__ import annotations

import json
import re

from components.monitoring.dashboards import dashboards
from components.monitoring.metrics import SOURCES, jobs, produced
from components.monitoring.rules import all_alerts
from components.monitoring.scrape import Namespaces, prometheus_config

NAMESPACES = ["dify", "dify-sandbox"]
_STRINGS = re.compile(r'"[^"]*"')
_GROUPED = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_BRACKETS = re.compile(r"\{[^}]*\}|\[[^\]]*\]")
_WORD = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "bool", "offset"}


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not functions (followed by a
    parenthesis), keywords, or label names (inside braces or grouping clauses)."""
    text = _BRACKETS.sub(" ", _GROUPED.sub(" ", _STRINGS.sub('""', expr)))
    names = set()
    for match in _WORD.finditer(text):
        word = match.group()
        follows = text[match.end() :].lstrip()[:1]
        if follows == "(" or word in KEYWORDS:
            continue
        names.add(word)
    return names


def panel_queries() -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for board in dashboards(NAMESPACES).values()
        for panel in board["panels"]
        for target in panel["targets"]
    ]


def test_the_parser_finds_metric_names_and_nothing_else() -> None:
    expr = (
        'sum by (namespace, le) (rate(http_server_request_duration_seconds_bucket{namespace="dify"}[5m]))'
        " / on (namespace) max by (namespace) (pg_settings_max_connections) > 0.8 and redis_up == 0"
    )
    assert metric_names(expr) == {
        "http_server_request_duration_seconds_bucket",
        "pg_settings_max_connections",
        "redis_up",
    }


def test_every_panel_query_uses_only_produced_metrics() -> None:
    known = produced()
    unknown = {(title, name) for title, expr in panel_queries() for name in metric_names(expr) - known}
    assert unknown == set()


def test_every_alert_uses_only_produced_metrics() -> None:
    known = produced()
    assert {(a.name, n) for a in all_alerts(NAMESPACES) for n in metric_names(a.expr) - known} == set()


def test_no_seed_metric_that_dify_never_exports() -> None:
    queries = " ".join(expr for _, expr in panel_queries()) + " ".join(a.expr for a in all_alerts(NAMESPACES))
    for invented in ("dify_api_requests_total", "dify_task_queue_size", "dify_api_request_duration"):
        assert invented not in queries


def test_every_source_has_a_scrape_job() -> None:
    names = Namespaces("dify", "dify-sandbox", "dify-monitoring", "dify-monitoring-host")
    scraped = {job["job_name"] for job in prometheus_config(names, {})["scrape_configs"]}
    assert set(jobs()) <= scraped


def test_upstream_names_are_the_ones_read_in_source() -> None:
    by_job = {s.job: s.names for s in SOURCES}
    # api/extensions/otel/instrumentation.py:104-108 after the collector's translation.
    assert "http_server_response_count_total" in by_job["dify-otel"]
    assert "http_server_request_duration_seconds_bucket" in by_job["dify-otel"]
    # dify-plugin-daemon 0.6.3 pkg/utils/metrics/metrics.go
    assert {"plugin_invocations_total", "plugin_invocation_duration_seconds_bucket", "plugin_http_requests_total"} <= (
        by_job["plugin-daemon"]
    )
    # postgres_exporter v0.20.1, redis_exporter v1.88.0
    assert {"pg_stat_activity_count", "pg_settings_max_connections"} <= by_job["postgres-exporter"]
    assert {"redis_key_size", "redis_memory_used_bytes", "redis_memory_max_bytes"} <= by_job["redis-exporter"]
    assert all(s.source for s in SOURCES)
    assert {s.job for s in SOURCES if not s.verified} == {
        "kubernetes-cadvisor",
        "kubernetes-kubelet",
        "prometheus",
        "alertmanager",
    }


def test_panels_use_current_types_and_a_fixed_datasource() -> None:
    for board in dashboards(NAMESPACES).values():
        assert board["schemaVersion"] == 39
        json.dumps(board)  # serialisable as provisioned
        kinds = {panel["type"] for panel in board["panels"]}
        assert kinds <= {"timeseries", "heatmap", "stat", "table"}
        assert {"timeseries", "heatmap", "stat", "table"} == kinds
        assert len(board["panels"]) == 18
        assert len({panel["id"] for panel in board["panels"]}) == 18
        for panel in board["panels"]:
            assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}


def test_the_seed_panels_exist_on_real_metrics() -> None:
    titles = {title: expr for title, expr in panel_queries()}
    assert "http_server_response_count_total" in titles["API requests by route"]
    assert 'status_class="5xx"' in titles["API error rate (5xx share)"]
    assert "histogram_quantile(0.95" in " ".join(e for t, e in panel_queries() if t == "API latency")
    assert "plugin_invocations_total" in titles["Model and tool calls by plugin"]
    assert "container_cpu_usage_seconds_total" in titles["CPU by container"]
    assert titles["Celery queue lengths"] == 'redis_key_size{db="db1"}'
