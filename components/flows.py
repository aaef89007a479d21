"""The one flow table: who talks to whom, on which port, and why.

Every NetworkPolicy is generated from it (components/net/network_policies.py), the README shows
it, and a test proves that the rendered policies open exactly these flows and nothing else.
The facts are upstream compose's networks (the sandbox on an ``internal`` network whose only exit
is the SSRF proxy, local_sandbox likewise behind its own proxy) and the addresses our env wires
(components/app/env.py). A flow whose endpoint a feature leaves out is simply absent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from components.catalog import LOGGING_KEYS, MONITORING_KEYS, ServiceKey
from components.config.models import StackConfig


@dataclass(frozen=True)
class Pods:
    """The pods of one of our workloads (selected by their component label)."""

    key: ServiceKey


@dataclass(frozen=True)
class Dns:
    """The cluster DNS (namespace and pod labels from ``dify:networkPolicy``)."""


@dataclass(frozen=True)
class IngressController:
    """The ingress controller's pods (their namespace from ``dify:networkPolicy``)."""


@dataclass(frozen=True)
class Internet:
    """Public addresses: 0.0.0.0/0 and ::/0 except private, loopback, link-local (the cloud
    metadata endpoint 169.254.169.254) and CGNAT ranges; ``private_allowed`` adds the stack's
    ``ssrfProxy.allowPrivateIps`` (a model server on the LAN)."""

    private_allowed: bool = False


@dataclass(frozen=True)
class Anyone:
    """Any source, inside or outside the cluster: the edge."""


@dataclass(frozen=True)
class Nodes:
    """The nodes' addresses, where the API server and the kubelets listen (host network, so no
    pod selector reaches them): any address except link-local, on the flow's ports only."""


@dataclass(frozen=True)
class OperatorPrometheus:
    """An existing Prometheus Operator's Prometheus (``monitoring.mode: operator``), in the
    namespace ``monitoring.operatorNamespace``."""


@dataclass(frozen=True)
class VpcCidrs:
    """The VPC's private CIDRs (``dify:aws.vpcCidrs``), where RDS and ElastiCache have their
    addresses: their endpoints are DNS names whose addresses change on failover, so the policy
    admits the VPC's ranges on the store's port only."""


@dataclass(frozen=True)
class KedaOperator:
    """KEDA's operator (``autoscaling.keda``), in the namespace ``autoscaling.keda.operatorNamespace``:
    it reads the Celery queue lengths from Redis."""


Peer = Pods | Dns | IngressController | Internet | Anyone | Nodes | OperatorPrometheus | VpcCidrs | KedaOperator

# Ports: a name of the target workload's container port, or (number, protocol) for peers that
# are not our pods. An empty tuple means every port (a forward proxy dials any port).
Port = str | tuple[int, str]

API_FAMILY: tuple[ServiceKey, ...] = ("api", "api-websocket", "worker", "worker-beat", "migration")
DNS_PORTS: tuple[Port, ...] = ((53, "UDP"), (53, "TCP"))
HTTPS: tuple[Port, ...] = ((443, "TCP"),)


@dataclass(frozen=True)
class Flow:
    source: Peer
    target: Peer
    ports: tuple[Port, ...]
    reason: str
    when: Callable[[StackConfig], bool] | None = None


def _smtp_port(config: StackConfig) -> tuple[Port, ...]:
    mail = config.mail
    if mail is None or mail.type != "smtp" or mail.smtp is None:
        return ()
    return ((mail.smtp.port, "TCP"),)


def _from_family(target: ServiceKey, ports: tuple[Port, ...], reason: str) -> list[Flow]:
    return [Flow(Pods(source), Pods(target), ports, reason) for source in API_FAMILY]


# Where each scrape job of components/monitoring/scrape.py connects (the blackbox exporter dials
# the probed Services itself).
_SCRAPED: tuple[tuple[ServiceKey, str], ...] = (
    ("kube-state-metrics", "http"),
    ("otel-collector", "metrics"),
    ("postgres-exporter", "metrics"),
    ("redis-exporter", "metrics"),
    ("blackbox-exporter", "http"),
    ("plugin-daemon", "http"),
)
_BUNDLED_ONLY: tuple[tuple[ServiceKey, str], ...] = (("node-exporter", "metrics"), ("alertmanager", "http"))
API_PORTS: tuple[Port, ...] = ((443, "TCP"), (6443, "TCP"))


