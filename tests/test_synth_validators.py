"""Tests for the offline synth validators (strict schemas and cross-references)."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import pytest

from synth.schema import SUPPORTED_VERSIONS, is_supported_version, validate_schemas
from synth.xref import check_references

Obj = dict[str, Any]
NS = "dify"


def _meta(name: str, namespace: str | None = NS, **labels: str) -> Obj:
    meta: Obj = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    return meta


def _api_deployment() -> Obj:
    container = {
        "name": "api",
        "image": "langgenius/dify-api:1.0.0",
        # Floats on purpose: values arrive through protobuf as 5001.0.
        "ports": [{"name": "http", "containerPort": 5001.0}],
        "livenessProbe": {"httpGet": {"path": "/health", "port": "http"}},
        "readinessProbe": {"tcpSocket": {"port": 5001.0}},
        "env": [
            {
                "name": "SECRET_KEY",
                "valueFrom": {"secretKeyRef": {"name": "dify-secrets", "key": "key"}},
            },
            {
                "name": "LOG_LEVEL",
                "valueFrom": {"configMapKeyRef": {"name": "dify-config", "key": "LOG_LEVEL"}},
            },
            {
                "name": "OPTIONAL",
                "valueFrom": {"secretKeyRef": {"name": "absent", "key": "x", "optional": True}},
            },
        ],
        "envFrom": [{"configMapRef": {"name": "dify-config"}}],
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/dify"},
            {"name": "secrets", "mountPath": "/run/secrets"},
            {"name": "storage", "mountPath": "/app/storage"},
            {"name": "bundle", "mountPath": "/etc/bundle"},
        ],
    }
    init = {"name": "migrate", "image": "langgenius/dify-api:1.0.0"}
    volumes = [
        {
            "name": "config",
            "configMap": {
                "name": "dify-config",
                "items": [{"key": "config.yaml", "path": "config.yaml"}],
            },
        },
        {"name": "secrets", "secret": {"secretName": "dify-secrets"}},
        {"name": "storage", "persistentVolumeClaim": {"claimName": "dify-storage"}},
        {
            "name": "bundle",
            "projected": {
                "sources": [
                    {"configMap": {"name": "dify-config"}},
                    {
                        "secret": {
                            "name": "dify-secrets",
                            "items": [{"key": "key", "path": "k"}],
                        }
                    },
                ]
            },
        },
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta("api", app="api"),
        "spec": {
            "replicas": 2.0,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api", "tier": "backend"}},
                "spec": {
                    "serviceAccountName": "dify-api",
                    "initContainers": [init],
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    }


def _redis_statefulset() -> Obj:
    container = {
        "name": "redis",
        "image": "redis:7",
        "ports": [{"name": "redis", "containerPort": 6379}],
        "readinessProbe": {"tcpSocket": {"port": "redis"}},
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    claim = {
        "metadata": {"name": "data"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta("redis"),
        "spec": {
            "serviceName": "redis",
            "selector": {"matchLabels": {"app": "redis"}},
            "template": {
                "metadata": {"labels": {"app": "redis"}},
                "spec": {"containers": [container]},
            },
            "volumeClaimTemplates": [claim],
        },
    }


def _backup_cronjob() -> Obj:
    # Mounts the StatefulSet's generated claim "<template>-<statefulset>-<ordinal>".
    pod_spec = {
        "restartPolicy": "OnFailure",
        "containers": [
            {
                "name": "backup",
                "image": "redis:7",
                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            }
        ],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-redis-0"}}],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta("backup"),
        "spec": {
            "schedule": "0 3 * * *",
            "jobTemplate": {"spec": {"template": {"spec": pod_spec}}},
        },
    }


def _baseline() -> list[Obj]:
    rbac = "rbac.authorization.k8s.io/v1"
    sa_subject = {"kind": "ServiceAccount", "name": "dify-api", "namespace": NS}
    ingress_paths = [
        {
            "path": "/console/api",
            "pathType": "Prefix",
            "backend": {"service": {"name": "api", "port": {"number": 5001.0}}},
        },
        {
            "path": "/v1",
            "pathType": "Prefix",
            "backend": {"service": {"name": "api", "port": {"name": "http"}}},
        },
    ]
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(NS, None)},
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta("dify-secrets"),
            "type": "Opaque",
            "stringData": {"key": "s3cr3t"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("dify-config"),
            "data": {"LOG_LEVEL": "INFO", "config.yaml": "a: 1\n"},
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("dify-api")},
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": _meta("dify-storage"),
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "5Gi"}},
            },
        },
        _api_deployment(),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta("api"),
            "spec": {
                "selector": {"app": "api"},
                "ports": [{"name": "http", "port": 5001.0, "targetPort": "http"}],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": _meta("dify"),
            "spec": {
                "ingressClassName": "nginx",
                "rules": [{"host": "dify.example.com", "http": {"paths": ingress_paths}}],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _meta("api"),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "api"}}},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": _meta("api"),
            "spec": {
                "scaleTargetRef": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "api",
                },
                "minReplicas": 2,
                "maxReplicas": 5,
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta("api"),
            "spec": {
                "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend"]}]},
                "policyTypes": ["Ingress"],
            },
        },
        {
            "apiVersion": rbac,
            "kind": "Role",
            "metadata": _meta("api"),
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
        },
        {
            "apiVersion": rbac,
            "kind": "RoleBinding",
            "metadata": _meta("api"),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "api",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "dify-api"}],
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRoleBinding",
            "metadata": _meta("dify-api-view", None),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "view",
            },
            "subjects": [sa_subject],
        },
        _redis_statefulset(),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta("redis"),
            # No targetPort: it defaults to port.
            "spec": {"selector": {"app": "redis"}, "ports": [{"port": 6379}]},
        },
        _backup_cronjob(),
    ]


BASELINE = _baseline()


@pytest.fixture
def objs() -> list[Obj]:
    return copy.deepcopy(BASELINE)


def find(objects: list[Obj], kind: str, name: str) -> Obj:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def api_pod(objects: list[Obj]) -> Obj:
    spec: Obj = find(objects, "Deployment", "api")["spec"]["template"]["spec"]
    return spec


def api_container(objects: list[Obj]) -> Obj:
    container: Obj = api_pod(objects)["containers"][0]
    return container


def assert_one_error(errors: list[str], expected: str) -> None:
    assert len(errors) == 1, errors
    assert expected in errors[0], errors


# --- baseline ---------------------------------------------------------------


def test_baseline_is_clean(objs: list[Obj]) -> None:
    assert validate_schemas(objs) == []
    assert check_references(objs) == []


def test_validators_do_not_mutate_input(objs: list[Obj]) -> None:
    validate_schemas(objs)
    check_references(objs)
    assert objs == BASELINE
    assert isinstance(api_container(objs)["ports"][0]["containerPort"], float)


# --- schema -------------------------------------------------------------------


def test_schema_unknown_field_is_error(objs: list[Obj]) -> None:
    find(objs, "Deployment", "api")["spec"]["replica"] = 3
    assert_one_error(
        validate_schemas(objs),
        ("Deployment/dify/api: spec: Additional properties are not allowed ('replica' was unexpected)"),
    )


def test_schema_typo_in_pod_spec_is_error(objs: list[Obj]) -> None:
    pod = api_pod(objs)
    pod["contianers"] = pod.pop("containers")
    errors = validate_schemas(objs)
    assert "Deployment/dify/api: spec.template.spec: 'containers' is a required property" in errors
    assert any("('contianers' was unexpected)" in e for e in errors), errors


def test_schema_non_integral_float_is_error(objs: list[Obj]) -> None:
    api_container(objs)["ports"][0]["containerPort"] = 5001.5
    assert_one_error(
        validate_schemas(objs),
        (
            "Deployment/dify/api: spec.template.spec.containers[0].ports[0]"
            ".containerPort: 5001.5 is not of type 'integer'"
        ),
    )


def test_schema_wrong_type_is_error(objs: list[Obj]) -> None:
    find(objs, "Service", "api")["spec"]["ports"][0]["port"] = "http"
    assert_one_error(
        validate_schemas(objs),
        "Service/dify/api: spec.ports[0].port: 'http' is not of type 'integer'",
    )


def test_schema_cluster_scoped_name_has_no_namespace(objs: list[Obj]) -> None:
    find(objs, "Namespace", NS)["spec"] = {"finalizer": []}
    assert_one_error(validate_schemas(objs), "Namespace/dify: spec: Additional properties")


def test_schema_unknown_kind_is_error_unless_allowed() -> None:
    cert = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": _meta("tls"),
        "spec": {},
    }
    assert validate_schemas([cert]) == [
        ("Certificate/dify/tls: (root): no schema for cert-manager.io/v1/Certificate in Kubernetes 1.33")
    ]
    assert validate_schemas([cert], allow_unknown_kinds={"cert-manager.io/v1/Certificate"}) == []
    assert validate_schemas([cert], allow_unknown_kinds={"cert-manager.io/*"}) == []
    assert validate_schemas([cert], allow_unknown_kinds={"example.com/*"}) != []


def test_schema_foreign_group_does_not_borrow_core_schema() -> None:
    # The bundled file for networking.k8s.io/v1 Ingress would otherwise match.
    crd = {
        "apiVersion": "networking.example.com/v1",
        "kind": "Ingress",
        "metadata": _meta("x"),
    }
    assert_one_error(validate_schemas([crd]), "no schema for networking.example.com/v1/Ingress")


def test_schema_missing_kind_is_error() -> None:
    assert_one_error(
        validate_schemas([{"apiVersion": "v1", "metadata": _meta("x")}]),
        "apiVersion and kind must be strings",
    )


@pytest.mark.parametrize("version", ["1.33", "v1.33", "1.33.4", SUPPORTED_VERSIONS[-1]])
def test_schema_supported_version_spellings(objs: list[Obj], version: str) -> None:
    assert is_supported_version(version)
    assert validate_schemas(objs, version) == []


@pytest.mark.parametrize("version", ["1.10", "2.0", "latest", ""])
def test_schema_unsupported_version_raises(version: str) -> None:
    assert not is_supported_version(version)
    with pytest.raises(ValueError, match="not supported"):
        validate_schemas([], version)


def test_schema_validation_is_fast(objs: list[Obj]) -> None:
    many = (objs * 5)[:80]
    validate_schemas(many)  # warm the schema caches
    start = time.perf_counter()
    validate_schemas(many)
    assert time.perf_counter() - start < 1.0


# --- cross references ---------------------------------------------------------

Mutation = Callable[[list[Obj]], None]


def _set_ns(kind: str, name: str, namespace: str) -> Mutation:
    return lambda o: find(o, kind, name)["metadata"].update(namespace=namespace)


XREF_CASES: dict[str, tuple[Mutation, str]] = {
    "duplicate": (
        lambda o: o.append(copy.deepcopy(find(o, "ConfigMap", "dify-config"))),
        "ConfigMap/dify/dify-config: duplicate object",
    ),
    "duplicate-cluster-scoped": (
        lambda o: o.append(copy.deepcopy(find(o, "Namespace", NS))),
        "Namespace/dify: duplicate object",
    ),
    "service-selects-nothing": (
        lambda o: find(o, "Service", "api")["spec"].update(selector={"app": "apx"}),
        ("Service/dify/api: selector {'app': 'apx'} matches no pod template in namespace 'dify'"),
    ),
    "service-named-target-port": (
        lambda o: find(o, "Service", "api")["spec"]["ports"][0].update(targetPort="web"),
        ("Service/dify/api: port 'http': targetPort 'web' is not a containerPort of Deployment/dify/api"),
    ),
    "service-numeric-target-port": (
        lambda o: find(o, "Service", "api")["spec"]["ports"][0].update(targetPort=8080.0),
        "Service/dify/api: port 'http': targetPort 8080 is not a containerPort",
    ),
    "service-default-target-port": (
        lambda o: find(o, "Service", "redis")["spec"]["ports"][0].update(port=6380),
        ("Service/dify/redis: port 6380: targetPort 6380 is not a containerPort of StatefulSet/dify/redis"),
    ),
    "ingress-missing-service": (
        lambda o: find(o, "Ingress", "dify")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"].update(
            name="web"
        ),
        ("Ingress/dify/dify: rules[0].http.paths[0]: Service 'web' not found in namespace 'dify'"),
    ),
    "ingress-port-number": (
        lambda o: find(o, "Ingress", "dify")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"].update(
            port={"number": 80}
        ),
        "Ingress/dify/dify: rules[0].http.paths[0]: Service 'api' has no port 80",
    ),
    "ingress-port-name": (
        lambda o: find(o, "Ingress", "dify")["spec"]["rules"][0]["http"]["paths"][1]["backend"]["service"].update(
            port={"name": "https"}
        ),
        ("Ingress/dify/dify: rules[0].http.paths[1]: Service 'api' has no port named 'https'"),
    ),
    "ingress-default-backend": (
        lambda o: find(o, "Ingress", "dify")["spec"].update(
            defaultBackend={"service": {"name": "nope", "port": {"number": 80}}}
        ),
        "Ingress/dify/dify: defaultBackend: Service 'nope' not found",
    ),
    "env-secret-missing": (
        lambda o: api_container(o)["env"][0]["valueFrom"]["secretKeyRef"].update(name="other"),
        ("Deployment/dify/api: container 'api': env 'SECRET_KEY': Secret 'other' not found in namespace 'dify'"),
    ),
    "env-secret-key-missing": (
        lambda o: api_container(o)["env"][0]["valueFrom"]["secretKeyRef"].update(key="nokey"),
        ("Deployment/dify/api: container 'api': env 'SECRET_KEY': Secret 'dify-secrets' has no key 'nokey'"),
    ),
    "env-configmap-key-missing": (
        lambda o: api_container(o)["env"][1]["valueFrom"]["configMapKeyRef"].update(key="LOGLEVEL"),
        ("container 'api': env 'LOG_LEVEL': ConfigMap 'dify-config' has no key 'LOGLEVEL'"),
    ),
    "env-init-container": (
        lambda o: api_pod(o)["initContainers"][0].update(
            env=[
                {
                    "name": "X",
                    "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "x"}},
                }
            ]
        ),
        "container 'migrate': env 'X': ConfigMap 'cfg' not found",
    ),
    "env-from-missing": (
        lambda o: api_container(o)["envFrom"].append({"secretRef": {"name": "env"}}),
        "container 'api': envFrom: Secret 'env' not found in namespace 'dify'",
    ),
    "volume-configmap-missing": (
        lambda o: api_pod(o)["volumes"][0]["configMap"].update(name="cfg"),
        "Deployment/dify/api: volume 'config': ConfigMap 'cfg' not found",
    ),
    "volume-configmap-item-key": (
        lambda o: api_pod(o)["volumes"][0]["configMap"]["items"][0].update(key="x.yaml"),
        "volume 'config': ConfigMap 'dify-config' has no key 'x.yaml'",
    ),
    "volume-secret-missing": (
        lambda o: api_pod(o)["volumes"][1]["secret"].update(secretName="tls"),
        "volume 'secrets': Secret 'tls' not found in namespace 'dify'",
    ),
    "volume-pvc-missing": (
        lambda o: api_pod(o)["volumes"][2]["persistentVolumeClaim"].update(claimName="data"),
        "volume 'storage': PersistentVolumeClaim 'data' not found in namespace 'dify'",
    ),
    "volume-sts-claim-wrong-name": (
        lambda o: find(o, "CronJob", "backup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"][0][
            "persistentVolumeClaim"
        ].update(claimName="data-redis"),
        ("CronJob/dify/backup: volume 'data': PersistentVolumeClaim 'data-redis' not found"),
    ),
    "volume-projected-key": (
        lambda o: api_pod(o)["volumes"][3]["projected"]["sources"][1]["secret"]["items"][0].update(key="cert"),
        "volume 'bundle': Secret 'dify-secrets' has no key 'cert'",
    ),
    "volume-mount-undeclared": (
        lambda o: api_container(o)["volumeMounts"].append({"name": "tmp", "mountPath": "/tmp"}),
        "container 'api': volumeMount 'tmp' is no volume or volumeClaimTemplate",
    ),
    "volume-mount-claim-template-of-other-sts": (
        lambda o: api_container(o)["volumeMounts"].append({"name": "data", "mountPath": "/data"}),
        "Deployment/dify/api: container 'api': volumeMount 'data' is no volume",
    ),
    "probe-named-port": (
        lambda o: api_container(o)["livenessProbe"]["httpGet"].update(port="web"),
        (
            "Deployment/dify/api: container 'api': livenessProbe.httpGet.port 'web'"
            " is not a containerPort of this container"
        ),
    ),
    "probe-numeric-port": (
        lambda o: api_container(o)["readinessProbe"]["tcpSocket"].update(port=8080.0),
        "container 'api': readinessProbe.tcpSocket.port 8080 is not a containerPort",
    ),
    "probe-grpc-port": (
        lambda o: api_container(o).update(startupProbe={"grpc": {"port": 9090}}),
        "container 'api': startupProbe.grpc.port 9090 is not a containerPort",
    ),
    "hpa-target-missing": (
        lambda o: find(o, "HorizontalPodAutoscaler", "api")["spec"]["scaleTargetRef"].update(kind="StatefulSet"),
        ("HorizontalPodAutoscaler/dify/api: scaleTargetRef StatefulSet 'api' not found in namespace 'dify'"),
    ),
    "pdb-selects-nothing": (
        lambda o: find(o, "PodDisruptionBudget", "api")["spec"]["selector"].update(matchLabels={"app": "web"}),
        ("PodDisruptionBudget/dify/api: selector matches no pod template in namespace 'dify'"),
    ),
    "pdb-null-selector": (
        lambda o: find(o, "PodDisruptionBudget", "api")["spec"].pop("selector"),
        "PodDisruptionBudget/dify/api: selector matches no pod template",
    ),
    "service-account-missing": (
        lambda o: api_pod(o).update(serviceAccountName="dify-web"),
        "Deployment/dify/api: ServiceAccount 'dify-web' not found in namespace 'dify'",
    ),
    "rolebinding-subject-missing": (
        lambda o: find(o, "RoleBinding", "api")["subjects"][0].update(name="web"),
        ("RoleBinding/dify/api: subject ServiceAccount 'web' not found in namespace 'dify'"),
    ),
    "clusterrolebinding-subject-namespace": (
        lambda o: find(o, "ClusterRoleBinding", "dify-api-view")["subjects"][0].update(namespace="other"),
        ("ClusterRoleBinding/dify-api-view: subject ServiceAccount 'dify-api' not found in namespace 'other'"),
    ),
    "rolebinding-role-missing": (
        lambda o: find(o, "RoleBinding", "api")["roleRef"].update(name="worker"),
        "RoleBinding/dify/api: roleRef Role 'worker' not found in namespace 'dify'",
    ),
    "clusterrolebinding-clusterrole-missing": (
        lambda o: find(o, "ClusterRoleBinding", "dify-api-view")["roleRef"].update(name="dify-reader"),
        "ClusterRoleBinding/dify-api-view: roleRef ClusterRole 'dify-reader' not found",
    ),
    "namespace-undeclared": (
        lambda o: o.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("x", "dify-x")}),
        "ConfigMap/dify-x/x: namespace 'dify-x' is not declared",
    ),
    "networkpolicy-selects-nothing": (
        lambda o: find(o, "NetworkPolicy", "api")["spec"]["podSelector"]["matchExpressions"][0].update(
            values=["frontend"]
        ),
        ("NetworkPolicy/dify/api: podSelector matches no pod template in namespace 'dify'"),
    ),
}


@pytest.mark.parametrize("mutate, expected", XREF_CASES.values(), ids=XREF_CASES.keys())
def test_xref_detects(objs: list[Obj], mutate: Mutation, expected: str) -> None:
    mutate(objs)
    assert_one_error(check_references(objs), expected)


def test_xref_missing_configmap_reports_every_reference(objs: list[Obj]) -> None:
    objs.remove(find(objs, "ConfigMap", "dify-config"))
    errors = check_references(objs)
    # env, envFrom, the configMap volume and the projected source each report once.
    assert len(errors) == 4, errors
    assert all("ConfigMap 'dify-config' not found in namespace 'dify'" in e for e in errors)


def test_xref_optional_references_are_skipped(objs: list[Obj]) -> None:
    api_container(objs)["envFrom"].append({"secretRef": {"name": "x", "optional": True}})
    api_pod(objs)["volumes"][0]["configMap"].update(name="x", optional=True)
    assert check_references(objs) == []


def test_xref_builtin_cluster_roles_and_default_account_are_allowed(
    objs: list[Obj],
) -> None:
    binding = find(objs, "ClusterRoleBinding", "dify-api-view")
    binding["roleRef"]["name"] = "system:auth-delegator"
    binding["subjects"].append({"kind": "ServiceAccount", "name": "default", "namespace": NS})
    api_pod(objs)["serviceAccountName"] = "default"
    assert check_references(objs) == []


def test_xref_known_namespaces(objs: list[Obj]) -> None:
    _set_ns("ConfigMap", "dify-config", "kube-system")(objs)
    errors = check_references(objs)
    # Allowed to live there, but no longer in the workload's namespace.
    assert not any("namespace 'kube-system' is not declared" in e for e in errors)
    assert any("ConfigMap 'dify-config' not found in namespace 'dify'" in e for e in errors)
    external = {"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}
    clean = copy.deepcopy(BASELINE)
    find(clean, "ClusterRoleBinding", "dify-api-view")["subjects"].append(external)
    assert check_references(clean) == []
    assert check_references(clean, known_namespaces=()) == [
        ("ClusterRoleBinding/dify-api-view: subject ServiceAccount 'coredns' not found in namespace 'kube-system'")
    ]


def test_xref_missing_namespace_defaults_to_default(objs: list[Obj]) -> None:
    del find(objs, "ServiceAccount", "dify-api")["metadata"]["namespace"]
    errors = check_references(objs)
    assert "ServiceAccount/default/dify-api: namespace 'default' is not declared" in "\n".join(errors)
    assert check_references(objs, known_namespaces={"default"}) == [
        "Deployment/dify/api: ServiceAccount 'dify-api' not found in namespace 'dify'",
        ("RoleBinding/dify/api: subject ServiceAccount 'dify-api' not found in namespace 'dify'"),
        ("ClusterRoleBinding/dify-api-view: subject ServiceAccount 'dify-api' not found in namespace 'dify'"),
    ]


def test_xref_native_sidecar_serves_service_port(objs: list[Obj]) -> None:
    sidecar = {
        "name": "proxy",
        "image": "envoy",
        "restartPolicy": "Always",
        "ports": [{"name": "metrics", "containerPort": 9901}],
    }
    api_pod(objs)["initContainers"].append(sidecar)
    find(objs, "Service", "api")["spec"]["ports"].append({"name": "metrics", "port": 9901})
    assert check_references(objs) == []
    del sidecar["restartPolicy"]  # a plain init container has exited by then
    assert_one_error(check_references(objs), "targetPort 9901 is not a containerPort")


def test_xref_service_needs_port_on_every_selected_template(objs: list[Obj]) -> None:
    canary = copy.deepcopy(find(objs, "Deployment", "api"))
    canary["metadata"]["name"] = "api-canary"
    canary["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"] = "web"
    canary["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"] = "web"
    objs.append(canary)
    assert check_references(objs) == [
        ("Service/dify/api: port 'http': targetPort 'http' is not a containerPort of Deployment/dify/api-canary")
    ]


def test_xref_empty_network_policy_selector_is_fine(objs: list[Obj]) -> None:
    find(objs, "NetworkPolicy", "api")["spec"]["podSelector"] = {}
    assert check_references(objs) == []
