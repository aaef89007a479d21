"""Per-object Kubernetes policies beyond pods: namespaces, Services, Ingresses, HPAs, ConfigMaps,
and the Dify-specific workload rules (Weaviate auth, one beat, no migration outside the Job)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import (
    allow_list_schema,
    allowed,
    config,
    has_credentials,
    is_k8s,
    kind_of,
    pod_of,
    resource_policy,
    secret_like_name,
)

Report = Callable[..., None]
PSA = "pod-security.kubernetes.io/"
# key = value / key: value lines whose key names a credential (a password in a config file). A
# value that is only a reference to the environment (${NAME} or $NAME, as Logstash pipelines and
# Grafana provisioning resolve it from a secretKeyRef) holds no credential itself.
ASSIGNMENT = re.compile(
    r"^\s*[\w.-]*(password|passwd|secret|token|api[_-]?key)[\w.-]*\s*(=>|:|=(?!>))"
    r"(?!\s*([\"']?)(?-i:\$(\{[A-Z_][A-Z0-9_]*\}|[A-Z_][A-Z0-9_]*))\3\s*$)\s*\S",
    re.I | re.M,
)


# The node agents that read the host through hostPath, each alone in its own namespace, which must
# say why on its dify-pulumi/security-exception annotation (components/core/namespaces.py).
PRIVILEGED_NAMESPACES = [
    {"namespace": "*-monitoring-host", "reason": "node-exporter reads /proc, /sys and / through read-only hostPath"},
    {"namespace": "*-logging-host", "reason": "Filebeat reads the node's container logs through read-only hostPath"},
]


def _privileged_allowed(args: ResourceValidationArgs, name: str, meta: Any) -> bool:
    entries = config(args, "k8s-namespace-pod-security", "privilegedNamespaces") or []
    listed = any(fnmatch.fnmatchcase(name, e["namespace"]) for e in entries)
    return listed and bool((meta.get("annotations") or {}).get("dify-pulumi/security-exception"))


def _namespace(args: ResourceValidationArgs, report: Report) -> None:
    if not is_k8s(args.resource_type, "Namespace"):
        return
    meta = args.props.get("metadata") or {}
    name, labels = str(meta.get("name") or args.name), meta.get("labels") or {}
    enforce = labels.get(f"{PSA}enforce")
    if enforce == "privileged" and _privileged_allowed(args, name, meta):
        return
    if enforce not in ("baseline", "restricted"):
        report(f"Namespace {name}: label {PSA}enforce is {enforce!r}, expected restricted or baseline")
        return
    if not str(labels.get(f"{PSA}enforce-version") or "").startswith("v1."):
        report(f"Namespace {name}: {PSA}enforce-version is not pinned to a Kubernetes minor (v1.N)")
    if labels.get(f"{PSA}warn") not in ("baseline", "restricted"):
        report(f"Namespace {name}: no {PSA}warn level, so pods that would be rejected go unnoticed in dry runs")
    baseline_ok = config(args, "k8s-namespace-pod-security", "baselineNamespaces") or []
    if enforce == "baseline" and not any(fnmatch.fnmatchcase(name, g) for g in baseline_ok):
        report(f"Namespace {name}: enforces baseline; only {', '.join(baseline_ok) or 'no namespace'} may")


def _service_type(args: ResourceValidationArgs, report: Report) -> None:
    if not is_k8s(args.resource_type, "Service"):
        return
    kind = (args.props.get("spec") or {}).get("type") or "ClusterIP"
    meta = args.props.get("metadata") or {}
    if kind in ("LoadBalancer", "NodePort"):
        name, ns = str(meta.get("name") or args.name), str(meta.get("namespace") or "")
        if allowed(config(args, "k8s-service-no-external-type", "allow"), ns, name, "*") is None:
            report(f"Service {ns}/{name} is of type {kind}; expose it through the Ingress or allow-list it")


def _ingress_tls(args: ResourceValidationArgs, report: Report) -> None:
    if not is_k8s(args.resource_type, "Ingress"):
        return
    spec = args.props.get("spec") or {}
    covered = {h for t in spec.get("tls") or [] for h in t.get("hosts") or []}
    meta = args.props.get("metadata") or {}
    where = f"Ingress {meta.get('namespace')}/{meta.get('name') or args.name}"
    if not spec.get("tls"):
        report(f"{where} has no TLS")
        return
    for rule in spec.get("rules") or []:
        if rule.get("host") and rule["host"] not in covered:
            report(f"{where}: host {rule['host']} is not covered by spec.tls")


def _hpa(args: ResourceValidationArgs, report: Report) -> None:
    if not is_k8s(args.resource_type, "HorizontalPodAutoscaler"):
        return
    minimum = config(args, "k8s-hpa-min-replicas", "minReplicas")
    actual = (args.props.get("spec") or {}).get("minReplicas", 1)
    if float(actual) < float(minimum):
        meta = args.props.get("metadata") or {}
        report(f"HorizontalPodAutoscaler {meta.get('name') or args.name}: minReplicas {actual:g} < {minimum:g}")


def _configmap(args: ResourceValidationArgs, report: Report) -> None:
    if not is_k8s(args.resource_type, "ConfigMap"):
        return
    meta = args.props.get("metadata") or {}
    where = f"ConfigMap {meta.get('namespace')}/{meta.get('name') or args.name}"
    for key, value in (args.props.get("data") or {}).items():
        text = str(value)
        if secret_like_name(key):
            report(f"{where}: key {key} looks like a credential; put it in a Secret")
        elif has_credentials(text):
            report(f"{where}: key {key} holds a URL with credentials")
        elif match := ASSIGNMENT.search(text):
            report(f"{where}: key {key} assigns a credential-like setting ({match.group(0).strip()[:40]}…)")
    for key in args.props.get("binaryData") or {}:
        if secret_like_name(key):
            report(f"{where}: binary key {key} looks like a credential; put it in a Secret")


def _env(container: Any) -> dict[str, Any]:
    return {str(e.get("name")): e.get("value") for e in container.get("env") or [] if "value" in e}


def _dify_containers(args: ResourceValidationArgs, image_part: str) -> list[tuple[Any, Any]]:
    pod = pod_of(kind_of(args.resource_type), args.props)
    if pod is None:
        return []
    return [(pod, c) for _, c in pod.containers(init=False) if image_part in str(c.get("image") or "")]


def _weaviate(args: ResourceValidationArgs, report: Report) -> None:
    for pod, c in _dify_containers(args, "semitechnologies/weaviate"):
        env = _env(c)
        if str(env.get("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "true")).lower() != "false":
            report(f"{pod.where}: Weaviate allows anonymous access (AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED)")
        if str(env.get("AUTHENTICATION_APIKEY_ENABLED", "false")).lower() != "true":
            report(f"{pod.where}: Weaviate API-key authentication is off (AUTHENTICATION_APIKEY_ENABLED)")


def _beat(args: ResourceValidationArgs, report: Report) -> None:
    for pod, c in _dify_containers(args, "langgenius/dify-api"):
        if _env(c).get("MODE") == "beat":
            replicas = (args.props.get("spec") or {}).get("replicas", 1)
            if float(replicas) != 1:
                report(f"{pod.where}: celery beat runs {replicas:g} replicas; two enqueue every periodic task twice")


def _migration(args: ResourceValidationArgs, report: Report) -> None:
    if kind_of(args.resource_type) in ("Job", "CronJob"):
        return  # the migration Job is the one place that migrates
    for pod, c in _dify_containers(args, "langgenius/dify-api"):
        if str(_env(c).get("MIGRATION_ENABLED")).lower() != "false":
            report(f"{pod.where}: container {c.get('name')} does not set MIGRATION_ENABLED=false")


NAMESPACE = resource_policy(
    "k8s-namespace-pod-security",
    "Namespaces enforce a pinned Pod Security level: restricted, baseline or privileged only where allow-listed.",
    Severity.HIGH,
    "Label the namespace pod-security.kubernetes.io/enforce=restricted with enforce-version v1.N and warn=restricted.",
    _namespace,
    {
        "baselineNamespaces": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["*-sandbox"],
            "description": "namespace globs that may enforce only baseline (dify-sandbox's own namespace)",
        },
        "privilegedNamespaces": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"namespace": {"type": "string"}, "reason": {"type": "string"}},
                "required": ["namespace", "reason"],
            },
            "default": PRIVILEGED_NAMESPACES,
            "description": "namespaces of one node agent each that may enforce privileged, with the reason; "
            "the Namespace must also carry its dify-pulumi/security-exception annotation",
        },
    },
)
SERVICE_TYPE = resource_policy(
    "k8s-service-no-external-type",
    "No Service of type LoadBalancer or NodePort unless allow-listed by name.",
    Severity.HIGH,
    "Use ClusterIP behind the Ingress; a deliberate exposure (dify-plugin-debug) goes into 'allow' with its reason.",
    _service_type,
    {"allow": allow_list_schema("Services that may be LoadBalancer/NodePort ('workload' = Service name)", [])},
)
INGRESS_TLS = resource_policy(
    "k8s-ingress-tls",
    "Ingresses terminate TLS for every host they route.",
    Severity.HIGH,
    "Set dify:scheme https and dify:ingress.tlsSecretName.",
    _ingress_tls,
)
HPA = resource_policy(
    "k8s-hpa-min-replicas",
    "HorizontalPodAutoscalers keep at least minReplicas pods.",
    Severity.MEDIUM,
    "Set spec.minReplicas to at least the configured minimum (2).",
    _hpa,
    {"minReplicas": {"type": "integer", "minimum": 1, "default": 2}},
)
CONFIGMAP = resource_policy(
    "k8s-configmap-no-secrets",
    "ConfigMaps hold no credentials: no secret-like keys, no URLs with passwords, no password settings.",
    Severity.CRITICAL,
    "Move the value into the stack's Secret and reference it with secretKeyRef.",
    _configmap,
)
WEAVIATE = resource_policy(
    "dify-weaviate-no-anonymous",
    "Weaviate has anonymous access off and API-key authentication on.",
    Severity.CRITICAL,
    "Set AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=false and AUTHENTICATION_APIKEY_ENABLED=true "
    "(components/data/weaviate.py).",
    _weaviate,
)
BEAT = resource_policy(
    "dify-worker-beat-singleton",
    "The Celery beat Deployment (MODE=beat) runs exactly one replica.",
    Severity.HIGH,
    "Keep dify:replicas.workerBeat at 1.",
    _beat,
)
MIGRATION = resource_policy(
    "dify-migration-only-in-job",
    "Every long-running workload of the dify-api image sets MIGRATION_ENABLED=false; only the Job migrates.",
    Severity.HIGH,
    "Set MIGRATION_ENABLED=false on the workload (components/app/env.py).",
    _migration,
)

POLICIES = [NAMESPACE, SERVICE_TYPE, INGRESS_TLS, HPA, CONFIGMAP, WEAVIATE, BEAT, MIGRATION]
