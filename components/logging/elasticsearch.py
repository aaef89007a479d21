"""dify:logging:Elasticsearch: the bundled log store.

Creates: a ConfigMap with elasticsearch.yml and the heap (half the memory limit, as a
jvm.options.d file, which Elastic recommends over ES_JAVA_OPTS), the StatefulSet (uid 1000,
read-only root, config/ copied into an emptyDir by an init container, data on a claim per node),
its Service and headless Service, the CA and HTTPS certificate (components/logging/certificates.py);
with several nodes also a transport certificate per node, a PodDisruptionBudget and zone spread.

Security is on: the ``elastic`` password is generated (components/logging/credentials.py) and
reaches the first start as ELASTIC_PASSWORD from the Secret. Not ELASTIC_PASSWORD_FILE: the
image's env-from-file step refuses a file whose mode is not 400 or 600, and a Secret volume that
uid 1000 can read through fsGroup is 0440. The probes authenticate with the same
variable without putting it on a command line.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.catalog import CATALOG, ServiceKey
from components.kube import SecretRef, exec_probe, mount, startup, tcp_probe
from components.logging.certificates import Certificates, CertificatesArgs
from components.logging.context import ELASTIC, ElasticNode, LoggingContext, elastic_node, secret_volume
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
    f'curl -sf --cacert {CERTS_DIR}/ca.crt -o /dev/null -K - <<< "user = \\"elastic:$ELASTIC_PASSWORD\\"" '
    '"https://localhost:9200/_cluster/health?local=true"'
)


@dataclass
class ElasticsearchArgs:
    ctx: LoggingContext
    elastic_secret: core.Secret


class Elasticsearch(pulumi.ComponentResource):
    url: str
    ca_secret: core.Secret
    ca_pem: pulumi.Output[str]

    def __init__(self, name: str, args: ElasticsearchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:logging:Elasticsearch", name, None, opts)
        ctx = args.ctx
        settings = ctx.config.logging.elasticsearch
        replicas = settings.replicas
        object_labels = ctx.labels(KEY, "elasticsearch")
        settings_files = {
            "elasticsearch.yml": (yaml.safe_dump(elasticsearch_yml(replicas), sort_keys=False), "elasticsearch.yml"),
            # Elastic's recommended place for the heap (over ES_JAVA_OPTS): a jvm.options.d file.
            "heap.options": (
                "\n".join(java_heap_options(ctx.memory_limit(KEY)).split()) + "\n",
                "jvm.options.d/heap.options",
            ),
        }
        certificates = Certificates(
            f"{name}-tls",
            CertificatesArgs(
                namespace=ctx.logging,
                namespace_name=ctx.names.logging,
                labels=object_labels,
                service=CATALOG[KEY].name,
                headless_service=headless_service(),
                pods=es_pod_names(replicas),
                transport=replicas > 1,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        # What the clients mount and trust (Kibana, Logstash, the bootstrap Job, Grafana).
        self.ca_secret = certificates.ca_secret
        self.ca_pem = certificates.ca_pem
        container = ctx.container(
            KEY,
            "elasticsearch",
            ELASTIC,
            env={"ELASTIC_PASSWORD": SecretRef(args.elastic_secret.metadata.name, "password")},
            readiness=exec_probe(["bash", "-c", _HEALTH], period=10, timeout=5),
            liveness=tcp_probe("http", period=20, failures=6),
            # First start: keystore, security index, and with three nodes the master election.
            startup=startup(tcp_probe("http"), budget_seconds=300),
            mounts=[mount("certs", CERTS_DIR, read_only=True)],
        )
        elastic_node(
            self,
            name,
            ctx,
            ElasticNode(
                key=KEY,
                image_key="elasticsearch",
                home=ES_HOME,
                settings=settings_files,
                container=container,
                volumes=[secret_volume("certs", certificates.secret)],
                storage_size=settings.storage_size,
                replicas=replicas,
            ),
        )
        self.url = CATALOG[KEY].url(scheme="https", namespace=ctx.names.logging)
        self.register_outputs({"url": self.url})
