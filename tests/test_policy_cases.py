"""One compliant and one violating case per policy, from the shared baseline (tests/policy_fixtures.py).

Each case flips one field and runs the whole pack through the offline runner (the engine's
requests, the prod config), asserting that exactly its policy fires and nothing else does.
"""

# ruff: noqa: E501 - the case tables read best one case per line

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from policy.dify_policies import POLICIES
from synth import policy
from tests.policy_fixtures import BEAT, baseline, first, mutate, pod, recording


def fired(resources: list[tuple[str, str, dict[str, Any]]]) -> set[str]:
    report = policy.run(recording(resources), "prod", policy.config_for("prod"))
    return {v.policy for v in report.violations}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set a dotted path; a key that itself holds dots (a label) is matched whole where it exists."""

    def change(props: dict[str, Any]) -> None:
        parts, node = path.split("."), props
        while len(parts) > 1:
            if isinstance(node, list):
                node, parts = node[int(parts[0])], parts[1:]
                continue
            size = next((n for n in range(len(parts) - 1, 0, -1) if ".".join(parts[:n]) in node), 1)
            if ".".join(parts[:size]) not in node:
                break  # the rest names a new (possibly dotted) key
            node, parts = node[".".join(parts[:size])], parts[size:]
        key = ".".join(parts)
        if isinstance(node, list):
            node[int(key)] = value
        else:
            node[key] = value

    return change


C = "spec.template.spec.containers.0"
CASES: list[tuple[str, str, Callable[[dict[str, Any]], Any]]] = [
    ("k8s-workload-resources", "web", lambda p: first(p)["resources"].pop("limits")),
    ("k8s-workload-resources", "web", lambda p: pod(p).setdefault("initContainers", [{**first(p), "resources": {}}])),
    ("k8s-workload-probes", "web", lambda p: first(p).pop("livenessProbe")),
    ("k8s-workload-image-tag", "web", _set(f"{C}.image", "langgenius/dify-web:latest")),
    ("k8s-workload-image-tag", "web", _set(f"{C}.image", "registry.local:5000/dify-web")),
    ("k8s-workload-run-as-non-root", "web", _set(f"{C}.securityContext.runAsUser", 0)),
    ("k8s-workload-drop-all-capabilities", "web", _set(f"{C}.securityContext.capabilities", {"drop": ["NET_RAW"]})),
    ("k8s-workload-drop-all-capabilities", "web", _set(f"{C}.securityContext.capabilities.add", ["SYS_ADMIN"])),
    ("k8s-workload-no-privilege-escalation", "web", _set(f"{C}.securityContext.allowPrivilegeEscalation", True)),
    ("k8s-workload-seccomp", "web", _set("spec.template.spec.securityContext.seccompProfile.type", "Unconfined")),
    ("k8s-workload-no-privileged", "web", _set(f"{C}.securityContext.privileged", True)),
    ("k8s-workload-no-host-namespaces", "web", _set("spec.template.spec.hostNetwork", True)),
    ("k8s-workload-no-host-path", "web", _set("spec.template.spec.volumes", [{"name": "logs", "hostPath": {"path": "/"}}])),
    ("k8s-workload-read-only-root", "web", _set(f"{C}.securityContext.readOnlyRootFilesystem", False)),
    ("k8s-workload-no-literal-secrets", "web", _set(f"{C}.env", [{"name": "DB_PASSWORD", "value": "hunter2"}])),
    ("k8s-workload-no-literal-secrets", "web", _set(f"{C}.env", [{"name": "BROKER", "value": "redis://:pw@redis:6379/1"}])),
    ("k8s-workload-no-service-links", "web", lambda p: pod(p).pop("enableServiceLinks")),
    ("k8s-namespace-pod-security", "ns", lambda p: p["metadata"]["labels"].pop("pod-security.kubernetes.io/enforce")),
    ("k8s-namespace-pod-security", "ns", _set("metadata.labels.pod-security.kubernetes.io/enforce", "baseline")),
    ("k8s-service-no-external-type", "svc", _set("spec.type", "LoadBalancer")),
    ("k8s-ingress-tls", "ing", lambda p: p["spec"].pop("tls")),
    ("k8s-hpa-min-replicas", "hpa", _set("spec.minReplicas", 1)),
    ("k8s-configmap-no-secrets", "cm", _set("data.DB_PASSWORD", "hunter2")),
    ("k8s-configmap-no-secrets", "cm", _set("data.app.ini", "[db]\npassword = hunter2\n")),
    ("dify-weaviate-no-anonymous", "weaviate", _set(f"{C}.env.0.value", "true")),
    ("dify-worker-beat-singleton", "beat", _set("spec.replicas", 0)),
    ("dify-migration-only-in-job", "beat", _set(f"{C}.env.1.value", "true")),
    ("k8s-stack-network-policy-per-pod", "np-web", _set("spec.podSelector.matchLabels.app.kubernetes.io/component", "x")),
    ("k8s-stack-default-deny", "deny", _set("spec.policyTypes", ["Ingress"])),
    ("k8s-stack-pdb", "pdb", _set("spec.selector.matchLabels.app.kubernetes.io/component", "x")),
    ("k8s-deployment-min-replicas", "web", _set("spec.replicas", 1)),
    ("k8s-stack-service-account-token", "web", _set("spec.template.spec.automountServiceAccountToken", True)),
    ("aws-rds-encrypted", "db", _set("storageEncrypted", False)),
    ("aws-rds-multi-az", "db", _set("multiAz", False)),
    ("aws-rds-backup-retention", "db", _set("backupRetentionPeriod", 3)),
    ("aws-rds-deletion-protection", "db", lambda p: p.pop("deletionProtection")),
    ("aws-rds-not-public", "db", _set("publiclyAccessible", True)),
    ("aws-rds-final-snapshot", "db", _set("skipFinalSnapshot", True)),
    ("aws-rds-final-snapshot", "db", lambda p: p.pop("finalSnapshotIdentifier")),
    ("aws-elasticache-snapshots", "redis", _set("snapshotRetentionLimit", 0)),
    ("aws-elasticache-snapshots", "redis", lambda p: p.pop("snapshotRetentionLimit")),
    ("aws-rds-force-ssl", "pg", _set("parameters", [{"name": "rds.force_ssl", "value": "0"}])),
    ("aws-elasticache-encryption", "redis", _set("transitEncryptionEnabled", False)),
    ("aws-elasticache-auth", "redis", lambda p: p.pop("authToken")),
    ("aws-elasticache-failover", "redis", _set("automaticFailoverEnabled", False)),
    ("aws-s3-public-access-block", "bucket-pab", _set("restrictPublicBuckets", False)),
    ("aws-s3-encryption", "bucket-sse", _set("bucket", "another-bucket")),
    ("aws-s3-versioning", "bucket-ver", _set("versioningConfiguration.status", "Suspended")),
    ("aws-s3-tls-only", "bucket-policy", _set("policy", json.dumps({"Statement": []}))),
    ("aws-iam-no-wildcard-admin", "s3-access", _set("policy", json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))),
    ("aws-iam-irsa-trust-scoped", "irsa", lambda p: p.update(assumeRolePolicy=p["assumeRolePolicy"].replace(":aud", ":x"))),
    ("aws-security-group-no-public-data-ports", "db-sg", _set("ingress.0.cidrBlocks", ["0.0.0.0/0"])),
    ("aws-security-group-no-public-data-ports", "db-sg", _set("ingress.0", {"protocol": "-1", "ipv6CidrBlocks": ["::/0"]})),
    ("aws-required-tags", "db", lambda p: p["tags"].pop("environment")),
]  # fmt: skip
# Checked elsewhere on the real stacks (they need Dify's services): tests/test_policy_stacks.py.
STACK_ONLY = {"dify-credential-pairs", "dify-datastore-hosts-exist"}


def test_the_baseline_passes_every_policy() -> None:
    assert fired(baseline()) == set()


@pytest.mark.parametrize(("name", "resource", "change"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_one_flipped_field_fires_exactly_its_policy(name: str, resource: str, change: Any) -> None:
    assert fired(mutate(resource, change)) == {name}


def test_every_policy_has_a_violating_case() -> None:
    assert {p.name for p in POLICIES} - STACK_ONLY == {c[0] for c in CASES}


def test_allow_listed_exception_needs_the_written_annotation() -> None:
    # dify-sandbox's root, capabilities and writable root are allowed only in its own namespace and
    # only with the annotation on the pod.
    def sandboxed(annotated: bool, namespace: str) -> Callable[[dict[str, Any]], None]:
        def change(p: dict[str, Any]) -> None:
            p["metadata"].update(name="dify-sandbox", namespace=namespace)
            c = first(p)
            c["name"] = "sandbox"
            c["securityContext"].update(runAsUser=0, runAsNonRoot=False, readOnlyRootFilesystem=False)
            c["securityContext"]["capabilities"]["add"] = ["SYS_CHROOT", "SETUID", "SETGID", "CHOWN"]
            if annotated:
                p["spec"]["template"]["metadata"]["annotations"] = {"dify-pulumi/security-exception": "chroot"}

        return change

    def run(annotated: bool, namespace: str) -> set[str]:
        return fired(mutate("web", sandboxed(annotated, namespace))) & relaxed

    relaxed = {"k8s-workload-run-as-non-root", "k8s-workload-drop-all-capabilities", "k8s-workload-read-only-root"}
    assert run(annotated=True, namespace="shop-sandbox") == set()
    assert run(annotated=False, namespace="shop-sandbox") == relaxed
    assert run(annotated=True, namespace="shop") == relaxed


def test_beat_singleton_needs_no_pdb_and_is_a_named_min_replicas_exception() -> None:
    assert BEAT["app.kubernetes.io/component"] == "beat"
    assert fired(mutate("beat", _set("metadata.name", "dify-scheduler"))) == {"k8s-deployment-min-replicas"}


def test_env_references_in_config_files_are_no_credentials() -> None:
    # Logstash pipelines and Grafana provisioning read the value from the pod's env (a secretKeyRef).
    for text in (
        '  password => "${ELASTICSEARCH_PASSWORD}"\n',
        "    basicAuthPassword: $DIFY_LOGS_PASSWORD\n",
        "password: '${DB_PASSWORD}'\n",
    ):
        assert fired(mutate("cm", _set("data.app.conf", text))) == set(), text
    for text in ('  password => "hunter2"\n', "password: ${DB_PASSWORD}x\n", 'password => "$lower"\n'):
        assert fired(mutate("cm", _set("data.app.conf", text))) == {"k8s-configmap-no-secrets"}, text


def test_privileged_namespace_only_for_a_named_node_agent_with_its_reason() -> None:
    def namespace(name: str, annotated: bool) -> Callable[[dict[str, Any]], None]:
        def change(p: dict[str, Any]) -> None:
            p["metadata"]["name"] = name
            p["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged"
            if annotated:
                p["metadata"]["annotations"] = {"dify-pulumi/security-exception": "reads the node's logs"}

        return change

    def run(name: str, annotated: bool) -> set[str]:
        # Renaming the fixture's namespace also leaves it without its default-deny policy.
        return fired(mutate("ns", namespace(name, annotated))) & {"k8s-namespace-pod-security"}

    assert run("shop-logging-host", annotated=True) == set()
    assert run("shop-monitoring-host", annotated=True) == set()
    assert run("shop-logging-host", annotated=False) == {"k8s-namespace-pod-security"}
    assert run("shop-logging", annotated=True) == {"k8s-namespace-pod-security"}


def test_filebeat_root_and_host_paths_only_in_its_own_namespace() -> None:
    def filebeat(namespace: str) -> Callable[[dict[str, Any]], None]:
        def change(p: dict[str, Any]) -> None:
            p["metadata"].update(name="dify-filebeat", namespace=namespace)
            c = first(p)
            c["name"] = "filebeat"
            c["securityContext"].update(runAsUser=0, runAsNonRoot=False)
            pod(p)["volumes"] = [{"name": "pods", "hostPath": {"path": "/var/log/pods", "type": "Directory"}}]
            p["spec"]["template"]["metadata"]["annotations"] = {"dify-pulumi/security-exception": "reads logs"}

        return change

    relaxed = {"k8s-workload-run-as-non-root", "k8s-workload-no-host-path"}
    assert fired(mutate("web", filebeat("shop-logging-host"))) & relaxed == set()
    assert fired(mutate("web", filebeat("shop-logging"))) & relaxed == relaxed