def _monitoring(config: StackConfig) -> list[Flow]:
    settings = config.monitoring
    if not settings.enabled:
        return []
    bundled = settings.mode == "bundled"
    scraper: Peer = Pods("prometheus") if bundled else OperatorPrometheus()
    table = [
        Flow(scraper, Pods(key), (port,), f"scrape job of components/monitoring/scrape.py ({key})")
        for key, port in _SCRAPED + (_BUNDLED_ONLY if bundled else ())
    ]
    table += [
        Flow(Pods("blackbox-exporter"), Pods(key), ("http",), f"health probe of {key} (DifyAPIDown, DifyEndpointDown)")
        for key in ("api", "sandbox", "plugin-daemon", "web")
    ]
    table += [
        Flow(Pods(source), Pods("otel-collector"), ("otlp-http",), "OTLP metrics and traces (OTLP_BASE_ENDPOINT)")
        for source in ("api", "api-websocket", "worker", "worker-beat")
    ]
    table += [
        Flow(Pods("postgres-exporter"), Pods("postgres"), ("postgres",), "pg_stat_activity and pg_settings"),
        Flow(Pods("redis-exporter"), Pods("redis"), ("redis",), "INFO and the Celery queue lengths"),
    ]
    if bundled:
        table += [
            Flow(Pods("prometheus"), Nodes(), (*API_PORTS, (10250, "TCP")), "API (discovery) and kubelets"),
            Flow(Pods("kube-state-metrics"), Nodes(), API_PORTS, "the API server it lists and watches"),
            Flow(Pods("grafana"), Pods("prometheus"), ("http",), "the dashboards' data source"),
            Flow(Pods("alertmanager"), Internet(), HTTPS, "the receiver (webhook or Slack URL)"),
        ]
    return table


def _managed(config: StackConfig) -> list[Flow]:
    """The managed data tier (dify:aws): RDS and ElastiCache inside the VPC, S3 and STS (IRSA's
    token exchange) on public HTTPS endpoints. Every api-image process builds its S3 client at
    start, beat and the migration Job included (components/app/api_family.py storage_identity)."""
    if not config.aws.enabled:
        return []
    rds: tuple[Port, ...] = ((config.aws.rds.port, "TCP"),)
    redis: tuple[Port, ...] = ((config.aws.elasticache.port, "TCP"),)
    table = [
        *[Flow(Pods(source), VpcCidrs(), rds, "RDS PostgreSQL over TLS (DB_HOST)") for source in API_FAMILY],
        *[Flow(Pods(source), VpcCidrs(), redis, "ElastiCache Redis over TLS (REDIS_HOST)") for source in API_FAMILY],
        *[
            Flow(Pods(source), Internet(), HTTPS, "S3 (the bucket) and STS (IRSA web identity)")
            for source in API_FAMILY
            if source not in ("api", "worker")  # their HTTPS to the internet is in the table already
        ],
        Flow(Pods("plugin-daemon"), VpcCidrs(), rds, "RDS: its own database dify_plugin, over TLS"),
        Flow(Pods("plugin-daemon"), VpcCidrs(), redis, "ElastiCache: plugin state and sessions, over TLS"),
        Flow(Pods("agent-backend"), VpcCidrs(), redis, "ElastiCache: its Redis db (DIFY_AGENT_REDIS_URL, rediss)"),
    ]
    if config.monitoring.enabled:
        table += [
            Flow(Pods("postgres-exporter"), VpcCidrs(), rds, "RDS: pg_stat_activity and pg_settings, over TLS"),
            Flow(Pods("redis-exporter"), VpcCidrs(), redis, "ElastiCache: INFO and the Celery queue lengths, over TLS"),
        ]
    return table


