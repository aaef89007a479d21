"""Monitoring in the rendered stacks: off by default, valid on both stacks when on (both modes),
least-privilege RBAC, hardened exporters, secrets only in Secrets, Dify wired to the collector,
node-exporter's host access confined, and the dev footprint (issue 9: ≤ 1 vCPU, ≤ 2 GiB)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.config import parse_config
from synth.__main__ import validate
from synth.footprint import monitoring_requests
from synth.harness import stack_config
from synth.mocks import Recording
from tests.conftest import objects, synth_with

ON = {"enabled": True}
OPERATOR = {"enabled": True, "mode": "operator", "operatorLabels": {"release": "kube-prometheus-stack"}}
MONITORING = {
    "dify-prometheus",
    "dify-alertmanager",
    "dify-grafana",
    "dify-kube-state-metrics",
    "dify-node-exporter",
    "dify-blackbox-exporter",
    "dify-postgres-exporter",
    "dify-redis-exporter",
    "dify-otel-collector",
}


def _objs(stack: str = "dev", **monitoring: Any) -> list[dict[str, Any]]:
    return objects(synth_with(stack, monitoring=monitoring or ON))


def _find(objs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objs if o["kind"] == kind and o["metadata"].get("name") == name)


def _containers(objs: list[dict[str, Any]], names: set[str]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (o["metadata"]["name"], c)
        for o in objs
        if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet") and o["metadata"]["name"] in names
        for c in o["spec"]["template"]["spec"]["containers"]
    ]


def _env(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        e["name"]: e.get("value", e.get("valueFrom")) for e in obj["spec"]["template"]["spec"]["containers"][0]["env"]
    }


def test_off_by_default(dev: Recording) -> None:
    for recording in (dev,):
        objs = objects(recording)
        assert not [o for o in objs if "monitoring" in str(o["metadata"].get("namespace", ""))]
        assert "ENABLE_OTEL" not in _env(_find(objs, "Deployment", "dify-api"))
        assert not [r for r in recording.registrations if r.type.startswith("dify:monitoring:")]


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("monitoring", [ON, OPERATOR], ids=["bundled", "operator"])
def test_synth_validates_with_monitoring_on(stack: str, monitoring: dict[str, Any]) -> None:
    config, secret_keys = stack_config(stack)
    config["dify:monitoring"] = json.dumps(monitoring)
    settings = parse_config(config, set(secret_keys))
    objs = objects(synth_with(stack, monitoring=monitoring))
    assert validate(objs, settings.kubernetes.version, settings) == []


def test_exporters_read_rds_and_elasticache_over_tls_on_prod() -> None:
    # Prod's Postgres and Redis are RDS and ElastiCache (dify:aws): the exporters dial their
    # endpoints with TLS (RDS forces it, ElastiCache requires it) as the RDS master user.
    recording = synth_with("prod", monitoring=ON)
    objs = objects(recording)
    (db,) = recording.by_type("aws:rds/instance:Instance")
    (cache,) = recording.by_type("aws:elasticache/replicationGroup:ReplicationGroup")
    postgres = _env(_find(objs, "Deployment", "dify-postgres-exporter"))
    assert postgres["DATA_SOURCE_URI"] == f"{db.outputs['address']}:5432/dify?sslmode=require"
    assert postgres["DATA_SOURCE_USER"] == "dify"
    redis = _env(_find(objs, "Deployment", "dify-redis-exporter"))
    assert redis["REDIS_ADDR"] == f"rediss://{cache.outputs['primaryEndpointAddress']}:6379"


def test_bundled_workloads_and_their_namespaces() -> None:
    objs = _objs()
    workloads = {
        (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])
        for o in objs
        if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet") and o["metadata"]["name"] in MONITORING
    }
    assert workloads == {
        ("StatefulSet", "dify-monitoring", "dify-prometheus"),
        ("StatefulSet", "dify-monitoring", "dify-alertmanager"),
        ("Deployment", "dify-monitoring", "dify-grafana"),
        ("Deployment", "dify-monitoring", "dify-kube-state-metrics"),
        ("DaemonSet", "dify-monitoring-host", "dify-node-exporter"),
        ("Deployment", "dify-monitoring", "dify-blackbox-exporter"),
        ("Deployment", "dify-monitoring", "dify-postgres-exporter"),
        ("Deployment", "dify-monitoring", "dify-redis-exporter"),
        ("Deployment", "dify-monitoring", "dify-otel-collector"),
    }


def test_prometheus_rbac_is_least_privilege() -> None:
    objs = _objs()
    cluster_roles = [o for o in objs if o["kind"] == "ClusterRole"]
    assert [r["metadata"]["name"] for r in cluster_roles] == ["dify-dev-prometheus"]
    assert cluster_roles[0]["rules"] == [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]},
        {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
    ]
    roles = {(r["metadata"]["namespace"], r["metadata"]["name"]): r["rules"] for r in objs if r["kind"] == "Role"}
    pods = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]
    ksm = [
        {"apiGroups": [""], "resources": ["persistentvolumeclaims", "pods"], "verbs": ["list", "watch"]},
        {"apiGroups": ["apps"], "resources": ["daemonsets", "deployments", "statefulsets"], "verbs": ["list", "watch"]},
    ]
    assert roles == {
        ("dify", "dify-prometheus"): pods,
        ("dify-monitoring", "dify-prometheus"): pods,
        ("dify-monitoring-host", "dify-prometheus"): pods,
        ("dify", "dify-kube-state-metrics"): ksm,
        ("dify-sandbox", "dify-kube-state-metrics"): ksm,
        ("dify-monitoring", "dify-kube-state-metrics"): ksm,
        ("dify-monitoring-host", "dify-kube-state-metrics"): ksm,
    }
    bindings = [o for o in objs if o["kind"] in ("RoleBinding", "ClusterRoleBinding")]
    assert len(bindings) == 8
    for binding in bindings:
        assert binding["subjects"][0]["namespace"] == "dify-monitoring"
    # Only the two pods that call the API get a token.
    tokens = {
        o["metadata"]["name"]
        for o in objs
        if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job")
        and o["spec"]["template"]["spec"].get("automountServiceAccountToken")
    }
    assert tokens == {"dify-prometheus", "dify-kube-state-metrics"}


def test_every_monitoring_container_is_pinned_probed_and_sized() -> None:
    containers = _containers(_objs(), MONITORING)
    assert len(containers) == 9
    for name, container in containers:
        image = container["image"]
        assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), name
        assert container["readinessProbe"] and container["livenessProbe"], name
        resources = container["resources"]
        assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}, name
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] and security["capabilities"]["drop"] == ["ALL"], name
        assert security["runAsNonRoot"] and not security["allowPrivilegeEscalation"], name


def test_secrets_reach_containers_only_from_secrets() -> None:
    objs = _objs()
    grafana = _env(_find(objs, "Deployment", "dify-grafana"))
    assert grafana["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/etc/grafana-secrets/admin-password"
    assert "GF_SECURITY_ADMIN_PASSWORD" not in grafana
    assert set(_env(_find(objs, "Deployment", "dify-postgres-exporter"))["DATA_SOURCE_PASS"]) == {"secretKeyRef"}
    assert set(_env(_find(objs, "Deployment", "dify-redis-exporter"))["REDIS_PASSWORD"]) == {"secretKeyRef"}
    alertmanager = _find(objs, "StatefulSet", "dify-alertmanager")["spec"]["template"]["spec"]["volumes"]
    assert next(v for v in alertmanager if v["name"] == "config").keys() == {"name", "secret"}


def test_dify_pushes_opentelemetry_to_the_collector() -> None:
    objs = _objs()
    for name in ("dify-api", "dify-api-websocket", "dify-worker", "dify-worker-beat"):
        env = _env(_find(objs, "Deployment", name))
        assert env["ENABLE_OTEL"] == "true", name
        assert env["OTLP_BASE_ENDPOINT"] == "http://dify-otel-collector.dify-monitoring:4318", name
        assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http"
        assert env["OTEL_SAMPLING_RATE"] == "0.1"  # upstream's default (otel_config.py)
        assert env["OTEL_SEMCONV_STABILITY_OPT_IN"] == "http"
    migration = _find(objs, "Job", next(o["metadata"]["name"] for o in objs if o["kind"] == "Job"))
    assert "ENABLE_OTEL" not in _env(migration)


def test_node_exporter_host_access_is_confined_and_explained() -> None:
    objs = _objs()
    namespace = _find(objs, "Namespace", "dify-monitoring-host")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert "hostPath" in namespace["metadata"]["annotations"]["dify-pulumi/security-exception"]
    assert _find(objs, "Namespace", "dify-monitoring")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == (
        "restricted"
    )
    pod = _find(objs, "DaemonSet", "dify-node-exporter")["spec"]["template"]
    spec = pod["spec"]
    assert not spec.get("hostNetwork") and not spec.get("hostPID")
    assert {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]} == {"proc": "/proc", "sys": "/sys", "root": "/"}
    assert all(m["readOnly"] for m in spec["containers"][0]["volumeMounts"])
    assert spec["containers"][0]["securityContext"]["runAsUser"] == 65534
    # Only node-exporter: every other pod of ours sits in a namespace that enforces restricted or baseline.
    privileged = [o for o in objs if o["kind"] == "Namespace" and "privileged" in str(o["metadata"]["labels"])]
    assert [o["metadata"]["name"] for o in privileged] == ["dify-monitoring-host"]


def test_dev_footprint_meets_the_target() -> None:
    found = monitoring_requests(_objs())
    cpu = sum(c for c, _ in found.values())
    memory = sum(m for _, m in found.values())
    assert (cpu, memory // 2**20) == (260, 992)
    assert cpu <= 1000 and memory <= 2 * 2**30


def test_operator_mode_renders_monitors_rules_and_dashboards_only() -> None:
    objs = _objs("dev", **OPERATOR)
    kinds = sorted(o["kind"] for o in objs if o["apiVersion"] == "monitoring.coreos.com/v1")
    assert kinds == ["PodMonitor"] * 4 + ["Probe"] * 4 + ["PrometheusRule"]
    names = {o["metadata"]["name"] for o in objs}
    assert not names & {"dify-prometheus", "dify-grafana", "dify-alertmanager", "dify-node-exporter"}
    for obj in objs:
        if obj["apiVersion"] == "monitoring.coreos.com/v1":
            assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    dashboards = _find(objs, "ConfigMap", "dify-dashboards")
    assert dashboards["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(dashboards["data"]["dify-overview.json"])["uid"] == "dify-overview"
    rule = _find(objs, "PrometheusRule", "dify")
    assert [g["name"] for g in rule["spec"]["groups"]] == ["dify", "monitoring"]
    assert sum(len(g["rules"]) for g in rule["spec"]["groups"]) == 19


def test_every_monitoring_component_is_a_child_of_monitoring() -> None:
    recording = synth_with("dev", monitoring=ON)
    by_urn = {r.urn: r for r in recording.registrations}
    components = [r for r in recording.registrations if r.type.startswith("dify:monitoring:")]
    assert sorted(r.type.removeprefix("dify:monitoring:") for r in components) == [
        "Alertmanager",
        "BlackboxExporter",
        "Grafana",
        "KubeStateMetrics",
        "Monitoring",
        "NodeExporter",
        "OtelCollector",
        "PostgresExporter",
        "Prometheus",
        "RedisExporter",
    ]
    for component in components:
        parent = by_urn[component.parent]
        assert parent.type == (
            "dify:core:Platform" if component.type.endswith(":Monitoring") else "dify:monitoring:Monitoring"
        )


def test_prod_runs_bundled_monitoring_sized_for_thirty_days(prod: Recording) -> None:
    objs = objects(prod)
    prometheus = _find(objs, "StatefulSet", "dify-prometheus")
    container = prometheus["spec"]["template"]["spec"]["containers"][0]
    assert "--storage.tsdb.retention.time=30d" in container["args"]
    assert "--storage.tsdb.retention.size=45GB" in container["args"]
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "1Gi"},
        "limits": {"cpu": "2", "memory": "4Gi"},
    }
    claim = prometheus["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    assert claim == "50Gi"
    assert _env(_find(objs, "Deployment", "dify-api"))["ENABLE_OTEL"] == "true"
    monitoring_namespaces = sorted(
        o["metadata"]["name"] for o in objs if o["kind"] == "Namespace" and "monitoring" in o["metadata"]["name"]
    )
    assert monitoring_namespaces == ["dify-prod-monitoring", "dify-prod-monitoring-host"]


def test_prod_footprint(prod: Recording) -> None:
    found = monitoring_requests(objects(prod))
    assert (sum(c for c, _ in found.values()), sum(m for _, m in found.values()) // 2**20) == (410, 1504)


def test_dev_with_monitoring_passes_the_policy_pack() -> None:
    from synth import policy

    report = policy.run(synth_with("dev", monitoring=ON), "dev", policy.config_for("dev"))
    assert [v.policy for v in report.violations if v.level == "mandatory"] == []
