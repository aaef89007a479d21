"""The OpenTelemetry Collector's config as Python data: OTLP/HTTP in, a Prometheus endpoint out.

Dify's api and worker push OTLP over HTTP to ``OTLP_BASE_ENDPOINT`` + ``/v1/metrics`` and
``/v1/traces`` (dify@1.16.1 api/extensions/ext_otel.py:104-121, protocol ``http`` by default,
api/configs/observability/otel/otel_config.py). Metrics are exposed for Prometheus to scrape;
traces are accepted and dropped (``nop``) until a trace store exists, so Dify's exporter does
not log a failure per batch. Dify's resource carries ``host.name`` = the pod's hostname
(ext_otel.py:62), which the transform copies into a ``pod`` label next to a fixed ``namespace``:
the collector's Prometheus endpoint otherwise puts resource attributes only into target_info.
"""

from __future__ import annotations

from typing import Any

from components.catalog import CATALOG

HEALTH_PATH = "/"


def collector_config(dify_namespace: str) -> dict[str, Any]:
    entry = CATALOG["otel-collector"]
    return {
        "extensions": {
            "health_check": {"endpoint": f"0.0.0.0:{entry.port('health')}", "path": HEALTH_PATH},
        },
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"0.0.0.0:{entry.port('otlp-http')}"}}}},
        "processors": {
            # Refuse data before the container's memory limit is reached (percentages of it).
            "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20},
            "transform": {
                "metric_statements": [
                    {
                        "context": "datapoint",
                        "statements": [
                            'set(attributes["pod"], resource.attributes["host.name"])',
                            f'set(attributes["namespace"], "{dify_namespace}")',
                        ],
                    }
                ]
            },
            "batch": {},
        },
        "exporters": {
            "prometheus": {
                "endpoint": f"0.0.0.0:{entry.port('metrics')}",
                # Stated, not defaulted: the names in components/monitoring/metrics.py depend on it.
                "translation_strategy": "UnderscoreEscapingWithSuffixes",
                "metric_expiration": "5m",
            },
            "nop": {},
        },
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "metrics": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "transform", "batch"],
                    "exporters": ["prometheus"],
                },
                "traces": {"receivers": ["otlp"], "processors": ["memory_limiter"], "exporters": ["nop"]},
            },
        },
    }
