"""The Dify services as a kubelet would see them: env, pairs, ports, probes, identity, order."""

from __future__ import annotations

import pytest

from components.core.inventory import INVENTORY
from synth.mocks import Recording
from tests.conftest import objects, synth_with
from tests.lookup import container, env, find, kinds, pod_spec, workloads

API_FAMILY = ["dify-api", "dify-api-websocket", "dify-worker", "dify-worker-beat"]
# inventory service key -> (kind, object name, container name)
WORKLOAD_OF = {
    "api": ("Deployment", "dify-api", None),
    "api-websocket": ("Deployment", "dify-api-websocket", None),
    "worker": ("Deployment", "dify-worker", None),
    "worker-beat": ("Deployment", "dify-worker-beat", None),
    "migration": ("Job", "dify-migrate-1-16-1", None),
    "plugin-daemon": ("Deployment", "dify-plugin-daemon", None),
    "sandbox": ("Deployment", "dify-sandbox", None),
    "agent-backend": ("Deployment", "dify-agent-backend", None),
    "local-sandbox": ("Deployment", "dify-local-sandbox", None),
    "postgres": ("StatefulSet", "dify-postgres", None),
    "redis": ("StatefulSet", "dify-redis", None),
    "weaviate": ("StatefulSet", "dify-weaviate", None),
}


def env_of(objs: list[dict], service: str) -> dict[str, str]:
    kind, name, container_name = WORKLOAD_OF[service]
    return env(objs, find(objs, kind, name), container_name)


def test_migration_only_in_the_job(dev: Recording) -> None:
    objs = objects(dev)
    for name in API_FAMILY:
        assert env(objs, find(objs, "Deployment", name))["MIGRATION_ENABLED"] == "false"
    job_env = env_of(objs, "migration")
    assert (job_env["MODE"], job_env["MIGRATION_ENABLED"]) == ("migration", "true")
    job = find(objs, "Job", "dify-migrate-1-16-1")
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_every_api_image_workload_waits_for_the_migration_job(dev: Recording) -> None:
    job_urn = next(r.urn for r in dev.registrations if r.type == "kubernetes:batch/v1:Job")
    gated = {r.name for r in dev.registrations if job_urn in r.dependencies}
    assert {"api-deployment", "api-websocket-deployment", "worker-deployment", "worker-beat-deployment"} <= gated


def test_version_bump_renames_the_job() -> None:
    recording = synth_with(versions={"dify": "1.16.2", "sandbox": "0.2.15", "pluginDaemon": "0.6.3-local"})
    objs = objects(recording)
    assert find(objs, "Job", "dify-migrate-1-16-2")
    assert container(find(objs, "Deployment", "dify-api"))["image"] == "docker.io/langgenius/dify-api:1.16.2"


