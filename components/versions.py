"""The one image/version table. A Dify upgrade is a change to DIFY_RELEASE and nothing else.

The Dify images move together: api/web/agent images share the Dify tag, and the sandbox and
plugin-daemon tags are the ones shipped in the same upstream compose file (a daemon that does not
match its api breaks plugin installs, langgenius/dify#35125). The stack config may override the
release only as a whole unit (``dify:versions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ImageKey = Literal[
    "api",
    "web",
    "sandbox",
    "plugin_daemon",
    "agent_backend",
    "local_sandbox",
    "postgres",
    "redis",
    "weaviate",
    "squid",
    "nginx",
    "prometheus",
    "alertmanager",
    "grafana",
    "kube_state_metrics",
    "node_exporter",
    "blackbox_exporter",
    "postgres_exporter",
    "redis_exporter",
    "otel_collector",
    "elasticsearch",
    "logstash",
    "kibana",
    "filebeat",
]


@dataclass(frozen=True)
class DifyRelease:
    """Tags of the images that upstream releases together (docker/docker-compose.yaml @ 1.16.1)."""

    dify: str
    sandbox: str
    plugin_daemon: str


DIFY_RELEASE = DifyRelease(dify="1.16.1", sandbox="0.2.15", plugin_daemon="0.6.3-local")

ELASTIC_VERSION = "8.19.20"
_ELASTIC_REPOSITORIES: dict[ImageKey, str] = {
    "elasticsearch": "elasticsearch/elasticsearch",
    "logstash": "logstash/logstash",
    "kibana": "kibana/kibana",
    "filebeat": "beats/filebeat",
}

# Data stores and proxies. Upstream compose uses floating tags (15-alpine, 6-alpine, latest);
# we pin exact patch releases so that a `pulumi up` months from now deploys the same bits.
INFRA_IMAGES: dict[ImageKey, str] = {
    "postgres": "docker.io/library/postgres:15.15-alpine",
    "redis": "docker.io/library/redis:6.2.20-alpine",
    "weaviate": "docker.io/semitechnologies/weaviate:1.27.0",
    # Canonical's squid on the 24.04 LTS channel (squid 6); upstream compose uses :latest.
    "squid": "docker.io/ubuntu/squid:6.6-24.04_beta",
    # The unprivileged variant listens on 8080 and runs as uid 101, so the router needs neither
    # root nor NET_BIND_SERVICE.
    "nginx": "docker.io/nginxinc/nginx-unprivileged:1.28.0-alpine",
    # Monitoring (components/monitoring/): the releases the prometheus-community charts and
    # kube-prometheus ship (docs: monitoring-logging.md), exporters at their latest release tag
    # (git tag in each upstream repository), the collector at the newest non-nightly release of
    # open-telemetry/opentelemetry-collector-releases (distributions/otelcol-contrib, USER 10001).
    "prometheus": "quay.io/prometheus/prometheus:v3.14.0",
    "alertmanager": "quay.io/prometheus/alertmanager:v0.34.0",
    "grafana": "docker.io/grafana/grafana:12.3.1",
    "kube_state_metrics": "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0",
    "node_exporter": "quay.io/prometheus/node-exporter:v1.12.1",
    "blackbox_exporter": "quay.io/prometheus/blackbox-exporter:v0.28.0",
    "postgres_exporter": "quay.io/prometheuscommunity/postgres-exporter:v0.20.1",
    "redis_exporter": "docker.io/oliver006/redis_exporter:v1.88.0",
    "otel_collector": "docker.io/otel/opentelemetry-collector-contrib:0.159.0",
    # Logging (components/logging/): the Elastic Stack releases in lockstep and Kibana, Logstash and
    # Filebeat refuse an Elasticsearch of another version, so one tag serves all four (the newest 8.x
    # ECK's CI matrix tests, elastic/elasticsearch tag v8.19.20).
    **{key: f"docker.elastic.co/{path}:{ELASTIC_VERSION}" for key, path in _ELASTIC_REPOSITORIES.items()},
}


@dataclass(frozen=True)
class AwsEngines:
    """Managed engines of the prod data tier (dify:aws): pinned like the images, upgraded here.

    PostgreSQL is the in-cluster image's major and minor (postgres:15.15-alpine), so dev and prod
    run the same server. ElastiCache has no Redis 6.2 that is out of extended support in the
    lifetime of this pin; 7.1 serves every command Dify's redis-py and Celery clients send (upstream
    compose runs redis:6-alpine, and Redis 7 keeps the 6.x protocol and command set).
    """

    postgres: str
    postgres_family: str
    redis: str
    redis_family: str


AWS_ENGINES = AwsEngines(postgres="15.15", postgres_family="postgres15", redis="7.1", redis_family="redis7")

_DIFY_REPOSITORIES: dict[ImageKey, str] = {
    "api": "docker.io/langgenius/dify-api",
    "web": "docker.io/langgenius/dify-web",
    "sandbox": "docker.io/langgenius/dify-sandbox",
    "plugin_daemon": "docker.io/langgenius/dify-plugin-daemon",
    "agent_backend": "docker.io/langgenius/dify-agent-backend",
    "local_sandbox": "docker.io/langgenius/dify-agent-local-sandbox",
}


def image(key: ImageKey, release: DifyRelease = DIFY_RELEASE, registry: str | None = None) -> str:
    """Full image reference for ``key``; ``registry`` replaces docker.io for mirrors."""
    if key in _DIFY_REPOSITORIES:
        tag = {
            "sandbox": release.sandbox,
            "plugin_daemon": release.plugin_daemon,
        }.get(key, release.dify)
        reference = f"{_DIFY_REPOSITORIES[key]}:{tag}"
    else:
        reference = INFRA_IMAGES[key]
    if registry:
        reference = registry.rstrip("/") + "/" + reference.removeprefix("docker.io/")
    return reference


def image_tag(reference: str) -> str:
    return reference.rsplit(":", 1)[1]
