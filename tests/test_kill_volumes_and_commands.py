"""What each container can write, and how each infrastructure process is started, as literals.

The paths are the ones the images write at run time (notes/runtime-contract-dify.md §1.6,
notes/runtime-contract-infra.md, components/images.py); the size limits are this project's
budgets. Typed by hand, never recomputed with the code under test (docs/mutation.md).
"""

from __future__ import annotations

from typing import Any

from synth.mocks import Recording
from tests.conftest import objects
from tests.lookup import container, env, find, pod_spec

Obj = dict[str, Any]

# workload → [(volume, source)]: "emptyDir <sizeLimit>", "pvc <claim>", "configMap <name prefix>".
VOLUMES = {
    "dify-api": ["emptyDir tmp 1Gi", "pvc app-storage dify-app-storage"],
    "dify-worker": ["emptyDir tmp 1Gi", "pvc app-storage dify-app-storage"],
    # Same image, no shared storage needed: a small scratch root for the storage mkdir at start-up.
    "dify-api-websocket": ["emptyDir tmp 1Gi", "emptyDir storage-root 64Mi"],
    "dify-worker-beat": ["emptyDir tmp 1Gi", "emptyDir storage-root 64Mi"],
    "dify-migrate-1-16-1": ["emptyDir tmp 1Gi", "emptyDir storage-root 64Mi"],
    "dify-web": ["emptyDir tmp 256Mi", "emptyDir next-cache 512Mi"],
    "dify-sandbox": ["emptyDir tmp 1Gi"],
    "dify-plugin-daemon": ["pvc storage dify-plugin-daemon-storage", "emptyDir tmp 1Gi", "emptyDir home 2Gi"],
    "dify-agent-backend": ["emptyDir tmp 512Mi"],
    "dify-local-sandbox": ["emptyDir tmp 1Gi"],
    "dify-ssrf-proxy": ["configMap config ssrf-proxy-config-", "emptyDir tmp 64Mi", "emptyDir spool 16Mi"],
    "dify-agent-ssrf-proxy": [
        "configMap config agent-ssrf-proxy-config-",
        "emptyDir tmp 64Mi",
        "emptyDir spool 16Mi",
    ],
    "dify-router": ["configMap config router-config-", "emptyDir tmp 1Gi"],
    "dify-postgres": ["emptyDir run 16Mi", "emptyDir tmp 256Mi", "configMap init postgres-init-"],
    "dify-redis": [],
    "dify-weaviate": ["emptyDir tmp 256Mi"],
}
# workload → [(volume, mount path, read-only)] of its one container.
MOUNTS = {
    "dify-api": [("tmp", "/tmp", False), ("app-storage", "/app/api/storage", False)],
    "dify-worker": [("tmp", "/tmp", False), ("app-storage", "/app/api/storage", False)],
    "dify-api-websocket": [("tmp", "/tmp", False), ("storage-root", "/app/api/storage", False)],
    "dify-worker-beat": [("tmp", "/tmp", False), ("storage-root", "/app/api/storage", False)],
    "dify-migrate-1-16-1": [("tmp", "/tmp", False), ("storage-root", "/app/api/storage", False)],
    "dify-web": [("tmp", "/tmp", False), ("next-cache", "/app/targets/next/web/.next/cache", False)],
    "dify-sandbox": [("tmp", "/tmp", False)],
    "dify-plugin-daemon": [
        ("storage", "/app/storage", False),
        ("tmp", "/tmp", False),
        ("home", "/home/plugin-daemon", False),
    ],
    "dify-agent-backend": [("tmp", "/tmp", False)],
    "dify-local-sandbox": [("tmp", "/tmp", False)],
    "dify-ssrf-proxy": [
        ("config", "/etc/squid-dify", True),
        ("tmp", "/tmp", False),
        ("spool", "/var/spool/squid", False),
    ],
    "dify-agent-ssrf-proxy": [
        ("config", "/etc/squid-dify", True),
        ("tmp", "/tmp", False),
        ("spool", "/var/spool/squid", False),
    ],
    "dify-router": [("config", "/etc/nginx/dify", True), ("tmp", "/tmp", False)],
    "dify-postgres": [
        ("data", "/var/lib/postgresql/data", False),
        ("run", "/var/run/postgresql", False),
        ("tmp", "/tmp", False),
        ("init", "/docker-entrypoint-initdb.d", True),
    ],
    "dify-redis": [("data", "/data", False)],
    "dify-weaviate": [("data", "/var/lib/weaviate", False), ("tmp", "/tmp", False)],
}
# (command, args) of the processes whose start line is ours rather than the image's.
START = {
    "dify-postgres": (
        None,
        [
            "postgres",
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=128MB",
            "-c",
            "work_mem=4MB",
            "-c",
            "maintenance_work_mem=64MB",
            "-c",
            "effective_cache_size=1GB",
        ],
    ),
    # $(REDIS_PASSWORD) is expanded by the kubelet from the container's env.
    "dify-redis": (
        None,
        ["redis-server", "--requirepass", "$(REDIS_PASSWORD)", "--appendonly", "yes", "--dir", "/data"],
    ),
    "dify-router": (["nginx", "-c", "/etc/nginx/dify/nginx.conf", "-g", "daemon off;"], None),
    "dify-ssrf-proxy": (["/usr/sbin/squid", "-N", "-f", "/etc/squid-dify/squid.conf"], None),
    "dify-agent-ssrf-proxy": (["/usr/sbin/squid", "-N", "-f", "/etc/squid-dify/squid.conf"], None),
    # The schedule file in the writable /tmp: the default is relative to the read-only /app/api.
    "dify-worker-beat": (
        ["celery", "-A", "app.celery", "beat", "--loglevel", "INFO", "-s", "/tmp/celerybeat-schedule"],
        None,
    ),
    # The rest start as their image says.
    "dify-api": (None, None),
    "dify-api-websocket": (None, None),
    "dify-worker": (None, None),
    "dify-web": (None, None),
    "dify-sandbox": (None, None),
    "dify-plugin-daemon": (None, None),
    "dify-agent-backend": (None, None),
    "dify-local-sandbox": (None, None),
    "dify-weaviate": (None, None),
}