def _logging(config: StackConfig) -> list[Flow]:
    settings = config.logging
    if not settings.enabled:
        return []
    table = [
        Flow(Pods("filebeat"), Pods("logstash"), ("beats",), "Filebeat ships the container logs (output.logstash)"),
        Flow(Pods("filebeat"), Nodes(), API_PORTS, "add_kubernetes_metadata watches pods, namespaces and nodes"),
    ]
    external = settings.elasticsearch.external
    if external is not None:
        # An existing cluster outside: public addresses only, on the URL's port.
        port: tuple[Port, ...] = ((urlsplit(external.url).port or 443, "TCP"),)
        return [
            *table,
            Flow(Pods("logstash"), Internet(), port, "the pipeline writes to the external Elasticsearch"),
            Flow(Pods("logging-bootstrap"), Internet(), port, "ILM policy, template, roles on the external cluster"),
        ]
    table += [
        Flow(Pods("logstash"), Pods("elasticsearch"), ("http",), "the pipeline writes dify-logs-* as its own user"),
        Flow(Pods("kibana"), Pods("elasticsearch"), ("http",), "Kibana's saved objects and searches (kibana_system)"),
        Flow(Pods("logging-bootstrap"), Pods("elasticsearch"), ("http",), "passwords, roles, ILM policy, template"),
        Flow(Pods("logging-bootstrap"), Pods("kibana"), ("http",), "the dify-logs-* data view"),
        Flow(Pods("grafana"), Pods("elasticsearch"), ("http",), "Grafana's Elasticsearch data source (read-only user)"),
        Flow(
            IngressController(),
            Pods("kibana"),
            ("http",),
            "Ingress backend kibana (logging.kibana.expose, edge.consoleAllowList)",
            when=lambda c: c.logging.kibana.expose,
        ),
    ]
    if settings.elasticsearch.replicas > 1:
        table.append(Flow(Pods("elasticsearch"), Pods("elasticsearch"), ("transport",), "node-to-node transport (TLS)"))
    return table


def flows(config: StackConfig) -> list[Flow]:
    """The flows of one stack, conditions applied; endpoints of disabled features included
    (the generator drops flows whose workloads are not deployed)."""
    table: list[Flow] = [
        # The edge.
        *[
            Flow(Pods("router"), Pods(target), ("http",), f"router → {target}: the routing table")
            for target in ("api", "api-websocket", "web", "plugin-daemon")
        ],
        *[
            # An ALB (ingress.tls.mode alb, target-type ip) dials the pods from its VPC addresses.
            Flow(
                VpcCidrs() if config.ingress.tls.mode == "alb" else IngressController(),
                Pods(target),
                ("http",),
                f"Ingress backend {target}: the routing table",
            )
            for target in ("api", "api-websocket", "web", "plugin-daemon")
        ],
        Flow(
            Anyone(), Pods("router"), ("http",), "the router is the edge: port-forward, NodePort/LoadBalancer clients"
        ),
        Flow(
            Anyone(),
            Pods("plugin-daemon"),
            ("plugin-debug",),
            "remote plugin debugging published by pluginDebugging.expose",
            when=lambda c: c.plugin_debugging.expose != "port-forward",
        ),
        Flow(
            Pods("web"),
            Pods("api"),
            ("http",),
            "server-side rendering and /auth/refresh call SERVER_CONSOLE_API_URL (web/service/server.ts)",
        ),
        # The api family and its stores and services (compose: api, worker and beat share every
        # network; the migration Job runs the same image and config).
        *_from_family("postgres", ("postgres",), "SQLAlchemy: the Dify database"),
        *_from_family("redis", ("redis",), "cache, Celery broker, locks, Socket.IO fan-out"),
        *_from_family("weaviate", ("http",), "vector store REST API (WEAVIATE_ENDPOINT)"),
        *_from_family("weaviate", ("grpc",), "vector store gRPC (WEAVIATE_GRPC_ENDPOINT)"),
        *_from_family("sandbox", ("http",), "code nodes (CODE_EXECUTION_ENDPOINT)"),
        *_from_family("plugin-daemon", ("http",), "plugin invocations (PLUGIN_DAEMON_URL)"),
        *_from_family("agent-backend", ("http",), "Agent v2 runs (AGENT_BACKEND_BASE_URL)"),
        *_from_family("ssrf-proxy", ("proxy",), "user-supplied URLs (HTTP nodes, tools) go through the SSRF proxy"),
        *[
            Flow(Pods(source), Internet(), HTTPS + _smtp_port(config), "marketplace, OAuth, Sentry and mail go direct")
            for source in ("api", "worker")
        ],
        # The plugin daemon.
        Flow(Pods("plugin-daemon"), Pods("api"), ("http",), "inner API backwards invocation (DIFY_INNER_API_URL)"),
        Flow(Pods("plugin-daemon"), Pods("postgres"), ("postgres",), "its own database dify_plugin"),
        Flow(Pods("plugin-daemon"), Pods("redis"), ("redis",), "plugin state and sessions"),
        Flow(
            Pods("plugin-daemon"),
            Internet(private_allowed=True),
            (),
            "marketplace, PyPI and the model providers plugins call; never private ranges unless allow-listed",
        ),
        # Code execution: the sandbox's only exit is the SSRF proxy (compose: internal network).
        Flow(Pods("sandbox"), Pods("ssrf-proxy"), ("proxy",), "sandboxed code reaches out only through the proxy"),
        # Agent v2.
        Flow(Pods("agent-backend"), Pods("redis"), ("redis",), "its Redis db (DIFY_AGENT_REDIS_URL)"),
        # ElastiCache (dify:aws) admits the nodes, where the operator runs; no policy of ours is needed.
        Flow(
            KedaOperator(),
            Pods("redis"),
            ("redis",),
            "KEDA reads the Celery queue lengths (LLEN on the broker's database)",
            when=lambda c: c.autoscaling.keda.enabled and not c.aws.enabled,
        ),
        Flow(
            Pods("agent-backend"), Pods("local-sandbox"), ("http",), "shell sessions (DIFY_AGENT_SHELLCTL_ENTRYPOINT)"
        ),
        Flow(Pods("agent-backend"), Pods("agent-ssrf-proxy"), ("proxy",), "agent egress goes through its proxy"),
        Flow(
            Pods("agent-backend"), Pods("plugin-daemon"), ("http",), "tools and models (DIFY_AGENT_PLUGIN_DAEMON_URL)"
        ),
        Flow(Pods("agent-backend"), Pods("api"), ("http",), "inner API (DIFY_AGENT_INNER_API_URL)"),
        Flow(Pods("local-sandbox"), Pods("agent-ssrf-proxy"), ("proxy",), "the shell workspace's only exit"),
        # The proxies.
        Flow(
            Pods("ssrf-proxy"), Internet(private_allowed=True), (), "proxied requests: public, or allow-listed private"
        ),
        Flow(Pods("agent-ssrf-proxy"), Internet(), (), "proxied agent requests: public addresses only"),
        Flow(Pods("agent-ssrf-proxy"), Pods("api"), ("http",), "sandboxed agents fetch /files/ from the api"),
        Flow(Pods("agent-ssrf-proxy"), Pods("agent-backend"), ("http",), "sandboxed agents call /agent-stub/"),
    ]
    table += _monitoring(config) + _managed(config) + _logging(config)
    return [flow for flow in table if flow.when is None or flow.when(config)]


