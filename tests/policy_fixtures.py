"""A compliant baseline stack for the policy tests, built as the engine would send it.

Every test flips one field of one resource (``mutate``) and runs the whole pack through the offline
runner, so each case proves both that its policy fires and that no other policy does.
"""

# ruff: noqa: E501 - the case tables read best one case per line

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from synth.mocks import Recording, Registration

NS = "shop"
LABELS = {"app.kubernetes.io/name": "dify", "app.kubernetes.io/component": "web"}
PSA = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "v1.33",
    "pod-security.kubernetes.io/warn": "restricted",
}
TAGS = {"project": "dify", "environment": "prod"}


def container(name: str = "web", image: str = "docker.io/langgenius/dify-web:1.16.1", **env: str) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
        "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 1001,
        },
    }


def workload(name: str, kind: str = "Deployment", replicas: int = 2, labels: dict[str, str] | None = None,
             containers: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    labels = dict(labels or LABELS)  # a copy each: one case's flip must not reach another object
    return {
        "apiVersion": "batch/v1" if kind == "Job" else "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            **({} if kind == "Job" else {"replicas": replicas, "selector": {"matchLabels": dict(labels)}}),
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": containers or [container()],
                },
            },
        },
    }


def _k8s(kind: str, group: str, name: str, body: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return f"kubernetes:{group}:{kind}", name, {"kind": kind, **body}


BEAT = {"app.kubernetes.io/name": "dify", "app.kubernetes.io/component": "beat"}
WEAVIATE = {"app.kubernetes.io/name": "dify", "app.kubernetes.io/component": "vector"}
IRSA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:dify:api",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        }},
    }],
}  # fmt: skip
TLS_POLICY = {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Principal": "*", "Resource": "*",
                             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}  # fmt: skip


def baseline() -> list[tuple[str, str, dict[str, Any]]]:
    """(type, name, props) of a small stack every policy passes."""
    selector = {"matchLabels": dict(LABELS)}
    return [
        _k8s("Namespace", "core/v1", "ns", {"metadata": {"name": NS, "labels": PSA}}),
        _k8s("NetworkPolicy", "networking.k8s.io/v1", "deny", {"metadata": {"name": "deny", "namespace": NS},
             "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
        *[
            _k8s("NetworkPolicy", "networking.k8s.io/v1", f"np-{c}", {"metadata": {"name": f"np-{c}", "namespace": NS},
                 "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/component": c}}, "policyTypes": ["Ingress"],
                          "ingress": [{}]}})
            for c in ("web", "beat", "vector")
        ],
        ("kubernetes:apps/v1:Deployment", "web", workload("dify-web")),
        _k8s("PodDisruptionBudget", "policy/v1", "pdb", {"metadata": {"name": "pdb", "namespace": NS},
             "spec": {"selector": selector, "maxUnavailable": 1}}),
        _k8s("Service", "core/v1", "svc", {"metadata": {"name": "dify-web", "namespace": NS},
             "spec": {"type": "ClusterIP", "selector": dict(LABELS), "ports": [{"port": 80}]}}),
        _k8s("Ingress", "networking.k8s.io/v1", "ing", {"metadata": {"name": "dify", "namespace": NS},
             "spec": {"tls": [{"hosts": ["dify.example.com"], "secretName": "tls"}],
                      "rules": [{"host": "dify.example.com"}]}}),
        _k8s("HorizontalPodAutoscaler", "autoscaling/v2", "hpa", {"metadata": {"name": "hpa", "namespace": NS},
             "spec": {"minReplicas": 2, "maxReplicas": 4}}),
        _k8s("ConfigMap", "core/v1", "cm", {"metadata": {"name": "cm", "namespace": NS},
             "data": {"nginx.conf": "worker_processes 2;\n", "LOG_LEVEL": "INFO"}}),
        ("kubernetes:apps/v1:Deployment", "beat", workload(
            "dify-worker-beat", replicas=1, labels=BEAT,
            containers=[container("beat", "docker.io/langgenius/dify-api:1.16.1", MODE="beat", MIGRATION_ENABLED="false")],
        )),
        ("kubernetes:apps/v1:StatefulSet", "weaviate", workload(
            "dify-weaviate", "StatefulSet", replicas=1, labels=WEAVIATE,
            containers=[container("weaviate", "docker.io/semitechnologies/weaviate:1.27.0",
                                  AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED="false", AUTHENTICATION_APIKEY_ENABLED="true")],
        )),
        ("aws:rds/instance:Instance", "db", {"engine": "postgres", "storageEncrypted": True, "multiAz": True,
         "backupRetentionPeriod": 7, "deletionProtection": True, "publiclyAccessible": False,
         "finalSnapshotIdentifier": "dify-final", "parameterGroupName": "dify-pg", "tags": TAGS}),
        ("aws:rds/parameterGroup:ParameterGroup", "pg", {"name": "dify-pg", "family": "postgres15", "tags": TAGS,
         "parameters": [{"name": "rds.force_ssl", "value": "1"}]}),
        ("aws:elasticache/replicationGroup:ReplicationGroup", "redis", {"transitEncryptionEnabled": True,
         "atRestEncryptionEnabled": True, "authToken": "x" * 32, "automaticFailoverEnabled": True,
         "multiAzEnabled": True, "snapshotRetentionLimit": 7, "tags": TAGS}),
        ("aws:s3/bucket:Bucket", "bucket", {"bucket": "dify-files", "tags": TAGS}),
        ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "bucket-pab", {"bucket": "dify-files",
         "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True}),
        ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "bucket-sse",
         {"bucket": "dify-files", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}),
        ("aws:s3/bucketVersioning:BucketVersioning", "bucket-ver", {"bucket": "dify-files",
         "versioningConfiguration": {"status": "Enabled"}}),
        ("aws:s3/bucketPolicy:BucketPolicy", "bucket-policy", {"bucket": "dify-files", "policy": json.dumps(TLS_POLICY)}),
        ("aws:iam/role:Role", "irsa", {"assumeRolePolicy": json.dumps(IRSA_TRUST), "tags": TAGS}),
        ("aws:iam/policy:Policy", "s3-access", {"policy": json.dumps({"Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::dify-files/*"}]}), "tags": TAGS}),
        ("aws:ec2/securityGroup:SecurityGroup", "db-sg", {"tags": TAGS, "ingress": [
            {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/16"]}]}),
    ]  # fmt: skip


def recording(resources: list[tuple[str, str, dict[str, Any]]], stack: str = "prod") -> Recording:
    rec = Recording()
    for type_, name, props in resources:
        urn = f"urn:pulumi:{stack}::dify::{type_}::{name}"
        rec.registrations.append(Registration(urn, type_, name, "", [], props, copy.deepcopy(props), True))
    return rec


def mutate(name: str, change: Callable[[dict[str, Any]], Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The baseline with ``change`` applied to the props of resource ``name``."""
    out = copy.deepcopy(baseline())
    props = next(p for _, n, p in out if n == name)
    change(props)
    return out


def pod(props: dict[str, Any]) -> dict[str, Any]:
    return props["spec"]["template"]["spec"]


def first(props: dict[str, Any]) -> dict[str, Any]:
    return pod(props)["containers"][0]