def _volume(volume: Obj) -> str:
    if "emptyDir" in volume:
        assert set(volume["emptyDir"]) == {"sizeLimit"}, volume  # disk-backed, never medium: Memory
        return f"emptyDir {volume['name']} {volume['emptyDir']['sizeLimit']}"
    if "persistentVolumeClaim" in volume:
        return f"pvc {volume['name']} {volume['persistentVolumeClaim']['claimName']}"
    config_map = volume["configMap"]["name"]
    return f"configMap {volume['name']} {config_map[: config_map.rindex('-') + 1]}"


def _pods(objs: list[Obj]) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] in ("Deployment", "StatefulSet", "Job")}


def test_each_pod_has_exactly_its_volumes(dev: Recording) -> None:
    pods = _pods(objects(dev))
    assert {name: [_volume(v) for v in pod_spec(obj).get("volumes", [])] for name, obj in pods.items()} == VOLUMES


def test_each_container_writes_only_where_it_must(dev: Recording) -> None:
    pods = _pods(objects(dev))
    found = {
        name: [(m["name"], m["mountPath"], m.get("readOnly", False)) for m in container(obj).get("volumeMounts", [])]
        for name, obj in pods.items()
    }
    assert found == MOUNTS
    for obj in pods.values():
        for mount in container(obj).get("volumeMounts", []):
            assert mount.get("readOnly") in (True, None), mount  # false is never written out
            assert "subPath" not in mount, mount


def test_start_lines(dev: Recording) -> None:
    pods = _pods(objects(dev))
    found = {name: (container(obj).get("command"), container(obj).get("args")) for name, obj in pods.items()}
    found.pop("dify-migrate-1-16-1")  # its script is test_migration's
    assert found == START


def test_postgres_initialises_both_databases(dev: Recording) -> None:
    objs = objects(dev)
    postgres = find(objs, "StatefulSet", "dify-postgres")
    assert {k: v for k, v in env(objs, postgres).items() if k != "POSTGRES_PASSWORD"} == {
        "POSTGRES_USER": "postgres",
        "POSTGRES_DB": "dify",
        # A subdirectory of the volume: initdb refuses a non-empty or group-writable root.
        "PGDATA": "/var/lib/postgresql/data/pgdata",
    }
    init_name = next(v["configMap"]["name"] for v in pod_spec(postgres)["volumes"] if v["name"] == "init")
    init = find(objs, "ConfigMap", init_name)
    # The plugin daemon's own database (its DB_DATABASE), created once on an empty data directory.
    assert init["data"] == {"10-dify-plugin-database.sql": "CREATE DATABASE dify_plugin;\n"}
    assert init["metadata"]["namespace"] == "dify"


def test_only_the_storage_sharers_are_pinned_together(dev: Recording) -> None:
    # The dev app-storage claim is ReadWriteOnce: its two mounters must share a node.
    sharers = {"dify-api", "dify-worker"}
    together = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"dify-pulumi/storage-group": "app-storage"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    for name, obj in _pods(objects(dev)).items():
        labels = obj["spec"]["template"]["metadata"]["labels"]
        if name in sharers:
            assert pod_spec(obj)["affinity"] == together, name
            assert labels["dify-pulumi/storage-group"] == "app-storage", name
        else:
            assert "affinity" not in pod_spec(obj), name
            assert "dify-pulumi/storage-group" not in labels, name
