"""The typed stack config: one model tree for every ``dify:*`` key.

Models are pure (no Pulumi imports) so they are tested without mocks. Keys are camelCase as in
``Pulumi.<stack>.yaml``; attribute names are snake_case. Unknown keys are errors (typos must not
pass silently), and every default here is what an unset key means.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from components.config.aws import AwsSettings
from components.config.base import ConfigModel
from components.config.ingress_tls import IngressTls
from components.config.logging import LoggingSettings
from components.config.monitoring import MonitoringSettings
from components.config.scaling import AutoscalingSettings
from components.config.types import (
    BodySize,
    Cidr,
    Count,
    CpuQuantity,
    DnsLabel,
    DnsSubdomain,
    DomainSuffix,
    EmailAddress,
    EnvironmentName,
    Flag,
    FrameSource,
    Host,
    ImageTag,
    KubernetesVersion,
    MemoryQuantity,
    Registry,
    RequestRate,
    Singleton,
    StrictStr,
)
from components.versions import DIFY_RELEASE

_Model = ConfigModel


Replicas = Field(default=1, ge=1, le=50)
SANDBOX_NAMESPACE_SUFFIX = "-sandbox"

ServiceName = Literal[
    "api",
    "apiWebsocket",
    "worker",
    "workerBeat",
    "web",
    "sandbox",
    "pluginDaemon",
    "agentBackend",
    "localSandbox",
    "ssrfProxy",
    "agentSsrfProxy",
    "router",
    "migration",
    "postgres",
    "redis",
    "weaviate",
    "prometheus",
    "alertmanager",
    "grafana",
    "kubeStateMetrics",
    "nodeExporter",
    "blackboxExporter",
    "postgresExporter",
    "redisExporter",
    "otelCollector",
    "elasticsearch",
    "logstash",
    "kibana",
    "filebeat",
    "loggingBootstrap",
]


class DifyVersions(_Model):
    """Overridable only as a unit: the three tags upstream ships together."""

    dify: ImageTag = Field(description="Tag of dify-api, dify-web and the agent images.")
    sandbox: ImageTag = Field(description="Tag of dify-sandbox from the same compose file.")
    plugin_daemon: ImageTag = Field(description="Tag of dify-plugin-daemon from the same compose file.")


class ReplicaCounts(_Model):
    api: Count = Replicas
    api_websocket: Count = Replicas
    worker: Count = Replicas
    worker_beat: Singleton = 1
    web: Count = Replicas
    sandbox: Count = Replicas
    plugin_daemon: Count = Replicas
    agent_backend: Count = Replicas
    local_sandbox: Count = Replicas
    ssrf_proxy: Count = Replicas
    agent_ssrf_proxy: Count = Replicas
    router: Count = Replicas


class ResourceAmounts(_Model):
    cpu: CpuQuantity | None = None
    memory: MemoryQuantity | None = None


class ResourceOverride(_Model):
    requests: ResourceAmounts = ResourceAmounts()
    limits: ResourceAmounts = ResourceAmounts()


class KubernetesSettings(_Model):
    context: StrictStr | None = Field(default=None, description="kubeconfig context to deploy to.")
    kubeconfig: StrictStr | None = Field(default=None, description="Path to a kubeconfig file.")
    render_yaml_to_directory: StrictStr | None = Field(
        default=None, description="Write YAML here instead of applying (pulumi-kubernetes beta)."
    )
    version: KubernetesVersion = Field(default="1.33", description="Target Kubernetes minor version.")
    skip_await: Flag = Field(
        default=False,
        description="Don't wait for readiness (pulumi.com/skipAwait on every object): for API servers without nodes.",
    )


class Features(_Model):
    collaboration: Flag = Field(default=True, description="Run api_websocket for real-time collaboration.")
    agent_v2: Flag = Field(
        default=True, description="Run agent_backend, local_sandbox and agent_ssrf_proxy (Agent v2)."
    )


class IngressSettings(_Model):
    enabled: Flag = False
    class_name: StrictStr | None = None
    tls_secret_name: DnsSubdomain | None = None
    tls: IngressTls = Field(default=IngressTls(), description="Who terminates TLS: secret, cert-manager or alb.")
    annotations: dict[str, str] = Field(default_factory=dict)


class RouterSettings(_Model):
    service_type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"


class NetworkPolicySettings(_Model):
    """Where the peers that are not Dify's own pods live; the flows themselves are fixed in code
    (components/flows.py)."""

    enabled: Flag = True
    dns_namespace: DnsLabel = "kube-system"
    dns_pod_labels: dict[str, StrictStr] = Field(default_factory=lambda: {"k8s-app": "kube-dns"})
    ingress_namespace: DnsLabel = "ingress-nginx"


class RequestBudget(_Model):
    """One per-client ``limit_req`` budget: a sustained rate plus a burst served without delay."""

    rate: RequestRate
    burst: Count = Field(ge=0, le=100000)


class RateLimits(_Model):
    enabled: Flag = True
    # A console page load fires a few dozen /console/api calls at once: the burst absorbs them.
    console: RequestBudget = RequestBudget(rate="20r/s", burst=100)
    public_api: RequestBudget = RequestBudget(rate="10r/s", burst=50)


class EdgeSettings(_Model):
    """What the router and the Ingress enforce in front of Dify (see README, "Edge hardening")."""

    security_headers: Flag = True
    referrer_policy: Literal[
        "no-referrer",
        "no-referrer-when-downgrade",
        "origin",
        "origin-when-cross-origin",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    ] = "strict-origin-when-cross-origin"
    frame_ancestors: list[FrameSource] = Field(default_factory=lambda: ["'self'"])
    web_app_frame_ancestors: list[FrameSource] = Field(default_factory=list)
    hsts_max_age: Count = Field(default=31536000, ge=0, le=63072000)
    rate_limit: RateLimits = RateLimits()
    console_allow_list: list[Cidr] = Field(default_factory=list)
    trusted_proxies: list[Cidr] = Field(default_factory=list)
    max_body_size: BodySize = "100M"
    ingress_snippets: Flag = False
    ingress_split: Flag = True


class PluginDebugging(_Model):
    """Remote plugin debugging: the api advertises ``host:port`` to plugin developers, so the
    pair must be one they can actually reach from their machine."""

    expose: Literal["port-forward", "LoadBalancer", "NodePort"] = "port-forward"
    host: Host | None = None
    port: Count | None = Field(default=None, ge=1, le=65535)


class SsrfProxySettings(_Model):
    allow_private_ips: list[Cidr] = Field(
        default_factory=list, description="Private CIDRs the SSRF proxy may reach (e.g. a model server)."
    )
    allow_private_domains: list[DomainSuffix] = Field(
        default_factory=list, description="Private domains or suffixes the SSRF proxy may reach."
    )


class Volume(_Model):
    size: MemoryQuantity
    access_mode: Literal["ReadWriteOnce", "ReadWriteMany"] = "ReadWriteOnce"


class DataVolume(_Model):
    """A single-replica data store's volume: always ReadWriteOnce, so only the size is set."""

    size: MemoryQuantity


