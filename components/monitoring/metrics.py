"""The metric names each scrape job produces, one list per source, each with the file it comes from.

Rules and dashboards may only use names listed here (tests/test_monitoring_rules.py and
tests/test_monitoring_dashboards.py parse every expression). The names were read in upstream
source at the pinned tags; the OpenTelemetry ones are Dify's instrument names put through the
collector's Prometheus translation (prometheus/otlptranslator v1.0.0, metric_namer.go
``normalizeName``: dots become ``_``, a unit in braces is dropped, ``s`` becomes ``_seconds``,
monotonic sums get ``_total``), which exporter/prometheusexporter v0.159.0 uses with
``translation_strategy: UnderscoreEscapingWithSuffixes``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    job: str  # the scrape job (``job`` label) that produces these series
    source: str  # where the names are defined upstream
    names: frozenset[str]
    verified: bool = True
    note: str = ""


def _histogram(base: str) -> set[str]:
    return {f"{base}_bucket", f"{base}_sum", f"{base}_count"}


SOURCES: tuple[Source, ...] = (
    Source(
        "dify-otel",
        "dify@1.16.1 api/extensions/otel/instrumentation.py:104-108 (http.server.response.count, unit {response}); "
        "opentelemetry-instrumentation-flask 0.62b1 __init__.py:691-696 (http.server.request.duration, unit s, "
        "with OTEL_SEMCONV_STABILITY_OPT_IN=http); opentelemetry-instrumentation-celery 0.62b1 __init__.py:370-372 "
        "(flower.task.runtime.seconds)",
        frozenset(
            {"http_server_response_count_total", "http_server_active_requests"}
            | _histogram("http_server_request_duration_seconds")
            | _histogram("flower_task_runtime_seconds")
        ),
    ),
    Source(
        "plugin-daemon",
        "dify-plugin-daemon@0.6.3 pkg/utils/metrics/metrics.go (served at GET /metrics/ when PROMETHEUS_ENABLED, "
        "internal/server/http_server.go:51-54)",
        frozenset(
            {"plugin_http_requests_total", "plugin_invocations_total", "plugin_invocations_active"}
            | {"plugin_installations_total", "plugin_runtime_status", "plugin_restarts_total", "active_plugins_total"}
            | {"active_sessions_total", "storage_operations_total"}
            | _histogram("plugin_http_request_duration_seconds")
            | _histogram("plugin_invocation_duration_seconds")
            | _histogram("plugin_installation_duration_seconds")
            | _histogram("storage_operation_duration_seconds")
        ),
    ),
    Source(
        "postgres-exporter",
        "postgres_exporter@v0.20.1 collector/pg_stat_activity.go:47, collector/pg_setting.go:116 (pg_settings_<name>), "
        "collector/pg_database.go:49-52, exporter/postgres_exporter.go:476 (pg_up)",
        frozenset({"pg_up", "pg_stat_activity_count", "pg_settings_max_connections", "pg_database_size_bytes"}),
    ),
    Source(
        "redis-exporter",
        "redis_exporter@v1.88.0 exporter/exporter.go:171,200,216,543,634 (redis_ prefix; key_size from "
        "--check-single-keys, exporter/keys.go:76)",
        frozenset(
            {
                "redis_up",
                "redis_connected_clients",
                "redis_memory_used_bytes",
                "redis_memory_max_bytes",
                "redis_key_size",
            }
        ),
    ),
    Source(
        "kube-state-metrics",
        "kube-state-metrics@v2.20.0 internal/store/deployment.go:153,185,268, statefulset.go:114,162, "
        "daemonset.go:157, pod.go:179,243,441,566,1504, persistentvolumeclaim.go:90",
        frozenset(
            {
                "kube_deployment_spec_replicas",
                "kube_deployment_status_replicas_available",
                "kube_deployment_status_replicas_updated",
                "kube_statefulset_replicas",
                "kube_statefulset_status_replicas_ready",
                "kube_daemonset_status_number_unavailable",
                "kube_pod_container_resource_limits",
                "kube_pod_container_resource_requests",
                "kube_pod_container_status_restarts_total",
                "kube_pod_container_status_waiting_reason",
                "kube_pod_status_phase",
                "kube_persistentvolumeclaim_info",
            }
        ),
    ),
    Source(
        "kubernetes-cadvisor",
        "kubelet /metrics/cadvisor (cAdvisor container_* metrics; monitoring-logging.md §1.2, "
        "kube-prometheus kubernetesControlPlane-prometheusRule.yaml)",
        frozenset({"container_cpu_usage_seconds_total", "container_memory_working_set_bytes"}),
        verified=False,
        note="kubelet/cAdvisor source not mirrored here; names as used by kube-prometheus's own rules",
    ),
    Source(
        "kubernetes-kubelet",
        "kubelet /metrics: pkg/kubelet/metrics/collectors/volume_stats.go (kubelet_volume_stats_*)",
        frozenset({"kubelet_volume_stats_used_bytes", "kubelet_volume_stats_capacity_bytes"}),
        verified=False,
        note="kubernetes source not mirrored here; names as used by kube-prometheus's KubePersistentVolumeFillingUp",
    ),
    Source(
        "node-exporter",
        "node_exporter@v1.12.1 collector/cpu_common.go:28 (node_cpu_seconds_total), collector/meminfo.go:50 "
        "(node_memory_<field>_bytes), collector/filesystem_common.go:103,115 (node_filesystem_size_bytes, avail_bytes)",
        frozenset(
            {
                "node_cpu_seconds_total",
                "node_memory_MemAvailable_bytes",
                "node_memory_MemTotal_bytes",
                "node_filesystem_avail_bytes",
                "node_filesystem_size_bytes",
            }
        ),
    ),
    Source(
        "blackbox",
        "blackbox_exporter@v0.28.0 prober/http.go:323 (probe_http_status_code), prober/handler.go:79,83 "
        "(probe_success, probe_duration_seconds)",
        frozenset({"probe_success", "probe_duration_seconds", "probe_http_status_code"}),
    ),
    Source(
        "prometheus",
        "prometheus@v3.14.0 config/reloader and notifier (prometheus_config_last_reload_successful, "
        "prometheus_notifications_errors_total, prometheus_notifications_sent_total)",
        frozenset(
            {
                "prometheus_config_last_reload_successful",
                "prometheus_notifications_errors_total",
                "prometheus_notifications_sent_total",
            }
        ),
        verified=False,
        note="prometheus source not mirrored here; names as used by the prometheus mixin's own alerts",
    ),
    Source(
        "alertmanager",
        "alertmanager@v0.34.0 config/coordinator.go, notify/notify.go (alertmanager_config_last_reload_successful, "
        "alertmanager_notifications_failed_total, alertmanager_notifications_total)",
        frozenset(
            {
                "alertmanager_config_last_reload_successful",
                "alertmanager_notifications_failed_total",
                "alertmanager_notifications_total",
            }
        ),
        verified=False,
        note="alertmanager source not mirrored here; names as used by the alertmanager mixin's own alerts",
    ),
)

# Every target of every job also gets ``up`` (and the scrape_* series) from Prometheus itself.
SYNTHETIC = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})


def produced() -> frozenset[str]:
    return SYNTHETIC.union(*(s.names for s in SOURCES))


def jobs() -> tuple[str, ...]:
    return tuple(s.job for s in SOURCES)
