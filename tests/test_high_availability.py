"""High availability on the rendered stacks: HPAs, PDBs, spreading, rollouts, KEDA, TLS ingress,
public URLs and the numbers the connection budget assumes. Expected values are literals from
Pulumi.prod.yaml and upstream facts (components/images/capacity.py names the files)."""

from __future__ import annotations

import copy
from typing import Any

from components.config.budget import IN_CLUSTER_MAX_CONNECTIONS
from components.images.capacity import PLUGIN_DAEMON_MAX_OPEN_CONNS
from components.scaling.keda import check_keda_objects
from synth import policy
from synth.mocks import Recording
from tests.conftest import objects, synth_with
from tests.lookup import container, env, find, kinds, pod_spec

ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
# Pulumi.prod.yaml's dify:autoscaling: Deployment → (namespace, min, max, cpu %, memory %).
PROD_HPAS = {
    "dify-api": ("dify-prod", 2, 10, 70, 80),
    "dify-web": ("dify-prod", 2, 6, 70, 80),
    "dify-worker": ("dify-prod", 2, 10, 70, 80),
    "dify-sandbox": ("dify-prod-sandbox", 2, 6, 70, 80),
}
# Every prod Deployment that keeps two or more pods, by replicas or by its HPA's minimum.
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
# api/docker/entrypoint.sh:41 @ 1.16.1, the SELF_HOSTED -Q list, in order.
CELERY_QUEUES = [
    "api_token", "dataset", "dataset_summary", "priority_dataset", "priority_pipeline", "pipeline", "mail",
    "ops_trace", "app_deletion", "app_rbac", "plugin", "workflow_storage", "conversation", "workflow",
    "schedule_poller", "schedule_executor", "triggered_workflow_dispatcher", "trigger_refresh_publisher",
    "trigger_refresh_executor", "retention", "workflow_based_app_execution",
]  # fmt: skip
SCALE_DOWN = {
    "stabilizationWindowSeconds": 300,
    "selectPolicy": "Min",
    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
}
KEDA = {
    "autoscaling": {
        "api": {"enabled": True, "maxReplicas": 10},
        "web": {"enabled": True, "maxReplicas": 6},
        "sandbox": {"enabled": True, "maxReplicas": 6},
        "keda": {"enabled": True, "listLength": 20, "maxReplicas": 8},
    }
}
ALB_INGRESS = {"ingress": {"enabled": True, "tls": {"mode": "alb", "certificateArn": ARN}}}


def _selector(component: str) -> dict[str, Any]:
    return {
        "matchLabels": {
            "app.kubernetes.io/name": "dify",
            "app.kubernetes.io/instance": "dify-prod",
            "app.kubernetes.io/component": component,
        }
    }


def test_prod_hpas_are_exactly_the_configured_ones(prod: Recording) -> None:
    hpas = {h["metadata"]["name"]: h for h in kinds(objects(prod), "HorizontalPodAutoscaler")}
    assert set(hpas) == set(PROD_HPAS)
    for name, (namespace, low, high, cpu, memory) in PROD_HPAS.items():
        hpa = hpas[name]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["metadata"]["namespace"] == namespace
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (low, high)
        assert hpa["spec"]["metrics"] == [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}},
            },
            {
                "type": "Resource",
                "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": memory}},
            },
        ]
        assert hpa["spec"]["behavior"] == {"scaleDown": SCALE_DOWN}


def test_autoscaled_deployments_leave_replicas_to_the_hpa(prod: Recording, dev: Recording) -> None:
    without = {d["metadata"]["name"] for d in kinds(objects(prod), "Deployment") if "replicas" not in d["spec"]}
    assert without == set(PROD_HPAS)
    assert all("replicas" in d["spec"] for d in kinds(objects(dev), "Deployment"))
    assert kinds(objects(dev), "HorizontalPodAutoscaler") == []