def test_modes_and_worker_beat_singleton(dev: Recording) -> None:
    objs = objects(dev)
    modes = {name: env(objs, find(objs, "Deployment", name))["MODE"] for name in API_FAMILY}
    assert modes == {
        "dify-api": "api",
        "dify-api-websocket": "api",
        "dify-worker": "worker",
        "dify-worker-beat": "beat",
    }
    beat = find(objs, "Deployment", "dify-worker-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert container(beat)["command"][-2:] == ["-s", "/tmp/celerybeat-schedule"]
    websocket = env(objs, find(objs, "Deployment", "dify-api-websocket"))
    assert websocket["SERVER_WORKER_CLASS"] == "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"


# One generated value per purpose, with its length (characters; the agent's JWE key is 32 random
# bytes as unpadded base64url, the format agent_backend derives its key from).
CREDENTIAL_LENGTHS = {
    "secret-key": 64,
    "init-password": 24,
    "db-password": 32,
    "redis-password": 32,
    "weaviate-api-key": 40,
    "sandbox-api-key": 40,
    "plugin-daemon-key": 48,
    "inner-api-key": 48,
    "agent-api-token": 48,
    "agent-server-secret-key": 43,
    "local-sandbox-auth-token": 48,
}


def test_inventory_has_exactly_one_credential_per_purpose() -> None:
    assert [c.key for c in INVENTORY] == list(CREDENTIAL_LENGTHS)


@pytest.mark.parametrize("credential", INVENTORY, ids=lambda c: c.key)
def test_every_pair_gets_one_generated_value(dev: Recording, credential) -> None:
    objs = objects(dev)
    values = set()
    for consumer in credential.consumers:
        service, name = consumer.split(":")
        values.add(env_of(objs, service)[name])
    assert len(values) == 1, f"{credential.key} differs between {credential.consumers}"
    assert len(next(iter(values))) == CREDENTIAL_LENGTHS[credential.key]


def test_credentials_are_distinct_and_not_public_defaults(dev: Recording) -> None:
    objs = objects(dev)
    secret = next(o for o in kinds(objs, "Secret") if "secret-key" in o["stringData"])
    values = list(secret["stringData"].values())
    assert len(values) == len(set(values))
    assert not {"difyai123456", "dify-sandbox", "WVF5YThaHlkYwhGUSmCRgsX3tD5ngdN8pkih"} & set(values)


def test_composite_urls_embed_the_redis_password(dev: Recording) -> None:
    objs = objects(dev)
    api = env_of(objs, "api")
    assert api["CELERY_BROKER_URL"] == f"redis://:{api['REDIS_PASSWORD']}@dify-redis:6379/1"
    agent = env_of(objs, "agent-backend")
    assert agent["DIFY_AGENT_REDIS_URL"] == f"redis://:{api['REDIS_PASSWORD']}@dify-redis:6379/2"


def test_api_env_points_at_in_cluster_services_and_public_urls(dev: Recording) -> None:
    api = env_of(objects(dev), "api")
    expected = {
        "DB_HOST": "dify-postgres",
        "DB_DATABASE": "dify",
        "REDIS_HOST": "dify-redis",
        "PLUGIN_DAEMON_URL": "http://dify-plugin-daemon:5002",
        "CODE_EXECUTION_ENDPOINT": "http://dify-sandbox.dify-sandbox:8194",
        "WEAVIATE_ENDPOINT": "http://dify-weaviate:8080",
        "WEAVIATE_GRPC_ENDPOINT": "grpc://dify-weaviate:50051",
        "SSRF_PROXY_HTTP_URL": "http://dify-ssrf-proxy:3128",
        "AGENT_BACKEND_BASE_URL": "http://dify-agent-backend:5050",
        "CONSOLE_API_URL": "http://localhost:8080",
        "FILES_URL": "http://localhost:8080",
        "INTERNAL_FILES_URL": "http://dify-api:5001",
        "ENDPOINT_URL_TEMPLATE": "http://localhost:8080/e/{hook_id}",
        "STORAGE_TYPE": "opendal",
        "EDITION": "SELF_HOSTED",
    }
    assert {k: api[k] for k in expected} == expected


def test_web_and_plugin_daemon_env(dev: Recording) -> None:
    objs = objects(dev)
    web = env(objs, find(objs, "Deployment", "dify-web"))
    assert web["SERVER_CONSOLE_API_URL"] == "http://dify-api:5001"
    assert web["NEXT_PUBLIC_SOCKET_URL"] == "ws://localhost:8080"
    assert web["HOSTNAME"] == "0.0.0.0"
    plugin = env_of(objs, "plugin-daemon")
    assert (plugin["DB_DATABASE"], plugin["DIFY_INNER_API_URL"]) == ("dify_plugin", "http://dify-api:5001")
    init = next(o for o in kinds(objs, "ConfigMap") if "10-dify-plugin-database.sql" in o.get("data", {}))
    assert "CREATE DATABASE dify_plugin" in init["data"]["10-dify-plugin-database.sql"]
    sandbox = env_of(objs, "sandbox")
    assert sandbox["HTTP_PROXY"] == sandbox["HTTPS_PROXY"] == "http://dify-ssrf-proxy.dify:3128"


SERVICE_PORTS = {
    "dify-api": {"http": (5001, "http")},
    "dify-web": {"http": (3000, "http")},
    "dify-plugin-daemon": {"http": (5002, "http"), "plugin-debug": (5003, "plugin-debug")},
    "dify-weaviate": {"http": (8080, "http"), "grpc": (50051, "grpc")},
    "dify-router": {"http": (80, "http")},
    "dify-sandbox": {"http": (8194, "http")},
    "dify-postgres": {"postgres": (5432, "postgres")},
}


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_service_ports(dev: Recording, name: str) -> None:
    service = find(objects(dev), "Service", name)
    ports = {p["name"]: (p["port"], p["targetPort"]) for p in service["spec"]["ports"]}
    assert ports == SERVICE_PORTS[name]


# (handler, target) per probe: httpGet → path on the named port "http", tcpSocket → port name.
# api/api_websocket liveness is TCP on purpose: /health queues behind long SSE streams on a busy
# gevent worker, and liveness must not restart a busy pod (issue #5, defect 6).
PROBES = {
    "dify-api": {"readinessProbe": ("httpGet", "/health"), "livenessProbe": ("tcpSocket", "http")},
    "dify-api-websocket": {"readinessProbe": ("httpGet", "/health"), "livenessProbe": ("tcpSocket", "http")},
    "dify-plugin-daemon": {
        "readinessProbe": ("httpGet", "/health/check"),
        "livenessProbe": ("httpGet", "/health/check"),
    },
    "dify-sandbox": {"readinessProbe": ("httpGet", "/health"), "livenessProbe": ("httpGet", "/health")},
    "dify-local-sandbox": {"readinessProbe": ("httpGet", "/healthz"), "livenessProbe": ("httpGet", "/healthz")},
    "dify-web": {"readinessProbe": ("tcpSocket", "http"), "livenessProbe": ("tcpSocket", "http")},
    "dify-worker": {"readinessProbe": ("exec", None), "livenessProbe": ("exec", None)},
    "dify-router": {"readinessProbe": ("httpGet", "/healthz"), "livenessProbe": ("httpGet", "/healthz")},
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probes_target_real_health_endpoints(dev: Recording, name: str) -> None:
    main = container(find(objects(dev), "Deployment", name))
    for probe, (handler, target) in PROBES[name].items():
        assert set(main[probe]) & {"httpGet", "tcpSocket", "exec", "grpc"} == {handler}, probe
        if handler == "httpGet":
            assert main[probe]["httpGet"] == {"path": target, "port": "http"}, probe
        if handler == "tcpSocket":
            assert main[probe]["tcpSocket"] == {"port": target}, probe
    if name == "dify-worker":
        assert 'inspect ping -d "celery@${HOSTNAME}"' in main["readinessProbe"]["exec"]["command"][-1]


def test_busy_api_pod_is_not_restarted_by_liveness(dev: Recording) -> None:
    api = container(find(objects(dev), "Deployment", "dify-api"))
    # 50 concurrent requests per gevent worker (upstream's 10 fills with ten SSE streams).
    assert env(objects(dev), find(objects(dev), "Deployment", "dify-api"))["SERVER_WORKER_CONNECTIONS"] == "50"
    assert api["livenessProbe"] == {
        "tcpSocket": {"port": "http"},
        "periodSeconds": 20,
        "timeoutSeconds": 5,
        "failureThreshold": 3,
    }
    assert api["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert api["startupProbe"]["periodSeconds"] * api["startupProbe"]["failureThreshold"] == 300


# Only the sandbox runs as root (in its own baseline namespace); the plugin daemon runs as uid 1000.
RELAXED = {"dify-sandbox"}
WRITABLE_ROOT = {"dify-sandbox", "dify-local-sandbox"}


def test_pod_hardening(dev: Recording) -> None:
    for workload in workloads(objects(dev)):
        name = workload["metadata"]["name"]
        spec = pod_spec(workload)
        assert spec["enableServiceLinks"] is False and spec["automountServiceAccountToken"] is False, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for c in spec["containers"]:
            ctx = c["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"]["drop"] == ["ALL"], name
            assert ctx["runAsNonRoot"] is (name not in RELAXED), name
            assert ctx["readOnlyRootFilesystem"] is (name not in WRITABLE_ROOT), name
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]) and set(c["resources"]["limits"]), name
            assert not c["image"].endswith(":latest") and ":" in c["image"].rsplit("/", 1)[-1], name
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert {"app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/version"} <= set(labels)
    sandbox = container(find(objects(dev), "Deployment", "dify-sandbox"))
    assert set(sandbox["securityContext"]["capabilities"]["add"]) == {
        "SYS_CHROOT",
        "SETUID",
        "SETGID",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        # The root parent kills timed-out snippets running under pool uids (issue #5, defect 3).
        "KILL",
    }
    assert not any(m["mountPath"] == "/conf" for m in sandbox.get("volumeMounts", []))


def test_shared_storage_is_shared_and_colocated_when_rwo(dev: Recording) -> None:
    objs = objects(dev)
    for name in ["dify-api", "dify-worker"]:
        spec = pod_spec(find(objs, "Deployment", name))
        claims = {
            v["name"]: v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"] if "persistentVolumeClaim" in v
        }
        assert claims == {"app-storage": "dify-app-storage"}, name
        mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        assert mounts == {"tmp": "/tmp", "app-storage": "/app/api/storage"}, name
        assert spec["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"] == (
            "kubernetes.io/hostname"
        )


@pytest.mark.parametrize("name", ["dify-api-websocket", "dify-worker-beat"])
def test_processes_that_never_touch_files_get_a_scratch_storage_root(dev: Recording, name: str) -> None:
    # create_app() mkdirs /app/api/storage in every mode (opendal_storage.py @ 1.16.1); these two
    # never read or write files, so an emptyDir satisfies it without the claim or its affinity.
    spec = pod_spec(find(objects(dev), "Deployment", name))
    assert "affinity" not in spec
    assert not any("persistentVolumeClaim" in v for v in spec["volumes"])
    mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    assert mounts == {"tmp": "/tmp", "storage-root": "/app/api/storage"}
    assert {"name": "storage-root", "emptyDir": {"sizeLimit": "64Mi"}} in spec["volumes"]


def test_migration_job_gets_a_scratch_storage_root(dev: Recording) -> None:
    spec = next(j for j in kinds(objects(dev), "Job"))["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    assert mounts == {"tmp": "/tmp", "storage-root": "/app/api/storage"}
    assert spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_rwx_storage_drops_the_affinity(prod: Recording) -> None:
    assert "affinity" not in pod_spec(find(objects(prod), "Deployment", "dify-api"))


def test_optional_services_follow_their_toggles() -> None:
    objs = objects(synth_with(features={"collaboration": False, "agentV2": False}))
    names = {o["metadata"]["name"] for o in kinds(objs, "Deployment")}
    assert not names & {"dify-api-websocket", "dify-agent-backend", "dify-local-sandbox", "dify-agent-ssrf-proxy"}
    api = env(objs, find(objs, "Deployment", "dify-api"))
    assert api["ENABLE_COLLABORATION_MODE"] == "false" and "AGENT_BACKEND_API_TOKEN" not in api
    router_conf = next(o for o in kinds(objs, "ConfigMap") if "nginx.conf" in o.get("data", {}))["data"]["nginx.conf"]
    socket_block = router_conf.split("location /socket.io/", 1)[1].split("}", 1)[0]
    assert "proxy_pass http://dify-api:5001;" in socket_block


def test_replicated_deployments_spread_single_ones_do_not(prod: Recording, dev: Recording) -> None:
    api = pod_spec(find(objects(prod), "Deployment", "dify-api"))
    constraints = api["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in constraints] == ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]
    # Zones softly (a cluster may have fewer), nodes hard (two pods on one node fall together).
    assert [c["whenUnsatisfiable"] for c in constraints] == ["ScheduleAnyway", "DoNotSchedule"]
    assert constraints[0]["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "api"
    assert "topologySpreadConstraints" not in pod_spec(find(objects(dev), "Deployment", "dify-api"))


def test_plugin_debugging_defaults_to_port_forward_and_advertises_localhost(dev: Recording) -> None:
    objs = objects(dev)
    for name in ("dify-api", "dify-worker"):
        values = env(objs, find(objs, "Deployment", name))
        assert (values["PLUGIN_REMOTE_INSTALL_HOST"], values["PLUGIN_REMOTE_INSTALL_PORT"]) == ("localhost", "5003")
    assert [s["metadata"]["name"] for s in kinds(objs, "Service") if s["metadata"]["name"] == "dify-plugin-debug"] == []


@pytest.mark.parametrize(
    ("setting", "service_port", "node_port", "advertised_port"),
    [
        ({"expose": "LoadBalancer", "host": "debug.example.com"}, 5003, None, "5003"),
        ({"expose": "LoadBalancer", "host": "debug.example.com", "port": 15003}, 15003, None, "15003"),
        ({"expose": "NodePort", "host": "debug.example.com", "port": 30503}, 5003, 30503, "30503"),
    ],
)
def test_plugin_debugging_service_publishes_only_the_debug_port(
    setting: dict[str, object], service_port: int, node_port: int | None, advertised_port: str
) -> None:
    objs = objects(synth_with("dev", pluginDebugging=setting))
    service = find(objs, "Service", "dify-plugin-debug")
    assert service["spec"]["type"] == setting["expose"]
    port = {"name": "plugin-debug", "port": service_port, "targetPort": "plugin-debug", "protocol": "TCP"}
    if node_port is not None:
        port["nodePort"] = node_port
    assert service["spec"]["ports"] == [port]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "plugin-daemon"
    values = env(objs, find(objs, "Deployment", "dify-api"))
    assert (values["PLUGIN_REMOTE_INSTALL_HOST"], values["PLUGIN_REMOTE_INSTALL_PORT"]) == (
        "debug.example.com",
        advertised_port,
    )
