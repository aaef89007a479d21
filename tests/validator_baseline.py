"""A compliant baseline of Kubernetes objects for the synth validator tests; each test flips one field."""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]

NS = "dify"


def meta(name: str, namespace: str | None = NS, **labels: str) -> Obj:
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
        "metadata": meta("api", app="api"),
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
        "metadata": meta("redis"),
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
        "metadata": meta("backup"),
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
        {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(NS, None)},
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": meta("dify-secrets"),
            "type": "Opaque",
            "stringData": {"key": "s3cr3t"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta("dify-config"),
            "data": {"LOG_LEVEL": "INFO", "config.yaml": "a: 1\n"},
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("dify-api")},
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": meta("dify-storage"),
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "5Gi"}},
            },
        },
        _api_deployment(),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta("api"),
            "spec": {
                "selector": {"app": "api"},
                "ports": [{"name": "http", "port": 5001.0, "targetPort": "http"}],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": meta("dify"),
            "spec": {
                "ingressClassName": "nginx",
                "rules": [{"host": "dify.example.com", "http": {"paths": ingress_paths}}],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta("api"),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "api"}}},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta("api"),
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
            "metadata": meta("api"),
            "spec": {
                "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend"]}]},
                "policyTypes": ["Ingress"],
            },
        },
        {
            "apiVersion": rbac,
            "kind": "Role",
            "metadata": meta("api"),
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
        },
        {
            "apiVersion": rbac,
            "kind": "RoleBinding",
            "metadata": meta("api"),
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
            "metadata": meta("dify-api-view", None),
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
            "metadata": meta("redis"),
            # No targetPort: it defaults to port.
            "spec": {"selector": {"app": "redis"}, "ports": [{"port": 6379}]},
        },
        _backup_cronjob(),
    ]


BASELINE = _baseline()


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


def baseline() -> list[Obj]:
    return copy.deepcopy(BASELINE)