def test_every_multi_replica_workload_has_a_pdb(prod: Recording) -> None:
    # Dify's own; Elasticsearch's (logging) is asserted in tests/test_logging_stack.py.
    pdbs = {
        p["metadata"]["name"]: p
        for p in kinds(objects(prod), "PodDisruptionBudget")
        if p["metadata"]["namespace"] in ("dify-prod", "dify-prod-sandbox")
    }
    assert set(pdbs) == PROD_PDBS
    for name, pdb in pdbs.items():
        assert pdb["spec"] == {"maxUnavailable": 1, "selector": _selector(name.removeprefix("dify-"))}
        namespace = "dify-prod-sandbox" if name == "dify-sandbox" else "dify-prod"
        assert pdb["metadata"]["namespace"] == namespace


def test_replicas_spread_over_zones_softly_and_nodes_hard(prod: Recording) -> None:
    for name in PROD_PDBS:
        constraints = pod_spec(find(objects(prod), "Deployment", name))["topologySpreadConstraints"]
        labels = _selector(name.removeprefix("dify-"))
        assert constraints == [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "nodeAffinityPolicy": "Honor",
                "nodeTaintsPolicy": "Honor",
                "labelSelector": labels,
            },
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "DoNotSchedule",
                "nodeAffinityPolicy": "Honor",
                "nodeTaintsPolicy": "Honor",
                "labelSelector": labels,
            },
        ], name


def test_rwo_co_located_pods_spread_over_nodes_only_softly() -> None:
    # Two api pods on a ReadWriteOnce app-storage claim must share its node (pod affinity).
    objs = objects(synth_with("dev", replicas={"api": 2}, app={"sqlalchemyPoolSize": 10}))
    spec = pod_spec(find(objs, "Deployment", "dify-api"))
    assert "podAffinity" in spec["affinity"]
    assert [c["whenUnsatisfiable"] for c in spec["topologySpreadConstraints"]] == ["ScheduleAnyway", "ScheduleAnyway"]


def test_rollouts_never_drop_below_the_count_and_beat_stays_one(prod: Recording) -> None:
    for deployment in kinds(objects(prod), "Deployment"):
        name, strategy = deployment["metadata"]["name"], deployment["spec"]["strategy"]
        if name == "dify-worker-beat":
            assert strategy == {"type": "Recreate"}
            assert deployment["spec"]["replicas"] == 1
        elif strategy["type"] == "RollingUpdate":
            assert strategy["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}, name
    assert "dify-worker-beat" not in {h["metadata"]["name"] for h in kinds(objects(prod), "HorizontalPodAutoscaler")}


def test_keda_scales_the_worker_on_every_queue_through_one_secret() -> None:
    objs = objects(synth_with("prod", **KEDA))
    assert "dify-worker" not in {h["metadata"]["name"] for h in kinds(objs, "HorizontalPodAutoscaler")}
    worker = find(objs, "Deployment", "dify-worker")
    assert "replicas" not in worker["spec"]
    scaled = find(objs, "ScaledObject", "dify-worker")
    spec = scaled["spec"]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "dify-worker"}
    assert (spec["minReplicaCount"], spec["maxReplicaCount"], spec["pollingInterval"]) == (2, 8, 15)
    assert spec["advanced"]["horizontalPodAutoscalerConfig"] == {"behavior": {"scaleDown": SCALE_DOWN}}
    assert spec["advanced"]["scalingModifiers"] == {
        "formula": " + ".join(CELERY_QUEUES),
        "target": "20",
        "metricType": "AverageValue",
    }
    worker_env = env(objs, worker)
    # The scaler reads the broker the worker consumes: same host, port, database 1 and TLS.
    address = f"{worker_env['REDIS_HOST']}:{worker_env['REDIS_PORT']}"
    assert worker_env["CELERY_BROKER_URL"].startswith("rediss://") and worker_env["CELERY_BROKER_URL"].count("/1?")
    assert [t["name"] for t in spec["triggers"]] == CELERY_QUEUES
    for trigger in spec["triggers"]:
        assert trigger["type"] == "redis"
        assert trigger["metadata"] == {
            "address": address,
            "listName": trigger["name"],
            "listLength": "20",
            "databaseIndex": "1",
        }
        assert trigger["authenticationRef"] == {"name": "dify-worker-redis"}
    auth = find(objs, "TriggerAuthentication", "dify-worker-redis")
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "password", "name": "dify-worker-keda", "key": "password"},
        {"parameter": "tls", "name": "dify-worker-keda", "key": "tls"},
    ]
    secret = find(objs, "Secret", "dify-worker-keda")["stringData"]
    assert secret == {"password": worker_env["REDIS_PASSWORD"], "tls": "enable"}
    assert worker_env["REDIS_USE_SSL"] == "true"
    assert check_keda_objects(objs) == []
    # The pack counts the worker by the ScaledObject's minimum: no min-replicas or PDB finding.
    assert _violations(synth_with("prod", **KEDA)) == set()


