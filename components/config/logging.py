"""``dify:logging``: Elasticsearch, Logstash, Kibana and Filebeat (components/logging/).

Defaults are the dev size (one Elasticsearch node, seven days of logs); Pulumi.prod.yaml sets
three nodes and thirty days. Credentials of an external cluster are user secrets
(``elasticsearchPassword``, ``elasticsearchCaCert``: components/config/loader.py), never part of
this plain model.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field

from components.config.base import ConfigModel
from components.config.errors import key_path, problem
from components.config.types import Count, DnsLabel, Flag, MemoryQuantity, _strict_int, _strict_str

_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,506}$")


_Model = ConfigModel


def _es_url(value: str) -> str:
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or port == -1
    ):
        raise ValueError(
            "expected an https:// URL of the cluster such as https://logs.example.com:9243, without path or credentials"
        )
    return value.rstrip("/")


def _es_user(value: str) -> str:
    if not _USER.fullmatch(value):
        raise ValueError("expected an Elasticsearch user name: letters, digits, '_', '.', '@' and '-'")
    return value


def _node_count(value: int) -> int:
    if value == 2 or not 1 <= value <= 9:
        raise ValueError("expected 1 (a single node) or 3 to 9 (two nodes cannot keep a master quorum)")
    return value


ElasticsearchUrl = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_es_url)]
ElasticsearchUser = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_es_user)]
NodeCount = Annotated[int, BeforeValidator(_strict_int), AfterValidator(_node_count)]


class ExternalElasticsearch(_Model):
    url: ElasticsearchUrl = Field(
        description="https:// address of an existing Elasticsearch 8.x cluster (Elastic Cloud or self-managed)."
    )
    username: ElasticsearchUser = Field(
        default="elastic",
        description="User the bootstrap Job creates the template, ILM policy and Logstash writer with; "
        "its password is the secret elasticsearchPassword.",
    )


class ElasticsearchSettings(_Model):
    replicas: NodeCount = Field(default=1, description="Nodes: 1 (single-node) or 3+ (transport TLS, PDB).")
    storage_size: MemoryQuantity = Field(default="10Gi", description="Each node's PersistentVolumeClaim.")
    external: ExternalElasticsearch | None = Field(
        default=None, description="Ship to an existing cluster instead of the bundled one (no Kibana then)."
    )


class KibanaSettings(_Model):
    expose: Flag = Field(
        default=False,
        description="Route https://<host>/kibana through the Ingress, only from edge.consoleAllowList's addresses.",
    )


class LogstashSettings(_Model):
    debug: Flag = Field(default=False, description="Also print every event to Logstash's stdout (rubydebug).")
    queue_size: MemoryQuantity = Field(
        default="2Gi", description="Persistent queue on a PVC: events survive an Elasticsearch outage."
    )


class FilebeatSettings(_Model):
    namespaces: list[DnsLabel] | None = Field(
        default=None, description="Namespaces whose container logs are collected; unset = Dify's and the sandbox's."
    )


class LoggingSettings(_Model):
    """Central logging of Dify's JSON logs (components/logging/)."""

    enabled: Flag = Field(default=False, description="Deploy Elasticsearch, Logstash, Kibana and Filebeat.")
    retention_days: Count = Field(
        default=7, ge=1, le=3650, description="Days an index is kept before ILM deletes it (prod: 30)."
    )
    elasticsearch: ElasticsearchSettings = Field(default=ElasticsearchSettings(), description="The log store.")
    kibana: KibanaSettings = Field(default=KibanaSettings(), description="The log UI.")
    logstash: LogstashSettings = Field(default=LogstashSettings(), description="The Dify pipeline.")
    filebeat: FilebeatSettings = Field(default=FilebeatSettings(), description="The node log shipper.")


def logging_problems(
    settings: LoggingSettings, *, ingress_enabled: bool, allow_list: list[str], secret_keys: set[str]
) -> list[str]:
    """Cross-key checks, one line each (see components/config/loader.py)."""
    problems: list[str] = []
    external = settings.elasticsearch.external
    if settings.filebeat.namespaces is not None and not settings.filebeat.namespaces:
        problems.append(problem(["logging", "filebeat", "namespaces"], [], "at least one namespace, or unset"))
    if external is not None:
        if settings.elasticsearch.replicas != 1:
            problems.append(
                problem(
                    ["logging", "elasticsearch", "replicas"],
                    settings.elasticsearch.replicas,
                    "unset when elasticsearch.external is set (no bundled cluster)",
                )
            )
        if settings.kibana.expose:
            problems.append(
                problem(
                    ["logging", "kibana", "expose"],
                    True,
                    "false when elasticsearch.external is set (no bundled Kibana)",
                )
            )
        if settings.enabled and "elasticsearchPassword" not in secret_keys:
            problems.append(
                f"{key_path(['elasticsearchPassword'])}: is missing "
                "(expected a secret when logging.elasticsearch.external is set)"
            )
    if settings.kibana.expose and not ingress_enabled:
        problems.append(problem(["logging", "kibana", "expose"], True, "false unless ingress.enabled is true"))
    elif settings.kibana.expose and not allow_list:
        # Kibana is a console onto every log line: never open to the whole internet.
        problems.append(
            problem(["logging", "kibana", "expose"], True, "false unless edge.consoleAllowList names who may reach it")
        )
    return problems