_DEFAULT_SIZES = {"appStorage": "10Gi", "pluginStorage": "10Gi", "postgres": "20Gi", "redis": "2Gi", "weaviate": "20Gi"}


class Persistence(_Model):
    @model_validator(mode="before")
    @classmethod
    def _keep_default_sizes(cls, data: Any) -> Any:
        # Overriding only accessMode must not drop the volume's default size.
        if isinstance(data, dict):
            data = {
                key: {"size": _DEFAULT_SIZES[key], **value}
                if key in _DEFAULT_SIZES and isinstance(value, dict)
                else value
                for key, value in data.items()
            }
        return data

    storage_class: StrictStr | None = Field(default=None, description="StorageClass; unset = cluster default.")
    app_storage: Volume = Volume(size=_DEFAULT_SIZES["appStorage"])
    plugin_storage: Volume = Volume(size=_DEFAULT_SIZES["pluginStorage"])
    postgres: DataVolume = DataVolume(size=_DEFAULT_SIZES["postgres"])
    redis: DataVolume = DataVolume(size=_DEFAULT_SIZES["redis"])
    weaviate: DataVolume = DataVolume(size=_DEFAULT_SIZES["weaviate"])


class SmtpSettings(_Model):
    server: Host
    # Upstream's default: with use_tls and no opportunistic TLS, Dify speaks implicit TLS (SMTPS).
    port: Count = Field(default=465, ge=1, le=65535)
    username: StrictStr = ""
    use_tls: Flag = True
    opportunistic_tls: Flag = False


class MailSettings(_Model):
    type: Literal["smtp", "resend", "sendgrid"]
    default_send_from: EmailAddress
    smtp: SmtpSettings | None = None


class AppSettings(_Model):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # JSON by default: Kubernetes log pipelines parse it without grok patterns.
    log_output_format: Literal["text", "json"] = "json"
    server_worker_amount: Count = Field(default=1, ge=1, le=32)
    # Concurrent requests per gevent worker; every streaming (SSE) response holds one for its
    # whole run. Above the DB pool (sqlalchemyPoolSize + 10 overflow) requests that need the
    # database queue for a connection instead of for a greenlet.
    server_worker_connections: Count = Field(default=50, ge=1, le=1000)
    celery_worker_amount: Count = Field(default=4, ge=1, le=64)
    marketplace_enabled: Flag = True
    sqlalchemy_pool_size: Count = Field(default=30, ge=1, le=200)