def test_keda_reaches_the_in_cluster_redis_from_its_own_namespace_only() -> None:
    objs = objects(
        synth_with("dev", autoscaling={"keda": {"enabled": True, "maxReplicas": 3}}, app={"sqlalchemyPoolSize": 5})
    )
    address = find(objs, "ScaledObject", "dify-worker")["spec"]["triggers"][0]["metadata"]["address"]
    # Qualified: KEDA resolves names from its own namespace.
    assert address == "dify-redis.dify.svc:6379"
    keda = [
        r
        for r in find_redis_policy(objs)["spec"]["ingress"]
        if {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}} in r["from"]
    ]
    assert keda == [
        {
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}}],
            "ports": [{"port": "redis", "protocol": "TCP"}],
        }
    ]
    # The in-cluster Redis speaks plain TCP, and the scaler is told so by the same Secret.
    assert find(objs, "Secret", "dify-worker-keda")["stringData"]["tls"] == "disable"
    # Without KEDA no such rule: the flow exists only while the ScaledObject does.
    assert not any("keda" in str(r) for r in find_redis_policy(objects(synth_with("dev")))["spec"]["ingress"])


def find_redis_policy(objs: list[dict[str, Any]]) -> dict[str, Any]:
    return next(
        p
        for p in kinds(objs, "NetworkPolicy")
        if p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == "redis"
    )


def test_keda_check_catches_what_keda_would_reject() -> None:
    objs = copy.deepcopy(objects(synth_with("prod", **KEDA)))
    scaled = find(objs, "ScaledObject", "dify-worker")
    scaled["spec"]["triggers"][0]["metadata"]["listLength"] = 20
    scaled["spec"]["triggers"][1]["authenticationRef"]["name"] = "nope"
    scaled["spec"]["scaleTargetRef"]["name"] = "dify-wroker"
    scaled["spec"]["advanced"]["scalingModifiers"]["formula"] = "api_token"
    find(objs, "TriggerAuthentication", "dify-worker-redis")["spec"]["secretTargetRef"][0]["name"] = "gone"
    assert check_keda_objects(objs) == [
        "ScaledObject/dify-worker: scaleTargetRef names no Deployment in its namespace",
        "ScaledObject/dify-worker: metadata listLength is not a string",
        "ScaledObject/dify-worker: trigger dataset references no TriggerAuthentication",
        "ScaledObject/dify-worker: scalingModifiers.formula does not sum exactly the triggers",
        "TriggerAuthentication/dify-worker-redis: secretTargetRef password names no Secret key here",
    ]