def deployed_services(config: StackConfig) -> frozenset[ServiceKey]:
    """The workloads a stack runs (the feature toggles decide; tests hold the platform to it)."""
    keys: set[ServiceKey] = {
        "api", "worker", "worker-beat", "migration", "web", "sandbox", "plugin-daemon", "ssrf-proxy", "router",
        "weaviate",
    }  # fmt: skip
    if not config.aws.enabled:
        keys |= {"postgres", "redis"}
    if config.features.collaboration:
        keys.add("api-websocket")
    if config.features.agent_v2:
        keys |= {"agent-backend", "local-sandbox", "agent-ssrf-proxy"}
    if config.monitoring.enabled:
        keys |= set(monitoring_services(config))
    keys |= set(logging_services(config))
    return frozenset(keys)


def logging_services(config: StackConfig) -> tuple[ServiceKey, ...]:
    """The logging workloads: with an external Elasticsearch there is no bundled cluster and no
    Kibana (the external cluster's own Kibana reads the same indices)."""
    if not config.logging.enabled:
        return ()
    if config.logging.elasticsearch.external is not None:
        return ("logstash", "filebeat", "logging-bootstrap")
    return LOGGING_KEYS


def monitoring_services(config: StackConfig) -> tuple[ServiceKey, ...]:
    """The monitoring workloads: an operator's stack already runs Prometheus, Alertmanager,
    Grafana, kube-state-metrics and node-exporter, so that mode adds only what it lacks."""
    if not config.monitoring.enabled:
        return ()
    if config.monitoring.mode == "operator":
        return ("blackbox-exporter", "postgres-exporter", "redis-exporter", "otel-collector")
    return MONITORING_KEYS


if __name__ == "__main__":
    from components.flow_readme import main

    main()
