"""dify:logging:Kibana: the log UI on the bundled Elasticsearch.

Creates: a Deployment (uid 1000, read-only root, its data directory an emptyDir: everything it
keeps lives in Elasticsearch) and its Service; with ``logging.kibana.expose`` an Ingress for
``<host>/kibana`` in the logging namespace, admitting only ``edge.consoleAllowList``.

Kibana logs in as ``kibana_system`` (the bootstrap Job sets its password; Kibana 8 refuses the
``elastic`` superuser). The three encryption keys are generated once and kept in a Secret, so a
restart keeps sessions, saved-object secrets and reports readable. /api/status answers
anonymous probes (``status.allowAnonymous``) with the overall level only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import CATALOG, ServiceKey
from components.kube import EnvValue, SecretRef, empty_dir, http_probe, mount, object_meta, startup
from components.logging.context import ELASTIC, LoggingContext, secret_volume
from components.logging.settings import KIBANA_HOME, heap_mb
from components.net.ingress import CLUSTER_ISSUER, ingress_annotations
from components.routing import KIBANA_PREFIX
from components.workload import WorkloadArgs, deploy

core = k8s.core.v1
networking = k8s.networking.v1
KEY: ServiceKey = "kibana"
CA_DIR = "/etc/elasticsearch-ca"
_NGINX = "nginx.ingress.kubernetes.io"


@dataclass
class KibanaArgs:
    ctx: LoggingContext
    elasticsearch_url: str
    kibana_system_secret: core.Secret
    keys_secret: core.Secret
    # The CA of Elasticsearch's HTTPS certificate (ca.crt).
    ca_secret: core.Secret


def status_path(expose: bool) -> str:
    return f"{KIBANA_PREFIX}/api/status" if expose else "/api/status"


class Kibana(pulumi.ComponentResource):
    url: str

    def __init__(self, name: str, args: KibanaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:logging:Kibana", name, None, opts)
        ctx = args.ctx
        config = ctx.config
        expose = config.logging.kibana.expose
        keys = args.keys_secret.metadata.name
        env: dict[str, EnvValue] = {
            "SERVER_HOST": "0.0.0.0",
            "SERVER_NAME": CATALOG[KEY].name,
            "ELASTICSEARCH_HOSTS": args.elasticsearch_url,
            "ELASTICSEARCH_SSL_CERTIFICATEAUTHORITIES": f"{CA_DIR}/ca.crt",
            "ELASTICSEARCH_USERNAME": "kibana_system",
            "ELASTICSEARCH_PASSWORD": SecretRef(args.kibana_system_secret.metadata.name, "password"),
            "XPACK_SECURITY_ENCRYPTIONKEY": SecretRef(keys, "security"),
            "XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY": SecretRef(keys, "saved-objects"),
            "XPACK_REPORTING_ENCRYPTIONKEY": SecretRef(keys, "reporting"),
            "STATUS_ALLOWANONYMOUS": "true",
            "PATH_DATA": f"{KIBANA_HOME}/data",
            "NODE_OPTIONS": f"--max-old-space-size={heap_mb(ctx.memory_limit(KEY))}",
            # Egress is closed (NetworkPolicy): no telemetry, news feed or update checks.
            "TELEMETRY_OPTIN": "false",
            "TELEMETRY_ALLOWCHANGINGOPTINSTATUS": "false",
            "NEWSFEED_ENABLED": "false",
        }
        if expose:
            env |= {
                "SERVER_BASEPATH": KIBANA_PREFIX,
                "SERVER_REWRITEBASEPATH": "true",
                "SERVER_PUBLICBASEURL": f"{config.public_url}{KIBANA_PREFIX}",
            }
        status = status_path(expose)
        container = ctx.container(
            KEY,
            "kibana",
            ELASTIC,
            env=env,
            readiness=http_probe(status, period=10, timeout=5),
            liveness=http_probe(status, period=20, failures=6),
            # The first start migrates saved objects in Elasticsearch; minutes on a small node.
            startup=startup(http_probe(status), budget_seconds=600),
            mounts=[
                mount("data", f"{KIBANA_HOME}/data"),
                mount("tmp", "/tmp"),
                mount("ca", CA_DIR, read_only=True),
            ],
        )
        deployed = deploy(
            self,
            name,
            WorkloadArgs(
                entry=CATALOG[KEY],
                namespace=ctx.logging,
                instance=ctx.instance,
                containers=[container],
                volumes=[
                    empty_dir("data", "256Mi"),
                    empty_dir("tmp", "256Mi"),
                    secret_volume("ca", args.ca_secret, {"ca.crt": "ca.crt"}),
                ],
                # Two Kibanas migrating saved objects at once is a documented failure.
                strategy="Recreate",
            ),
        )
        if expose:
            self._ingress(name, ctx)
        self.url = CATALOG[KEY].url(namespace=ctx.names.logging)
        self.register_outputs({"service": deployed.service.metadata.name if deployed.service else None})

    def _ingress(self, name: str, ctx: LoggingContext) -> None:
        config = ctx.config
        annotations = {
            **ingress_annotations(dict(config.ingress.annotations), config.edge),
            f"{_NGINX}/whitelist-source-range": ",".join(config.edge.console_allow_list),
        }
        tls = config.ingress.tls
        if tls.mode == "cert-manager" and tls.cluster_issuer:
            # The Secret of Dify's Ingress lives in Dify's namespace; cert-manager issues this
            # namespace's own copy for the same host.
            annotations[CLUSTER_ISSUER] = tls.cluster_issuer
        networking.Ingress(
            f"{name}-ingress",
            metadata=object_meta(CATALOG[KEY].name, ctx.logging, ctx.labels(KEY, "kibana"), annotations),
            spec=networking.IngressSpecArgs(
                ingress_class_name=config.ingress.class_name,
                # An Ingress names a Secret of its own namespace: with ingress.tls.mode secret the
                # certificate of ingress.tlsSecretName must be copied into the logging namespace (README).
                tls=(
                    [networking.IngressTLSArgs(hosts=[config.host], secret_name=config.ingress.tls_secret_name)]
                    if config.ingress.tls_secret_name
                    else None
                ),
                rules=[
                    networking.IngressRuleArgs(
                        host=config.host,
                        http=networking.HTTPIngressRuleValueArgs(
                            paths=[
                                networking.HTTPIngressPathArgs(
                                    path=KIBANA_PREFIX,
                                    path_type="Prefix",
                                    backend=networking.IngressBackendArgs(
                                        service=networking.IngressServiceBackendArgs(
                                            name=CATALOG[KEY].name,
                                            port=networking.ServiceBackendPortArgs(name="http"),
                                        )
                                    ),
                                )
                            ]
                        ),
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