def test_cert_manager_issues_once_and_every_object_serves_the_secret(prod: Recording) -> None:
    ingresses = {i["metadata"]["name"]: i for i in kinds(objects(prod), "Ingress")}
    assert set(ingresses) == {"dify", "dify-console", "dify-app-api", "dify-public-api"}
    issuers = {n: i["metadata"]["annotations"].get("cert-manager.io/cluster-issuer") for n, i in ingresses.items()}
    assert issuers == {"dify": "letsencrypt-prod", "dify-console": None, "dify-app-api": None, "dify-public-api": None}
    for ingress in ingresses.values():
        assert ingress["spec"]["ingressClassName"] == "nginx"
        assert ingress["spec"]["tls"] == [{"hosts": ["dify.example.com"], "secretName": "dify-tls"}]
        annotations = ingress["metadata"]["annotations"]
        # SSE-safe: no response buffering, one-hour timeouts, 100m uploads.
        assert {k.split("/")[1]: annotations[k] for k in annotations if "proxy-" in k} == {
            "proxy-body-size": "100m",
            "proxy-read-timeout": "3600",
            "proxy-send-timeout": "3600",
            "proxy-buffering": "off",
        }


ALB_SHARED = {
    "alb.ingress.kubernetes.io/group.name": "dify-prod",
    "alb.ingress.kubernetes.io/scheme": "internet-facing",
    "alb.ingress.kubernetes.io/target-type": "ip",
    "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
    "alb.ingress.kubernetes.io/ssl-redirect": "443",
    "alb.ingress.kubernetes.io/certificate-arn": ARN,
    "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "alb.ingress.kubernetes.io/load-balancer-attributes": "idle_timeout.timeout_seconds=3600",
}
# Object → (paths, health-check path, success codes, group.order).
ALB_OBJECTS = {
    "dify": (["/explore", "/"], "/", "200-399", "1000"),
    "dify-api": (["/console/api", "/api", "/v1", "/openapi", "/files", "/mcp", "/triggers"], "/health", "200", "10"),
    "dify-api-websocket": (["/socket.io"], "/health", "200", "20"),
    "dify-plugin-daemon": (["/e"], "/health/check", "200", "30"),
}


def test_alb_mode_one_object_per_backend_on_one_alb() -> None:
    objs = objects(synth_with("prod", **ALB_INGRESS))
    ingresses = {i["metadata"]["name"]: i for i in kinds(objs, "Ingress")}
    assert set(ingresses) == set(ALB_OBJECTS)
    for name, (paths, health, codes, order) in ALB_OBJECTS.items():
        ingress = ingresses[name]
        assert ingress["spec"]["ingressClassName"] == "alb"
        assert ingress["spec"]["tls"] == [{"hosts": ["dify.example.com"]}]
        (rule,) = ingress["spec"]["rules"]
        assert [p["path"] for p in rule["http"]["paths"]] == paths
        assert ingress["metadata"]["annotations"] == {
            **ALB_SHARED,
            "alb.ingress.kubernetes.io/group.order": order,
            "alb.ingress.kubernetes.io/healthcheck-path": health,
            "alb.ingress.kubernetes.io/success-codes": codes,
        }


def test_alb_carries_the_waf_acl_on_every_object() -> None:
    waf = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/dify/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
    tls = {"mode": "alb", "certificateArn": ARN, "wafAclArn": waf}
    objs = objects(synth_with("prod", ingress={"enabled": True, "tls": tls}))
    acls = {
        i["metadata"]["name"]: i["metadata"]["annotations"]["alb.ingress.kubernetes.io/wafv2-acl-arn"]
        for i in kinds(objs, "Ingress")
    }
    assert acls == dict.fromkeys(ALB_OBJECTS, waf)


def test_alb_ingresses_pass_the_pack() -> None:
    # k8s-ingress-tls: the TLS block names the host even though ACM holds the certificate.
    assert _violations(synth_with("prod", **ALB_INGRESS)) == set()


def test_alb_reaches_the_backends_from_the_vpc_not_the_ingress_namespace() -> None:
    objs = objects(synth_with("prod", **ALB_INGRESS))
    policy_of = {
        p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component"): p
        for p in kinds(objs, "NetworkPolicy")
    }
    for component in ("api", "api-websocket", "web", "plugin-daemon"):
        sources = [peer for rule in policy_of[component]["spec"].get("ingress", []) for peer in rule.get("from", [])]
        assert {"ipBlock": {"cidr": "10.20.0.0/16"}} in sources, component
        assert not any("namespaceSelector" in peer and "podSelector" not in peer for peer in sources), component


