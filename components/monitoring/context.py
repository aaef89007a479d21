"""What every monitoring component is handed: where things run and what they are called."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.area import AreaContext
from components.catalog import CATALOG, Entry, ServiceKey
from components.config.models import StackConfig
from components.data.endpoints import DataStores
from components.kube import ContainerSpec, SecretRef, object_meta
from components.monitoring.scrape import Namespaces
from components.workload import Deployed, StatefulArgs, StatefulDeployed, WorkloadArgs, deploy, deploy_stateful

core = k8s.core.v1
rbac = k8s.rbac.v1


@dataclass(frozen=True)
class LogsSource:
    """The log store Grafana reads (dify:logging with the bundled Elasticsearch): its URL and the
    read-only user the logging bootstrap Job creates."""

    url: str
    user: str
    password: pulumi.Output[str]
    # The CA of the cluster's HTTPS certificate (PEM; a CA certificate is public).
    ca_pem: pulumi.Output[str]


@dataclass(frozen=True)
class MonitoringContext(AreaContext):
    config: StackConfig
    names: Namespaces
    # Namespace name → its Output (objects take their namespace from these, ordering them after it).
    namespaces: Mapping[str, pulumi.Input[str]]
    instance: str
    db_user: str = "postgres"
    database: str = "dify"
    # The exporters' credentials, copied into the monitoring namespace.
    db_password: SecretRef | None = None
    redis_password: SecretRef | None = None
    # The Dify data stores; with dify:aws the exporters read RDS and ElastiCache through them.
    stores: DataStores | None = None
    # Grafana's Elasticsearch data source, when logging runs the bundled cluster.
    logs: LogsSource | None = None
    logs_password: SecretRef | None = None
    logs_ca: SecretRef | None = None

    def namespace(self, name: str) -> pulumi.Input[str]:
        return self.namespaces[name]

    @property
    def monitoring(self) -> pulumi.Input[str]:
        return self.namespaces[self.names.monitoring]

    @property
    def home(self) -> pulumi.Input[str]:
        return self.monitoring


def entry(key: ServiceKey) -> Entry:
    return CATALOG[key]


def namespaced_reader(
    parent: pulumi.Resource,
    name: str,
    account: str,
    account_namespace: str,
    namespaces: Mapping[str, pulumi.Input[str]],
    rules: list[rbac.PolicyRuleArgs],
    object_labels: Mapping[str, str],
) -> None:
    """One Role and RoleBinding per namespace: read access where we look, nowhere else."""
    opts = pulumi.ResourceOptions(parent=parent)
    for ns_name, ns in namespaces.items():
        role = rbac.Role(
            f"{name}-role-{ns_name}",
            metadata=object_meta(account, ns, object_labels),
            rules=rules,
            opts=opts,
        )
        rbac.RoleBinding(
            f"{name}-rolebinding-{ns_name}",
            metadata=object_meta(account, ns, object_labels),
            role_ref=rbac.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.name),
            subjects=[rbac.SubjectArgs(kind="ServiceAccount", name=account, namespace=account_namespace)],
            opts=opts,
        )


def run(
    parent: pulumi.Resource,
    name: str,
    ctx: MonitoringContext,
    container: ContainerSpec,
    *,
    expose: bool = False,
    volumes: list[core.VolumeArgs] | None = None,
    service_account: str | None = None,
) -> Deployed:
    """A single-replica monitoring Deployment in the monitoring namespace (components/workload.py);
    ``expose`` adds its Service, for what something other than Prometheus's pod discovery dials."""
    return deploy(
        parent,
        name,
        WorkloadArgs(
            entry=CATALOG[container.name],  # type: ignore[index]
            namespace=ctx.monitoring,
            instance=ctx.instance,
            containers=[container],
            volumes=volumes or [],
            expose=expose,
            service_account=service_account,
        ),
    )


def run_stateful(
    parent: pulumi.Resource,
    name: str,
    ctx: MonitoringContext,
    container: ContainerSpec,
    storage_size: str,
    volumes: list[core.VolumeArgs],
    service_account: str | None = None,
) -> StatefulDeployed:
    """A single-replica StatefulSet whose claim ``data`` keeps its state across restarts."""
    return deploy_stateful(
        parent,
        name,
        StatefulArgs(
            entry=CATALOG[container.name],  # type: ignore[index]
            namespace=ctx.monitoring,
            instance=ctx.instance,
            container=container,
            data_volume="data",
            storage_size=storage_size,
            storage_class=ctx.config.persistence.storage_class,
            service_account=service_account,
            volumes=volumes,
        ),
    )


@dataclass
class ContextArgs:
    """The args of every monitoring component that needs nothing beyond the shared context."""

    ctx: MonitoringContext
