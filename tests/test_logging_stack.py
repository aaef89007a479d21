"""Logging in the rendered stacks (issue 10): off in dev, on in prod, valid on both with it on and
off; security on; every credential a generated Secret; Logstash's own least-privilege user; ILM
retention per environment; claims and the persistent queue; Filebeat's exact RBAC and confined
host access; one Elastic version; three transport-TLS nodes with a PDB in prod; the dev footprint."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.config import parse_config
from components.routing import KIBANA_PREFIX, routes
from synth.__main__ import validate
from synth.footprint import logging_requests
from synth.harness import stack_config
from synth.mocks import Recording
from tests.conftest import objects, synth_with
from tests.lookup import Obj, env, find, kinds
from tests.test_logging_bootstrap import external_stack

ON = {"enabled": True}
PROD_SIZE = {"enabled": True, "retentionDays": 30, "elasticsearch": {"replicas": 3}}
EXPOSED = {"host": "dify.example.com", "ingress": {"enabled": True}, "edge": {"consoleAllowList": ["10.0.0.0/8"]}}
EXTERNAL = {"enabled": True, "elasticsearch": {"external": {"url": "https://logs.example.com:9243"}}}
WORKLOADS = {
    ("StatefulSet", "dify-logging", "dify-elasticsearch"),
    ("StatefulSet", "dify-logging", "dify-logstash"),
    ("Deployment", "dify-logging", "dify-kibana"),
    ("DaemonSet", "dify-logging-host", "dify-filebeat"),
}


def _objs(stack: str = "dev", logging: dict[str, Any] | None = None, **extra: Any) -> list[Obj]:
    return objects(synth_with(stack, logging=logging or ON, **extra))


def _workloads(objs: list[Obj]) -> set[tuple[str, str, str]]:
    return {
        (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])
        for o in objs
        if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet") and "logging" in o["metadata"]["namespace"]
    }


def _config_map(objs: list[Obj], key: str) -> dict[str, str]:
    matches = [c["data"] for c in kinds(objs, "ConfigMap") if key in c.get("data", {})]
    assert len(matches) == 1, key
    return matches[0]


def _containers(objs: list[Obj]) -> list[tuple[Obj, Obj]]:
    return [
        (o, c)
        for o in objs
        if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job") and "logging" in o["metadata"]["namespace"]
        for c in o["spec"]["template"]["spec"].get("initContainers", []) + o["spec"]["template"]["spec"]["containers"]
    ]


def test_off_in_dev(dev: Recording) -> None:
    objs = objects(dev)
    assert not [o for o in objs if "logging" in str(o["metadata"].get("namespace", o["metadata"]["name"]))]
    assert not [r for r in dev.registrations if r.type.startswith("dify:logging:")]


def test_on_in_prod(prod: Recording) -> None:
    objs = objects(prod)
    assert _workloads(objs) == {(k, ns.replace("dify-", "dify-prod-", 1), n) for k, ns, n in WORKLOADS}
    assert find(objs, "StatefulSet", "dify-elasticsearch")["spec"]["replicas"] == 3
    (claim,) = find(objs, "StatefulSet", "dify-elasticsearch")["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "50Gi"
    policy = json.loads(_config_map(objs, "ilm-policy.json")["ilm-policy.json"])
    assert policy["policy"]["phases"]["delete"]["min_age"] == "30d"
    # Pulumi.prod.yaml sizes the nodes: 4Gi requested = limit, so a 2g heap.
    node = find(objs, "StatefulSet", "dify-elasticsearch")["spec"]["template"]["spec"]["containers"][0]
    assert node["resources"] == {"requests": {"cpu": "500m", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    assert _config_map(objs, "heap.options")["heap.options"] == "-Xms2048m\n-Xmx2048m\n"


@pytest.mark.parametrize(
    ("stack", "logging", "extra"),
    [
        ("dev", ON, {}),
        ("dev", {"enabled": False}, {}),
        ("dev", ON, {"monitoring": {"enabled": True}}),
        ("dev", PROD_SIZE, {}),
        ("prod", {"enabled": False}, {}),
        ("prod", {**PROD_SIZE, "kibana": {"expose": True}}, {**EXPOSED, "monitoring": {"enabled": True}}),
        ("dev", {**ON, "logstash": {"debug": True}, "filebeat": {"namespaces": ["dify", "other"]}}, {}),
    ],
    ids=["dev-on", "dev-off", "dev-with-monitoring", "dev-three-nodes", "prod-off", "prod-exposed", "dev-debug"],
)
def test_synth_validates(stack: str, logging: dict[str, Any], extra: dict[str, Any]) -> None:
    config, secret_keys = stack_config(stack)
    for key, value in {"logging": logging, **extra}.items():
        config[f"dify:{key}"] = value if isinstance(value, str) else json.dumps(value)
    settings = parse_config(config, set(secret_keys))
    objs = objects(synth_with(stack, logging=logging, **extra))
    assert validate(objs, settings.kubernetes.version, settings) == []


def test_synth_validates_with_an_external_cluster() -> None:
    config, secret_keys = stack_config("dev")
    config["dify:logging"] = json.dumps(EXTERNAL)
    config["dify:elasticsearchPassword"] = config["dify:elasticsearchCaCert"] = "ciphertext"
    settings = parse_config(config, {*secret_keys, "dify:elasticsearchPassword", "dify:elasticsearchCaCert"})
    objs = objects(external_stack(EXTERNAL))
    assert validate(objs, settings.kubernetes.version, settings) == []
    # No bundled cluster, no Kibana: Logstash and the Job talk to the external URL.
    assert _workloads(objs) == {
        ("StatefulSet", "dify-logging", "dify-logstash"),
        ("DaemonSet", "dify-logging-host", "dify-filebeat"),
    }
    logstash = find(objs, "StatefulSet", "dify-logstash")
    assert env(objs, logstash)["ELASTICSEARCH_URL"] == "https://logs.example.com:9243"
    pipeline = _config_map(objs, "dify.conf")["dify.conf"]
    assert 'ssl_certificate_authorities => ["/etc/elasticsearch-ca/ca.crt"]' in pipeline
    # Logstash gets the CA's own Secret, never the one with the admin password.
    secrets = {v["secret"]["secretName"] for v in logstash["spec"]["template"]["spec"]["volumes"] if "secret" in v}
    assert [name.rsplit("-", 1)[0] for name in secrets] == ["logging-credentials-external-ca"]


def test_workloads_and_their_namespaces() -> None:
    objs = _objs()
    assert _workloads(objs) == WORKLOADS
    levels = {
        o["metadata"]["name"]: o["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        for o in kinds(objs, "Namespace")
    }
    assert (levels["dify-logging"], levels["dify-logging-host"]) == ("restricted", "privileged")
    host = find(objs, "Namespace", "dify-logging-host")
    assert (
        "Filebeat reads the node's container logs" in host["metadata"]["annotations"]["dify-pulumi/security-exception"]
    )


def test_security_on_and_no_mmap_single_node_in_dev() -> None:
    settings = yaml.safe_load(_config_map(_objs(), "elasticsearch.yml")["elasticsearch.yml"])
    assert settings["xpack.security.enabled"] is True
    assert settings["node.store.allow_mmap"] is False
    assert settings["discovery.type"] == "single-node"
    assert "cluster.initial_master_nodes" not in settings
    assert settings["xpack.security.transport.ssl.enabled"] is False
    # HTTPS in every shape: clients trust the stack's CA.
    assert settings["xpack.security.http.ssl.enabled"] is True
    assert (settings["xpack.security.http.ssl.key"], settings["xpack.security.http.ssl.certificate"]) == (
        "certs/http.key",
        "certs/http.crt",
    )


def test_prod_three_nodes_with_transport_tls_pdb_and_zone_spread() -> None:
    objs = _objs("prod", PROD_SIZE)
    es = find(objs, "StatefulSet", "dify-elasticsearch")
    assert es["spec"]["replicas"] == 3
    settings = yaml.safe_load(_config_map(objs, "elasticsearch.yml")["elasticsearch.yml"])
    assert "discovery.type" not in settings
    assert settings["discovery.seed_hosts"] == ["dify-elasticsearch-headless"]
    assert settings["cluster.initial_master_nodes"] == [
        "dify-elasticsearch-0",
        "dify-elasticsearch-1",
        "dify-elasticsearch-2",
    ]
    assert settings["xpack.security.transport.ssl.enabled"] is True
    assert settings["xpack.security.transport.ssl.key"] == "certs/${HOSTNAME}.key"
    assert settings["xpack.security.transport.ssl.certificate_authorities"] == ["certs/ca.crt"]
    certs = next(v["secret"]["secretName"] for v in es["spec"]["template"]["spec"]["volumes"] if v["name"] == "certs")
    keys = set(find(objs, "Secret", certs)["stringData"])
    nodes = {f"dify-elasticsearch-{i}.{ext}" for i in range(3) for ext in ("crt", "key")}
    assert keys == {"ca.crt", "http.crt", "http.key"} | nodes
    pdb = find(objs, "PodDisruptionBudget", "dify-elasticsearch")
    assert pdb["metadata"]["namespace"] == "dify-prod-logging"
    assert pdb["spec"]["maxUnavailable"] == 1
    spread = es["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert [s["topologyKey"] for s in spread] == ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]
    headless = find(objs, "Service", "dify-elasticsearch-headless")
    assert (headless["spec"]["clusterIP"], headless["spec"]["publishNotReadyAddresses"]) == ("None", True)


def test_retention_per_environment() -> None:
    dev_policy = json.loads(_config_map(_objs(), "ilm-policy.json")["ilm-policy.json"])
    prod_policy = json.loads(_config_map(_objs("prod", PROD_SIZE), "ilm-policy.json")["ilm-policy.json"])
    assert dev_policy["policy"]["phases"]["delete"]["min_age"] == "7d"
    assert prod_policy["policy"]["phases"]["delete"]["min_age"] == "30d"


def test_every_credential_is_a_generated_secret() -> None:
    objs = _objs(monitoring={"enabled": True})
    logging_secrets = [s for s in kinds(objs, "Secret") if s["metadata"]["name"].startswith("logging-credentials-")]
    values = [v for s in logging_secrets for v in s["stringData"].values()]
    assert len(values) == len(set(values)) == 7  # elastic, kibana_system, writer, reader, three Kibana keys
    rendered_elsewhere = json.dumps([o for o in objs if o["kind"] != "Secret"])
    assert not [v for v in values if v in rendered_elsewhere]
    for obj, container in _containers(objs):
        for var in container.get("env", []):
            if any(word in var["name"] for word in ("PASSWORD", "KEY")) and not var["name"].endswith("_FILE"):
                assert set(var["valueFrom"]) == {"secretKeyRef"}, (obj["metadata"]["name"], var["name"])
    grafana = find(objs, "Deployment", "dify-grafana")
    assert set(
        next(
            v for v in grafana["spec"]["template"]["spec"]["containers"][0]["env"] if v["name"] == "DIFY_LOGS_PASSWORD"
        )["valueFrom"]
    ) == {"secretKeyRef"}


def test_logstash_writes_with_its_own_user() -> None:
    objs = _objs()
    logstash = find(objs, "StatefulSet", "dify-logstash")
    resolved = env(objs, logstash, "logstash")
    assert resolved["ELASTICSEARCH_USER"] == "dify_logstash"
    assert resolved["ELASTICSEARCH_URL"] == "https://dify-elasticsearch.dify-logging:9200"
    elastic = next(
        s["stringData"]["password"]
        for s in kinds(objs, "Secret")
        if s["metadata"]["name"].startswith("logging-credentials-elastic")
    )
    assert resolved["ELASTICSEARCH_PASSWORD"] != elastic
    role = json.loads(_config_map(objs, "writer-role.json")["writer-role.json"])
    assert role == {
        "cluster": ["monitor"],
        "indices": [{"names": ["dify-logs-*"], "privileges": ["create_doc", "create_index"]}],
    }


def test_claims_and_the_persistent_queue() -> None:
    objs = _objs()
    claims = {
        o["metadata"]["name"]: (
            t["metadata"]["name"],
            t["spec"]["resources"]["requests"]["storage"],
            t["spec"]["accessModes"],
        )
        for o in kinds(objs, "StatefulSet")
        if "logging" in o["metadata"]["namespace"]
        for t in o["spec"]["volumeClaimTemplates"]
    }
    assert claims == {
        "dify-elasticsearch": ("data", "10Gi", ["ReadWriteOnce"]),
        "dify-logstash": ("data", "2Gi", ["ReadWriteOnce"]),
    }
    settings = yaml.safe_load(_config_map(objs, "logstash.yml")["logstash.yml"])
    # 90% of the 2Gi claim: 1932735283 bytes = 1843 MiB.
    assert (settings["queue.type"], settings["queue.max_bytes"]) == ("persisted", "1843mb")
    assert settings["path.data"] == "/usr/share/logstash/data"
    mounts = {
        m["mountPath"]: m["name"]
        for m in find(objs, "StatefulSet", "dify-logstash")["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    assert mounts["/usr/share/logstash/data"] == "data"


def test_filebeat_rbac_is_exact() -> None:
    objs = _objs()
    roles = [o for o in objs if o["kind"] in ("ClusterRole", "Role") and "filebeat" in o["metadata"]["name"]]
    assert [(r["kind"], r["metadata"]["name"], r["rules"]) for r in roles] == [
        (
            "ClusterRole",
            "dify-dev-filebeat",
            [{"apiGroups": [""], "resources": ["namespaces", "nodes", "pods"], "verbs": ["get", "list", "watch"]}],
        )
    ]
    binding = find(objs, "ClusterRoleBinding", "dify-dev-filebeat")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "dify-filebeat", "namespace": "dify-logging-host"}
    ]
    assert binding["roleRef"]["name"] == "dify-dev-filebeat"


def test_filebeat_host_access_is_read_only_logs_and_its_registry() -> None:
    daemon = find(_objs(), "DaemonSet", "dify-filebeat")
    pod = daemon["spec"]["template"]["spec"]
    host_paths = {v["name"]: (v["hostPath"]["path"], v["hostPath"]["type"]) for v in pod["volumes"] if "hostPath" in v}
    assert host_paths == {
        "data": ("/var/lib/dify-dev-filebeat", "DirectoryOrCreate"),
        "containers": ("/var/log/containers", "Directory"),
        "pods": ("/var/log/pods", "Directory"),
    }
    (container,) = pod["containers"]
    mounts = {m["name"]: (m["mountPath"], m.get("readOnly", False)) for m in container["volumeMounts"]}
    assert mounts == {
        "config": ("/etc/filebeat", True),
        "data": ("/usr/share/filebeat/data", False),
        "containers": ("/var/log/containers", True),
        "pods": ("/var/log/pods", True),
    }
    security = container["securityContext"]
    assert (security["runAsUser"], security["readOnlyRootFilesystem"], security["capabilities"]["drop"]) == (
        0,
        True,
        ["ALL"],
    )
    assert "hostNetwork" not in pod and "hostPID" not in pod
    assert pod["serviceAccountName"] == "dify-filebeat"


def test_filebeat_collects_difys_namespaces_into_logstash() -> None:
    config = yaml.safe_load(_config_map(_objs(), "filebeat.yml")["filebeat.yml"])
    (stream,) = config["filebeat.inputs"]
    assert stream["paths"] == ["/var/log/containers/*_dify_*.log", "/var/log/containers/*_dify-sandbox_*.log"]
    assert stream["parsers"] == [{"container": {"stream": "all", "format": "auto"}}]
    # The default 1024-byte fingerprint never reads a shorter file (tests/test_filebeat_live.py).
    assert stream["prospector.scanner.fingerprint.length"] == 64
    assert config["output.logstash"] == {"hosts": ["dify-logstash.dify-logging:5044"]}


def test_elastic_images_share_one_version() -> None:
    images = {c["image"] for _, c in _containers(_objs())}
    assert images == {
        "docker.elastic.co/elasticsearch/elasticsearch:8.19.20",
        "docker.elastic.co/logstash/logstash:8.19.20",
        "docker.elastic.co/kibana/kibana:8.19.20",
        "docker.elastic.co/beats/filebeat:8.19.20",
    }


def test_heaps_are_half_the_memory_limit() -> None:
    objs = _objs()
    assert _config_map(objs, "heap.options")["heap.options"] == "-Xms768m\n-Xmx768m\n"  # 1536Mi limit
    assert env(objs, find(objs, "StatefulSet", "dify-logstash"), "logstash")["LS_JAVA_OPTS"] == "-Xms512m -Xmx512m"
    assert env(objs, find(objs, "Deployment", "dify-kibana"))["NODE_OPTIONS"] == "--max-old-space-size=512"


def test_kibana_is_exposed_only_on_request_and_only_to_the_allow_list() -> None:
    assert not [i for i in kinds(_objs(), "Ingress") if i["metadata"]["namespace"] == "dify-logging"]
    objs = _objs("prod", {**PROD_SIZE, "kibana": {"expose": True}}, **EXPOSED)
    ingress = find(objs, "Ingress", "dify-kibana")
    assert ingress["metadata"]["namespace"] == "dify-prod-logging"
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/whitelist-source-range"] == "10.0.0.0/8"
    assert "cert-manager.io/cluster-issuer" not in annotations  # ingress.tls.mode secret
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "dify.example.com"
    assert [(p["path"], p["backend"]["service"]["name"]) for p in rule["http"]["paths"]] == [("/kibana", "dify-kibana")]
    kibana = env(objs, find(objs, "Deployment", "dify-kibana"))
    assert (kibana["SERVER_BASEPATH"], kibana["SERVER_REWRITEBASEPATH"]) == ("/kibana", "true")


def test_kibana_ingress_asks_cert_manager_for_its_own_namespace_copy() -> None:
    ingress_settings = {
        "enabled": True,
        "className": "nginx",
        "tlsSecretName": "dify-tls",
        "tls": {"mode": "cert-manager", "clusterIssuer": "letsencrypt-prod"},
    }
    objs = _objs("prod", {**PROD_SIZE, "kibana": {"expose": True}}, **{**EXPOSED, "ingress": ingress_settings})
    ingress = find(objs, "Ingress", "dify-kibana")
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    assert ingress["spec"]["tls"] == [{"hosts": ["dify.example.com"], "secretName": "dify-tls"}]


def test_kibana_path_shadows_no_dify_route() -> None:
    assert not [r for r in routes(True) if r.prefix.rstrip("/") and KIBANA_PREFIX.startswith(r.prefix.rstrip("/"))]


def test_grafana_reads_the_logs_when_monitoring_is_on() -> None:
    objs = _objs(monitoring={"enabled": True})
    sources = yaml.safe_load(_config_map(objs, "datasources.yaml")["datasources.yaml"])["datasources"]
    logs = next(s for s in sources if s["type"] == "elasticsearch")
    assert logs["url"] == "https://dify-elasticsearch.dify-logging:9200"
    assert (logs["basicAuthUser"], logs["jsonData"]["index"]) == ("dify_grafana", "dify-logs-*")
    assert logs["jsonData"]["tlsAuthWithCACert"] is True
    assert logs["secureJsonData"] == {"basicAuthPassword": "$DIFY_LOGS_PASSWORD", "tlsCACert": "$DIFY_LOGS_CA"}
    grafana = env(objs, find(objs, "Deployment", "dify-grafana"))
    assert grafana["DIFY_LOGS_CA"].startswith("-----BEGIN CERTIFICATE-----")


def test_plugin_daemon_logs_json_like_the_api(dev: Recording) -> None:
    objs = objects(dev)
    assert env(objs, find(objs, "Deployment", "dify-plugin-daemon"))["LOG_OUTPUT_FORMAT"] == "json"
    api = env(objs, find(objs, "Deployment", "dify-api"))
    assert api["LOG_OUTPUT_FORMAT"] == "json"
    assert "LOG_FILE" not in api


def test_dev_footprint_meets_the_target() -> None:
    found = logging_requests(_objs())
    mi = 2**20
    assert found == {
        "dify-elasticsearch": (250, 1024 * mi),
        "dify-logstash": (200, 768 * mi),
        "dify-kibana": (200, 512 * mi),
        "dify-filebeat": (50, 100 * mi),
        "dify-logging-bootstrap": (50, 64 * mi),
    }
    cpu, memory = sum(c for c, _ in found.values()), sum(m for _, m in found.values())
    assert (cpu, memory) == (750, 2468 * mi)
    assert cpu <= 1000 and memory <= 2.5 * 2**30
