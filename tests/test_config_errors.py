"""Bad-config corpus: every case must produce exactly one, exactly-worded problem line.

Each case merges ``overrides`` onto a valid baseline and asserts ``ConfigError.problems`` equals
``[expected]``. The strings are what a platform engineer reads after ``pulumi up``, so they are
frozen verbatim; cases whose current message is wrong or unhelpful are ``xfail(strict=True)`` and
``expected`` holds the message they should produce.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest

from components.config import ConfigError, StackConfig, parse_config

BASELINE: dict[str, str] = {"dify:environment": "dev", "dify:host": "localhost:8080", "dify:scheme": "http"}
MAIL_FROM = "Dify <no-reply@example.com>"
SERVER = "smtp.example.com"

# The "(expected …)" tails that several cases share, verbatim from components/config/types.py.
DNS_LABEL = "a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters"
DNS_SUBDOMAIN = "a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'"
ENVIRONMENT = "a short lower-case name such as dev, staging or prod, at most 20 characters"
HOST = "a lower-case DNS host name, optionally with :port"
CPU = "a Kubernetes CPU quantity such as 250m or 1.5"
MEMORY = "a Kubernetes memory quantity such as 512Mi or 2Gi"
TAG = "a pinned image tag such as 1.16.1, never latest"
K8S = "a Kubernetes minor version from 1.25 to 1.37, e.g. 1.33"
CIDR = "a CIDR block such as 10.0.0.0/8 or 192.168.1.10/32"
DOMAIN = "a domain or suffix such as .svc.cluster.local or models.internal"
BEAT = "exactly 1: celery beat is a singleton; two would enqueue every periodic task twice"
RATE = "a request rate above zero such as 20r/s or 600r/m"
SIZE = "an nginx size above zero such as 100M, 512k or 1g"
FRAME = "a CSP frame-ancestors source such as 'self' or https://intranet.example.com"
EDGE_KEYS = (
    "securityHeaders, referrerPolicy, frameAncestors, webAppFrameAncestors, hstsMaxAge, rateLimit, "
    "consoleAllowList, trustedProxies, maxBodySize, ingressSnippets, ingressSplit"
)
TOP_KEYS = (
    "environment, host, scheme, namespace, versions, imageRegistry, kubernetes, replicas, autoscaling, resources, "
    "features, ingress, router, edge, networkPolicy, pluginDebugging, ssrfProxy, persistence, mail, app, "
    "monitoring, aws, protect, logging, smtpPassword, resendApiKey, sendgridApiKey, sentryDsn, "
    "alertmanagerReceiverUrl, elasticsearchPassword, elasticsearchCaCert"
)
REPLICA_KEYS = (
    "api, apiWebsocket, worker, workerBeat, web, sandbox, pluginDaemon, agentBackend, localSandbox, "
    "ssrfProxy, agentSsrfProxy, router"
)
SERVICES = (
    f"{REPLICA_KEYS}, migration, postgres, redis, weaviate, prometheus, alertmanager, grafana, kubeStateMetrics, "
    "nodeExporter, blackboxExporter, postgresExporter, redisExporter, otelCollector, elasticsearch, logstash, "
    "kibana, filebeat, loggingBootstrap"
)


def obj(value: Any) -> str:
    """An object-valued key as the Pulumi CLI hands it over: JSON text."""
    return json.dumps(value)


def versions(**tags: str) -> str:
    return obj({"dify": "1.2.3", "sandbox": "0.2.12", "pluginDaemon": "0.3.0-local", **tags})


def mail(type_: str = "smtp", **extra: Any) -> str:
    return obj({"type": type_, "defaultSendFrom": MAIL_FROM, **extra})


@dataclass(frozen=True)
class Case:
    id: str
    overrides: dict[str, Any]
    expected: str
    secret_keys: frozenset[str] = field(default_factory=frozenset)
    xfail: str | None = None


# One case per 2-4 lines reads as a table; ruff format would triple its length.
# fmt: off
CASES = [
    # replicas
    Case("replicas-negative", {"dify:replicas": obj({"api": -1})},
         "dify:replicas.api: -1 is not allowed (expected an integer ≥ 1)"),
    Case("replicas-zero", {"dify:replicas": obj({"worker": 0})},
         "dify:replicas.worker: 0 is not allowed (expected an integer ≥ 1)"),
    Case("replicas-too-large", {"dify:replicas": obj({"web": 51})},
         "dify:replicas.web: 51 is not allowed (expected an integer ≤ 50)"),
    Case("replicas-fraction", {"dify:replicas": obj({"api": 1.5})},
         "dify:replicas.api: 1.5 is not allowed (expected an integer)"),
    Case("replicas-word", {"dify:replicas": obj({"api": "two"})},
         'dify:replicas.api: "two" is not allowed (expected an integer)'),
    Case("replicas-bool", {"dify:replicas": obj({"api": True})},
         "dify:replicas.api: true is not allowed (expected an integer)"),
    Case("worker-beat-two", {"dify:replicas": obj({"workerBeat": 2})},
         f"dify:replicas.workerBeat: 2 is not allowed (expected {BEAT})"),
    Case("worker-beat-zero", {"dify:replicas": obj({"workerBeat": 0})},
         f"dify:replicas.workerBeat: 0 is not allowed (expected {BEAT})"),
    # unknown keys
    Case("unknown-top-level-key", {"dify:replica": obj({"api": 2})},
         f"dify:replica: unknown key (expected one of: {TOP_KEYS})"),
    Case("unknown-nested-key", {"dify:replicas": obj({"apii": 2})},
         f"dify:replicas.apii: unknown key (expected one of: {REPLICA_KEYS})"),
    Case("unknown-service-in-resources", {"dify:resources": obj({"apii": {"limits": {"cpu": "1"}}})},
         f"dify:resources.apii: unknown key (expected one of: {SERVICES})"),
    Case("unknown-service-with-bad-value", {"dify:resources": obj({"apii": {"limits": {"cpu": "x"}}})},
         f"dify:resources.apii: unknown key (expected one of: {SERVICES})"),
    Case("unknown-resources-subkey", {"dify:resources": obj({"api": {"limit": {"cpu": "1"}}})},
         "dify:resources.api.limit: unknown key (expected one of: requests, limits)"),
    Case("unknown-smtp-password-key", {"dify:mail": mail(smtp={"server": SERVER, "password": "x"})},
         "dify:mail.smtp.password: unknown key "
         "(expected one of: server, port, username, useTls, opportunisticTls)"),
    Case("typo-in-secret-key", {"dify:smtpPasword": "x"},
         f"dify:smtpPasword: unknown key (expected one of: {TOP_KEYS})",
         secret_keys=frozenset({"dify:smtpPasword"})),
    # resources
    Case("cpu-garbage", {"dify:resources": obj({"api": {"limits": {"cpu": "1 core"}}})},
         f'dify:resources.api.limits.cpu: "1 core" is not allowed (expected {CPU})'),
    Case("cpu-zero", {"dify:resources": obj({"api": {"requests": {"cpu": "0m"}}})},
         f'dify:resources.api.requests.cpu: "0m" is not allowed (expected {CPU})'),
    Case("cpu-as-bool", {"dify:resources": obj({"api": {"limits": {"cpu": True}}})},
         f"dify:resources.api.limits.cpu: true is not allowed (expected {CPU})"),
    Case("memory-decimal-units", {"dify:resources": obj({"api": {"limits": {"memory": "512MB"}}})},
         f'dify:resources.api.limits.memory: "512MB" is not allowed (expected {MEMORY})'),
    Case("cpu-request-above-limit",
         {"dify:resources": obj({"api": {"requests": {"cpu": "2"}, "limits": {"cpu": "500m"}}})},
         'dify:resources.api.requests.cpu: "2" is not allowed (expected at most limits.cpu 500m)'),
    Case("memory-request-above-limit",
         {"dify:resources": obj({"worker": {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}})},
         'dify:resources.worker.requests.memory: "2Gi" is not allowed (expected at most limits.memory 1Gi)'),
    # Only one side overridden: compared with the catalogue default on the other (api: 2Gi / 2 cpu
    # limits, 768Mi / 200m requests), which is what the API server would reject.
    Case("memory-request-above-default-limit",
         {"dify:resources": obj({"api": {"requests": {"memory": "4Gi"}}})},
         'dify:resources.api.requests.memory: "4Gi" is not allowed (expected at most limits.memory 2Gi (the default))'),
    Case("cpu-request-above-default-limit",
         {"dify:resources": obj({"worker": {"requests": {"cpu": "3"}}})},
         'dify:resources.worker.requests.cpu: "3" is not allowed (expected at most limits.cpu 2 (the default))'),
    Case("memory-limit-below-default-request",
         {"dify:resources": obj({"api": {"limits": {"memory": "512Mi"}}})},
         'dify:resources.api.limits.memory: "512Mi" is not allowed'
         ' (expected at least requests.memory 768Mi (the default))'),
    Case("cpu-limit-below-default-request",
         {"dify:resources": obj({"postgres": {"limits": {"cpu": "100m"}}})},
         'dify:resources.postgres.limits.cpu: "100m" is not allowed'
         ' (expected at least requests.cpu 250m (the default))'),
    # pluginDebugging: never advertise an address that cannot be reached
    Case("plugin-debugging-service-without-host", {"dify:pluginDebugging": obj({"expose": "LoadBalancer"})},
         "dify:pluginDebugging.host: is missing (expected the address clients dial when expose is LoadBalancer)"),
    Case("plugin-debugging-nodeport-without-port",
         {"dify:pluginDebugging": obj({"expose": "NodePort", "host": "node1.example.com"})},
         "dify:pluginDebugging.port: is missing (expected a nodePort from 30000 to 32767 when expose is NodePort)"),
    Case("plugin-debugging-nodeport-out-of-range",
         {"dify:pluginDebugging": obj({"expose": "NodePort", "host": "node1.example.com", "port": 5003})},
         "dify:pluginDebugging.port: 5003 is not allowed"
         " (expected a nodePort from 30000 to 32767 when expose is NodePort)"),
    Case("plugin-debugging-host-with-port-forward", {"dify:pluginDebugging": obj({"host": "dify.example.com"})},
         'dify:pluginDebugging.host: "dify.example.com" is not allowed (expected unset when expose is port-forward)'),
    Case("plugin-debugging-port-with-port-forward", {"dify:pluginDebugging": obj({"port": 5003})},
         "dify:pluginDebugging.port: 5003 is not allowed (expected unset when expose is port-forward)"),
    Case("plugin-debugging-unknown-mode", {"dify:pluginDebugging": obj({"expose": "Ingress"})},
         'dify:pluginDebugging.expose: "Ingress" is not allowed'
         ' (expected "port-forward", "LoadBalancer" or "NodePort")'),
    # scheme, namespace, environment, host
    Case("scheme-ftp", {"dify:scheme": "ftp"},
         'dify:scheme: "ftp" is not allowed (expected "http" or "https")'),
    Case("namespace-uppercase", {"dify:namespace": "Dify"},
         f'dify:namespace: "Dify" is not allowed (expected {DNS_LABEL})'),
    Case("namespace-too-long", {"dify:namespace": "d" * 64},
         f'dify:namespace: "{"d" * 64}" is not allowed (expected {DNS_LABEL})'),
    Case("namespace-too-long-for-the-sandbox-namespace", {"dify:namespace": "d" * 56},
         f'dify:namespace: "{"d" * 56}" is not allowed '
         "(expected at most 55 characters (it also names <namespace>-sandbox))"),
    Case("namespace-underscore", {"dify:namespace": "dify_prod"},
         f'dify:namespace: "dify_prod" is not allowed (expected {DNS_LABEL})'),
    Case("namespace-number", {"dify:namespace": 5}, "dify:namespace: 5 is not allowed (expected a string)"),
    Case("environment-capitalised", {"dify:environment": "Production"},
         f'dify:environment: "Production" is not allowed (expected {ENVIRONMENT})'),
    # 21 characters: one over the bound that keeps "dify-<environment>" (the instance label and
    # name prefix) far inside the 63-character label limit.
    Case("environment-too-long", {"dify:environment": "e" * 21},
         f'dify:environment: "{"e" * 21}" is not allowed (expected {ENVIRONMENT})'),
    Case("environment-missing", {"dify:environment": None},
         "dify:environment: is missing (expected a short lower-case name such as dev, staging or prod)"),
    Case("host-with-path", {"dify:host": "dify.example.com/app"},
         f'dify:host: "dify.example.com/app" is not allowed (expected {HOST})'),
    Case("host-port-out-of-range", {"dify:host": "dify.example.com:99999"},
         f'dify:host: "dify.example.com:99999" is not allowed (expected {HOST})'),
    Case("host-with-scheme", {"dify:host": "https://dify.example.com"},
         f'dify:host: "https://dify.example.com" is not allowed (expected {HOST})'),
    Case("host-empty-port", {"dify:host": "localhost:"},
         f'dify:host: "localhost:" is not allowed (expected {HOST})'),
    Case("host-port-with-ingress", {"dify:ingress": obj({"enabled": True})},
         'dify:host: "localhost:8080" is not allowed '
         "(expected a host without :port when ingress.enabled is true)"),
    Case("tls-secret-with-http",
         {"dify:host": "dify.example.com",
          "dify:ingress": obj({"enabled": True, "tlsSecretName": "dify-tls"})},
         'dify:scheme: "http" is not allowed (expected "https" when ingress.tlsSecretName is set)'),
    Case("tls-secret-name-invalid", {"dify:ingress": obj({"tlsSecretName": "Dify_TLS"})},
         f'dify:ingress.tlsSecretName: "Dify_TLS" is not allowed (expected {DNS_SUBDOMAIN})'),
    # images and kubernetes
    Case("versions-missing-member", {"dify:versions": obj({"dify": "1.2.3", "sandbox": "0.2.12"})},
         "dify:versions.pluginDaemon: is missing (expected dify, sandbox and pluginDaemon together: "
         "versions are overridden only as a unit)"),
    Case("tag-latest", {"dify:versions": versions(dify="latest")},
         f'dify:versions.dify: "latest" is not allowed (expected {TAG})'),
    Case("tag-with-space", {"dify:versions": versions(sandbox="0.2 12")},
         f'dify:versions.sandbox: "0.2 12" is not allowed (expected {TAG})'),
    Case("tag-with-colon", {"dify:versions": versions(pluginDaemon="0.3:0")},
         f'dify:versions.pluginDaemon: "0.3:0" is not allowed (expected {TAG})'),
    Case("registry-with-scheme", {"dify:imageRegistry": "https://registry.example.com"},
         'dify:imageRegistry: "https://registry.example.com" is not allowed (expected a registry host '
         "with optional path, e.g. registry.example.com/mirror)"),
    Case("kubernetes-too-old", {"dify:kubernetes": obj({"version": "1.24"})},
         f'dify:kubernetes.version: "1.24" is not allowed (expected {K8S})'),
    Case("kubernetes-v-prefix", {"dify:kubernetes": obj({"version": "v1.33"})},
         f'dify:kubernetes.version: "v1.33" is not allowed (expected {K8S})'),
    Case("kubernetes-too-new", {"dify:kubernetes": obj({"version": "1.40"})},
         f'dify:kubernetes.version: "1.40" is not allowed (expected {K8S})'),
    Case("kubernetes-version-number", {"dify:kubernetes": obj({"version": 1.33})},
         'dify:kubernetes.version: 1.33 is not allowed (expected a quoted minor version such as "1.33")'),
    # ssrf proxy allow-lists
    Case("cidr-host-bits", {"dify:ssrfProxy": obj({"allowPrivateIps": ["10.0.0.1/8"]})},
         f'dify:ssrfProxy.allowPrivateIps[0]: "10.0.0.1/8" is not allowed (expected {CIDR})'),
    Case("cidr-garbage", {"dify:ssrfProxy": obj({"allowPrivateIps": ["10.0.0.0/8", "my-laptop"]})},
         f'dify:ssrfProxy.allowPrivateIps[1]: "my-laptop" is not allowed (expected {CIDR})'),
    Case("cidr-newline-injection",
         {"dify:ssrfProxy": obj({"allowPrivateIps": ["10.0.0.0/8\nhttp_access allow all"]})},
         'dify:ssrfProxy.allowPrivateIps[0]: "10.0.0.0/8\\nhttp_access allow all" '
         f"is not allowed (expected {CIDR})"),
    Case("cidr-list-as-string", {"dify:ssrfProxy": obj({"allowPrivateIps": "10.0.0.0/8"})},
         'dify:ssrfProxy.allowPrivateIps: "10.0.0.0/8" is not allowed (expected a list)'),
    Case("domain-wildcard", {"dify:ssrfProxy": obj({"allowPrivateDomains": ["*.internal"]})},
         f'dify:ssrfProxy.allowPrivateDomains[0]: "*.internal" is not allowed (expected {DOMAIN})'),
    # persistence
    Case("access-mode-unknown",
         {"dify:persistence": obj({"appStorage": {"size": "20Gi", "accessMode": "RWO"}})},
         'dify:persistence.appStorage.accessMode: "RWO" is not allowed '
         '(expected "ReadWriteOnce" or "ReadWriteMany")'),
    Case("access-mode-on-a-data-store", {"dify:persistence": obj({"postgres": {"accessMode": "ReadWriteMany"}})},
         "dify:persistence.postgres.accessMode: unknown key (expected one of: size)"),
    Case("size-decimal-units", {"dify:persistence": obj({"redis": {"size": "2GB"}})},
         f'dify:persistence.redis.size: "2GB" is not allowed (expected {MEMORY})'),
    # mail and user secrets
    Case("smtp-without-block", {"dify:mail": mail()},
         "dify:mail.smtp: is missing (expected it to be set when mail.type is smtp)"),
    Case("resend-without-key", {"dify:mail": mail("resend")},
         "dify:resendApiKey: is missing (expected a secret when mail.type is resend)"),
    Case("sendgrid-without-key", {"dify:mail": mail("sendgrid")},
         "dify:sendgridApiKey: is missing (expected a secret when mail.type is sendgrid)"),
    Case("smtp-username-without-password", {"dify:mail": mail(smtp={"server": SERVER, "username": "u"})},
         "dify:smtpPassword: is missing (expected a secret when mail.smtp.username is set)"),
    Case("smtp-password-plain-text", {"dify:smtpPassword": "hunter2"},
         "dify:smtpPassword: is stored in plain text "
         "(expected a secret: pulumi config set --secret smtpPassword …)"),
    Case("resend-key-plain-text", {"dify:mail": mail("resend"), "dify:resendApiKey": "re_123"},
         "dify:resendApiKey: is stored in plain text "
         "(expected a secret: pulumi config set --secret resendApiKey …)"),
    Case("mail-type-unknown", {"dify:mail": mail("ses")},
         'dify:mail.type: "ses" is not allowed (expected "smtp", "resend" or "sendgrid")'),
    Case("mail-bad-email", {"dify:mail": obj({"type": "resend", "defaultSendFrom": "no-reply"})},
         'dify:mail.defaultSendFrom: "no-reply" is not allowed (expected an e-mail address such as '
         "Dify <no-reply@example.com>)"),
    Case("smtp-port-zero", {"dify:mail": mail(smtp={"server": SERVER, "port": 0})},
         "dify:mail.smtp.port: 0 is not allowed (expected an integer ≥ 1)"),
    # shapes and types
    Case("object-invalid-json", {"dify:replicas": "{api: 2}"},
         'dify:replicas: "{api: 2}" is not allowed (expected a JSON object; set it with --path or as YAML)'),
    Case("number-where-object", {"dify:replicas": "3"},
         "dify:replicas: 3 is not allowed (expected an object)"),
    Case("string-where-object", {"dify:mail": '"smtp"'},
         'dify:mail: "smtp" is not allowed (expected an object)'),
    Case("list-where-object", {"dify:resources": obj(["api"])},
         'dify:resources: ["api"] is not allowed (expected an object)'),
    Case("object-where-bool", {"dify:features": obj({"collaboration": {"enabled": False}})},
         'dify:features.collaboration: {"enabled": false} is not allowed (expected true or false)'),
    Case("annotation-value-number", {"dify:ingress": obj({"annotations": {"example.com/timeout": 30}})},
         'dify:ingress.annotations.example.com/timeout: 30 is not allowed (expected a string)'),
    Case("log-level-lowercase", {"dify:app": obj({"logLevel": "debug"})},
         'dify:app.logLevel: "debug" is not allowed '
         '(expected "DEBUG", "INFO", "WARNING", "ERROR" or "CRITICAL")'),
    Case("router-service-type", {"dify:router": obj({"serviceType": "nodeport"})},
         'dify:router.serviceType: "nodeport" is not allowed '
         '(expected "ClusterIP", "NodePort" or "LoadBalancer")'),
    # edge hardening (router and Ingress)
    Case("edge-allow-list-malformed-cidr", {"dify:edge": obj({"consoleAllowList": ["10.0.0.300/8"]})},
         f'dify:edge.consoleAllowList[0]: "10.0.0.300/8" is not allowed (expected {CIDR})'),
    Case("edge-allow-list-host-bits", {"dify:edge": obj({"consoleAllowList": ["10.0.0.0/8", "192.168.1.1/24"]})},
         f'dify:edge.consoleAllowList[1]: "192.168.1.1/24" is not allowed (expected {CIDR})'),
    Case("edge-trusted-proxy-word", {"dify:edge": obj({"trustedProxies": ["ingress-nginx"]})},
         f'dify:edge.trustedProxies[0]: "ingress-nginx" is not allowed (expected {CIDR})'),
    Case("edge-rate-zero", {"dify:edge": obj({"rateLimit": {"console": {"rate": "0r/s", "burst": 10}}})},
         f'dify:edge.rateLimit.console.rate: "0r/s" is not allowed (expected {RATE})'),
    Case("edge-rate-per-hour", {"dify:edge": obj({"rateLimit": {"publicApi": {"rate": "100r/h", "burst": 10}}})},
         f'dify:edge.rateLimit.publicApi.rate: "100r/h" is not allowed (expected {RATE})'),
    Case("edge-rate-number", {"dify:edge": obj({"rateLimit": {"console": {"rate": 20, "burst": 10}}})},
         "dify:edge.rateLimit.console.rate: 20 is not allowed (expected a string)"),
    Case("edge-burst-negative", {"dify:edge": obj({"rateLimit": {"publicApi": {"rate": "5r/s", "burst": -1}}})},
         "dify:edge.rateLimit.publicApi.burst: -1 is not allowed (expected an integer ≥ 0)"),
    Case("edge-burst-missing", {"dify:edge": obj({"rateLimit": {"console": {"rate": "5r/s"}}})},
         "dify:edge.rateLimit.console.burst: is missing (expected it to be set)"),
    Case("edge-body-size-bytes-suffix", {"dify:edge": obj({"maxBodySize": "100MB"})},
         f'dify:edge.maxBodySize: "100MB" is not allowed (expected {SIZE})'),
    Case("edge-body-size-zero", {"dify:edge": obj({"maxBodySize": "0"})},
         f'dify:edge.maxBodySize: "0" is not allowed (expected {SIZE})'),
    Case("edge-frame-source-injection", {"dify:edge": obj({"frameAncestors": ["'self'; script-src *"]})},
         f'dify:edge.frameAncestors[0]: "\'self\'; script-src *" is not allowed (expected {FRAME})'),
    Case("edge-hsts-negative", {"dify:edge": obj({"hstsMaxAge": -1})},
         "dify:edge.hstsMaxAge: -1 is not allowed (expected an integer ≥ 0)"),
    Case("edge-unknown-key", {"dify:edge": obj({"rateLimits": {"enabled": False}})},
         f"dify:edge.rateLimits: unknown key (expected one of: {EDGE_KEYS})"),
]
# fmt: on


def _param(case: Case) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


def _raw(overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**BASELINE, **overrides}
    return {key: value for key, value in merged.items() if value is not None}


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_bad_config_reports_exactly_one_problem(case: Case) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_raw(case.overrides), set(case.secret_keys))
    assert caught.value.problems == [case.expected]


def test_corpus_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)) == 94


def test_baseline_parses_with_defaults() -> None:
    config = parse_config(BASELINE, set())
    assert isinstance(config, StackConfig)
    assert (config.environment, config.namespace) == ("dev", "dify")
    assert (config.replicas.api, config.replicas.worker_beat) == (1, 1)
    assert config.public_url == "http://localhost:8080"
    assert config.socket_url == "ws://localhost:8080"
    assert config.mail is None and config.resources == {}


API_AND_WORKER_RESOURCES = {
    # cpu 500m == 0.5: requests equal to limits is allowed.
    "api": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "0.5", "memory": "2Gi"}},
    "worker": {"limits": {"memory": "4Gi"}},
}
SSRF_ALLOW_LISTS = {
    "allowPrivateIps": ["10.0.0.0/8", "192.168.1.10"],
    "allowPrivateDomains": [".svc.cluster.local", "models.internal"],
}


def test_full_valid_override_parses_to_typed_values() -> None:
    raw = {
        "dify:environment": "prod",
        "dify:host": "dify.example.com",
        "dify:scheme": "https",
        "dify:namespace": "dify-prod",
        "dify:versions": versions(),
        "dify:imageRegistry": "registry.example.com/mirror",
        "dify:kubernetes": obj({"version": "1.31", "context": "prod"}),
        "dify:replicas": obj({"api": 3, "worker": 2}),
        "dify:resources": obj(API_AND_WORKER_RESOURCES),
        "dify:ingress": obj({"enabled": True, "className": "nginx", "tlsSecretName": "dify-tls"}),
        "dify:ssrfProxy": obj(SSRF_ALLOW_LISTS),
        "dify:persistence": obj({"postgres": {"size": "50Gi"}, "appStorage": {"accessMode": "ReadWriteMany"}}),
        "dify:mail": mail(smtp={"server": "smtp.example.com", "port": 465, "username": "dify"}),
        "dify:smtpPassword": "hunter2",
        "dify:sentryDsn": "https://key@sentry.example.com/1",
        # A smaller pool keeps 3 api + 2 worker pods within the in-cluster Postgres's connections.
        "dify:app": obj({"logLevel": "DEBUG", "celeryWorkerAmount": 8, "sqlalchemyPoolSize": 10}),
    }
    config = parse_config(raw, {"dify:smtpPassword", "dify:sentryDsn"})
    assert config.replicas.api == 3 and config.replicas.worker == 2 and config.replicas.web == 1
    assert config.versions.model_dump(by_alias=True) == json.loads(versions())
    assert config.kubernetes.version == "1.31"
    assert config.resources["api"].limits.cpu == "0.5"
    assert config.resources["worker"].requests.memory is None
    assert config.ssrf_proxy.allow_private_ips == ["10.0.0.0/8", "192.168.1.10/32"]
    assert config.ssrf_proxy.allow_private_domains == [".svc.cluster.local", "models.internal"]
    assert config.persistence.app_storage.access_mode == "ReadWriteMany"
    assert config.persistence.app_storage.size == "10Gi"
    assert config.persistence.redis.size == "2Gi"
    assert config.mail is not None and config.mail.smtp is not None and config.mail.smtp.port == 465
    assert config.app.log_level == "DEBUG" and config.app.celery_worker_amount == 8
    assert config.public_url == "https://dify.example.com"
    assert config.socket_url == "wss://dify.example.com"


def test_non_dify_keys_are_ignored() -> None:
    raw = {**BASELINE, "kubernetes:context": "kind", "aws:region": "eu-west-1", "other:replica": "{"}
    assert parse_config(raw, {"aws:secretKey"}) == parse_config(BASELINE, set())


def test_config_error_lists_every_problem_on_its_own_line() -> None:
    raw = {**BASELINE, "dify:scheme": "ftp", "dify:namespace": "Dify", "dify:sentryDsn": "x"}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, set())
    error = caught.value
    assert isinstance(error, pulumi.RunError)
    assert error.problems == [  # user secrets first, then model fields in declaration order
        "dify:sentryDsn: is stored in plain text (expected a secret: pulumi config set --secret sentryDsn …)",
        'dify:scheme: "ftp" is not allowed (expected "http" or "https")',
        f'dify:namespace: "Dify" is not allowed (expected {DNS_LABEL})',
    ]
    assert str(error).startswith("invalid stack config (3 problems):")
    assert str(error).splitlines() == ["invalid stack config (3 problems):", *error.problems]


def test_config_error_header_is_singular_for_one_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASELINE, "dify:scheme": "ftp"}, set())
    assert str(caught.value).splitlines()[0] == "invalid stack config (1 problem):"


def test_partial_volume_override_keeps_the_default_size() -> None:
    config = parse_config({**BASELINE, "dify:persistence": obj({"appStorage": {"accessMode": "ReadWriteMany"}})}, set())
    assert config.persistence.app_storage.size == "10Gi"


def test_numeric_cpu_is_accepted_as_kubernetes_does() -> None:
    config = parse_config({**BASELINE, "dify:resources": obj({"api": {"limits": {"cpu": 2}}})}, set())
    assert config.resources["api"].limits.cpu == "2"


def test_plugin_daemon_scale_out_needs_shared_storage() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({**BASELINE, "dify:replicas": obj({"pluginDaemon": 2})}, set())
    assert raised.value.problems == [
        "dify:replicas.pluginDaemon: 2 is not allowed (expected 1 unless persistence.pluginStorage.accessMode is "
        "ReadWriteMany)"
    ]
    rwx = {"pluginStorage": {"accessMode": "ReadWriteMany"}}
    # A second daemon's 30 connections fit the in-cluster budget with a smaller api pool.
    small_pool = obj({"sqlalchemyPoolSize": 10})
    scaled = {"dify:replicas": obj({"pluginDaemon": 2}), "dify:persistence": obj(rwx), "dify:app": small_pool}
    config = parse_config({**BASELINE, **scaled}, set())
    assert config.replicas.plugin_daemon == 2


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("allowPrivateIps", "fe80::%x\nhttp_access allow all/64"),
        ("allowPrivateIps", "10.0.0.0/8\n"),
        ("allowPrivateDomains", "models.internal\n"),
        ("allowPrivateDomains", "models.internal http_access allow all"),
    ],
)
def test_allow_lists_reject_config_injection(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({**BASELINE, "dify:ssrfProxy": obj({key: [value]})}, set())
    assert raised.value.problems[0].startswith(f"dify:ssrfProxy.{key}[0]: ")
