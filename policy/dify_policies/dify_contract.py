"""The Dify runtime contract as stack policies: every credential pair resolves to one Secret key
on both sides (contract §2.6), and the database and Redis hosts name something that exists.

The pairs are listed here, not imported from components/, because the pack runs in its own
virtualenv from the policy/ directory (it must also guard forks that moved components around);
tests/test_policy_contract.py holds this table equal to components/core/inventory.py."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from ._base import config, is_k8s, kind_of, pod_of, stack_policy

Report = Callable[..., None]

_FAMILY = ("api", "api-websocket", "worker", "worker-beat", "migration")


def _family(env: str) -> tuple[str, ...]:
    return tuple(f"{service}:{env}" for service in _FAMILY)


# Secret key → every "<service>:<ENV>" that must read it (components/core/inventory.py).
CREDENTIAL_PAIRS: dict[str, tuple[str, ...]] = {
    "secret-key": _family("SECRET_KEY"),
    "init-password": _family("INIT_PASSWORD"),
    "db-password": (*_family("DB_PASSWORD"), "plugin-daemon:DB_PASSWORD", "postgres:POSTGRES_PASSWORD"),
    "redis-password": (*_family("REDIS_PASSWORD"), "plugin-daemon:REDIS_PASSWORD", "redis:REDIS_PASSWORD"),
    "weaviate-api-key": (*_family("WEAVIATE_API_KEY"), "weaviate:AUTHENTICATION_APIKEY_ALLOWED_KEYS"),
    "sandbox-api-key": (*_family("CODE_EXECUTION_API_KEY"), "sandbox:API_KEY"),
    "plugin-daemon-key": (
        *_family("PLUGIN_DAEMON_KEY"),
        "plugin-daemon:SERVER_KEY",
        "agent-backend:DIFY_AGENT_PLUGIN_DAEMON_API_KEY",
    ),
    "inner-api-key": (
        *_family("INNER_API_KEY_FOR_PLUGIN"),
        "plugin-daemon:DIFY_INNER_API_KEY",
        "agent-backend:DIFY_AGENT_INNER_API_KEY",
    ),
    "agent-api-token": (*_family("AGENT_BACKEND_API_TOKEN"), "agent-backend:DIFY_AGENT_API_TOKEN"),
    "agent-server-secret-key": ("agent-backend:DIFY_AGENT_SERVER_SECRET_KEY",),
    "local-sandbox-auth-token": ("agent-backend:DIFY_AGENT_SHELLCTL_AUTH_TOKEN", "local-sandbox:SHELLCTL_AUTH_TOKEN"),
}
COMPONENT = "app.kubernetes.io/component"


def _workloads(args: StackValidationArgs) -> Iterator[tuple[PolicyResource, str, str, Any]]:
    """(resource, service, namespace, env list per container) of every pod-bearing object."""
    for r in args.resources:
        if not r.resource_type.startswith("kubernetes:"):
            continue
        pod = pod_of(kind_of(r.resource_type), r.props)
        if pod is None:
            continue
        service = (pod.meta.get("labels") or {}).get(COMPONENT) or pod.name
        for _, c in pod.containers():
            yield r, str(service), pod.namespace, c.get("env") or []


def _secrets(args: StackValidationArgs) -> dict[tuple[str, str], Any]:
    out = {}
    for r in args.resources:
        if is_k8s(r.resource_type, "Secret"):
            meta = r.props.get("metadata") or {}
            out[(str(meta.get("namespace") or ""), str(meta.get("name") or ""))] = r
    return out


def _secret_value(secret: PolicyResource, key: str) -> Any:
    """The key's value as text: stringData as is, data base64-decoded, so a copy may use either."""
    if key in (secret.props.get("stringData") or {}):
        return str(secret.props["stringData"][key])
    if key in (secret.props.get("data") or {}):
        return base64.b64decode(str(secret.props["data"][key])).decode(errors="replace")
    return None


