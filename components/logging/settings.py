"""The logging stack's configuration as data (no Pulumi): elasticsearch.yml, logstash.yml,
pipelines.yml, heaps, and the bodies the bootstrap Job sends to Elasticsearch and Kibana.

Everything here is plain text or JSON without credentials: passwords reach the containers only
as files from Secrets (or env from a Secret where the program reads nothing else).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components.catalog import CATALOG
from components.config.types import memory_bytes

INDEX_PREFIX = "dify-logs"
INDEX_PATTERN = f"{INDEX_PREFIX}-*"
ILM_POLICY = INDEX_PREFIX
TEMPLATE = INDEX_PREFIX
DATA_VIEW_ID = INDEX_PREFIX
WRITER_ROLE = "dify_logs_writer"
WRITER_USER = "dify_logstash"
READER_ROLE = "dify_logs_reader"
READER_USER = "dify_grafana"
CLUSTER_NAME = "dify-logs"

ES_HOME = "/usr/share/elasticsearch"
LS_HOME = "/usr/share/logstash"
KIBANA_HOME = "/usr/share/kibana"
CERTS_DIR = f"{ES_HOME}/config/certs"
PIPELINE_DIR = f"{LS_HOME}/pipeline"


def heap_mb(memory_limit: str) -> int:
    """Half the container's memory limit, in MiB: the JVM (and V8) need the other half for
    direct buffers, metaspace, threads and, for Elasticsearch, the filesystem cache (Elastic's
    sizing rule: heap at most 50% of the memory)."""
    return memory_bytes(memory_limit) // 2 // 2**20


def java_heap_options(memory_limit: str) -> str:
    size = heap_mb(memory_limit)
    return f"-Xms{size}m -Xmx{size}m"


def es_pod_names(replicas: int) -> list[str]:
    return [f"{CATALOG['elasticsearch'].name}-{i}" for i in range(replicas)]


def headless_service() -> str:
    return f"{CATALOG['elasticsearch'].name}-headless"


def elasticsearch_yml(replicas: int) -> dict[str, Any]:
    """elasticsearch.yml. Security is on in both shapes and HTTP is TLS with a certificate from
    the stack's CA (components/logging/certificates.py). A cluster of several nodes must also
    encrypt its transport once security is on: each node presents its own certificate
    (``${HOSTNAME}`` is the pod name), signed by the same CA."""
    settings: dict[str, Any] = {
        "cluster.name": CLUSTER_NAME,
        "network.host": "0.0.0.0",
        # Instead of a privileged init container raising vm.max_map_count: niofs, at a cost in
        # search speed that logs can afford.
        "node.store.allow_mmap": False,
        "xpack.security.enabled": True,
        # Explicit settings turn off the 8.x first-start auto-configuration (which would write
        # its own certificates and enrolment tokens into config/).
        "xpack.security.enrollment.enabled": False,
        "xpack.security.http.ssl.enabled": True,
        "xpack.security.http.ssl.key": "certs/http.key",
        "xpack.security.http.ssl.certificate": "certs/http.crt",
        "xpack.security.http.ssl.certificate_authorities": ["certs/ca.crt"],
        "xpack.ml.enabled": False,
        "ingest.geoip.downloader.enabled": False,
    }
    if replicas == 1:
        return {**settings, "discovery.type": "single-node", "xpack.security.transport.ssl.enabled": False}
    return {
        **settings,
        "discovery.seed_hosts": [headless_service()],
        "cluster.initial_master_nodes": es_pod_names(replicas),
        "xpack.security.transport.ssl.enabled": True,
        # The certificate must chain to our CA; node names are not checked (peers dial pod IPs).
        "xpack.security.transport.ssl.verification_mode": "certificate",
        "xpack.security.transport.ssl.key": "certs/${HOSTNAME}.key",
        "xpack.security.transport.ssl.certificate": "certs/${HOSTNAME}.crt",
        "xpack.security.transport.ssl.certificate_authorities": ["certs/ca.crt"],
    }


def logstash_yml(queue_max_bytes: str) -> dict[str, Any]:
    return {
        # The API (9600) answers the kubelet's probes on the pod IP.
        "api.http.host": "0.0.0.0",
        "path.data": f"{LS_HOME}/data",
        # Events wait on the PVC, not in memory, while Elasticsearch is down or slow.
        "queue.type": "persisted",
        "queue.max_bytes": queue_max_bytes,
        "xpack.monitoring.enabled": False,
        "log.format": "json",
    }


def queue_max_bytes(claim_size: str) -> str:
    """90% of the queue's claim, in MiB (Logstash's unit suffix ``mb``): the queue stops
    accepting before the volume is full, so back-pressure reaches Filebeat instead of a crash."""
    return f"{memory_bytes(claim_size) * 9 // 10 // 2**20}mb"


def pipelines_yml() -> list[dict[str, Any]]:
    # ECS compatibility off: the Dify pipeline keeps the seed's flat fields (level, message,
    # trace_id at the root), which the index template maps.
    return [{"pipeline.id": "dify", "path.config": f"{PIPELINE_DIR}/*.conf", "pipeline.ecs_compatibility": "disabled"}]


def ilm_policy(retention_days: int) -> dict[str, Any]:
    """Daily indices, deleted ``retention_days`` after they were created (no rollover: the
    index name carries the day)."""
    return {
        "policy": {
            "phases": {
                "hot": {"min_age": "0ms", "actions": {}},
                "delete": {"min_age": f"{retention_days}d", "actions": {"delete": {}}},
            }
        }
    }


_KEYWORD = {"type": "keyword", "ignore_above": 1024}


def index_template(index_replicas: int) -> dict[str, Any]:
    """The mappings the Dify pipeline writes (components/logging/pipeline/dify.conf): Dify's
    JSON record fields plus Filebeat's Kubernetes metadata; everything else maps dynamically."""
    return {
        "index_patterns": [INDEX_PATTERN],
        "priority": 200,
        "template": {
            "settings": {
                "index.lifecycle.name": ILM_POLICY,
                "index.number_of_shards": 1,
                "index.number_of_replicas": index_replicas,
            },
            "mappings": {
                "properties": {
                    "@timestamp": {"type": "date"},
                    "timestamp": {"type": "date"},
                    "level": {"type": "keyword"},
                    "logger": {"type": "keyword"},
                    "message": {"type": "text"},
                    "request_id": {"type": "keyword"},
                    "trace_id": {"type": "keyword"},
                    "span_id": {"type": "keyword"},
                    "tags": {"type": "keyword"},
                    "kubernetes": {
                        "properties": {
                            "namespace": _KEYWORD,
                            "pod": {"properties": {"name": _KEYWORD, "uid": _KEYWORD}},
                            "container": {"properties": {"name": _KEYWORD, "image": _KEYWORD}},
                            "node": {"properties": {"name": _KEYWORD}},
                            "labels": {"type": "object", "dynamic": True},
                        }
                    },
                }
            },
        },
    }


