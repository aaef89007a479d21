"""dify:monitoring:OtelCollector: receives Dify's OTLP pushes, serves them to Prometheus.

Creates: an auto-named ConfigMap with the collector config (components/monitoring/collector.py)
and a Deployment (contrib image 0.159.0, uid 10001, read-only root) with the Service Dify's
``OTLP_BASE_ENDPOINT`` names.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import ServiceKey
from components.kube import SecurityProfile, http_probe, mount
from components.monitoring.collector import HEALTH_PATH, collector_config
from components.monitoring.context import ContextArgs, run
from components.monitoring.prometheus import dumps

core = k8s.core.v1
CONFIG_DIR = "/etc/otelcol"


class OtelCollector(pulumi.ComponentResource):
    def __init__(self, name: str, args: ContextArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:monitoring:OtelCollector", name, None, opts)
        ctx = args.ctx
        key: ServiceKey = "otel-collector"
        config = ctx.config_map(
            self, f"{name}-config", key, "otel_collector", {"config.yaml": dumps(collector_config(ctx.names.dify))}
        )
        container = ctx.container(
            key,
            "otel_collector",
            SecurityProfile(run_as_user=10001, run_as_group=10001),
            args=["--config", f"{CONFIG_DIR}/config.yaml"],
            readiness=http_probe(HEALTH_PATH, "health"),
            liveness=http_probe(HEALTH_PATH, "health", period=20),
            mounts=[mount("config", CONFIG_DIR, read_only=True)],
        )
        volume = core.VolumeArgs(name="config", config_map=core.ConfigMapVolumeSourceArgs(name=config.metadata.name))
        run(self, name, ctx, container, expose=True, volumes=[volume])
        self.register_outputs({})
