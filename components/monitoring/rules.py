"""The alert rules, as Python data: the seed's six on the signals Dify really emits, plus the rest.

One function renders the Prometheus rule-file document (``groups:``); the bundled Prometheus
mounts it and the operator mode wraps the same groups in a PrometheusRule. Thresholds and
``for:`` durations of the seed are kept: error rate > 10 % for 5m, p95 latency > 2 s for 5m,
DB connections > 80 % of max for 2m, memory > 90 % of limit for 5m, CPU > 80 % of limit for 5m,
API down for 1m. Every metric name used is in components/monitoring/metrics.py (a test parses
every expression). Annotations carry labels only, never ``$value``: promtool's unit tests compare
them literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["critical", "warning"]


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    duration: str  # the rule's ``for:``
    severity: Severity
    summary: str
    description: str
    runbook: str


def _ns(namespaces: Sequence[str]) -> str:
    return "|".join(namespaces)


def dify_alerts(namespaces: Sequence[str]) -> list[Alert]:
    """The application alerts; ``namespaces`` are Dify's (the main one and the sandbox's)."""
    ns = _ns(namespaces)
    by_container = "namespace, pod, container"
    return [
        Alert(
            "DifyHighErrorRate",
            'sum by (namespace) (rate(http_server_response_count_total{status_class="5xx"}[5m]))'
            " / sum by (namespace) (rate(http_server_response_count_total[5m])) > 0.10",
            "5m",
            "critical",
            "More than 10% of Dify API responses are 5xx in {{ $labels.namespace }}",
            "api and worker report http.server.response.count through the OpenTelemetry Collector; "
            "over 10% of responses in the last 5 minutes had a 5xx status.",
            "Check the api pods' logs for tracebacks and the data stores' alerts; a failing model "
            "provider shows up as plugin invocation errors instead.",
        ),
        Alert(
            "DifyHighLatency",
            "histogram_quantile(0.95, sum by (namespace, le) "
            "(rate(http_server_request_duration_seconds_bucket[5m]))) > 2",
            "5m",
            "warning",
            "Dify API p95 latency is above 2s in {{ $labels.namespace }}",
            "The 95th percentile of http.server.request.duration (Flask instrumentation) has been "
            "above 2 seconds for 5 minutes. Streaming responses count their whole duration.",
            "Compare with the DB connection and CPU alerts; raise replicas.api or app.serverWorkerConnections.",
        ),
        Alert(
            "DifyDatabaseConnectionHigh",
            "sum by (namespace) (pg_stat_activity_count) / on (namespace) "
            "max by (namespace) (pg_settings_max_connections) > 0.8",
            "2m",
            "warning",
            "Postgres connections above 80% of max_connections",
            "pg_stat_activity counts more than 80% of max_connections: new api or worker "
            "connections will soon be refused.",
            "Lower app.sqlalchemyPoolSize or the replica counts, or raise Postgres max_connections.",
        ),
        Alert(
            "DifyHighMemoryUsage",
            f'sum by ({by_container}) (container_memory_working_set_bytes{{namespace=~"{ns}", container!=""}})'
            f" / sum by ({by_container}) "
            f'(kube_pod_container_resource_limits{{namespace=~"{ns}", resource="memory"}}) > 0.9',
            "5m",
            "warning",
            "{{ $labels.container }} in {{ $labels.pod }} uses over 90% of its memory limit",
            "The container's working set has been above 90% of its memory limit for 5 minutes; "
            "at the limit the kernel kills it (OOMKilled).",
            "Raise dify:resources.<service>.limits.memory or find the leak (worker: MAX_TASKS_PER_CHILD).",
        ),
        Alert(
            "DifyHighCPUUsage",
            f'sum by ({by_container}) (rate(container_cpu_usage_seconds_total{{namespace=~"{ns}", container!=""}}[5m]))'
            f" / sum by ({by_container}) "
            f'(kube_pod_container_resource_limits{{namespace=~"{ns}", resource="cpu"}}) > 0.8',
            "5m",
            "warning",
            "{{ $labels.container }} in {{ $labels.pod }} uses over 80% of its CPU limit",
            "The container has used more than 80% of its CPU limit for 5 minutes and is being throttled.",
            "Raise dify:resources.<service>.limits.cpu or add replicas.",
        ),
        Alert(
            "DifyAPIDown",
            'probe_success{probe="api"} == 0',
            "1m",
            "critical",
            "The Dify API does not answer /health",
            "blackbox-exporter's HTTP probe of the api Service's /health has failed for 1 minute.",
            "kubectl get pods -l app.kubernetes.io/component=api; check the migration Job and the data stores.",
        ),
        Alert(
            "DifyEndpointDown",
            'probe_success{probe!="api"} == 0',
            "2m",
            "critical",
            "{{ $labels.probe }} does not answer its health check",
            "blackbox-exporter's HTTP probe of {{ $labels.probe }} has failed for 2 minutes.",
            "kubectl describe the workload's pods; the sandbox runs in the <namespace>-sandbox namespace.",
        ),
        Alert(
            "DifyPodCrashLooping",
            f'max_over_time(kube_pod_container_status_waiting_reason{{namespace=~"{ns}", '
            'reason="CrashLoopBackOff"}[5m]) >= 1',
            "15m",
            "warning",
            "{{ $labels.container }} in {{ $labels.pod }} is crash-looping",
            "The container has been waiting in CrashLoopBackOff for 15 minutes.",
            "kubectl logs --previous on the pod; configuration errors show in the first lines.",
        ),
        Alert(
            "DifyDeploymentReplicasUnavailable",
            f'kube_deployment_spec_replicas{{namespace=~"{ns}"}}'
            f' > kube_deployment_status_replicas_available{{namespace=~"{ns}"}}',
            "10m",
            "warning",
            "Deployment {{ $labels.deployment }} has unavailable replicas",
            "Fewer replicas than desired have been available for 10 minutes.",
            "kubectl describe deployment; look for Pending pods (resources, RWO volume affinity) or failing probes.",
        ),
        Alert(
            "DifyPersistentVolumeFillingUp",
            f'kubelet_volume_stats_used_bytes{{namespace=~"{ns}"}}'
            f' / kubelet_volume_stats_capacity_bytes{{namespace=~"{ns}"}} > 0.85',
            "5m",
            "warning",
            "Volume {{ $labels.persistentvolumeclaim }} is over 85% full",
            "The claim has been more than 85% full for 5 minutes.",
            "Grow the claim (dify:persistence.<volume>.size, if the StorageClass allows expansion) or clean up.",
        ),
        Alert(
            "DifyCeleryQueueBacklogGrowing",
            'redis_key_size{db="db1"} > 100 and delta(redis_key_size{db="db1"}[15m]) > 0',
            "15m",
            "warning",
            "Celery queue {{ $labels.key }} keeps growing",
            "More than 100 tasks wait in the queue and the backlog has grown over the last 15 minutes: "
            "the workers do not keep up.",
            "Raise replicas.worker or app.celeryWorkerAmount; check the worker logs for stuck tasks.",
        ),
        Alert(
            "DifyPluginInvocationErrors",
            'sum by (plugin_id) (rate(plugin_invocations_total{status="error"}[5m]))'
            " / sum by (plugin_id) (rate(plugin_invocations_total[5m])) > 0.1",
            "10m",
            "warning",
            "Plugin {{ $labels.plugin_id }} fails over 10% of its invocations",
            "The plugin daemon reports more than 10% of this plugin's invocations ending in error.",
            "Check the model provider's credentials and quota, and the plugin daemon's logs.",
        ),
        Alert(
            "DifyRedisMemoryNearMax",
            "redis_memory_used_bytes / redis_memory_max_bytes > 0.9 and redis_memory_max_bytes > 0",
            "5m",
            "warning",
            "Redis uses over 90% of maxmemory",
            "Redis is close to maxmemory: its eviction policy will drop keys or refuse writes, including Celery tasks.",
            "Raise maxmemory and the Redis memory limit, or find the keys that grow.",
        ),
        Alert(
            "DifyDataStoreDown",
            "pg_up == 0 or redis_up == 0",
            "1m",
            "critical",
            "The exporter cannot reach {{ $labels.job }}'s data store",
            "The exporter reports its data store down (pg_up / redis_up is 0) for 1 minute.",
            "kubectl get statefulsets; check the store's pod and the NetworkPolicy from the exporter.",
        ),
    ]


def self_alerts() -> list[Alert]:
    """The monitoring stack watching itself."""
    return [
        Alert(
            "PrometheusConfigReloadFailed",
            "prometheus_config_last_reload_successful == 0",
            "10m",
            "warning",
            "Prometheus could not load its configuration",
            "The last configuration reload failed; Prometheus keeps running the previous one.",
            "Run promtool check config on the ConfigMap's prometheus.yml.",
        ),
        Alert(
            "AlertmanagerConfigReloadFailed",
            "alertmanager_config_last_reload_successful == 0",
            "10m",
            "warning",
            "Alertmanager could not load its configuration",
            "The last configuration reload failed; Alertmanager keeps running the previous one.",
            "Run amtool check-config on the Secret's alertmanager.yml.",
        ),
        Alert(
            "PrometheusNotificationsFailing",
            "rate(prometheus_notifications_errors_total[5m]) / rate(prometheus_notifications_sent_total[5m]) > 0.01",
            "15m",
            "critical",
            "Prometheus fails to send alerts to Alertmanager",
            "More than 1% of alert notifications to Alertmanager fail.",
            "Check the Alertmanager pod and the NetworkPolicy from Prometheus to it.",
        ),
        Alert(
            "AlertmanagerNotificationsFailing",
            "sum by (integration) (rate(alertmanager_notifications_failed_total[5m])) > 0",
            "15m",
            "critical",
            "Alertmanager fails to deliver {{ $labels.integration }} notifications",
            "Notifications to the receiver keep failing: alerts reach nobody.",
            "Check the receiver URL secret (alertmanagerReceiverUrl) and egress to it.",
        ),
        Alert(
            "MonitoringTargetDown",
            "up == 0",
            "10m",
            "warning",
            "Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }}",
            "The target has failed every scrape for 10 minutes; its alerts cannot fire.",
            "Check the target's pod and the NetworkPolicy from Prometheus to it.",
        ),
    ]


def rule_groups(namespaces: Sequence[str]) -> dict[str, Any]:
    """The rule-file document (also a PrometheusRule's spec)."""

    def rule(alert: Alert) -> dict[str, Any]:
        return {
            "alert": alert.name,
            "expr": alert.expr,
            "for": alert.duration,
            "labels": {"severity": alert.severity},
            "annotations": {"summary": alert.summary, "description": alert.description, "runbook": alert.runbook},
        }

    return {
        "groups": [
            {"name": "dify", "rules": [rule(a) for a in dify_alerts(namespaces)]},
            {"name": "monitoring", "rules": [rule(a) for a in self_alerts()]},
        ]
    }


def all_alerts(namespaces: Sequence[str]) -> list[Alert]:
    return [*dify_alerts(namespaces), *self_alerts()]