def writer_role() -> dict[str, Any]:
    """Logstash may create the day's index and add documents to it, nothing else: no reads,
    no deletes, no templates (the bootstrap Job owns those). ``monitor`` lets its output read
    the cluster's version and license at start."""
    return {
        "cluster": ["monitor"],
        "indices": [{"names": [INDEX_PATTERN], "privileges": ["create_doc", "create_index"]}],
    }


def reader_role() -> dict[str, Any]:
    """Grafana's Elasticsearch data source: search and field lists on the log indices only."""
    return {"indices": [{"names": [INDEX_PATTERN], "privileges": ["read", "view_index_metadata"]}]}


def data_view() -> dict[str, Any]:
    return {
        "data_view": {"id": DATA_VIEW_ID, "title": INDEX_PATTERN, "name": "Dify logs", "timeFieldName": "@timestamp"},
        "override": True,
    }


def bootstrap_files(retention_days: int, index_replicas: int) -> dict[str, str]:
    """The bootstrap Job's request bodies, one file each (no credentials)."""
    import json

    bodies: dict[str, Any] = {
        "ilm-policy.json": ilm_policy(retention_days),
        "index-template.json": index_template(index_replicas),
        "writer-role.json": writer_role(),
        "reader-role.json": reader_role(),
        "data-view.json": data_view(),
    }
    return {name: json.dumps(body, indent=1, sort_keys=True) for name, body in bodies.items()}


def logstash_output_hosts(hosts: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{h}"' for h in hosts) + "]"