class StackConfig(_Model):
    """Everything a user sets for one stack."""

    environment: EnvironmentName = Field(description="Environment name: dev, staging, prod…")
    host: Host = Field(description="Public host (and optional :port) users open Dify on.")
    scheme: Literal["http", "https"] = Field(default="https", description="Public URL scheme.")
    namespace: DnsLabel = Field(default="dify", description="Namespace that holds the whole stack.")
    versions: DifyVersions = Field(
        default=DifyVersions(
            dify=DIFY_RELEASE.dify, sandbox=DIFY_RELEASE.sandbox, plugin_daemon=DIFY_RELEASE.plugin_daemon
        ),
        description="Dify image tags, overridable only as a unit.",
    )
    image_registry: Registry | None = Field(default=None, description="Mirror that replaces docker.io.")
    kubernetes: KubernetesSettings = Field(default=KubernetesSettings(), description="Kubernetes provider.")
    replicas: ReplicaCounts = Field(default=ReplicaCounts(), description="Replicas per service.")
    autoscaling: AutoscalingSettings = Field(
        default=AutoscalingSettings(), description="HPAs for api, web, worker, sandbox; KEDA for the worker."
    )
    resources: dict[ServiceName, ResourceOverride] = Field(
        default_factory=dict, description="Per-service requests/limits overrides."
    )
    features: Features = Field(default=Features(), description="Optional Dify services.")
    ingress: IngressSettings = Field(default=IngressSettings(), description="Optional Kubernetes Ingress.")
    router: RouterSettings = Field(default=RouterSettings(), description="The in-namespace nginx router.")
    edge: EdgeSettings = Field(default=EdgeSettings(), description="Edge hardening on the router and the Ingress.")
    network_policy: NetworkPolicySettings = Field(
        default=NetworkPolicySettings(), description="NetworkPolicies generated from the flow table."
    )
    plugin_debugging: PluginDebugging = Field(
        default=PluginDebugging(), description="Reaching the plugin daemon's remote-debugging port."
    )
    ssrf_proxy: SsrfProxySettings = Field(default=SsrfProxySettings(), description="SSRF proxy allow-lists.")
    persistence: Persistence = Field(default=Persistence(), description="Volumes and storage class.")
    mail: MailSettings | None = Field(default=None, description="Outgoing mail (invites, password resets).")
    app: AppSettings = Field(default=AppSettings(), description="Dify api/worker settings.")
    monitoring: MonitoringSettings = Field(default=MonitoringSettings(), description="Metrics, alerts and dashboards.")
    aws: AwsSettings = Field(default=AwsSettings(), description="Managed data tier on AWS: RDS, ElastiCache, S3, IRSA.")
    protect: Flag = Field(
        default=False,
        description="Protect stateful resources (databases, cache, bucket, volumes) from deletion: true in prod.",
    )
    logging: LoggingSettings = Field(default=LoggingSettings(), description="Central logging (Elastic Stack).")

    @property
    def sandbox_namespace(self) -> str:
        """Where dify-sandbox runs: it needs root and capabilities (Pod Security baseline), so it
        is kept out of the namespace that enforces restricted for the rest of Dify."""
        return f"{self.namespace}{SANDBOX_NAMESPACE_SUFFIX}"

    @property
    def monitoring_namespace(self) -> str:
        """Prometheus, Alertmanager, Grafana and the exporters: restricted, like Dify's."""
        return f"{self.namespace}-monitoring"

    @property
    def node_exporter_namespace(self) -> str:
        """node-exporter alone: it reads the node's /proc, /sys and / through hostPath volumes,
        which only Pod Security ``privileged`` admits."""
        return f"{self.namespace}-monitoring-host"

    @property
    def logging_namespace(self) -> str:
        """Elasticsearch, Logstash, Kibana and the bootstrap Job: restricted, like Dify's."""
        return f"{self.namespace}-logging"

    @property
    def logging_host_namespace(self) -> str:
        """Filebeat alone: root with read-only hostPath mounts of the node's logs, which only Pod
        Security ``privileged`` admits (like node-exporter's namespace)."""
        return f"{self.namespace}-logging-host"

    @property
    def public_url(self) -> str:
        return f"{self.scheme}://{self.host}"

    @property
    def socket_url(self) -> str:
        return f"{'wss' if self.scheme == 'https' else 'ws'}://{self.host}"
