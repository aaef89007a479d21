"""Logging's runtime contracts (our own steps against the images' writes), its reachability and
its Pulumi tree; helpers shared with tests/test_logging_stack.py."""

from __future__ import annotations

import copy
import json
from typing import Any

from components.config import parse_config
from synth.flows import rendered_matrix
from synth.harness import stack_config
from synth.mocks import Recording
from synth.runtime import check_runtime_contracts
from tests.conftest import objects, synth_with
from tests.lookup import Obj, find
from tests.test_logging_stack import EXPOSED, ON, PROD_SIZE, _objs


def _runtime(change: Any) -> list[str]:
    objs = copy.deepcopy(objects(synth_with("dev", logging=ON), show_secrets=False))
    change(objs)
    return check_runtime_contracts(objs)


def _init(objs: list[Obj], name: str) -> Obj:
    (init,) = find(objs, "StatefulSet", name)["spec"]["template"]["spec"]["initContainers"]
    return init  # type: ignore[no-any-return]


def test_copy_step_needs_its_target_mount() -> None:
    def change(objs: list[Obj]) -> None:
        init = _init(objs, "dify-elasticsearch")
        init["volumeMounts"] = [m for m in init["volumeMounts"] if m["mountPath"] != "/mnt/config"]

    assert _runtime(change) == [
        "StatefulSet/dify-logging/dify-elasticsearch container copy-config: writes /mnt/config at start on a "
        "read-only root filesystem without a writable mount (components/logging/context.py copy_config: "
        "cp -a <home>/config/. /mnt/config/, then our files)"
    ]


def test_a_step_without_its_variable_is_checked_as_the_server() -> None:
    def change(objs: list[Obj]) -> None:
        _init(objs, "dify-logstash")["env"] = []

    problems = _runtime(change)
    assert [p.split(" at start")[0] for p in problems] == [
        "StatefulSet/dify-logging/dify-logstash container copy-config: writes /usr/share/logstash/config/logstash.yml",
        "StatefulSet/dify-logging/dify-logstash container copy-config: writes /usr/share/logstash/data",
    ]


def test_elasticsearch_needs_a_writable_config_directory() -> None:
    def change(objs: list[Obj]) -> None:
        main = find(objs, "StatefulSet", "dify-elasticsearch")["spec"]["template"]["spec"]["containers"][0]
        main["volumeMounts"] = [m for m in main["volumeMounts"] if m["name"] != "config"]

    problems = _runtime(change)
    assert [p.split(" at start")[0] for p in problems] == [
        "StatefulSet/dify-logging/dify-elasticsearch container elasticsearch: writes /usr/share/elasticsearch/config"
    ]


def test_bootstrap_step_writes_only_its_work_directory() -> None:
    def change(objs: list[Obj]) -> None:
        job = find(objs, "Job", "dify-logging-bootstrap")["spec"]["template"]["spec"]["containers"][0]
        job["volumeMounts"] = [m for m in job["volumeMounts"] if m["mountPath"] != "/tmp"]

    assert _runtime(change) == [
        "Job/dify-logging/dify-logging-bootstrap container logging-bootstrap: writes /tmp at start on a read-only "
        "root filesystem without a writable mount (components/logging/bootstrap.sh: the auth header, request "
        "bodies and answers under $WORK)"
    ]


def test_kibana_probes_follow_its_base_path() -> None:
    exposed = copy.deepcopy(objects(synth_with("prod", logging={**PROD_SIZE, "kibana": {"expose": True}}, **EXPOSED)))
    kibana = find(exposed, "Deployment", "dify-kibana")["spec"]["template"]["spec"]["containers"][0]
    assert kibana["readinessProbe"]["httpGet"]["path"] == "/kibana/api/status"
    assert check_runtime_contracts(exposed) == []
    kibana["readinessProbe"]["httpGet"]["path"] = "/api/status"
    assert check_runtime_contracts(exposed) == [
        "Deployment/dify-prod-logging/dify-kibana container kibana: readinessProbe requests /api/status, which is "
        "no health endpoint of the image (it has /kibana/api/status)"
    ]

    def unexposed(objs: list[Obj]) -> None:
        main = find(objs, "Deployment", "dify-kibana")["spec"]["template"]["spec"]["containers"][0]
        main["livenessProbe"]["httpGet"]["path"] = "/kibana/api/status"

    assert _runtime(unexposed) == [
        "Deployment/dify-logging/dify-kibana container kibana: livenessProbe requests /kibana/api/status, which is "
        "no health endpoint of the image (it has /api/status)"
    ]


def _matrix(stack: str, logging: dict[str, Any], **extra: Any) -> set[tuple[str, str, int, str]]:
    config, secret_keys = stack_config(stack)
    for key, value in {"logging": logging, **extra}.items():
        config[f"dify:{key}"] = value if isinstance(value, str) else json.dumps(value)
    settings = parse_config(config, set(secret_keys))
    return rendered_matrix(objects(synth_with(stack, logging=logging, **extra), show_secrets=False), settings)


