"""dify:logging:Elasticsearch: the bundled log store.

Creates: a ConfigMap with elasticsearch.yml and the heap (half the memory limit, as a
jvm.options.d file, which Elastic recommends over ES_JAVA_OPTS), the StatefulSet (uid 1000,
read-only root, config/ copied into an emptyDir by an init container, data on a claim per node),
its Service and headless Service; with several nodes also the transport certificates
(components/logging/certificates.py), a PodDisruptionBudget and zone spread.

Security is on: the ``elastic`` password is generated (components/logging/credentials.py) and
reaches the first start as ELASTIC_PASSWORD from the Secret. Not ELASTIC_PASSWORD_FILE: the
image's entrypoint refuses a file whose mode is not 400 or 600 (bin/docker-env-from-file.sh), and a
Secret volume readable by uid 1000 through fsGroup is 0440. The probes authenticate with the same
variable without putting it on a command line.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.catalog import CATALOG, ServiceKey
from components.kube import SecretRef, empty_dir, exec_probe, mount, startup, tcp_probe
from components.logging.certificates import TransportCertificates, TransportCertificatesArgs
from components.logging.context import (
    ELASTIC,
    ClaimedSet,
    LoggingContext,
    claimed_set,
    config_volume,
    copy_config,
    secret_volume,
)
from components.logging.settings import (
    CERTS_DIR,
    ES_HOME,
    elasticsearch_yml,
    es_pod_names,
    headless_service,
    java_heap_options,
)

core = k8s.core.v1
KEY: ServiceKey = "elasticsearch"
# The health call the probes make, authenticated from the Secret file through curl's config on
# stdin (never argv): local=true answers from this node's view, so a node is ready once it has
# joined a cluster with an elected master.
_HEALTH = (
    'curl -sf -o /dev/null -K - <<< "user = \\"elastic:$ELASTIC_PASSWORD\\"" '
    '"http://127.0.0.1:9200/_cluster/health?local=true"'
)


@dataclass
class ElasticsearchArgs:
    ctx: LoggingContext
    elastic_secret: core.Secret


class Elasticsearch(pulumi.ComponentResource):
    url: str

    def __init__(self, name: str, args: ElasticsearchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:logging:Elasticsearch", name, None, opts)
        ctx = args.ctx
        settings = ctx.config.logging.elasticsearch
        replicas = settings.replicas
        object_labels = ctx.labels(KEY, "elasticsearch")
        files = {"elasticsearch.yml": "elasticsearch.yml", "heap.options": "jvm.options.d/heap.options"}
        config_map = ctx.config_map(
            self,
            f"{name}-settings",
            KEY,
            "elasticsearch",
            {
                "elasticsearch.yml": yaml.safe_dump(elasticsearch_yml(replicas), sort_keys=False),
                "heap.options": "\n".join(java_heap_options(ctx.memory_limit(KEY)).split()) + "\n",
            },
        )
        volumes = [
            config_volume("settings", config_map),
            empty_dir("config", "64Mi"),
            empty_dir("logs", "256Mi"),
            empty_dir("tmp", "256Mi"),
        ]
        mounts = [
            mount("config", f"{ES_HOME}/config"),
            mount("data", f"{ES_HOME}/data"),
            mount("logs", f"{ES_HOME}/logs"),
            mount("tmp", "/tmp"),
        ]
        if replicas > 1:
            certificates = TransportCertificates(
                f"{name}-transport",
                TransportCertificatesArgs(
                    namespace=ctx.logging,
                    namespace_name=ctx.names.logging,
                    labels=object_labels,
                    pods=es_pod_names(replicas),
                    headless_service=headless_service(),
                ),
                pulumi.ResourceOptions(parent=self),
            )
            volumes.append(secret_volume("certs", certificates.secret))
            mounts.append(mount("certs", CERTS_DIR, read_only=True))
        health = exec_probe(["bash", "-c", _HEALTH], period=10, timeout=5)
        container = ctx.container(
            KEY,
            "elasticsearch",
            ELASTIC,
            env={"ELASTIC_PASSWORD": SecretRef(args.elastic_secret.metadata.name, "password")},
            readiness=health,
            liveness=tcp_probe("http", period=20, failures=6),
            # First start: keystore, security index, and with three nodes the master election.
            startup=startup(tcp_probe("http"), budget_seconds=300),
            mounts=mounts,
        )
        claimed_set(
            self,
            name,
            ClaimedSet(
                entry=CATALOG[KEY],
                namespace=ctx.logging,
                instance=ctx.instance,
                containers=[container],
                init_containers=[copy_config(ctx, KEY, "elasticsearch", ES_HOME, files)],
                volumes=volumes,
                data_path_size=settings.storage_size,
                storage_class=ctx.config.persistence.storage_class,
                replicas=replicas,
            ),
        )
        self.url = CATALOG[KEY].url(namespace=ctx.names.logging)
        self.register_outputs({"url": self.url})
