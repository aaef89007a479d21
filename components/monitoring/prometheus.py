"""dify:monitoring:Prometheus: the server, its discovery rights, its config and rules.

Creates: a ServiceAccount; per discovered namespace a Role (pods: get, list, watch) and
RoleBinding; one ClusterRole (nodes: list, watch for node discovery; nodes/metrics: get for
the kubelet and cAdvisor scrapes) and its binding; auto-named ConfigMaps for prometheus.yml and
the rules; a StatefulSet with a PersistentVolumeClaim and its Service. Retention is by time and
size from ``dify:monitoring``, on the command line (promtool 2.42 rejects the config-file form).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.catalog import ServiceKey
from components.kube import SecurityProfile, cluster_access, empty_dir, http_probe, mount, service_account
from components.monitoring.context import MonitoringContext, entry, namespaced_reader, run_stateful
from components.monitoring.rules import rule_groups
from components.monitoring.scrape import RULES_DIR, discovered_namespaces, prometheus_config

rbac = k8s.rbac.v1

CONFIG_DIR = "/etc/prometheus"
DATA_DIR = "/prometheus"
# The image's nobody user (components/images/monitoring.py); fsGroup makes the claim writable.
SECURITY = SecurityProfile(run_as_user=65534, run_as_group=65534, fs_group=65534)

POD_READER = rbac.PolicyRuleArgs(api_groups=[""], resources=["pods"], verbs=["get", "list", "watch"])
NODE_RULES = [
    rbac.PolicyRuleArgs(api_groups=[""], resources=["nodes"], verbs=["list", "watch"]),
    rbac.PolicyRuleArgs(api_groups=[""], resources=["nodes/metrics"], verbs=["get"]),
]


@dataclass
class PrometheusArgs:
    ctx: MonitoringContext
    postgres: bool = True


def dumps(document: object) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


class Prometheus(pulumi.ComponentResource):
    def __init__(self, name: str, args: PrometheusArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:monitoring:Prometheus", name, None, opts)
        ctx = args.ctx
        config = ctx.config
        key: ServiceKey = "prometheus"
        object_labels = ctx.labels(key, "prometheus")
        account = entry(key).name
        service_account(self, name, account, ctx.monitoring, object_labels)
        watched = {n: ctx.namespace(n) for n in discovered_namespaces(ctx.names)}
        namespaced_reader(self, name, account, ctx.names.monitoring, watched, [POD_READER], object_labels)
        cluster_access(
            self,
            name,
            role_name=f"{ctx.instance}-prometheus",
            account=account,
            account_namespace=ctx.names.monitoring,
            rules=NODE_RULES,
            object_labels=object_labels,
        )
        settings = prometheus_config(
            ctx.names, {"environment": config.environment, "namespace": config.namespace}, postgres=args.postgres
        )
        config_map = ctx.config_map(self, f"{name}-config", key, "prometheus", {"prometheus.yml": dumps(settings)})
        rules = ctx.config_map(
            self, f"{name}-rules", key, "prometheus", {"dify.yml": dumps(rule_groups(dify_namespaces(ctx)))}
        )
        container = ctx.container(
            key,
            "prometheus",
            SECURITY,
            args=[
                f"--config.file={CONFIG_DIR}/prometheus.yml",
                "--storage.tsdb.path",
                DATA_DIR,
                f"--storage.tsdb.retention.time={config.monitoring.retention}",
                f"--storage.tsdb.retention.size={config.monitoring.retention_size}",
            ],
            readiness=http_probe("/-/ready"),
            liveness=http_probe("/-/healthy", period=15, failures=4),
            mounts=[
                mount("config", CONFIG_DIR, read_only=True),
                mount("rules", RULES_DIR, read_only=True),
                mount("data", DATA_DIR),
                mount("tmp", "/tmp"),
            ],
        )
        core = k8s.core.v1
        volumes = [
            core.VolumeArgs(name="config", config_map=core.ConfigMapVolumeSourceArgs(name=config_map.metadata.name)),
            core.VolumeArgs(name="rules", config_map=core.ConfigMapVolumeSourceArgs(name=rules.metadata.name)),
            empty_dir("tmp", "64Mi"),
        ]
        deployed = run_stateful(self, name, ctx, container, config.monitoring.storage_size, volumes, account)
        self.service = deployed.service
        self.register_outputs({"service": deployed.service.metadata.name})


def dify_namespaces(ctx: MonitoringContext) -> list[str]:
    """The namespaces Dify's workloads run in: what the application alerts watch."""
    return [ctx.names.dify, ctx.names.sandbox]
