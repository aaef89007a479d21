"""Tests for synth.xref: every reference between objects resolves."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from synth.xref import check_references
from tests.validator_baseline import BASELINE, NS, Obj, api_container, api_pod, assert_one_error, find, meta

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
        lambda o: o.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("x", "dify-x")}),
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
