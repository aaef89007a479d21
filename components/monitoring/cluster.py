"""dify:monitoring:KubeStateMetrics and NodeExporter: the cluster's own view of our workloads.

- KubeStateMetrics (v2.20.0): only the collectors the rules and dashboards read
  (``--resources``), only in our namespaces (``--namespaces``), so its rights are a Role per
  namespace with list and watch on exactly those resources, no ClusterRole.
- NodeExporter (v1.12.1): a DaemonSet in ``<namespace>-monitoring-host`` (Pod Security
  privileged, with the reason on the Namespace and the pod): read-only hostPath mounts of /proc,
  /sys and / are its only host access. It runs as nobody with all capabilities dropped and on
  the pod network (no hostNetwork, no hostPID), so its network collectors describe the pod.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import ServiceKey
from components.kube import SecurityProfile, http_probe, mount, service_account, tcp_probe
from components.monitoring.context import ContextArgs, entry, namespaced_reader, run
from components.workload import WorkloadArgs, deploy_daemon

core = k8s.core.v1
rbac = k8s.rbac.v1
NOBODY = SecurityProfile(run_as_user=65534, run_as_group=65534)

# Collector → the (API group, resource) it lists and watches.
KSM_RESOURCES = {
    "pods": ("", "pods"),
    "deployments": ("apps", "deployments"),
    "statefulsets": ("apps", "statefulsets"),
    "daemonsets": ("apps", "daemonsets"),
    "persistentvolumeclaims": ("", "persistentvolumeclaims"),
}
HOST_PATHS = {"proc": "/proc", "sys": "/sys", "root": "/"}
NODE_EXPORTER_REASON = (
    "node-exporter reads the node's /proc, /sys and root filesystem through read-only hostPath "
    "volumes (Pod Security baseline forbids hostPath); non-root, no capabilities, pod network"
)


def ksm_rules() -> list[rbac.PolicyRuleArgs]:
    groups: dict[str, list[str]] = {}
    for group, resource in KSM_RESOURCES.values():
        groups.setdefault(group, []).append(resource)
    return [
        rbac.PolicyRuleArgs(api_groups=[group], resources=sorted(resources), verbs=["list", "watch"])
        for group, resources in sorted(groups.items())
    ]


class KubeStateMetrics(pulumi.ComponentResource):
    def __init__(self, name: str, args: ContextArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:monitoring:KubeStateMetrics", name, None, opts)
        ctx = args.ctx
        key: ServiceKey = "kube-state-metrics"
        object_labels = ctx.labels(key, "kube_state_metrics")
        account = entry(key).name
        service_account(self, name, account, ctx.monitoring, object_labels)
        names = ctx.names
        watched = sorted({names.dify, names.sandbox, names.monitoring, names.host})
        namespaced_reader(
            self, name, account, names.monitoring, {n: ctx.namespace(n) for n in watched}, ksm_rules(), object_labels
        )
        container = ctx.container(
            key,
            "kube_state_metrics",
            NOBODY,
            args=[f"--resources={','.join(sorted(KSM_RESOURCES))}", f"--namespaces={','.join(watched)}"],
            liveness=http_probe("/livez", "http", period=15),
            readiness=http_probe("/readyz", "telemetry"),
        )
        run(self, name, ctx, container, service_account=account)
        self.register_outputs({})


class NodeExporter(pulumi.ComponentResource):
    def __init__(self, name: str, args: ContextArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:monitoring:NodeExporter", name, None, opts)
        ctx = args.ctx
        key: ServiceKey = "node-exporter"
        container = ctx.container(
            key,
            "node_exporter",
            SecurityProfile(run_as_user=65534, run_as_group=65534, reason=NODE_EXPORTER_REASON),
            args=[
                "--path.procfs=/host/proc",
                "--path.sysfs=/host/sys",
                "--path.rootfs=/host/root",
                "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|var/lib/kubelet/.+)($|/)",
            ],
            readiness=tcp_probe("metrics"),
            liveness=tcp_probe("metrics", period=20),
            mounts=[mount(volume, f"/host/{volume}", read_only=True) for volume in HOST_PATHS],
        )
        deploy_daemon(
            self,
            name,
            WorkloadArgs(
                entry=entry(key),
                namespace=ctx.namespace(ctx.names.host),
                instance=ctx.instance,
                containers=[container],
                volumes=[
                    core.VolumeArgs(name=volume, host_path=core.HostPathVolumeSourceArgs(path=path, type="Directory"))
                    for volume, path in HOST_PATHS.items()
                ],
            ),
        )
        self.register_outputs({})
