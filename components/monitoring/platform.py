"""The platform's side of monitoring: its namespaces, where its workloads run, and the args of
the one Monitoring component (kept here so components/platform.py stays composition only)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.catalog import ServiceKey
from components.config.loader import StackSettings
from components.config.models import StackConfig
from components.core.credentials import Credentials
from components.core.namespaces import namespace
from components.data.endpoints import DataStores
from components.flows import monitoring_services
from components.monitoring.cluster import NODE_EXPORTER_REASON
from components.monitoring.context import LogsSource, MonitoringContext
from components.monitoring.scrape import Namespaces
from components.monitoring.stack import Monitoring, MonitoringArgs

__all__ = ["Monitoring", "monitoring_args", "monitoring_namespaces", "monitoring_placement"]


def monitoring_namespaces(
    config: StackConfig, common: Mapping[str, str], opts: pulumi.ResourceOptions
) -> dict[str, pulumi.Output[str]]:
    """Name → Output of the namespaces monitoring adds: restricted for everything but
    node-exporter, which alone gets a privileged namespace (bundled mode only)."""
    if not config.monitoring.enabled:
        return {}
    version = config.kubernetes.version
    created = {
        config.monitoring_namespace: namespace(
            "monitoring-namespace", config.monitoring_namespace, common, "restricted", version, opts
        )
    }
    if "node-exporter" in monitoring_services(config):
        created[config.node_exporter_namespace] = namespace(
            "monitoring-host-namespace",
            config.node_exporter_namespace,
            common,
            "privileged",
            version,
            opts,
            reason=NODE_EXPORTER_REASON,
        )
    return {name: ns.metadata.name for name, ns in created.items()}


def monitoring_placement(config: StackConfig) -> dict[ServiceKey, str]:
    return {
        key: config.node_exporter_namespace if key == "node-exporter" else config.monitoring_namespace
        for key in monitoring_services(config)
    }


def monitoring_args(
    config: StackConfig,
    instance: str,
    dify_ns: pulumi.Output[str],
    sandbox_ns: pulumi.Output[str],
    namespaces: Mapping[str, pulumi.Output[str]],
    credentials: Credentials,
    settings: StackSettings,
    stores: DataStores | None = None,
    logs: LogsSource | None = None,
) -> MonitoringArgs:
    names = Namespaces(
        config.namespace, config.sandbox_namespace, config.monitoring_namespace, config.node_exporter_namespace
    )
    ctx = MonitoringContext(
        config=config,
        names=names,
        namespaces={config.namespace: dify_ns, config.sandbox_namespace: sandbox_ns, **namespaces},
        instance=instance,
        stores=stores,
    )
    return MonitoringArgs(
        ctx=ctx,
        labels={"app.kubernetes.io/part-of": "dify", "app.kubernetes.io/managed-by": "pulumi"},
        db_password=credentials.values["db-password"],
        redis_password=credentials.values["redis-password"],
        receiver_url=settings.secrets.get("alertmanagerReceiverUrl"),
        logs=logs,
    )
