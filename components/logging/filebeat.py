"""dify:logging:Filebeat: the node-level shipper of Dify's container logs to Logstash.

Creates, in ``<namespace>-logging-host`` (Pod Security privileged, the reason on the Namespace
and the pod): a ServiceAccount; a ClusterRole with exactly get, list and watch on pods,
namespaces and nodes (what add_kubernetes_metadata reads; pods are watched cluster-wide because
the API filters them by node, not by namespace) and its binding; a ConfigMap with filebeat.yml
(components/logging/filebeat_config.py); and a DaemonSet.

It runs as root: the kubelet writes /var/log/pods as root with mode 0640, and the registry must
survive the pod on the node (hostPath ``/var/lib/<instance>-filebeat``). Everything else is
closed: all capabilities dropped, read-only root filesystem, the log directories mounted
read-only, pod network only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.catalog import CATALOG, ServiceKey
from components.kube import FieldRef, SecurityProfile, cluster_access, http_probe, mount, object_meta, service_account
from components.logging.context import LoggingContext, config_volume
from components.logging.filebeat_config import DATA_PATH, filebeat_config
from components.workload import WorkloadArgs, deploy_daemon

core = k8s.core.v1
rbac = k8s.rbac.v1
KEY: ServiceKey = "filebeat"
CONFIG_DIR = "/etc/filebeat"
# Read-only: the symlinks in /var/log/containers point into /var/log/pods.
LOG_PATHS = {"containers": "/var/log/containers", "pods": "/var/log/pods"}
FILEBEAT_REASON = (
    "Filebeat reads the node's container logs (root-owned, mode 0640) through read-only hostPath "
    "volumes and keeps its registry in a hostPath directory; it runs as root with no capabilities, "
    "a read-only root filesystem and the pod network"
)
RULES = [
    rbac.PolicyRuleArgs(api_groups=[""], resources=["namespaces", "nodes", "pods"], verbs=["get", "list", "watch"])
]
SECURITY = SecurityProfile(run_as_user=0, run_as_group=0, run_as_non_root=False, reason=FILEBEAT_REASON)


@dataclass
class FilebeatArgs:
    ctx: LoggingContext
    namespaces: Sequence[str]
    logstash_hosts: Sequence[str]


class Filebeat(pulumi.ComponentResource):
    def __init__(self, name: str, args: FilebeatArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:logging:Filebeat", name, None, opts)
        ctx = args.ctx
        child = pulumi.ResourceOptions(parent=self)
        object_labels = ctx.labels(KEY, "filebeat")
        account = CATALOG[KEY].name
        service_account(self, name, account, ctx.host, object_labels)
        cluster_access(
            self,
            name,
            role_name=f"{ctx.instance}-filebeat",
            account=account,
            account_namespace=ctx.names.host,
            rules=RULES,
            object_labels=object_labels,
        )
        settings = filebeat_config(namespaces=args.namespaces, logstash_hosts=args.logstash_hosts)
        config_map = core.ConfigMap(
            f"{name}-config",
            metadata=object_meta(None, ctx.host, object_labels),
            data={"filebeat.yml": yaml.safe_dump(settings, sort_keys=False)},
            opts=child,
        )
        container = ctx.container(
            KEY,
            "filebeat",
            SECURITY,
            args=["-c", f"{CONFIG_DIR}/filebeat.yml", "-e"],
            env={"NODE_NAME": FieldRef("spec.nodeName")},
            readiness=http_probe("/"),
            liveness=http_probe("/", period=20, failures=6),
            mounts=[
                mount("config", CONFIG_DIR, read_only=True),
                mount("data", DATA_PATH),
                *(mount(volume, path, read_only=True) for volume, path in LOG_PATHS.items()),
            ],
        )
        deploy_daemon(
            self,
            name,
            WorkloadArgs(
                entry=CATALOG[KEY],
                namespace=ctx.host,
                instance=ctx.instance,
                containers=[container],
                service_account=account,
                volumes=[
                    config_volume("config", config_map),
                    core.VolumeArgs(
                        name="data",
                        host_path=core.HostPathVolumeSourceArgs(
                            path=f"/var/lib/{ctx.instance}-filebeat", type="DirectoryOrCreate"
                        ),
                    ),
                    *(
                        core.VolumeArgs(
                            name=volume, host_path=core.HostPathVolumeSourceArgs(path=path, type="Directory")
                        )
                        for volume, path in LOG_PATHS.items()
                    ),
                ],
            ),
        )
        self.register_outputs({})
