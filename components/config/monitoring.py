"""``dify:monitoring``: Prometheus, Alertmanager, Grafana and the exporters (components/monitoring/)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from components.config.base import ConfigModel as _Model
from components.config.types import Count, DnsLabel, Flag, LabelKey, MemoryQuantity, PromDuration, PromSize, StrictStr


class AlertmanagerSettings(_Model):
    receiver: Literal["none", "webhook", "slack"] = Field(
        default="none",
        description="Where alerts go; webhook and slack read their URL from the secret alertmanagerReceiverUrl.",
    )
    slack_channel: StrictStr | None = Field(default=None, description="Slack channel, with receiver slack.")
    group_by: list[StrictStr] = Field(
        default_factory=lambda: ["alertname", "namespace"],
        description="Labels that group alerts into one notification.",
    )


class MonitoringSettings(_Model):
    """Prometheus, Alertmanager, Grafana and exporters (components/monitoring/)."""

    enabled: Flag = Field(default=False, description="Deploy monitoring and wire Dify's OpenTelemetry metrics to it.")
    mode: Literal["bundled", "operator"] = Field(
        default="bundled",
        description="bundled: our own Prometheus, Alertmanager and Grafana; operator: ServiceMonitor, "
        "PrometheusRule and dashboard ConfigMaps for an existing Prometheus Operator.",
    )
    retention: PromDuration = Field(
        default="15d", description="How long Prometheus keeps samples (--storage.tsdb.retention.time)."
    )
    retention_size: PromSize = Field(
        default="8GB", description="Most disk Prometheus's blocks may use (--storage.tsdb.retention.size)."
    )
    storage_size: MemoryQuantity = Field(default="10Gi", description="Prometheus's PersistentVolumeClaim.")
    otel_sampling_percent: Count = Field(
        default=10, ge=0, le=100, description="Percent of Dify requests traced (OTEL_SAMPLING_RATE); metrics count all."
    )
    alertmanager: AlertmanagerSettings = Field(default=AlertmanagerSettings(), description="Alert routing.")
    dashboard_label: LabelKey = Field(
        default="grafana_dashboard", description="Label the Grafana sidecar looks for on dashboard ConfigMaps."
    )
    operator_namespace: DnsLabel = Field(
        default="monitoring", description="Namespace of the operator's Prometheus, allowed to scrape our exporters."
    )
    operator_labels: dict[str, StrictStr] = Field(
        default_factory=dict,
        description="Labels the operator's Prometheus selects monitors and rules by "
        "(kube-prometheus-stack: release: <its release name>).",
    )
