"""The pack over the synthesized dev and prod stacks: both pass with no mandatory violation, and a
realistic one-property mistake in either stack fires exactly the policy that guards it."""

# ruff: noqa: E501 - the case tables read best one case per line

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from synth import policy
from synth.mocks import Recording, Registration


def violations(recording: Recording, stack: str) -> set[tuple[str, str, str, str]]:
    report = policy.run(recording, stack, policy.config_for(stack))
    return {(v.policy, v.level, v.urn, v.message) for v in report.violations}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_stacks_have_no_mandatory_violation(stack: str, request: pytest.FixtureRequest) -> None:
    found = violations(request.getfixturevalue(stack), stack)
    assert [v for v in found if v[1] == "mandatory"] == []
    if stack == "prod":
        assert found == set()
    else:  # dev runs one replica of everything: advisory only, and only that
        assert {v[0] for v in found} == {"k8s-deployment-min-replicas"}


def _both(reg: Registration, change: Callable[[dict[str, Any]], None]) -> None:
    # Resource policies read the inputs, stack policies the outputs: a mistake is in both.
    change(reg.inputs)
    change(reg.outputs)


def _env(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        for c in props["spec"]["template"]["spec"]["containers"]:
            for e in c.get("env") or []:
                if e["name"] == name:
                    e.clear()
                    e.update({"name": name, **value})

    return change


def _container(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda props: change(props["spec"]["template"]["spec"]["containers"][0])


MUTATIONS: list[tuple[str, str, Callable[[dict[str, Any]], None]]] = [
    ("k8s-workload-resources", "api-deployment", _container(lambda c: c["resources"]["limits"].pop("memory"))),
    ("k8s-workload-image-tag", "web-deployment", _container(lambda c: c.update(image="langgenius/dify-web:latest"))),
    ("k8s-workload-run-as-non-root", "worker-deployment", _container(lambda c: c["securityContext"].update(runAsUser=0))),
    ("k8s-workload-no-literal-secrets+dify-credential-pairs", "api-deployment", _env("DB_PASSWORD", {"value": "difyai123456"})),
    ("dify-credential-pairs", "worker-deployment",
     _env("PLUGIN_DAEMON_KEY", {"valueFrom": {"secretKeyRef": {"name": "x", "key": "inner-api-key"}}})),
    ("dify-datastore-hosts-exist", "api-deployment", _env("DB_HOST", {"value": "dify-pg"})),
    ("dify-datastore-hosts-exist", "worker-deployment", _env("REDIS_PORT", {"value": "6380"})),
    ("dify-weaviate-no-anonymous", "weaviate-statefulset", _env("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", {"value": "true"})),
    ("dify-migration-only-in-job", "worker-deployment", _env("MIGRATION_ENABLED", {"value": "true"})),
    # The router's ConfigMap: both stacks have it (prod's Postgres is RDS, without an init script).
    ("k8s-configmap-no-secrets", "router-config", lambda p: p["data"].update({"POSTGRES_PASSWORD": "hunter2"})),
    ("k8s-service-no-external-type", "router-service", lambda p: p["spec"].update(type="LoadBalancer")),
    ("k8s-stack-default-deny", "network-policies-default-deny", lambda p: p["spec"].update(policyTypes=["Ingress"])),
    ("k8s-namespace-pod-security", "dify-namespace",
     lambda p: p["metadata"]["labels"].update({"pod-security.kubernetes.io/enforce": "privileged"})),
    ("k8s-workload-drop-all-capabilities", "sandbox-deployment",
     _container(lambda c: c["securityContext"]["capabilities"]["add"].append("NET_ADMIN"))),
]  # fmt: skip


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize(("name", "resource", "change"), MUTATIONS, ids=[f"{m[0]}-{m[1]}" for m in MUTATIONS])
def test_one_mistake_fires_exactly_its_policy(
    stack: str, name: str, resource: str, change: Any, request: pytest.FixtureRequest
) -> None:
    original: Recording = request.getfixturevalue(stack)
    broken = copy.deepcopy(original)
    _both(next(r for r in broken.registrations if r.name == resource), change)
    new = violations(broken, stack) - violations(original, stack)
    # A literal password also breaks its credential pair: "a+b" names both policies.
    assert {v[0] for v in new} == set(name.split("+"))
    assert {v[1] for v in new} == {"mandatory"}


# Prod runs bundled monitoring, whose host agent and singletons are named exceptions: each stays
# confined to what it names.
MONITORING_MUTATIONS: list[tuple[str, str, Callable[[dict[str, Any]], None]]] = [
    ("k8s-namespace-pod-security", "monitoring-namespace",
     lambda p: p["metadata"]["labels"].update({"pod-security.kubernetes.io/enforce": "privileged"})),
    ("k8s-workload-no-host-path", "grafana-deployment",
     lambda p: p["spec"]["template"]["spec"]["volumes"].append({"name": "logs", "hostPath": {"path": "/var/log"}})),
    ("k8s-workload-no-literal-secrets", "redis-exporter-deployment",
     _container(lambda c: c["env"].append({"name": "REDIS_PASSWORD", "value": "hunter2"}))),
    ("k8s-deployment-min-replicas", "router-deployment", lambda p: p["spec"].update(replicas=1)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "resource", "change"), MONITORING_MUTATIONS, ids=[f"{m[0]}-{m[1]}" for m in MONITORING_MUTATIONS]
)
def test_monitoring_exceptions_cover_only_what_they_name(
    prod: Recording, name: str, resource: str, change: Any
) -> None:
    broken = copy.deepcopy(prod)
    _both(next(r for r in broken.registrations if r.name == resource), change)
    new = violations(broken, "prod") - violations(prod, "prod")
    assert {v[0] for v in new} == {name}
    assert {v[1] for v in new} == {"mandatory"}


def _policy_doc(edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Edit a JSON policy document held as text (assumeRolePolicy)."""

    def change(props: dict[str, Any]) -> None:
        import json

        document = json.loads(props["assumeRolePolicy"])
        edit(document)
        props["assumeRolePolicy"] = json.dumps(document)

    return change


# The managed data tier (dify:aws, prod only): one realistic slip per resource, one policy each.
AWS_MUTATIONS: list[tuple[str, str, Callable[[dict[str, Any]], None]]] = [
    ("aws-rds-multi-az", "aws-database-instance", lambda p: p.update(multiAz=False)),
    ("aws-rds-encrypted", "aws-database-instance", lambda p: p.update(storageEncrypted=False)),
    ("aws-rds-deletion-protection", "aws-database-instance", lambda p: p.update(deletionProtection=False)),
    ("aws-rds-backup-retention", "aws-database-instance", lambda p: p.update(backupRetentionPeriod=1)),
    ("aws-rds-not-public", "aws-database-instance", lambda p: p.update(publiclyAccessible=True)),
    ("aws-rds-final-snapshot", "aws-database-instance", lambda p: p.update(skipFinalSnapshot=True)),
    ("aws-elasticache-snapshots", "aws-cache-group", lambda p: p.update(snapshotRetentionLimit=0)),
    ("aws-elasticache-encryption", "aws-cache-group", lambda p: p.update(transitEncryptionEnabled=False)),
    ("aws-elasticache-failover", "aws-cache-group", lambda p: p.update(automaticFailoverEnabled=False)),
    ("aws-elasticache-auth", "aws-cache-group", lambda p: p.pop("authToken")),
    ("aws-iam-irsa-trust-scoped", "aws-identity-role",
     _policy_doc(lambda d: d["Statement"][0]["Condition"]["StringEquals"].pop(next(k for k in d["Statement"][0]["Condition"]["StringEquals"] if k.endswith(":aud"))))),
    ("aws-security-group-no-public-data-ports", "aws-database-from-nodes",
     lambda p: (p.pop("referencedSecurityGroupId"), p.update(cidrIpv4="0.0.0.0/0"))),
    ("aws-s3-public-access-block", "aws-bucket-public-access-block", lambda p: p.update(restrictPublicBuckets=False)),
    ("aws-rds-force-ssl", "aws-database-params",
     lambda p: p.update(parameters=[q for q in p["parameters"] if q["name"] != "rds.force_ssl"])),
    ("aws-s3-tls-only", "aws-bucket-policy", lambda p: p.update(policy='{"Version": "2012-10-17", "Statement": []}')),
    ("dify-datastore-hosts-exist", "plugin-daemon-deployment", _env("DB_PORT", {"value": "5433"})),
]  # fmt: skip


@pytest.mark.parametrize(("name", "resource", "change"), AWS_MUTATIONS, ids=[f"{m[0]}-{m[1]}" for m in AWS_MUTATIONS])
def test_one_aws_mistake_fires_exactly_its_policy(name: str, resource: str, change: Any, prod: Recording) -> None:
    broken = copy.deepcopy(prod)
    _both(next(r for r in broken.registrations if r.name == resource), change)
    new = violations(broken, "prod") - violations(prod, "prod")
    assert {v[0] for v in new} == {name}
    assert {v[1] for v in new} == {"mandatory"}


def test_prod_monitoring_singletons_are_named_with_reasons() -> None:
    singletons = json.loads(policy.config_for("prod").read_text())["k8s-deployment-min-replicas"]["singletons"]
    assert [s["workload"] for s in singletons] == [
        "*-worker-beat", "*-local-sandbox", "*-agent-backend", "*-agent-ssrf-proxy",
        "*-grafana", "*-kube-state-metrics", "*-postgres-exporter", "*-redis-exporter", "*-blackbox-exporter",
        "*-otel-collector", "*-kibana",
    ]  # fmt: skip
    assert all(len(s["reason"]) > 40 for s in singletons)
