"""dify:monitoring:Grafana: dashboards on the bundled Prometheus.

Creates: a generated admin password in a Secret (read through GF_SECURITY_ADMIN_PASSWORD__FILE,
never an env value), auto-named ConfigMaps for the provisioned data source, the dashboard
provider and the dashboards, and a Deployment (uid 472, read-only root; its database lives in
an emptyDir because everything it shows is provisioned from files) with its Service.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.catalog import ServiceKey
from components.kube import SecurityProfile, empty_dir, http_probe, mount, object_meta
from components.monitoring.context import ContextArgs, LogsSource, entry
from components.monitoring.dashboards import DATASOURCE, dashboards
from components.monitoring.prometheus import dify_namespaces, dumps
from components.workload import WorkloadArgs, deploy

core = k8s.core.v1
PROVISIONING = "/etc/grafana/provisioning"
DASHBOARDS = "/var/lib/grafana-dashboards"
SECRETS = "/etc/grafana-secrets"
SECURITY = SecurityProfile(run_as_user=472, run_as_group=472, fs_group=472)


# Grafana expands $VARS in provisioning files: the password stays in the pod's env (from a Secret).
LOGS_PASSWORD_ENV = "DIFY_LOGS_PASSWORD"
LOGS_CA_ENV = "DIFY_LOGS_CA"
LOGS_DATASOURCE = {"type": "elasticsearch", "uid": "dify-logs"}


def logs_datasource(logs: LogsSource) -> dict[str, object]:
    """Dify's logs (dify:logging): the dify-logs-* indices, read with the read-only user."""
    return {
        "name": "Dify logs",
        **LOGS_DATASOURCE,
        "access": "proxy",
        "url": logs.url,
        "basicAuth": True,
        "basicAuthUser": logs.user,
        "editable": False,
        "jsonData": {
            "index": "dify-logs-*",
            "timeField": "@timestamp",
            "logMessageField": "message",
            "logLevelField": "level",
            "tlsAuthWithCACert": True,
        },
        "secureJsonData": {"basicAuthPassword": f"${LOGS_PASSWORD_ENV}", "tlsCACert": f"${LOGS_CA_ENV}"},
    }


def datasources(prometheus_url: str, logs: LogsSource | None = None) -> dict[str, object]:
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                **DATASOURCE,
                "access": "proxy",
                "url": prometheus_url,
                "isDefault": True,
                "editable": False,
                "jsonData": {"httpMethod": "POST", "timeInterval": "30s"},
            },
            *([logs_datasource(logs)] if logs else []),
        ],
    }


PROVIDERS = {
    "apiVersion": 1,
    "providers": [
        {
            "name": "dify",
            "orgId": 1,
            "folder": "Dify",
            "type": "file",
            "disableDeletion": True,
            "allowUiUpdates": False,
            "options": {"path": DASHBOARDS},
        }
    ],
}


class Grafana(pulumi.ComponentResource):
    def __init__(self, name: str, args: ContextArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:monitoring:Grafana", name, None, opts)
        ctx = args.ctx
        key: ServiceKey = "grafana"
        object_labels = ctx.labels(key, "grafana")
        child = pulumi.ResourceOptions(parent=self)
        password = random.RandomPassword(f"{name}-admin-password", length=32, special=False, opts=child)
        secret = core.Secret(
            f"{name}-admin",
            metadata=object_meta(None, ctx.monitoring, object_labels),
            string_data={"admin-password": password.result},
            opts=child,
        )
        prometheus_url = entry("prometheus").url(namespace=ctx.names.monitoring)
        provisioning = ctx.config_map(
            self,
            f"{name}-provisioning",
            key,
            "grafana",
            {"datasources.yaml": dumps(datasources(prometheus_url, ctx.logs)), "dashboards.yaml": dumps(PROVIDERS)},
        )
        boards = ctx.config_map(
            self,
            f"{name}-dashboards",
            key,
            "grafana",
            {file: json.dumps(board, indent=1) for file, board in dashboards(dify_namespaces(ctx)).items()},
        )
        container = ctx.container(
            key,
            "grafana",
            SECURITY,
            env={
                "GF_SECURITY_ADMIN_USER": "admin",
                "GF_SECURITY_ADMIN_PASSWORD__FILE": f"{SECRETS}/admin-password",
                "GF_PATHS_PROVISIONING": PROVISIONING,
                "GF_PATHS_DATA": "/var/lib/grafana",
                # Console only: the image's default also writes files under /var/log/grafana.
                "GF_LOG_MODE": "console",
                # Egress is closed (NetworkPolicy): no update checks or usage reporting.
                "GF_ANALYTICS_REPORTING_ENABLED": "false",
                "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
                "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
                "GF_AUTH_ANONYMOUS_ENABLED": "false",
                **({LOGS_PASSWORD_ENV: ctx.logs_password} if ctx.logs_password else {}),
                **({LOGS_CA_ENV: ctx.logs_ca} if ctx.logs_ca else {}),
            },
            readiness=http_probe("/api/health"),
            liveness=http_probe("/api/health", period=15, failures=4),
            mounts=[
                mount("provisioning", f"{PROVISIONING}/datasources", read_only=True, sub_path=None),
                mount("providers", f"{PROVISIONING}/dashboards", read_only=True),
                mount("dashboards", DASHBOARDS, read_only=True),
                mount("admin", SECRETS, read_only=True),
                mount("data", "/var/lib/grafana"),
                mount("tmp", "/tmp"),
            ],
        )
        items = [core.KeyToPathArgs(key="datasources.yaml", path="datasources.yaml")]
        provider_items = [core.KeyToPathArgs(key="dashboards.yaml", path="dashboards.yaml")]
        deployed = deploy(
            self,
            name,
            WorkloadArgs(
                entry=entry(key),
                namespace=ctx.monitoring,
                instance=ctx.instance,
                containers=[container],
                volumes=[
                    core.VolumeArgs(
                        name="provisioning",
                        config_map=core.ConfigMapVolumeSourceArgs(name=provisioning.metadata.name, items=items),
                    ),
                    core.VolumeArgs(
                        name="providers",
                        config_map=core.ConfigMapVolumeSourceArgs(
                            name=provisioning.metadata.name, items=provider_items
                        ),
                    ),
                    core.VolumeArgs(
                        name="dashboards", config_map=core.ConfigMapVolumeSourceArgs(name=boards.metadata.name)
                    ),
                    core.VolumeArgs(name="admin", secret=core.SecretVolumeSourceArgs(secret_name=secret.metadata.name)),
                    empty_dir("data", "1Gi"),
                    empty_dir("tmp", "64Mi"),
                ],
            ),
        )
        self.register_outputs({"service": deployed.service.metadata.name if deployed.service else None})