def test_public_urls_come_from_host_and_scheme_once(prod: Recording) -> None:
    objs = objects(prod)
    api, web = env(objs, find(objs, "Deployment", "dify-api")), env(objs, find(objs, "Deployment", "dify-web"))
    for name in ("CONSOLE_API_URL", "CONSOLE_WEB_URL", "SERVICE_API_URL", "APP_WEB_URL", "FILES_URL", "TRIGGER_URL"):
        assert api[name] == "https://dify.example.com", name
    assert api["ENDPOINT_URL_TEMPLATE"] == "https://dify.example.com/e/{hook_id}"
    assert (web["CONSOLE_API_URL"], web["APP_API_URL"]) == ("https://dify.example.com", "https://dify.example.com")
    assert web["NEXT_PUBLIC_SOCKET_URL"] == "wss://dify.example.com"


def test_the_budget_assumes_what_is_rendered(dev: Recording, prod: Recording) -> None:
    # The in-cluster server's limit, and the per-process pools the budget multiplies.
    postgres = container(find(objects(dev), "StatefulSet", "dify-postgres"))
    assert "max_connections=200" in postgres["args"] and IN_CLUSTER_MAX_CONNECTIONS == 200
    daemon = env(objects(prod), find(objects(prod), "Deployment", "dify-plugin-daemon"))
    assert daemon["DB_MAX_OPEN_CONNS"] == "30" and PLUGIN_DAEMON_MAX_OPEN_CONNS == 30
    worker = env(objects(prod), find(objects(prod), "Deployment", "dify-worker"))
    # No pool override: the entrypoint's gevent pool, one process and one engine per pod.
    assert not {"CELERY_WORKER_POOL", "CELERY_WORKER_CLASS", "SQLALCHEMY_MAX_OVERFLOW"} & set(worker)
    assert worker["SQLALCHEMY_POOL_SIZE"] == "20"


def _violations(recording: Recording) -> set[tuple[str, str]]:
    report = policy.run(recording, "prod", policy.config_for("prod"))
    # A message is the policy's description, then the finding on its last line.
    return {(v.policy, v.message.splitlines()[-1]) for v in report.violations}


def test_policies_count_an_autoscaled_deployment_by_its_minimum(prod: Recording) -> None:
    assert _violations(prod) == set()
    low = copy.deepcopy(prod)
    for reg in low.registrations:
        if reg.name == "autoscaling-api-hpa":
            reg.inputs["spec"]["minReplicas"] = reg.outputs["spec"]["minReplicas"] = 1
    assert {v[0] for v in _violations(low)} == {"k8s-hpa-min-replicas", "k8s-deployment-min-replicas"}
    assert (
        "k8s-deployment-min-replicas",
        "Deployment dify-prod/dify-api: 1 replica(s) < 2; one node drain takes it down",
    ) in _violations(low)
    no_pdb = copy.deepcopy(prod)
    no_pdb.registrations = [r for r in no_pdb.registrations if r.name != "api-pdb"]
    assert _violations(no_pdb) == {
        ("k8s-stack-pdb", "Deployment dify-prod/dify-api: 2 replicas and no PodDisruptionBudget")
    }


def test_a_null_metric_is_left_out_and_a_minimum_of_one_gets_no_pdb() -> None:
    scaled = {"enabled": True, "minReplicas": 1, "maxReplicas": 2, "memoryUtilization": None}
    objs = objects(synth_with("dev", autoscaling={"web": scaled}))
    hpa = find(objs, "HorizontalPodAutoscaler", "dify-web")
    assert hpa["spec"]["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}
    ]
    web = find(objs, "Deployment", "dify-web")
    assert "replicas" not in web["spec"] and "topologySpreadConstraints" not in pod_spec(web)
    assert kinds(objs, "PodDisruptionBudget") == []
