"""dify:logging:Logstash: the Dify pipeline between Filebeat and Elasticsearch.

Creates: a ConfigMap with logstash.yml and pipelines.yml (copied over the image's config/ by an
init container, since the image rewrites logstash.yml at start), a ConfigMap with the pipeline
files from components/logging/pipeline/ (``debug.conf`` only with ``logging.logstash.debug``),
and a single-node StatefulSet whose claim holds the persistent queue: events that Elasticsearch
cannot take yet wait on disk, and a full queue pushes back on Filebeat instead of dropping.

Logstash writes with its own user (``dify_logstash``, create-only on dify-logs-*), whose
password comes from a Secret through the environment, which the pipeline reads as
``${ELASTICSEARCH_PASSWORD}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.catalog import CATALOG, ServiceKey
from components.kube import SecretRef, http_probe, mount, startup
from components.logging.context import (
    ELASTIC,
    ElasticNode,
    LoggingContext,
    config_volume,
    elastic_node,
    secret_volume,
)
from components.logging.settings import (
    LS_HOME,
    PIPELINE_DIR,
    WRITER_USER,
    java_heap_options,
    logstash_yml,
    pipelines_yml,
    queue_max_bytes,
)

core = k8s.core.v1
KEY: ServiceKey = "logstash"
PIPELINE_FILES = Path(__file__).resolve().parent / "pipeline"
CA_DIR = "/etc/elasticsearch-ca"
CA_MARKER = "#@ca@"


def pipeline_files(debug: bool, ca_file: str | None) -> dict[str, str]:
    """The pipeline directory's files: dify.conf always, debug.conf only when asked for. With an
    external cluster's own CA, the output trusts that CA file."""
    dify = (PIPELINE_FILES / "dify.conf").read_text()
    lines = []
    for line in dify.splitlines():
        if line.strip() != CA_MARKER:
            lines.append(line)
        elif ca_file:
            lines.append(line.replace(CA_MARKER, f'ssl_certificate_authorities => ["{ca_file}"]'))
    files = {"dify.conf": "\n".join(lines) + "\n"}
    if debug:
        files["debug.conf"] = (PIPELINE_FILES / "debug.conf").read_text()
    return files


@dataclass
class LogstashArgs:
    ctx: LoggingContext
    elasticsearch_url: str
    writer_secret: core.Secret
    # The Secret holding the ca.crt the cluster's certificate chains to (the bundled cluster's
    # own, or an external cluster's); None for an external cluster with a public certificate.
    ca_secret: core.Secret | None = None


class Logstash(pulumi.ComponentResource):
    def __init__(self, name: str, args: LogstashArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:logging:Logstash", name, None, opts)
        ctx = args.ctx
        settings = ctx.config.logging.logstash
        ca_file = f"{CA_DIR}/ca.crt" if args.ca_secret is not None else None
        pipeline = ctx.config_map(self, f"{name}-pipeline", KEY, "logstash", pipeline_files(settings.debug, ca_file))
        volumes = [config_volume("pipeline", pipeline)]
        mounts = [mount("pipeline", PIPELINE_DIR, read_only=True)]
        if args.ca_secret is not None:
            volumes.append(secret_volume("ca", args.ca_secret, {"ca.crt": "ca.crt"}))
            mounts.append(mount("ca", CA_DIR, read_only=True))
        container = ctx.container(
            KEY,
            "logstash",
            ELASTIC,
            env={
                "LS_JAVA_OPTS": java_heap_options(ctx.memory_limit(KEY)),
                "ELASTICSEARCH_URL": args.elasticsearch_url,
                "ELASTICSEARCH_USER": WRITER_USER,
                "ELASTICSEARCH_PASSWORD": SecretRef(args.writer_secret.metadata.name, "password"),
            },
            readiness=http_probe("/", "api"),
            liveness=http_probe("/", "api", period=20, failures=6),
            startup=startup(http_probe("/", "api"), budget_seconds=300),
            mounts=mounts,
        )
        logstash_settings = yaml.safe_dump(logstash_yml(queue_max_bytes(settings.queue_size)), sort_keys=False)
        elastic_node(
            self,
            name,
            ctx,
            ElasticNode(
                key=KEY,
                image_key="logstash",
                home=LS_HOME,
                settings={
                    "logstash.yml": (logstash_settings, "logstash.yml"),
                    "pipelines.yml": (yaml.safe_dump(pipelines_yml(), sort_keys=False), "pipelines.yml"),
                },
                container=container,
                volumes=volumes,
                # The claim holds path.data, the persistent queue (data/queue) with it.
                storage_size=settings.queue_size,
            ),
        )
        self.hosts = [CATALOG[KEY].address("beats", namespace=ctx.names.logging)]
        self.register_outputs({"hosts": self.hosts})