def test_logging_flows_are_open_and_nothing_else_reaches_elasticsearch() -> None:
    matrix = _matrix("dev", ON, monitoring={"enabled": True})
    expected = {
        ("dify-filebeat", "dify-logstash", 5044, "TCP"),
        ("dify-logstash", "dify-elasticsearch", 9200, "TCP"),
        ("dify-kibana", "dify-elasticsearch", 9200, "TCP"),
        ("dify-logging-bootstrap", "dify-elasticsearch", 9200, "TCP"),
        ("dify-logging-bootstrap", "dify-kibana", 5601, "TCP"),
        ("dify-grafana", "dify-elasticsearch", 9200, "TCP"),
    }
    assert expected <= matrix
    into_elasticsearch = {src for src, dst, _, _ in matrix if dst == "dify-elasticsearch"}
    assert into_elasticsearch == {"dify-logstash", "dify-kibana", "dify-logging-bootstrap", "dify-grafana"}
    into_logstash = {(src, port) for src, dst, port, _ in matrix if dst == "dify-logstash"}
    assert into_logstash == {("dify-filebeat", 5044)}
    # A single node has no transport peers; Kibana is not behind the Ingress unless exposed.
    assert not {(s, d) for s, d, p, _ in matrix if p == 9300}
    assert not {s for s, d, _, _ in matrix if d == "dify-kibana"} - {"dify-logging-bootstrap"}


def test_three_nodes_talk_transport_and_exposed_kibana_takes_the_ingress() -> None:
    matrix = _matrix("prod", {**PROD_SIZE, "kibana": {"expose": True}}, **EXPOSED)
    assert ("dify-elasticsearch", "dify-elasticsearch", 9300, "TCP") in matrix
    assert {s for s, d, p, _ in matrix if p == 9300} == {"dify-elasticsearch"}
    assert ("ingress-controller", "dify-kibana", 5601, "TCP") in matrix


def test_filebeat_learns_its_node_from_the_downward_api() -> None:
    daemon = find(_objs(), "DaemonSet", "dify-filebeat")
    (container,) = daemon["spec"]["template"]["spec"]["containers"]
    assert container["env"] == [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]
    assert container["args"] == ["-c", "/etc/filebeat/filebeat.yml", "-e"]


# Resource name → the component that owns it (its parent in the Pulumi tree), prod's three nodes.
LOGGING_PARENTS = {
    "logging-credentials-elastic": "dify:logging:Credentials",
    "logging-credentials-writer": "dify:logging:Credentials",
    "elasticsearch-tls-secret": "dify:logging:Certificates",
    "elasticsearch-tls-ca-secret": "dify:logging:Certificates",
    "elasticsearch-tls-ca": "dify:logging:Certificates",
    "elasticsearch-tls-http": "dify:logging:Certificates",
    "elasticsearch-tls-dify-elasticsearch-2": "dify:logging:Certificates",
    "elasticsearch-tls": "dify:logging:Elasticsearch",
    "elasticsearch-statefulset": "dify:logging:Elasticsearch",
    "elasticsearch-headless": "dify:logging:Elasticsearch",
    "elasticsearch-pdb": "dify:logging:Elasticsearch",
    "elasticsearch-settings": "dify:logging:Elasticsearch",
    "logstash-statefulset": "dify:logging:Logstash",
    "logstash-pipeline": "dify:logging:Logstash",
    "kibana-deployment": "dify:logging:Kibana",
    "logging-bootstrap-job": "dify:logging:Bootstrap",
    "logging-bootstrap-files": "dify:logging:Bootstrap",
    "filebeat-daemonset": "dify:logging:Filebeat",
    "filebeat-clusterrole": "dify:logging:Filebeat",
    "filebeat-clusterrolebinding": "dify:logging:Filebeat",
    "filebeat-serviceaccount": "dify:logging:Filebeat",
    "logging-credentials": "dify:logging:Logging",
    "elasticsearch": "dify:logging:Logging",
    "logstash": "dify:logging:Logging",
    "kibana": "dify:logging:Logging",
    "logging-bootstrap": "dify:logging:Logging",
    "filebeat": "dify:logging:Logging",
    "logging": "dify:core:Platform",
}


def test_every_resource_belongs_to_its_component(prod: Recording) -> None:
    by_urn = {r.urn: r for r in prod.registrations}
    by_name = {r.name: r for r in prod.registrations}
    for name, parent_type in LOGGING_PARENTS.items():
        assert by_urn[by_name[name].parent].type == parent_type, name
    tokens = {r.type for r in prod.registrations if r.type.startswith("dify:logging:")}
    assert tokens == {
        "dify:logging:Logging",
        "dify:logging:Credentials",
        "dify:logging:Elasticsearch",
        "dify:logging:Certificates",
        "dify:logging:Bootstrap",
        "dify:logging:Logstash",
        "dify:logging:Kibana",
        "dify:logging:Filebeat",
    }
