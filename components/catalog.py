"""The service catalogue: object names, ports and default resources of every workload.

Names are fixed (not auto-named) for Services because other workloads, the router config and the
Ingress address them by DNS name. Port names stay ≤ 15 characters (IANA_SVC_NAME), the limit
that broke installs of another chart (BorisPolonsky/dify-helm#364).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PREFIX = "dify"
PART_OF = "dify"

ServiceKey = Literal[
    "api",
    "api-websocket",
    "worker",
    "worker-beat",
    "migration",
    "web",
    "sandbox",
    "plugin-daemon",
    "ssrf-proxy",
    "agent-backend",
    "local-sandbox",
    "agent-ssrf-proxy",
    "router",
    "postgres",
    "redis",
    "weaviate",
    # Monitoring (components/monitoring/), only with dify:monitoring.enabled.
    "prometheus",
    "alertmanager",
    "grafana",
    "kube-state-metrics",
    "node-exporter",
    "blackbox-exporter",
    "postgres-exporter",
    "redis-exporter",
    "otel-collector",
    # Logging (components/logging/), only with dify:logging.enabled.
    "elasticsearch",
    "logstash",
    "kibana",
    "filebeat",
    "logging-bootstrap",
]


@dataclass(frozen=True)
class Port:
    name: str
    number: int


@dataclass(frozen=True)
class Amounts:
    cpu: str
    memory: str


@dataclass(frozen=True)
class Resources:
    requests: Amounts
    limits: Amounts


@dataclass(frozen=True)
class Entry:
    key: ServiceKey
    config_key: str  # the camelCase key under dify:replicas / dify:resources
    resources: Resources
    ports: tuple[Port, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return f"{PREFIX}-{self.key}"

    def port(self, name: str = "http") -> int:
        return next(p.number for p in self.ports if p.name == name)

    def address(self, port: str = "http", namespace: str | None = None) -> str:
        """``name:port``; with ``namespace``, ``name.namespace:port`` for clients in another one."""
        host = f"{self.name}.{namespace}" if namespace else self.name
        return f"{host}:{self.port(port)}"

    def url(self, port: str = "http", scheme: str = "http", namespace: str | None = None) -> str:
        return f"{scheme}://{self.address(port, namespace)}"


def _res(req_cpu: str, req_mem: str, lim_cpu: str, lim_mem: str) -> Resources:
    return Resources(Amounts(req_cpu, req_mem), Amounts(lim_cpu, lim_mem))


_ENTRIES = (
    Entry("api", "api", _res("200m", "768Mi", "2", "2Gi"), (Port("http", 5001),)),
    Entry("api-websocket", "apiWebsocket", _res("100m", "512Mi", "1", "1Gi"), (Port("http", 5001),)),
    Entry("worker", "worker", _res("200m", "768Mi", "2", "2Gi")),
    Entry("worker-beat", "workerBeat", _res("50m", "256Mi", "500m", "512Mi")),
    Entry("migration", "migration", _res("200m", "512Mi", "1", "1Gi")),
    Entry("web", "web", _res("100m", "256Mi", "1", "1Gi"), (Port("http", 3000),)),
    Entry("sandbox", "sandbox", _res("100m", "256Mi", "1", "1Gi"), (Port("http", 8194),)),
    Entry(
        "plugin-daemon",
        "pluginDaemon",
        _res("200m", "512Mi", "2", "2Gi"),
        (Port("http", 5002), Port("plugin-debug", 5003)),
    ),
    Entry("ssrf-proxy", "ssrfProxy", _res("50m", "128Mi", "500m", "512Mi"), (Port("proxy", 3128),)),
    Entry("agent-backend", "agentBackend", _res("100m", "256Mi", "1", "1Gi"), (Port("http", 5050),)),
    Entry("local-sandbox", "localSandbox", _res("100m", "256Mi", "1", "1Gi"), (Port("http", 5004),)),
    Entry("agent-ssrf-proxy", "agentSsrfProxy", _res("50m", "128Mi", "500m", "512Mi"), (Port("proxy", 3128),)),
    Entry("router", "router", _res("50m", "64Mi", "500m", "256Mi"), (Port("http", 8080),)),
    Entry("postgres", "postgres", _res("250m", "512Mi", "2", "2Gi"), (Port("postgres", 5432),)),
    Entry("redis", "redis", _res("50m", "128Mi", "500m", "512Mi"), (Port("redis", 6379),)),
    Entry(
        "weaviate",
        "weaviate",
        _res("200m", "512Mi", "2", "2Gi"),
        (Port("http", 8080), Port("grpc", 50051)),
    ),
)

# Monitoring: requests sized for the dev target (the whole stack ≤ 1 vCPU and ≤ 2 GiB requests,
# tests/test_monitoring_stack.py); a bigger cluster raises them with dify:resources.<service>.
_MONITORING = (
    Entry("prometheus", "prometheus", _res("100m", "512Mi", "1", "2Gi"), (Port("http", 9090),)),
    Entry("alertmanager", "alertmanager", _res("10m", "32Mi", "100m", "128Mi"), (Port("http", 9093),)),
    Entry("grafana", "grafana", _res("50m", "128Mi", "500m", "512Mi"), (Port("http", 3000),)),
    Entry(
        "kube-state-metrics",
        "kubeStateMetrics",
        _res("10m", "64Mi", "100m", "256Mi"),
        (Port("http", 8080), Port("telemetry", 8081)),
    ),
    Entry("node-exporter", "nodeExporter", _res("10m", "32Mi", "200m", "128Mi"), (Port("metrics", 9100),)),
    Entry("blackbox-exporter", "blackboxExporter", _res("10m", "32Mi", "100m", "128Mi"), (Port("http", 9115),)),
    Entry("postgres-exporter", "postgresExporter", _res("10m", "32Mi", "100m", "128Mi"), (Port("metrics", 9187),)),
    Entry("redis-exporter", "redisExporter", _res("10m", "32Mi", "100m", "128Mi"), (Port("metrics", 9121),)),
    Entry(
        "otel-collector",
        "otelCollector",
        _res("50m", "128Mi", "500m", "512Mi"),
        (Port("otlp-http", 4318), Port("metrics", 8889), Port("health", 13133)),
    ),
)

# Logging: requests sized for the dev target (the whole stack ≤ 1 vCPU and ≤ 2.5 GiB requests,
# tests/test_logging_stack.py). The JVM heaps and Kibana's V8 heap are half the memory limit
# (components/logging/settings.py), so raising a limit with dify:resources.<service> raises the heap.
_LOGGING = (
    Entry(
        "elasticsearch",
        "elasticsearch",
        _res("250m", "1Gi", "1", "1536Mi"),
        (Port("http", 9200), Port("transport", 9300)),
    ),
    Entry("logstash", "logstash", _res("200m", "768Mi", "1", "1Gi"), (Port("beats", 5044), Port("api", 9600))),
    Entry("kibana", "kibana", _res("200m", "512Mi", "1", "1Gi"), (Port("http", 5601),)),
    Entry("filebeat", "filebeat", _res("50m", "100Mi", "500m", "256Mi"), (Port("http", 5066),)),
    Entry("logging-bootstrap", "loggingBootstrap", _res("50m", "64Mi", "500m", "256Mi")),
)

CATALOG: dict[ServiceKey, Entry] = {entry.key: entry for entry in (*_ENTRIES, *_MONITORING, *_LOGGING)}
MONITORING_KEYS: tuple[ServiceKey, ...] = tuple(entry.key for entry in _MONITORING)
LOGGING_KEYS: tuple[ServiceKey, ...] = tuple(entry.key for entry in _LOGGING)

# The router's Service listens on 80 so `kubectl port-forward svc/dify-router 8080:80` and an
# Ingress backend both use the conventional HTTP port; the container itself binds 8080 unprivileged.
ROUTER_SERVICE_PORT = 80