def _pairs(args: StackValidationArgs, report: Report) -> None:
    present = {service for _, service, _, _ in _workloads(args)}
    secrets = _secrets(args)
    refs: dict[tuple[str, str], list[tuple[PolicyResource, str, Any]]] = {}
    for r, service, ns, env in _workloads(args):
        for e in env:
            refs.setdefault((service, str(e.get("name"))), []).append((r, ns, e))
    for key, consumers in CREDENTIAL_PAIRS.items():
        values: dict[Any, list[str]] = {}
        for consumer in consumers:
            service, name = consumer.split(":", 1)
            if service not in present:
                continue  # feature off (agent v2) or the service is not in this stack
            if (service, name) not in refs:
                report(f"{service} does not set {name}; it must read Secret key {key}")
                continue
            for r, ns, e in refs[(service, name)]:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef") or {}
                if ref.get("key") != key:
                    got = f"Secret key {ref.get('key')}" if ref else "a literal value"
                    report(f"{service}:{name} reads {got}, not Secret key {key}", r.urn)
                    continue
                secret = secrets.get((ns, str(ref.get("name"))))
                if secret is None:
                    report(
                        f"{service}:{name} reads Secret {ns}/{ref.get('name')}, which the stack does not create", r.urn
                    )
                    continue
                value = _secret_value(secret, key)
                if value is None:
                    report(f"Secret {ns}/{ref.get('name')} has no key {key} ({service}:{name} reads it)", secret.urn)
                    continue
                values.setdefault(value, []).append(f"{ns}/{ref.get('name')}")
        if len(values) > 1:
            # Copies of a key in other namespaces (dify-sandbox's) must hold the same value; never print it.
            report(f"Secret key {key} differs between {' and '.join(sorted({s for v in values.values() for s in v}))}")


def _services(args: StackValidationArgs) -> dict[tuple[str, str], set[float]]:
    out: dict[tuple[str, str], set[float]] = {}
    for r in args.resources:
        if is_k8s(r.resource_type, "Service"):
            meta = r.props.get("metadata") or {}
            ports = {float(p.get("port")) for p in (r.props.get("spec") or {}).get("ports") or []}
            out[(str(meta.get("namespace") or ""), str(meta.get("name") or ""))] = ports
    return out


# Output properties of AWS data stores that hold a host name clients dial.
AWS_ENDPOINTS = {
    "aws:rds/instance:Instance": ("address", "endpoint"),
    "aws:rds/cluster:Cluster": ("endpoint", "readerEndpoint"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("primaryEndpointAddress", "configurationEndpointAddress"),
}
HOST_VARS = {"DB_HOST": "DB_PORT", "REDIS_HOST": "REDIS_PORT"}


def _hosts(args: StackValidationArgs, report: Report) -> None:
    services = _services(args)
    external = set(config(args, "dify-datastore-hosts-exist", "externalHosts") or [])
    # A managed endpoint of the stack and the port its resource listens on.
    managed: dict[str, float] = {}
    for r in args.resources:
        for field in AWS_ENDPOINTS.get(r.resource_type, ()):
            if r.props.get(field):
                endpoint = str(r.props[field]).split(":")[0]
                external.add(endpoint)
                if r.props.get("port") is not None:
                    managed[endpoint] = float(r.props["port"])
    for r, service, ns, env in _workloads(args):
        literal = {str(e.get("name")): e.get("value") for e in env if "value" in e}
        for host_var, port_var in HOST_VARS.items():
            host = literal.get(host_var)
            port = literal.get(port_var)
            if host in managed and port and float(port) != managed[host]:
                report(f"{service}: {port_var}={port} is not the port {managed[host]:g} of {host}", r.urn)
            if not host or host in external:
                continue
            parts = str(host).split(".")
            target = (parts[1] if len(parts) > 1 else ns, parts[0])
            if target not in services:
                report(f"{service}: {host_var}={host} is neither a Service of the stack nor a known endpoint", r.urn)
                continue
            if port and float(port) not in services[target]:
                report(f"{service}: {port_var}={port} is not a port of Service {target[0]}/{target[1]}", r.urn)


PAIRS = stack_policy(
    "dify-credential-pairs",
    "Both sides of every credential pair read the same Secret key, and copies of that key hold the same value.",
    Severity.CRITICAL,
    "Reference the inventory's key (components/core/inventory.py) with secretKeyRef on every consumer.",
    _pairs,
)
HOSTS = stack_policy(
    "dify-datastore-hosts-exist",
    "DB_HOST and REDIS_HOST name a Service of the stack (on the right port) or a known endpoint.",
    Severity.HIGH,
    "Point the host at the data store's Service or a managed endpoint; list hosts outside the stack in externalHosts.",
    _hosts,
    {
        "externalHosts": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "hosts outside the stack",
        }
    },
)

POLICIES = [PAIRS, HOSTS]
