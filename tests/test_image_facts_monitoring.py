"""The monitoring images' traced facts (components/images/monitoring.py) and what the rendered
workloads rely on from them. Expected values are literals read in upstream source at the pinned
tags (named per test), never taken from the table under test."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.images import CONTRACTS, unverified_facts
from components.images.monitoring import MONITORING
from components.versions import image
from synth.runtime import check_runtime_contracts
from tests.conftest import objects, synth_with
from tests.lookup import container, find

Obj = dict[str, Any]

# Where each verified fact was read: repository@tag as written in the Fact sources.
TRACED_AT = {
    "prometheus": ("prometheus@v3.14.0 ", "v3.14.0"),
    "alertmanager": ("alertmanager@v0.34.0 ", "v0.34.0"),
    "kube_state_metrics": ("kube-state-metrics@v2.20.0 ", "v2.20.0"),
    "node_exporter": ("node_exporter@v1.12.1 ", "v1.12.1"),
    "blackbox_exporter": ("blackbox_exporter@v0.28.0 ", "v0.28.0"),
    "postgres_exporter": ("postgres_exporter@v0.20.1 ", "v0.20.1"),
    "redis_exporter": ("redis_exporter@v1.88.0 ", "v1.88.0"),
    "otel_collector": ("opentelemetry-collector-releases@v0.159.0 ", "0.159.0"),
}


def _facts(key: str) -> list[Any]:
    contract = MONITORING[key]  # type: ignore[index]
    facts = [contract.uid_fact, contract.workdir_fact]
    for mode in contract.modes.values():
        facts += [w.fact for w in mode.writes] + [listen.fact for listen in mode.listens]
        facts += [mode.health_fact] if mode.health_fact else []
    return facts


@pytest.mark.parametrize("key", sorted(TRACED_AT))
def test_verified_facts_name_the_pinned_tag(key: str) -> None:
    # A version bump in versions.py without re-tracing leaves the old tag here: this fails.
    prefix, tag = TRACED_AT[key]
    assert image(key).rsplit(":", 1)[1] == tag  # type: ignore[arg-type]
    for fact in _facts(key):
        assert fact.verified, fact.source
        assert fact.source.startswith(prefix) or fact.source.startswith("components/monitoring/"), fact.source


def test_only_grafana_stays_unverified_among_monitoring_images() -> None:
    monitoring = [line for line in unverified_facts() if line.split(":", 1)[0] in MONITORING]
    assert [line.split(" — ", 1)[0].split(" ", 1)[0] for line in monitoring] == [
        "grafana:",
        "grafana:",
        "grafana:",
    ]
    assert monitoring[0].startswith("grafana: uid — read in the stored index's grafana/grafana, not at v12.3.1")


def test_contract_literals_from_upstream() -> None:
    # prometheus@v3.14.0 Dockerfile:23,26; alertmanager@v0.34.0 Dockerfile:17,20; grafana Dockerfile GF_UID.
    assert (CONTRACTS["prometheus"].uid, CONTRACTS["prometheus"].workdir) == (65534, "/prometheus")
    assert (CONTRACTS["alertmanager"].uid, CONTRACTS["alertmanager"].workdir) == (65534, "/alertmanager")
    assert (CONTRACTS["grafana"].uid, CONTRACTS["grafana"].workdir) == (472, "/usr/share/grafana")
    # Both default their data to the relative data/ (main.go:490-491 and :52), i.e. under WORKDIR.
    assert [w.flag for w in CONTRACTS["prometheus"].modes["default"].writes] == ["--storage.tsdb.path"]
    assert [w.flag for w in CONTRACTS["alertmanager"].modes["default"].writes] == ["--storage.path"]
    assert [w.path for w in CONTRACTS["grafana"].modes["default"].writes] == [
        "${GF_PATHS_DATA:-/var/lib/grafana}",
        "${GF_PATHS_PLUGINS:-/var/lib/grafana/plugins}",
        "/tmp",
    ]


@pytest.fixture(scope="module")
def monitored() -> list[Obj]:
    return objects(synth_with("dev", monitoring={"enabled": True}), show_secrets=False)


def test_alertmanager_runs_without_gossip(monitored: list[Obj]) -> None:
    # alertmanager@v0.34.0 app/options.go:31: gossip binds 0.0.0.0:9094 unless the flag is empty.
    args = container(find(monitored, "StatefulSet", "dify-alertmanager"))["args"]
    assert args == [
        "--config.file=/etc/alertmanager/alertmanager.yml",
        "--storage.path",
        "/alertmanager",
        "--cluster.listen-address=",
    ]
    assert [p["containerPort"] for p in container(find(monitored, "StatefulSet", "dify-alertmanager"))["ports"]] == [
        9093
    ]


def test_monitoring_workloads_keep_their_contracts(monitored: list[Obj]) -> None:
    assert check_runtime_contracts(monitored) == []


def test_grafana_without_its_data_volume_cannot_create_the_plugins_dir(monitored: list[Obj]) -> None:
    objs = copy.deepcopy(monitored)
    grafana = container(find(objs, "Deployment", "dify-grafana"))
    grafana["volumeMounts"] = [m for m in grafana["volumeMounts"] if m["mountPath"] != "/var/lib/grafana"]
    problems = check_runtime_contracts(objs)
    assert [p.split(" at start", 1)[0] for p in problems] == [
        "Deployment/dify-monitoring/dify-grafana container grafana: writes /var/lib/grafana",
        "Deployment/dify-monitoring/dify-grafana container grafana: writes /var/lib/grafana/plugins",
    ]


def test_prometheus_data_follows_the_storage_flag(monitored: list[Obj]) -> None:
    # The chart's layout (claim at /data) with our --storage.tsdb.path /prometheus: the TSDB lands on
    # the read-only root. main.go:490-491 makes the flag, not the mount, decide.
    objs = copy.deepcopy(monitored)
    prometheus = container(find(objs, "StatefulSet", "dify-prometheus"))
    next(m for m in prometheus["volumeMounts"] if m["mountPath"] == "/prometheus")["mountPath"] = "/data"
    (problem,) = check_runtime_contracts(objs)
    assert problem.startswith(
        "StatefulSet/dify-monitoring/dify-prometheus container prometheus: writes /prometheus at start on a "
        "read-only root filesystem without a writable mount (prometheus@v3.14.0 cmd/prometheus/main.go:490-491"
    )
