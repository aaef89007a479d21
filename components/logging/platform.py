"""The platform's side of logging: its namespaces, where its workloads run, and the args of the
one Logging component (kept here so components/platform.py stays composition only)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.catalog import ServiceKey
from components.config.loader import StackSettings
from components.config.models import StackConfig
from components.core.namespaces import namespace
from components.flows import logging_services
from components.logging.context import LoggingContext, LoggingNames
from components.logging.filebeat import FILEBEAT_REASON
from components.logging.stack import Logging, LoggingArgs

__all__ = ["Logging", "logging_args", "logging_namespaces", "logging_placement"]


def logging_namespaces(
    config: StackConfig, common: Mapping[str, str], opts: pulumi.ResourceOptions
) -> dict[str, pulumi.Output[str]]:
    """Name → Output of the namespaces logging adds: restricted for everything but Filebeat,
    which alone gets a privileged namespace."""
    if not config.logging.enabled:
        return {}
    version = config.kubernetes.version
    created = {
        config.logging_namespace: namespace(
            "logging-namespace", config.logging_namespace, common, "restricted", version, opts
        ),
        config.logging_host_namespace: namespace(
            "logging-host-namespace",
            config.logging_host_namespace,
            common,
            "privileged",
            version,
            opts,
            reason=FILEBEAT_REASON,
        ),
    }
    return {name: ns.metadata.name for name, ns in created.items()}


def logging_placement(config: StackConfig) -> dict[ServiceKey, str]:
    return {
        key: config.logging_host_namespace if key == "filebeat" else config.logging_namespace
        for key in logging_services(config)
    }


def logging_args(
    config: StackConfig,
    instance: str,
    namespaces: Mapping[str, pulumi.Input[str]],
    settings: StackSettings,
) -> LoggingArgs:
    names = LoggingNames(
        config.namespace,
        config.sandbox_namespace,
        config.logging_namespace,
        config.logging_host_namespace,
        config.monitoring_namespace if config.monitoring.enabled else None,
    )
    return LoggingArgs(
        ctx=LoggingContext(config=config, names=names, namespaces=namespaces, instance=instance),
        labels={"app.kubernetes.io/part-of": "dify", "app.kubernetes.io/managed-by": "pulumi"},
        user_secrets={
            key: value
            for key, value in settings.secrets.items()
            if key in ("elasticsearchPassword", "elasticsearchCaCert")
        },
    )
