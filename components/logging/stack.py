"""dify:logging:Logging: composes the logging components for one stack.

Creates, in ``<namespace>-logging``: the Credentials, then either the bundled Elasticsearch and
Kibana or nothing of the kind (``logging.elasticsearch.external``), the bootstrap Job, Logstash;
and in ``<namespace>-logging-host`` Filebeat. The namespaces (and their NetworkPolicies) belong
to the platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from components.logging.bootstrap import Bootstrap, BootstrapArgs
from components.logging.context import LoggingContext
from components.logging.credentials import Credentials, CredentialsArgs
from components.logging.elasticsearch import Elasticsearch, ElasticsearchArgs
from components.logging.filebeat import Filebeat, FilebeatArgs
from components.logging.kibana import Kibana, KibanaArgs
from components.logging.logstash import Logstash, LogstashArgs
from components.logging.settings import READER_USER
from components.monitoring.context import LogsSource


@dataclass
class LoggingArgs:
    ctx: LoggingContext
    labels: Mapping[str, str]
    user_secrets: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)


def collected_namespaces(ctx: LoggingContext) -> list[str]:
    """``logging.filebeat.namespaces``, or Dify's two namespaces (the api family, web and the
    plugin daemon in one, the sandbox in the other)."""
    return list(ctx.config.logging.filebeat.namespaces or [ctx.names.dify, ctx.names.sandbox])


class Logging(pulumi.ComponentResource):
    elasticsearch_url: str
    # What Grafana's Elasticsearch data source needs (bundled cluster only).
    datasource: LogsSource | None

    def __init__(self, name: str, args: LoggingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:logging:Logging", name, None, opts)
        ctx = args.ctx
        child = pulumi.ResourceOptions(parent=self)
        credentials = Credentials("logging-credentials", CredentialsArgs(ctx, args.labels, args.user_secrets), child)
        secrets = credentials.secrets
        external = ctx.config.logging.elasticsearch.external
        kibana_url = None
        after: list[pulumi.Resource] = []
        # The CA the clients trust: the bundled cluster's own, or an external cluster's if given.
        ca_secret = secrets.get("external-ca")
        ca_pem: pulumi.Output[str] | None = None
        if external is not None:
            self.elasticsearch_url = external.url
        else:
            elasticsearch = Elasticsearch("elasticsearch", ElasticsearchArgs(ctx, secrets["elastic"]), child)
            self.elasticsearch_url = elasticsearch.url
            ca_secret, ca_pem = elasticsearch.ca_secret, elasticsearch.ca_pem
            after.append(elasticsearch)
            kibana = Kibana(
                "kibana",
                KibanaArgs(ctx, self.elasticsearch_url, secrets["kibana-system"], secrets["kibana-keys"], ca_secret),
                child,
            )
            kibana_url = kibana.url
        bootstrap_secrets = {k: v for k, v in secrets.items() if k not in ("kibana-keys", "external-ca")}
        if ca_secret is not None:
            bootstrap_secrets["ca"] = ca_secret
        Bootstrap(
            "logging-bootstrap",
            BootstrapArgs(
                ctx,
                self.elasticsearch_url,
                bootstrap_secrets,
                kibana_url=kibana_url,
                ca=ca_secret is not None,
                depends_on=after,
            ),
            child,
        )
        logstash = Logstash(
            "logstash",
            LogstashArgs(
                ctx,
                self.elasticsearch_url,
                secrets["writer"],
                ca_secret=ca_secret,
            ),
            child,
        )
        Filebeat("filebeat", FilebeatArgs(ctx, collected_namespaces(ctx), logstash.hosts), child)
        self.datasource = (
            None
            if ca_pem is None
            else LogsSource(self.elasticsearch_url, READER_USER, credentials.values["reader"], ca_pem)
        )
        self.register_outputs({"elasticsearch": self.elasticsearch_url})
