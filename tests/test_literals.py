"""Expected values written out from upstream facts, never recomputed with the code under test.

Each table below is what Dify 1.16.1 needs (docker/docker-compose.yaml, the nginx template and
the images at their pinned tags, as traced in components/images/), typed by hand. A wrong port,
a route to the wrong Service, a credential reused for another purpose, an image typo, a dropped
PDB or dependency each changes one literal here.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from synth.mocks import Recording
from tests.conftest import objects
from tests.lookup import find, kinds

# docker/nginx/conf.d/default.conf.template @ 1.16.1 → Service:port behind each location.
NGINX_ROUTES = {
    "/console/api": "http://dify-api:5001",
    "/api": "http://dify-api:5001",
    "/v1": "http://dify-api:5001",
    "/openapi": "http://dify-api:5001",
    "/files": "http://dify-api:5001",
    "/mcp": "http://dify-api:5001",
    "/triggers": "http://dify-api:5001",
    "/socket.io/": "http://dify-api-websocket:5001",
    "/e/": "http://dify-plugin-daemon:5002",
    "/explore": "http://dify-web:3000",
    "/": "http://dify-web:3000",
}

# The same table as Ingress paths: Prefix matches whole path elements, so "/e" (not "/e/").
INGRESS_ROUTES = [
    ("/console/api", "Prefix", "dify-api"),
    ("/api", "Prefix", "dify-api"),
    ("/v1", "Prefix", "dify-api"),
    ("/openapi", "Prefix", "dify-api"),
    ("/files", "Prefix", "dify-api"),
    ("/mcp", "Prefix", "dify-api"),
    ("/triggers", "Prefix", "dify-api"),
    ("/socket.io", "Prefix", "dify-api-websocket"),
    ("/e", "Prefix", "dify-plugin-daemon"),
    ("/explore", "Prefix", "dify-web"),
    ("/", "Prefix", "dify-web"),
]

# Workload → (container, image, ports the process binds). Tags: the 1.16.1 release compose;
# infra images pinned to exact patch releases (components/versions.py explains each).
WORKLOADS = {
    "dify-api": ("api", "docker.io/langgenius/dify-api:1.16.1", [5001]),
    "dify-api-websocket": ("api-websocket", "docker.io/langgenius/dify-api:1.16.1", [5001]),
    "dify-worker": ("worker", "docker.io/langgenius/dify-api:1.16.1", []),
    "dify-worker-beat": ("worker-beat", "docker.io/langgenius/dify-api:1.16.1", []),
    "dify-migrate-1-16-1": ("migration", "docker.io/langgenius/dify-api:1.16.1", []),
    "dify-web": ("web", "docker.io/langgenius/dify-web:1.16.1", [3000]),
    "dify-sandbox": ("sandbox", "docker.io/langgenius/dify-sandbox:0.2.15", [8194]),
    "dify-plugin-daemon": ("plugin-daemon", "docker.io/langgenius/dify-plugin-daemon:0.6.3-local", [5002, 5003]),
    "dify-agent-backend": ("agent-backend", "docker.io/langgenius/dify-agent-backend:1.16.1", [5050]),
    "dify-local-sandbox": ("local-sandbox", "docker.io/langgenius/dify-agent-local-sandbox:1.16.1", [5004]),
    "dify-ssrf-proxy": ("squid", "docker.io/ubuntu/squid:6.6-24.04_beta", [3128]),
    "dify-agent-ssrf-proxy": ("squid", "docker.io/ubuntu/squid:6.6-24.04_beta", [3128]),
    "dify-router": ("nginx", "docker.io/nginxinc/nginx-unprivileged:1.28.0-alpine", [8080]),
    "dify-postgres": ("postgres", "docker.io/library/postgres:15.15-alpine", [5432]),
    "dify-redis": ("redis", "docker.io/library/redis:6.2.20-alpine", [6379]),
    "dify-weaviate": ("weaviate", "docker.io/semitechnologies/weaviate:1.27.0", [8080, 50051]),
}
# Prod also runs logging (Pulumi.prod.yaml dify:logging): the Elastic Stack at 8.19.20, Filebeat's
# DaemonSet aside. Ports: Elasticsearch HTTP 9200 and transport 9300, Logstash's beats input 5044
# and API 9600, Kibana 5601; the bootstrap Job binds nothing.
LOGGING_WORKLOADS = {
    "dify-elasticsearch": ("elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch:8.19.20", [9200, 9300]),
    "dify-logstash": ("logstash", "docker.elastic.co/logstash/logstash:8.19.20", [5044, 9600]),
    "dify-kibana": ("kibana", "docker.elastic.co/kibana/kibana:8.19.20", [5601]),
    "dify-logging-bootstrap": ("logging-bootstrap", "docker.elastic.co/elasticsearch/elasticsearch:8.19.20", []),
}

# Where each process is told about the others (contract §2.6: these must agree across services).
ADDRESSES = {
    ("dify-api", "DB_HOST"): "dify-postgres",
    ("dify-api", "DB_PORT"): "5432",
    ("dify-api", "REDIS_HOST"): "dify-redis",
    ("dify-api", "REDIS_PORT"): "6379",
    ("dify-api", "WEAVIATE_ENDPOINT"): "http://dify-weaviate:8080",
    ("dify-api", "WEAVIATE_GRPC_ENDPOINT"): "grpc://dify-weaviate:50051",
    # The sandbox runs in <namespace>-sandbox (Pod Security baseline), the proxy in <namespace>.
    ("dify-api", "CODE_EXECUTION_ENDPOINT"): "http://dify-sandbox.dify-sandbox:8194",
    ("dify-api", "PLUGIN_DAEMON_URL"): "http://dify-plugin-daemon:5002",
    ("dify-api", "SSRF_PROXY_HTTP_URL"): "http://dify-ssrf-proxy:3128",
    ("dify-api", "SSRF_PROXY_HTTPS_URL"): "http://dify-ssrf-proxy:3128",
    ("dify-api", "AGENT_BACKEND_BASE_URL"): "http://dify-agent-backend:5050",
    ("dify-api", "INTERNAL_FILES_URL"): "http://dify-api:5001",
    ("dify-api", "DIFY_PORT"): "5001",
    ("dify-worker", "PLUGIN_DAEMON_URL"): "http://dify-plugin-daemon:5002",
    ("dify-worker", "CODE_EXECUTION_ENDPOINT"): "http://dify-sandbox.dify-sandbox:8194",
    ("dify-plugin-daemon", "DIFY_INNER_API_URL"): "http://dify-api:5001",
    ("dify-plugin-daemon", "SERVER_PORT"): "5002",
    ("dify-plugin-daemon", "PLUGIN_REMOTE_INSTALLING_PORT"): "5003",
    ("dify-plugin-daemon", "DB_HOST"): "dify-postgres",
    ("dify-plugin-daemon", "DB_DATABASE"): "dify_plugin",
    ("dify-plugin-daemon", "REDIS_HOST"): "dify-redis",
    ("dify-plugin-daemon", "MAX_PLUGIN_PACKAGE_SIZE"): "52428800",
    ("dify-api", "PLUGIN_MAX_PACKAGE_SIZE"): "52428800",
    ("dify-worker", "PLUGIN_MAX_PACKAGE_SIZE"): "52428800",
    ("dify-sandbox", "SANDBOX_PORT"): "8194",
    ("dify-sandbox", "HTTP_PROXY"): "http://dify-ssrf-proxy.dify:3128",
    ("dify-local-sandbox", "HTTP_PROXY"): "http://dify-agent-ssrf-proxy:3128",
    ("dify-web", "PORT"): "3000",
    ("dify-weaviate", "GRPC_PORT"): "50051",
}

# Credential (Secret key) each consumer reads, per env var: one purpose per key, never reused.
API_FAMILY_SECRETS = {
    "SECRET_KEY": "secret-key",
    "INIT_PASSWORD": "init-password",
    "DB_PASSWORD": "db-password",
    "REDIS_PASSWORD": "redis-password",
    "CELERY_BROKER_URL": "celery-broker-url",
    "WEAVIATE_API_KEY": "weaviate-api-key",
    "CODE_EXECUTION_API_KEY": "sandbox-api-key",
    "PLUGIN_DAEMON_KEY": "plugin-daemon-key",
    "INNER_API_KEY_FOR_PLUGIN": "inner-api-key",
    "AGENT_BACKEND_API_TOKEN": "agent-api-token",
}
SECRET_KEYS = {
    **{name: API_FAMILY_SECRETS for name in ("dify-api", "dify-api-websocket", "dify-worker", "dify-worker-beat")},
    "dify-migrate-1-16-1": API_FAMILY_SECRETS,
    "dify-plugin-daemon": {
        "DB_PASSWORD": "db-password",
        "REDIS_PASSWORD": "redis-password",
        "SERVER_KEY": "plugin-daemon-key",
        "DIFY_INNER_API_KEY": "inner-api-key",
    },
    "dify-sandbox": {"API_KEY": "sandbox-api-key"},
    "dify-agent-backend": {
        "DIFY_AGENT_REDIS_URL": "agent-redis-url",
        "DIFY_AGENT_PLUGIN_DAEMON_API_KEY": "plugin-daemon-key",
        "DIFY_AGENT_INNER_API_KEY": "inner-api-key",
        "DIFY_AGENT_SHELLCTL_AUTH_TOKEN": "local-sandbox-auth-token",
        "DIFY_AGENT_SERVER_SECRET_KEY": "agent-server-secret-key",
        "DIFY_AGENT_API_TOKEN": "agent-api-token",
    },
    "dify-local-sandbox": {"SHELLCTL_AUTH_TOKEN": "local-sandbox-auth-token"},
    "dify-postgres": {"POSTGRES_PASSWORD": "db-password"},
    "dify-redis": {"REDIS_PASSWORD": "redis-password", "REDISCLI_AUTH": "redis-password"},
    "dify-weaviate": {"AUTHENTICATION_APIKEY_ALLOWED_KEYS": "weaviate-api-key"},
}

KINDS = {
    "dev": {
        "ConfigMap": 4,
        "Deployment": 12,
        "Job": 1,
        # dify (restricted) and dify-sandbox (baseline).
        "Namespace": 2,
        # dify-default-deny in each namespace + one per deployed workload (16).
        "NetworkPolicy": 18,
        "PersistentVolumeClaim": 2,
        # The credentials, the Redis URLs, and the sandbox key copied into dify-sandbox.
        "Secret": 3,
        "Service": 13,
        "StatefulSet": 3,
    },
    # Dify on the managed data tier (dify:aws) with HPAs, the Ingress split and PDBs, and bundled
    # monitoring (monitoring.enabled):
    # Prometheus + Alertmanager (StatefulSets), Grafana, kube-state-metrics, the blackbox, postgres and
    # redis exporters and the OTel collector (Deployments), node-exporter (DaemonSet) in its own namespace.
    "prod": {
        # Filebeat's (get/list/watch on pods, namespaces, nodes) and Prometheus' (nodes, nodes/metrics).
        "ClusterRole": 1 + 1,
        "ClusterRoleBinding": 1 + 1,
        # The router's nginx.conf and the two SSRF proxies' squid.conf (no Postgres init script: RDS);
        # + prometheus.yml, rules, blackbox modules, OTel collector, Grafana provisioning, dashboards;
        # + Elasticsearch's and Logstash's settings, the pipeline, the bootstrap files, filebeat.yml.
        "ConfigMap": 3 + 6 + 5,
        # node-exporter and Filebeat.
        "DaemonSet": 1 + 1,
        # + Grafana, kube-state-metrics, the three exporters, the OTel collector; + Kibana.
        "Deployment": 12 + 6 + 1,
        # api, web, worker and sandbox (dify:autoscaling).
        "HorizontalPodAutoscaler": 4,
        "Ingress": 4,
        # The migration and the logging bootstrap.
        "Job": 1 + 1,
        # + <namespace>-monitoring and -logging (restricted), -monitoring-host and -logging-host
        # (privileged: node-exporter, Filebeat).
        "Namespace": 2 + 2 + 2,
        # The default-denies + 14 workloads (no in-cluster Postgres or Redis: dify:aws); + default-deny
        # and one per workload in each monitoring namespace (9 + 2) and logging namespace (5 + 2).
        "NetworkPolicy": 16 + 11 + 7,
        # No PersistentVolumeClaim: Dify's files and the plugin packages are in S3, and the stateful
        # sets' claims come from their templates. + Elasticsearch's (three nodes).
        "PodDisruptionBudget": 8 + 1,
        # Read-only Roles where we look: Prometheus pod discovery in dify-prod and both monitoring
        # namespaces (3), kube-state-metrics in those and dify-prod-sandbox (4).
        "Role": 7,
        "RoleBinding": 7,
        # + Grafana admin, alertmanager.yml (it holds receiver credentials), the exporters' credentials;
        # + elastic, kibana_system, the Kibana keys, the writer, the reader, Elasticsearch's
        # certificates and its CA alone (for the clients).
        "Secret": 3 + 3 + 7,
        # + Prometheus, Alertmanager, Grafana, blackbox exporter, OTel collector; + Elasticsearch and
        # Logstash (each with a headless Service), Kibana.
        "Service": 11 + 5 + 5,
        # dify-storage (the IRSA identity of the pods that use the bucket), Prometheus,
        # kube-state-metrics, Filebeat.
        "ServiceAccount": 1 + 2 + 1,
        # Weaviate; Prometheus and Alertmanager; Elasticsearch and Logstash.
        "StatefulSet": 1 + 2 + 2,
    },
}
# Every Deployment the prod stack runs with 2 replicas or an HPA minimum of 2, Service or not (the
# worker has none); with its storage on S3 the plugin daemon runs two.
PROD_PDBS = {
    "dify-api",
    "dify-api-websocket",
    "dify-worker",
    "dify-web",
    "dify-sandbox",
    "dify-plugin-daemon",
    "dify-ssrf-proxy",
    "dify-router",
}


def _workload(objs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(o for o in objs if o["kind"] in ("Deployment", "StatefulSet", "Job") and o["metadata"]["name"] == name)


def test_nginx_routes_each_prefix_to_its_service_and_port(dev: Recording) -> None:
    conf = next(o for o in kinds(objects(dev), "ConfigMap") if "nginx.conf" in o.get("data", {}))["data"]["nginx.conf"]
    found = {
        prefix: re.search(r"proxy_pass (\S+);", body).group(1)  # type: ignore[union-attr]
        for prefix, body in re.findall(r"location (\S+) \{(.*?)\n        \}", conf, re.S)
        if "proxy_pass" in body
    }
    assert found == NGINX_ROUTES
    assert "/inner/api" not in conf


# One Ingress object per rate-limit budget (ingress-nginx limits per object): page and Socket.IO
# traffic unlimited, the console and the app API on the console budget, the public API on its own.
INGRESS_OBJECTS = {
    "dify": ["/socket.io", "/explore", "/"],
    "dify-console": ["/console/api"],
    "dify-app-api": ["/api", "/openapi", "/files"],
    "dify-public-api": ["/v1", "/mcp", "/triggers", "/e"],
}


def test_ingress_routes_each_prefix_to_its_service(prod: Recording) -> None:
    ingresses = kinds(objects(prod), "Ingress")
    found: dict[str, list[str]] = {}
    paths = []
    for ingress in ingresses:
        (rule,) = ingress["spec"]["rules"]
        assert rule["host"] == "dify.example.com"
        assert ingress["spec"]["tls"] == [{"hosts": ["dify.example.com"], "secretName": "dify-tls"}]
        found[ingress["metadata"]["name"]] = [p["path"] for p in rule["http"]["paths"]]
        paths += [(p["path"], p["pathType"], p["backend"]["service"]["name"]) for p in rule["http"]["paths"]]
    assert found == INGRESS_OBJECTS
    assert sorted(paths) == sorted(INGRESS_ROUTES)
    assert {
        p["backend"]["service"]["port"]["name"] for i in ingresses for p in i["spec"]["rules"][0]["http"]["paths"]
    } == {"http"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_workload_runs_its_image_and_binds_its_ports(stack: str, request: pytest.FixtureRequest) -> None:
    objs = objects(request.getfixturevalue(stack))
    rendered = {
        o["metadata"]["name"]: [
            (c["name"], c["image"], [p["containerPort"] for p in c.get("ports", [])])
            for c in o["spec"]["template"]["spec"]["containers"]
        ]
        for o in objs
        if o["kind"] in ("Deployment", "StatefulSet", "Job") and "-monitoring" not in o["metadata"]["namespace"]
    }
    # Prod runs RDS and ElastiCache instead of the in-cluster Postgres and Redis (dify:aws), and logging.
    managed = {"dify-postgres", "dify-redis"} if stack == "prod" else set()
    expected = {**WORKLOADS, **(LOGGING_WORKLOADS if stack == "prod" else {})}
    assert rendered == {name: [(c, i, list(p))] for name, (c, i, p) in expected.items() if name not in managed}


@pytest.mark.parametrize(("workload", "name"), sorted(ADDRESSES))
def test_each_process_is_told_the_right_address(dev: Recording, workload: str, name: str) -> None:
    container = _workload(objects(dev), workload)["spec"]["template"]["spec"]["containers"][0]
    values = {e["name"]: e.get("value") for e in container["env"]}
    assert values[name] == ADDRESSES[(workload, name)]


@pytest.mark.parametrize("workload", sorted(SECRET_KEYS))
def test_each_consumer_reads_its_own_credential(dev: Recording, workload: str) -> None:
    container = _workload(objects(dev), workload)["spec"]["template"]["spec"]["containers"][0]
    refs = {
        e["name"]: e["valueFrom"]["secretKeyRef"]["key"]
        for e in container["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert refs == SECRET_KEYS[workload]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_object_counts_are_exact(stack: str, request: pytest.FixtureRequest) -> None:
    assert dict(Counter(o["kind"] for o in objects(request.getfixturevalue(stack)))) == KINDS[stack]


def test_pdbs_are_exactly_the_replicated_deployments(dev: Recording, prod: Recording) -> None:
    assert kinds(objects(dev), "PodDisruptionBudget") == []
    pdbs = kinds(objects(prod), "PodDisruptionBudget")
    # And the three Elasticsearch nodes of prod's logging.
    assert {p["metadata"]["name"] for p in pdbs} == PROD_PDBS | {"dify-elasticsearch"}
    for pdb in pdbs:
        assert pdb["spec"]["maxUnavailable"] == 1
        component = pdb["metadata"]["name"].removeprefix("dify-")
        assert pdb["spec"]["selector"]["matchLabels"] == {
            "app.kubernetes.io/name": "dify",
            "app.kubernetes.io/instance": "dify-prod",
            "app.kubernetes.io/component": component,
        }
    assert find(objects(prod), "Deployment", "dify-worker-beat")["spec"]["replicas"] == 1


def _depends(recording: Recording) -> dict[str, set[str]]:
    """Each workload's dependencies by resource name, as the engine receives them (a component in
    depends_on arrives expanded into its child resources)."""
    names = {r.urn: r.name for r in recording.registrations}
    return {
        r.name: {names[u] for u in r.dependencies}
        for r in recording.registrations
        if r.type in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:batch/v1:Job")
    }


STORES = {"postgres-statefulset", "redis-statefulset", "weaviate-statefulset"}


def test_dependency_edges(dev: Recording) -> None:
    edges = _depends(dev)
    # The migration Job and the plugin daemon (which migrates its own database) wait for the stores.
    assert edges["migration-job"] >= STORES
    assert edges["plugin-daemon-deployment"] >= STORES
    # Every long-running api-image workload waits for the migration Job (and the stores).
    for name in ("api-deployment", "api-websocket-deployment", "worker-deployment", "worker-beat-deployment"):
        assert edges[name] >= {"migration-job", *STORES}, name
    # Nothing else waits for the migration, and the stores wait for nothing of Dify's.
    waiting = {name for name, deps in edges.items() if "migration-job" in deps}
    assert waiting == {"api-deployment", "api-websocket-deployment", "worker-deployment", "worker-beat-deployment"}
    for name in STORES:
        assert edges[name] & {"migration-job", "api-deployment"} == set(), name
    # The router starts after the Services it proxies to exist.
    assert edges["router-deployment"] >= {
        "api-service",
        "api-websocket-service",
        "web-service",
        "plugin-daemon-service",
    }
