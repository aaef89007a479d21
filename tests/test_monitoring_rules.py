"""The alert rules under promtool: syntax, and a unit test per alert that fires and one that does not.

Every alert gets two promtool cases built from literal series: one where it fires with the
expected labels and summary, one where the same shape stays below its threshold (or its ``for:``).
The tools are the versions we deploy when built (``make monitoring-tools``: promtool v3.14.0,
amtool v0.34.0 from their Go modules), else Debian's (promtool 2.42, amtool 0.25); the tests skip
without any, and fail instead under DIFY_REQUIRE_TOOLS=1 (CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.monitoring.alerting import alertmanager_config
from components.monitoring.rules import all_alerts, rule_groups
from components.monitoring.scrape import Namespaces, prometheus_config

NAMESPACES = ["dify", "dify-sandbox"]
CACHE = Path(os.environ.get("DIFY_TOOLS_CACHE", Path.home() / ".cache" / "dify-pulumi-tools"))
BUILT = {"promtool": CACHE / "promtool-v3.14.0" / "promtool", "amtool": CACHE / "amtool-v0.34.0" / "amtool"}


def tool(name: str) -> str:
    if BUILT[name].exists():
        return str(BUILT[name])
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("DIFY_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{name} is required (DIFY_REQUIRE_TOOLS=1) but not installed")
    pytest.skip(f"{name} not installed")


def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    rendered = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{rendered}}}", "values": values}


API = {"namespace": "dify", "pod": "dify-api-7d9f", "container": "api"}
PROBE_API = {"job": "blackbox", "instance": "http://dify-api.dify:5001/health", "probe": "api"}
PROBE_SANDBOX = {"job": "blackbox", "instance": "http://dify-sandbox.dify-sandbox:8194/health", "probe": "sandbox"}
KSM_POD = {"namespace": "dify", "pod": "dify-worker-5c8b", "container": "worker", "reason": "CrashLoopBackOff"}
PVC = {"namespace": "dify", "persistentvolumeclaim": "data-dify-postgres-0"}
PG = {"job": "postgres-exporter", "namespace": "dify-monitoring"}


def _responses(five_xx: str, two_xx: str) -> list[dict[str, str]]:
    base = {"namespace": "dify", "http_route": "/v1/chat-messages"}
    return [
        series("http_server_response_count_total", {**base, "status_class": "5xx"}, five_xx),
        series("http_server_response_count_total", {**base, "status_class": "2xx"}, two_xx),
    ]


def _latency(slow: bool) -> list[dict[str, str]]:
    # All requests in one bucket: (2.5, 5] s when slow, ≤ 1 s otherwise.
    counts = {"1": "0x20", "2.5": "0x20", "5": "0+10x20", "+Inf": "0+10x20"}
    if not slow:
        counts = {"1": "0+10x20", "2.5": "0+10x20", "5": "0+10x20", "+Inf": "0+10x20"}
    return [
        series("http_server_request_duration_seconds_bucket", {"namespace": "dify", "le": le}, values)
        for le, values in counts.items()
    ]


def _limit(resource: str, value: str) -> dict[str, str]:
    return series("kube_pod_container_resource_limits", {**API, "resource": resource}, value)


# alertname → (eval time, firing input, quiet input, expected labels without severity, summary)
CASES: dict[str, tuple[str, list[dict[str, str]], list[dict[str, str]], dict[str, str], str]] = {
    "DifyHighErrorRate": (
        "10m",
        _responses("0+20x20", "0+80x20"),
        _responses("0+5x20", "0+95x20"),
        {"namespace": "dify"},
        "More than 10% of Dify API responses are 5xx in dify",
    ),
    "DifyHighLatency": (
        "10m",
        _latency(slow=True),
        _latency(slow=False),
        {"namespace": "dify"},
        "Dify API p95 latency is above 2s in dify",
    ),
    "DifyDatabaseConnectionHigh": (
        "5m",
        [
            series("pg_stat_activity_count", {**PG, "state": "active"}, "90x10"),
            series("pg_settings_max_connections", PG, "100x10"),
        ],
        [
            series("pg_stat_activity_count", {**PG, "state": "active"}, "50x10"),
            series("pg_settings_max_connections", PG, "100x10"),
        ],
        {"namespace": "dify-monitoring"},
        "Postgres connections above 80% of max_connections",
    ),
    "DifyHighMemoryUsage": (
        "10m",
        [series("container_memory_working_set_bytes", API, "950x20"), _limit("memory", "1000x20")],
        [series("container_memory_working_set_bytes", API, "500x20"), _limit("memory", "1000x20")],
        API,
        "api in dify-api-7d9f uses over 90% of its memory limit",
    ),
    "DifyHighCPUUsage": (
        "10m",
        # 54 CPU-seconds a minute: 0.9 of a one-core limit.
        [series("container_cpu_usage_seconds_total", API, "0+54x20"), _limit("cpu", "1x20")],
        [series("container_cpu_usage_seconds_total", API, "0+30x20"), _limit("cpu", "1x20")],
        API,
        "api in dify-api-7d9f uses over 80% of its CPU limit",
    ),
    "DifyAPIDown": (
        "3m",
        [series("probe_success", PROBE_API, "0x5")],
        [series("probe_success", PROBE_API, "1x5")],
        PROBE_API,
        "The Dify API does not answer /health",
    ),
    "DifyEndpointDown": (
        "5m",
        [series("probe_success", PROBE_SANDBOX, "0x10"), series("probe_success", PROBE_API, "0x10")],
        [series("probe_success", PROBE_SANDBOX, "1x10"), series("probe_success", PROBE_API, "0x10")],
        PROBE_SANDBOX,
        "sandbox does not answer its health check",
    ),
    "DifyPodCrashLooping": (
        "25m",
        [series("kube_pod_container_status_waiting_reason", KSM_POD, "1x30")],
        [series("kube_pod_container_status_waiting_reason", KSM_POD, "0x30")],
        KSM_POD,
        "worker in dify-worker-5c8b is crash-looping",
    ),
    "DifyDeploymentReplicasUnavailable": (
        "15m",
        [
            series("kube_deployment_spec_replicas", {"namespace": "dify", "deployment": "dify-api"}, "2x20"),
            series(
                "kube_deployment_status_replicas_available", {"namespace": "dify", "deployment": "dify-api"}, "1x20"
            ),
        ],
        [
            series("kube_deployment_spec_replicas", {"namespace": "dify", "deployment": "dify-api"}, "2x20"),
            series(
                "kube_deployment_status_replicas_available", {"namespace": "dify", "deployment": "dify-api"}, "2x20"
            ),
        ],
        {"namespace": "dify", "deployment": "dify-api"},
        "Deployment dify-api has unavailable replicas",
    ),
    "DifyPersistentVolumeFillingUp": (
        "10m",
        [
            series("kubelet_volume_stats_used_bytes", PVC, "90x20"),
            series("kubelet_volume_stats_capacity_bytes", PVC, "100x20"),
        ],
        [
            series("kubelet_volume_stats_used_bytes", PVC, "50x20"),
            series("kubelet_volume_stats_capacity_bytes", PVC, "100x20"),
        ],
        PVC,
        "Volume data-dify-postgres-0 is over 85% full",
    ),
    "DifyCeleryQueueBacklogGrowing": (
        "35m",
        [series("redis_key_size", {"db": "db1", "key": "dataset"}, "100+10x40")],
        # A long queue that does not grow: the workers keep up.
        [series("redis_key_size", {"db": "db1", "key": "dataset"}, "500x40")],
        {"db": "db1", "key": "dataset"},
        "Celery queue dataset keeps growing",
    ),
    "DifyPluginInvocationErrors": (
        "20m",
        [
            series("plugin_invocations_total", {"plugin_id": "langgenius/openai", "status": "error"}, "0+20x30"),
            series("plugin_invocations_total", {"plugin_id": "langgenius/openai", "status": "success"}, "0+80x30"),
        ],
        [
            series("plugin_invocations_total", {"plugin_id": "langgenius/openai", "status": "error"}, "0+1x30"),
            series("plugin_invocations_total", {"plugin_id": "langgenius/openai", "status": "success"}, "0+99x30"),
        ],
        {"plugin_id": "langgenius/openai"},
        "Plugin langgenius/openai fails over 10% of its invocations",
    ),
    "DifyRedisMemoryNearMax": (
        "10m",
        [
            series("redis_memory_used_bytes", {"job": "redis-exporter"}, "95x20"),
            series("redis_memory_max_bytes", {"job": "redis-exporter"}, "100x20"),
        ],
        # maxmemory 0 means no limit: no alert, however much is used.
        [
            series("redis_memory_used_bytes", {"job": "redis-exporter"}, "95x20"),
            series("redis_memory_max_bytes", {"job": "redis-exporter"}, "0x20"),
        ],
        {"job": "redis-exporter"},
        "Redis uses over 90% of maxmemory",
    ),
    "DifyDataStoreDown": (
        "3m",
        [series("pg_up", PG, "0x5")],
        [series("pg_up", PG, "1x5")],
        PG,
        "The exporter cannot reach postgres-exporter's data store",
    ),
    "PrometheusConfigReloadFailed": (
        "15m",
        [series("prometheus_config_last_reload_successful", {"job": "prometheus"}, "0x20")],
        [series("prometheus_config_last_reload_successful", {"job": "prometheus"}, "1x20")],
        {"job": "prometheus"},
        "Prometheus could not load its configuration",
    ),
    "AlertmanagerConfigReloadFailed": (
        "15m",
        [series("alertmanager_config_last_reload_successful", {"job": "alertmanager"}, "0x20")],
        [series("alertmanager_config_last_reload_successful", {"job": "alertmanager"}, "1x20")],
        {"job": "alertmanager"},
        "Alertmanager could not load its configuration",
    ),
    "PrometheusNotificationsFailing": (
        "25m",
        [
            series("prometheus_notifications_errors_total", {"job": "prometheus"}, "0+10x30"),
            series("prometheus_notifications_sent_total", {"job": "prometheus"}, "0+100x30"),
        ],
        [
            series("prometheus_notifications_errors_total", {"job": "prometheus"}, "0x30"),
            series("prometheus_notifications_sent_total", {"job": "prometheus"}, "0+100x30"),
        ],
        {"job": "prometheus"},
        "Prometheus fails to send alerts to Alertmanager",
    ),
    "AlertmanagerNotificationsFailing": (
        "25m",
        [series("alertmanager_notifications_failed_total", {"integration": "slack"}, "0+1x30")],
        [series("alertmanager_notifications_failed_total", {"integration": "slack"}, "0x30")],
        {"integration": "slack"},
        "Alertmanager fails to deliver slack notifications",
    ),
    "MonitoringTargetDown": (
        "15m",
        [series("up", {"job": "redis-exporter", "instance": "10.0.0.7:9121"}, "0x20")],
        [series("up", {"job": "redis-exporter", "instance": "10.0.0.7:9121"}, "1x20")],
        {"job": "redis-exporter", "instance": "10.0.0.7:9121"},
        "Prometheus cannot scrape redis-exporter at 10.0.0.7:9121",
    ),
}

SEVERITY = {
    "DifyHighErrorRate": "critical",
    "DifyAPIDown": "critical",
    "DifyEndpointDown": "critical",
    "DifyDataStoreDown": "critical",
    "PrometheusNotificationsFailing": "critical",
    "AlertmanagerNotificationsFailing": "critical",
}


def _annotations(name: str, labels: dict[str, str], summary: str) -> dict[str, str]:
    # The summary is the literal above; description and runbook are fixed text of the rule (only
    # DifyEndpointDown's description names a label).
    alert = next(a for a in all_alerts(NAMESPACES) if a.name == name)
    description = alert.description.replace("{{ $labels.probe }}", labels.get("probe", ""))
    return {"summary": summary, "description": description, "runbook": alert.runbook}


def unit_tests() -> dict[str, Any]:
    tests = []
    for name, (at, firing, quiet, labels, summary) in CASES.items():
        expected = {
            "exp_labels": {**labels, "severity": SEVERITY.get(name, "warning")},
            "exp_annotations": _annotations(name, labels, summary),
        }
        tests.append(
            {
                "name": f"{name} fires",
                "interval": "1m",
                "input_series": firing,
                "alert_rule_test": [{"eval_time": at, "alertname": name, "exp_alerts": [expected]}],
            }
        )
        tests.append(
            {
                "name": f"{name} stays quiet",
                "interval": "1m",
                "input_series": quiet,
                "alert_rule_test": [{"eval_time": at, "alertname": name, "exp_alerts": []}],
            }
        )
    return {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests}


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rule_groups(NAMESPACES), sort_keys=False))
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(unit_tests(), sort_keys=False))
    return tmp_path


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    assert sorted(CASES) == sorted(a.name for a in all_alerts(NAMESPACES))
    assert len(CASES) == 19


def test_every_alert_has_severity_summary_description_and_runbook() -> None:
    for group in rule_groups(NAMESPACES)["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
            assert set(rule["annotations"]) == {"summary", "description", "runbook"}, rule["alert"]
            assert all(rule["annotations"].values()), rule["alert"]


def test_seed_thresholds_and_durations_are_kept() -> None:
    rules = {r["alert"]: r for g in rule_groups(NAMESPACES)["groups"] for r in g["rules"]}
    assert (rules["DifyHighErrorRate"]["for"], rules["DifyHighErrorRate"]["expr"].endswith("> 0.10")) == ("5m", True)
    assert (rules["DifyHighLatency"]["for"], rules["DifyHighLatency"]["expr"].endswith("> 2")) == ("5m", True)
    assert (rules["DifyDatabaseConnectionHigh"]["for"], rules["DifyDatabaseConnectionHigh"]["expr"][-5:]) == (
        "2m",
        "> 0.8",
    )
    assert (rules["DifyHighMemoryUsage"]["for"], rules["DifyHighMemoryUsage"]["expr"][-5:]) == ("5m", "> 0.9")
    assert (rules["DifyHighCPUUsage"]["for"], rules["DifyHighCPUUsage"]["expr"][-5:]) == ("5m", "> 0.8")
    assert rules["DifyAPIDown"]["for"] == "1m"


def test_promtool_checks_the_rules(rendered: Path) -> None:
    result = run(tool("promtool"), "check", "rules", "rules.yml", cwd=rendered)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 19 rules found" in result.stdout


def test_promtool_unit_tests_pass(rendered: Path) -> None:
    result = run(tool("promtool"), "test", "rules", "tests.yml", cwd=rendered)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_catch_a_wrong_threshold(rendered: Path) -> None:
    # The same tests against rules whose error-rate threshold moved to 30%: the firing case fails.
    groups = rule_groups(NAMESPACES)
    groups["groups"][0]["rules"][0]["expr"] = groups["groups"][0]["rules"][0]["expr"].replace("> 0.10", "> 0.30")
    (rendered / "rules.yml").write_text(yaml.safe_dump(groups, sort_keys=False))
    result = run(tool("promtool"), "test", "rules", "tests.yml", cwd=rendered)
    assert result.returncode == 1
    assert "DifyHighErrorRate" in result.stdout + result.stderr


def _k8s_sd_supported(promtool: str, directory: Path) -> bool:
    probe = {"scrape_configs": [{"job_name": "x", "kubernetes_sd_configs": [{"role": "pod"}]}]}
    (directory / "probe.yml").write_text(yaml.safe_dump(probe))
    return run(promtool, "check", "config", "--syntax-only", "probe.yml", cwd=directory).returncode == 0


def _without_kubernetes_sd(document: Any) -> Any:
    """Debian's promtool is built without Kubernetes discovery: the same config with each
    kubernetes_sd_configs replaced by an empty static_configs, everything else checked as is."""
    if isinstance(document, dict):
        return {
            ("static_configs" if k == "kubernetes_sd_configs" else k): (
                [] if k == "kubernetes_sd_configs" else _without_kubernetes_sd(v)
            )
            for k, v in document.items()
        }
    if isinstance(document, list):
        return [_without_kubernetes_sd(item) for item in document]
    return document


def test_promtool_checks_prometheus_yml(tmp_path: Path) -> None:
    promtool = tool("promtool")
    names = Namespaces("dify", "dify-sandbox", "dify-monitoring", "dify-monitoring-host")
    config = prometheus_config(names, {"environment": "dev"})
    if not _k8s_sd_supported(promtool, tmp_path):
        config = _without_kubernetes_sd(config)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    # --syntax-only: the service-account token and CA exist only inside the pod.
    result = run(promtool, "check", "config", "--syntax-only", "prometheus.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("receiver", "url"),
    [
        ("none", None),
        ("webhook", "https://hooks.example.com/dify"),
        ("slack", "https://hooks.slack.com/services/T/B/x"),
    ],
)
def test_amtool_checks_alertmanager_yml(tmp_path: Path, receiver: Any, url: str | None) -> None:
    (tmp_path / "alertmanager.yml").write_text(
        yaml.safe_dump(alertmanager_config(receiver, url, ["alertname", "namespace"], "#alerts"), sort_keys=False)
    )
    result = run(tool("amtool"), "check-config", "alertmanager.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 inhibit rules" in result.stdout


def test_a_receiver_without_its_url_is_refused() -> None:
    with pytest.raises(ValueError, match="alertmanagerReceiverUrl"):
        alertmanager_config("slack", None, ["alertname"])
