"""dify:monitoring:Alertmanager: routing, grouping and inhibition of the alerts.

Creates: a Secret holding alertmanager.yml (the receiver URL is a credential, from the Pulumi
secret ``alertmanagerReceiverUrl``), and a single-replica StatefulSet with a small claim for its
silences and notification log, and its Service (Prometheus sends alerts to it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import ServiceKey
from components.kube import SecurityProfile, http_probe, mount, object_meta
from components.monitoring.alerting import alertmanager_config
from components.monitoring.context import MonitoringContext, run_stateful
from components.monitoring.prometheus import dumps

CONFIG_DIR = "/etc/alertmanager"
DATA_DIR = "/alertmanager"
SECURITY = SecurityProfile(run_as_user=65534, run_as_group=65534, fs_group=65534)


@dataclass
class AlertmanagerArgs:
    ctx: MonitoringContext
    receiver_url: pulumi.Output[str] | None = None


class Alertmanager(pulumi.ComponentResource):
    def __init__(self, name: str, args: AlertmanagerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:monitoring:Alertmanager", name, None, opts)
        ctx = args.ctx
        settings = ctx.config.monitoring.alertmanager
        key: ServiceKey = "alertmanager"
        object_labels = ctx.labels(key, "alertmanager")
        url = args.receiver_url if settings.receiver != "none" else None

        def render(value: str | None) -> str:
            return dumps(alertmanager_config(settings.receiver, value, settings.group_by, settings.slack_channel))

        text: pulumi.Input[str] = pulumi.Output.secret(url.apply(render)) if url is not None else render(None)
        secret = k8s.core.v1.Secret(
            f"{name}-config",
            metadata=object_meta(None, ctx.monitoring, object_labels),
            string_data={"alertmanager.yml": text},
            opts=pulumi.ResourceOptions(parent=self),
        )
        container = ctx.container(
            key,
            "alertmanager",
            SECURITY,
            # Empty disables HA gossip: by default it binds 0.0.0.0:9094 and fails start-up when the pod
            # has no private address (alertmanager@v0.34.0 app/options.go:31, cluster/advertise.go:65-72),
            # all for peers a single replica does not have.
            args=[
                f"--config.file={CONFIG_DIR}/alertmanager.yml",
                "--storage.path",
                DATA_DIR,
                "--cluster.listen-address=",
            ],
            readiness=http_probe("/-/ready"),
            liveness=http_probe("/-/healthy"),
            mounts=[mount("config", CONFIG_DIR, read_only=True), mount("data", DATA_DIR)],
        )
        core = k8s.core.v1
        volume = core.VolumeArgs(name="config", secret=core.SecretVolumeSourceArgs(secret_name=secret.metadata.name))
        deployed = run_stateful(self, name, ctx, container, "1Gi", [volume])
        self.register_outputs({"service": deployed.service.metadata.name})
