"""How every workload is built (components/kube.py, components/workload.py), as literals.

Written by hand from the images' runtime contract (components/images/, notes/runtime-contract-*)
and the hardening the project promises (kube.py's docstring), never recomputed with the code under
test: a dropped hardening field, a probe on the wrong path or port, a rollout that can take the
only replica down, a lost label or a resource attached to the wrong component each changes one
literal here. Found missing by `make mutation` (docs/mutation.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from synth.mocks import Recording
from tests.conftest import objects
from tests.lookup import find, kinds, pod_spec
from tests.test_literals import PROD_PDBS

Obj = dict[str, Any]
POD_KINDS = ("Deployment", "StatefulSet", "Job")

# Pod identity per workload: (runAsUser, runAsGroup, fsGroup, runAsNonRoot, readOnlyRootFilesystem).
# uids from the images: dify-api/web/agent 1001 (Dockerfile USER), squid 13 (proxy), nginx-unprivileged
# 101, postgres-alpine 70, redis-alpine 999 in group 1000, sandbox root (chroot + pool uids).
IDENTITY = {
    "dify-api": (1001, 1001, 1001, True, True),
    "dify-api-websocket": (1001, 1001, 1001, True, True),
    "dify-worker": (1001, 1001, 1001, True, True),
    "dify-worker-beat": (1001, 1001, 1001, True, True),
    "dify-migrate-1-16-1": (1001, 1001, 1001, True, True),
    "dify-web": (1001, 1001, 1001, True, True),
    "dify-agent-backend": (1001, 1001, 1001, True, True),
    "dify-local-sandbox": (1000, 1000, 1000, True, False),
    "dify-plugin-daemon": (1000, 1000, 1000, True, True),
    "dify-sandbox": (0, 0, None, False, False),
    "dify-ssrf-proxy": (13, 13, 13, True, True),
    "dify-agent-ssrf-proxy": (13, 13, 13, True, True),
    "dify-router": (101, 101, 101, True, True),
    "dify-postgres": (70, 70, 70, True, True),
    "dify-redis": (999, 1000, 1000, True, True),
    "dify-weaviate": (1000, 1000, 1000, True, True),
}
# Prod's logging (Pulumi.prod.yaml): the Elastic images run as 1000 in group 0 (their Dockerfiles'
# USER 1000:0), fsGroup 1000 for the claims; Filebeat's DaemonSet is outside POD_KINDS.
LOGGING_IDENTITY = {
    name: (1000, 0, 1000, True, True)
    for name in ("dify-elasticsearch", "dify-logstash", "dify-kibana", "dify-logging-bootstrap")
}
# dify-sandbox 0.2.15: chroot, setuid/setgid to the pool uid, chown the script, kill on timeout.
SANDBOX_CAPABILITIES = ["SYS_CHROOT", "SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL"]


def _probe(kind: str, target: str | list[str], period: int, timeout: int, failures: int) -> Obj:
    action: Obj
    if kind == "http":
        path, _, port = str(target).partition(" ")
        action = {"httpGet": {"path": path, "port": port}}
    elif kind == "tcp":
        action = {"tcpSocket": {"port": target}}
    else:
        action = {"exec": {"command": target}}
    return {**action, "periodSeconds": period, "timeoutSeconds": timeout, "failureThreshold": failures}


CELERY_PING = [
    "/bin/bash",
    "-c",
    'celery -A celery_healthcheck.celery inspect ping -d "celery@${HOSTNAME}" --timeout 10 >/dev/null',
]
BEAT_FRESH = ["/bin/sh", "-c", 'test -n "$(find /tmp -maxdepth 1 -name "celerybeat-schedule*" -mmin -10)"']

# (readiness, liveness, startup) per workload. Health paths are the images' own (images.py): api
# /health, plugin daemon /health/check, sandbox /health, local sandbox /healthz, weaviate
# /v1/.well-known/{ready,live}; web, agent backend and squid only have the port.
PROBES: dict[str, tuple[Obj | None, Obj | None, Obj | None]] = {
    "dify-api": (
        _probe("http", "/health http", 10, 5, 3),
        _probe("tcp", "http", 20, 5, 3),
        _probe("http", "/health http", 5, 5, 60),
    ),
    "dify-api-websocket": (
        _probe("http", "/health http", 10, 5, 3),
        _probe("tcp", "http", 20, 5, 3),
        _probe("http", "/health http", 5, 5, 60),
    ),
    "dify-worker": (_probe("exec", CELERY_PING, 60, 30, 3), _probe("exec", CELERY_PING, 120, 30, 3), None),
    "dify-worker-beat": (_probe("exec", BEAT_FRESH, 60, 10, 3), _probe("exec", BEAT_FRESH, 60, 10, 3), None),
    "dify-migrate-1-16-1": (None, None, None),
    "dify-web": (_probe("tcp", "http", 10, 5, 3), _probe("tcp", "http", 20, 5, 6), _probe("tcp", "http", 5, 5, 24)),
    "dify-agent-backend": (
        _probe("tcp", "http", 10, 5, 3),
        _probe("tcp", "http", 20, 5, 6),
        _probe("tcp", "http", 5, 5, 24),
    ),
    "dify-local-sandbox": (
        _probe("http", "/healthz http", 10, 5, 3),
        _probe("http", "/healthz http", 20, 5, 6),
        _probe("http", "/healthz http", 5, 5, 24),
    ),
    "dify-plugin-daemon": (
        _probe("http", "/health/check http", 10, 5, 3),
        _probe("http", "/health/check http", 20, 5, 6),
        _probe("http", "/health/check http", 5, 5, 60),
    ),
    "dify-sandbox": (
        _probe("http", "/health http", 10, 5, 3),
        _probe("http", "/health http", 20, 5, 6),
        _probe("http", "/health http", 10, 5, 60),
    ),
    "dify-ssrf-proxy": (_probe("tcp", "proxy", 10, 5, 3), _probe("tcp", "proxy", 20, 5, 3), None),
    "dify-agent-ssrf-proxy": (_probe("tcp", "proxy", 10, 5, 3), _probe("tcp", "proxy", 20, 5, 3), None),
    "dify-router": (_probe("http", "/healthz http", 5, 3, 3), _probe("http", "/healthz http", 20, 5, 3), None),
    "dify-postgres": (
        _probe("exec", ["pg_isready", "-h", "127.0.0.1", "-U", "postgres", "-d", "dify"], 10, 5, 3),
        _probe("exec", ["pg_isready", "-h", "127.0.0.1", "-U", "postgres"], 20, 5, 6),
        None,
    ),
    "dify-redis": (
        _probe("exec", ["sh", "-c", "redis-cli ping | grep -q PONG"], 10, 5, 3),
        _probe("tcp", "redis", 20, 5, 6),
        None,
    ),
    "dify-weaviate": (
        _probe("http", "/v1/.well-known/ready http", 10, 5, 3),
        _probe("http", "/v1/.well-known/live http", 20, 5, 6),
        _probe("http", "/v1/.well-known/ready http", 5, 5, 60),
    ),
}

# Deployments whose two copies must never overlap: the plugin daemon (one writer of its RWO volume)
# and beat (two schedulers would fire every periodic task twice). Everything else surges first.
RECREATE = {"dify-plugin-daemon", "dify-worker-beat", "dify-kibana"}
SURGE_FIRST = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
# Seconds a pod gets between SIGTERM and SIGKILL: squid 40 (its shutdown_lifetime 30 s + margin),
# the agent backend 45, data stores 60, everything else the Kubernetes default 30.
GRACE = {
    **{name: 30 for name in IDENTITY},
    "dify-ssrf-proxy": 40,
    "dify-agent-ssrf-proxy": 40,
    "dify-agent-backend": 45,
    "dify-postgres": 60,
    "dify-redis": 60,
    "dify-weaviate": 60,
    # Elasticsearch and Logstash flush to their claims (Logstash drains its queue page).
    "dify-elasticsearch": 120,
    "dify-logstash": 120,
    "dify-kibana": 30,
    "dify-logging-bootstrap": 30,
}
# The version label is the main container's image tag.
VERSION = {
    **{name: "1.16.1" for name in IDENTITY},
    "dify-sandbox": "0.2.15",
    "dify-plugin-daemon": "0.6.3-local",
    "dify-ssrf-proxy": "6.6-24.04_beta",
    "dify-agent-ssrf-proxy": "6.6-24.04_beta",
    "dify-router": "1.28.0-alpine",
    "dify-postgres": "15.15-alpine",
    "dify-redis": "6.2.20-alpine",
    "dify-weaviate": "1.27.0",
    **{name: "8.19.20" for name in LOGGING_IDENTITY},
}
# Service → [(port name, port, targetPort, protocol)] and the component it selects.
SERVICES = {
    "dify-api": ("api", [("http", 5001, "http", "TCP")]),
    "dify-api-websocket": ("api-websocket", [("http", 5001, "http", "TCP")]),
    "dify-web": ("web", [("http", 3000, "http", "TCP")]),
    "dify-sandbox": ("sandbox", [("http", 8194, "http", "TCP")]),
    "dify-plugin-daemon": (
        "plugin-daemon",
        [("http", 5002, "http", "TCP"), ("plugin-debug", 5003, "plugin-debug", "TCP")],
    ),
    "dify-agent-backend": ("agent-backend", [("http", 5050, "http", "TCP")]),
    "dify-local-sandbox": ("local-sandbox", [("http", 5004, "http", "TCP")]),
    "dify-ssrf-proxy": ("ssrf-proxy", [("proxy", 3128, "proxy", "TCP")]),
    "dify-agent-ssrf-proxy": ("agent-ssrf-proxy", [("proxy", 3128, "proxy", "TCP")]),
    # The router's Service publishes 80 in front of nginx-unprivileged's 8080.
    "dify-router": ("router", [("http", 80, "http", "TCP")]),
    "dify-postgres": ("postgres", [("postgres", 5432, "postgres", "TCP")]),
    "dify-redis": ("redis", [("redis", 6379, "redis", "TCP")]),
    "dify-weaviate": ("weaviate", [("http", 8080, "http", "TCP"), ("grpc", 50051, "grpc", "TCP")]),
}
_ES_PORTS = [("http", 9200, "http", "TCP"), ("transport", 9300, "transport", "TCP")]
_LS_PORTS = [("beats", 5044, "beats", "TCP"), ("api", 9600, "api", "TCP")]
LOGGING_SERVICES = {
    "dify-elasticsearch": ("elasticsearch", _ES_PORTS),
    "dify-elasticsearch-headless": ("elasticsearch", _ES_PORTS),
    "dify-logstash": ("logstash", _LS_PORTS),
    "dify-logstash-headless": ("logstash", _LS_PORTS),
    "dify-kibana": ("kibana", [("http", 5601, "http", "TCP")]),
}
# Resource name → the component that owns it (its parent in the Pulumi tree).
PARENTS = {
    "api-deployment": ("dify:app:Api", "api"),
    "api-service": ("dify:app:Api", "api"),
    "api-pdb": ("dify:app:Api", "api"),
    "api-websocket-service": ("dify:app:ApiWebsocket", "api-websocket"),
    "api-websocket-pdb": ("dify:app:ApiWebsocket", "api-websocket"),
    "worker-deployment": ("dify:app:Worker", "worker"),
    "worker-pdb": ("dify:app:Worker", "worker"),
    "worker-beat-deployment": ("dify:app:WorkerBeat", "worker-beat"),
    "web-service": ("dify:app:Web", "web"),
    "web-pdb": ("dify:app:Web", "web"),
    "sandbox-service": ("dify:app:Sandbox", "sandbox"),
    "sandbox-pdb": ("dify:app:Sandbox", "sandbox"),
    "plugin-daemon-service": ("dify:app:PluginDaemon", "plugin-daemon"),
    "agent-backend-service": ("dify:app:AgentBackend", "agent-backend"),
    "local-sandbox-service": ("dify:app:LocalSandbox", "local-sandbox"),
    "ssrf-proxy-service": ("dify:net:SsrfProxy", "ssrf-proxy"),
    "ssrf-proxy-pdb": ("dify:net:SsrfProxy", "ssrf-proxy"),
    "agent-ssrf-proxy-service": ("dify:net:AgentSsrfProxy", "agent-ssrf-proxy"),
    "router-service": ("dify:net:Router", "router"),
    "router-pdb": ("dify:net:Router", "router"),
    # Prod's data tier is AWS's (dify:aws): RDS and ElastiCache, no in-cluster Postgres or Redis.
    "aws-identity-serviceaccount": ("dify:aws:StorageIdentity", "aws-identity"),
    "weaviate-statefulset": ("dify:data:Weaviate", "weaviate"),
}
# The in-cluster stores dev runs and prod replaces with RDS and ElastiCache.
MANAGED_IN_PROD = {"dify-postgres", "dify-redis"}


def _in_stack(stack: str, names: set[str]) -> set[str]:
    return names - MANAGED_IN_PROD if stack == "prod" else names


# StatefulSet → data mount path and claim size per stack (Pulumi.<stack>.yaml, else the defaults).
STORES = {
    "dev": {
        "dify-postgres": ("/var/lib/postgresql/data", "20Gi"),
        "dify-redis": ("/data", "2Gi"),
        "dify-weaviate": ("/var/lib/weaviate", "20Gi"),
    },
    "prod": {"dify-weaviate": ("/var/lib/weaviate", "100Gi")},
}
# The Deployments prod runs with 2 replicas: exactly the ones with a PDB.
PROD_REPLICATED = PROD_PDBS
# The Deployments prod's HPAs scale (Pulumi.prod.yaml dify:autoscaling).
PROD_AUTOSCALED = {"dify-api", "dify-web", "dify-worker", "dify-sandbox"}
INSTANCE = {"dev": "dify-dev", "prod": "dify-prod"}
# (the stack's namespace, the sandbox's baseline namespace) from dify:environment.
NAMESPACES = {"dev": ("dify", "dify-sandbox"), "prod": ("dify-prod", "dify-prod-sandbox")}


def _namespace(stack: str, name: str) -> str:
    main, sandbox = NAMESPACES[stack]
    if name in LOGGING_IDENTITY:
        return f"{main}-logging"
    return sandbox if name == "dify-sandbox" else main


def _identity(stack: str) -> dict[str, tuple[int, int, int | None, bool, bool]]:
    return {**IDENTITY, **(LOGGING_IDENTITY if stack == "prod" else {})}


def _dify(objs: list[Obj], stack: str) -> list[Obj]:
    """Dify's and logging's objects: monitoring (prod) lives in its own namespaces and has its own tests."""
    return [
        o for o in objs if not str(o["metadata"].get("namespace", "")).endswith(("-monitoring", "-monitoring-host"))
    ]


def _pods(objs: list[Obj], stack: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in _dify(objs, stack) if o["kind"] in POD_KINDS}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_pod_gets_the_shared_hardening(stack: str, request: pytest.FixtureRequest) -> None:
    pods = _pods(objects(request.getfixturevalue(stack)), stack)
    identity = _identity(stack)
    assert set(pods) == _in_stack(stack, set(identity))
    for name, obj in pods.items():
        spec = pod_spec(obj)
        user, group, fs_group, non_root, read_only = identity[name]
        assert spec["enableServiceLinks"] is False, name
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["terminationGracePeriodSeconds"] == GRACE[name], name
        pod_security = {
            "runAsNonRoot": non_root,
            "runAsUser": user,
            "runAsGroup": group,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        if fs_group is not None:
            pod_security |= {"fsGroup": fs_group, "fsGroupChangePolicy": "OnRootMismatch"}
        assert spec["securityContext"] == pod_security, name
        for container in spec["containers"] + spec.get("initContainers", []):
            assert container["imagePullPolicy"] == "IfNotPresent", name
            capabilities: Obj = {"drop": ["ALL"]}
            if name == "dify-sandbox":
                capabilities["add"] = SANDBOX_CAPABILITIES
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "privileged": False,
                "readOnlyRootFilesystem": read_only,
                "runAsNonRoot": non_root,
                "runAsUser": user,
                "runAsGroup": group,
                "capabilities": capabilities,
                "seccompProfile": {"type": "RuntimeDefault"},
            }, name


def test_each_container_is_probed_on_its_own_health_endpoint(dev: Recording) -> None:
    pods = _pods(objects(dev), "dev")
    found = {
        name: tuple(pod_spec(obj)["containers"][0].get(f"{kind}Probe") for kind in ("readiness", "liveness", "startup"))
        for name, obj in pods.items()
    }
    assert found == PROBES


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rollouts_and_labels(stack: str, request: pytest.FixtureRequest) -> None:
    objs = objects(request.getfixturevalue(stack))
    instance = INSTANCE[stack]
    for name, obj in _pods(objs, stack).items():
        component = name.removeprefix("dify-")
        if name.startswith("dify-migrate-"):
            component = "migration"
        selector = {
            "app.kubernetes.io/name": "dify",
            "app.kubernetes.io/instance": instance,
            "app.kubernetes.io/component": component,
        }
        object_labels = {
            **selector,
            "app.kubernetes.io/part-of": "dify",
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/version": VERSION[name],
        }
        assert obj["metadata"]["labels"] == object_labels, name
        assert obj["metadata"]["namespace"] == _namespace(stack, name), name
        template_labels = obj["spec"]["template"]["metadata"]["labels"]
        assert {k: template_labels[k] for k in object_labels} == object_labels, name
        if obj["kind"] == "Job":
            continue
        assert obj["spec"]["selector"] == {"matchLabels": selector}, name
        if obj["kind"] == "Deployment":
            assert obj["spec"]["revisionHistoryLimit"] == 5, name
            # The daemon stops first only on a ReadWriteOnce claim; prod's is on S3 and surges.
            recreate = RECREATE - {"dify-plugin-daemon"} if stack == "prod" else RECREATE
            assert obj["spec"]["strategy"] == ({"type": "Recreate"} if name in recreate else SURGE_FIRST), name
            replicated = stack == "prod" and name in PROD_REPLICATED
            # Prod's HPAs own these counts (Pulumi.prod.yaml dify:autoscaling): no replicas field.
            autoscaled = stack == "prod" and name in PROD_AUTOSCALED
            assert obj["spec"].get("replicas") == (None if autoscaled else 2 if replicated else 1), name
            spread = [
                {
                    "maxSkew": 1,
                    "topologyKey": key,
                    "whenUnsatisfiable": when,
                    "nodeAffinityPolicy": "Honor",
                    "nodeTaintsPolicy": "Honor",
                    "labelSelector": {"matchLabels": selector},
                }
                for key, when in (
                    ("topology.kubernetes.io/zone", "ScheduleAnyway"),
                    ("kubernetes.io/hostname", "DoNotSchedule"),
                )
            ]
            assert pod_spec(obj).get("topologySpreadConstraints") == (spread if replicated else None), name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_services_publish_the_named_ports(stack: str, request: pytest.FixtureRequest) -> None:
    services = {
        s["metadata"]["name"]: s for s in kinds(_dify(objects(request.getfixturevalue(stack)), stack), "Service")
    }
    expected = {**SERVICES, **(LOGGING_SERVICES if stack == "prod" else {})}
    assert set(services) == _in_stack(stack, set(expected))
    for name in services:
        component, ports = expected[name]
        spec = services[name]["spec"]
        assert spec["type"] == "ClusterIP", name
        assert spec["selector"] == {
            "app.kubernetes.io/name": "dify",
            "app.kubernetes.io/instance": INSTANCE[stack],
            "app.kubernetes.io/component": component,
        }
        assert [(p["name"], p["port"], p["targetPort"], p["protocol"]) for p in spec["ports"]] == ports, name


def test_resources_belong_to_their_component(prod: Recording) -> None:
    by_urn = {r.urn: r for r in prod.registrations}
    by_name = {r.name: r for r in prod.registrations if r.type.startswith("kubernetes:")}
    for name, (parent_type, parent_name) in PARENTS.items():
        parent = by_urn[by_name[name].parent]
        assert (parent.type, parent.name) == (parent_type, parent_name), name


def test_pdbs_keep_all_but_one_replica(prod: Recording) -> None:
    objs = objects(prod)
    for name in PROD_REPLICATED:
        pdb = find(objs, "PodDisruptionBudget", name)
        assert pdb["metadata"]["labels"]["app.kubernetes.io/version"] == VERSION[name]
        assert pdb["metadata"]["namespace"] == _namespace("prod", name)
        assert pdb["spec"] == {
            "maxUnavailable": 1,
            "selector": {
                "matchLabels": {
                    "app.kubernetes.io/name": "dify",
                    "app.kubernetes.io/instance": "dify-prod",
                    "app.kubernetes.io/component": name.removeprefix("dify-"),
                }
            },
        }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_data_stores_keep_their_claims(stack: str, request: pytest.FixtureRequest) -> None:
    objs = [o for o in objects(request.getfixturevalue(stack)) if o["metadata"].get("namespace") in NAMESPACES[stack]]
    assert {o["metadata"]["name"] for o in kinds(objs, "StatefulSet")} == set(STORES[stack])
    for name, (path, size) in STORES[stack].items():
        spec = find(objs, "StatefulSet", name)["spec"]
        assert spec["replicas"] == 1
        assert spec["serviceName"] == name
        assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
        (claim,) = spec["volumeClaimTemplates"]
        assert claim["metadata"]["name"] == "data"
        assert claim["metadata"]["labels"]["app.kubernetes.io/component"] == name.removeprefix("dify-")
        assert claim["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
        mounts = pod_spec({"spec": spec})["containers"][0]["volumeMounts"]
        assert {"name": "data", "mountPath": path} in mounts
