"""One function that turns a workload description into Deployment (+ Service, + PDB).

Components describe *what* runs (image, env, probes, identity); this module decides *how* every
Deployment looks, so a hardening or labelling change is made once. The version label and the pod
identity come from the main container (its image tag, its SecurityProfile): callers never pass
them twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import Entry, Resources
from components.kube import (
    SECURITY_EXCEPTION_ANNOTATION,
    ContainerSpec,
    SecurityProfile,
    disruption_budget,
    labels,
    object_meta,
    pod_spec,
    selector,
    service,
)
from components.versions import image_tag

core = k8s.core.v1
apps = k8s.apps.v1
meta = k8s.meta.v1


@dataclass(kw_only=True)
class Placement:
    """Where a workload runs and what it runs; every component's args start with these."""

    namespace: pulumi.Input[str]
    instance: str
    image: str
    resources: Resources


@dataclass(kw_only=True)
class ServiceInputs(Placement):
    """A Deployment-backed component: how many, and what it must wait for."""

    replicas: int = 1
    # An HPA or KEDA owns the count: ``replicas`` is then the autoscaler's minimum.
    autoscaled: bool = False
    depends_on: Sequence[pulumi.Resource] = ()


@dataclass(kw_only=True)
class WorkloadArgs:
    entry: Entry
    namespace: pulumi.Input[str]
    instance: str
    containers: Sequence[ContainerSpec]
    replicas: int = 1
    autoscaled: bool = False
    volumes: Sequence[core.VolumeArgs] = ()
    init_containers: Sequence[ContainerSpec] = ()
    strategy: Literal["RollingUpdate", "Recreate"] = "RollingUpdate"
    affinity: core.AffinityArgs | None = None
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    expose: bool = True
    service_type: str = "ClusterIP"
    service_port_overrides: Mapping[str, int] | None = None
    termination_grace_period_seconds: int = 30
    depends_on: Sequence[pulumi.Resource] = ()
    service_account: str | None = None

    @classmethod
    def of(cls, entry: Entry, inputs: ServiceInputs, containers: Sequence[ContainerSpec], **extra: Any) -> WorkloadArgs:
        return cls(
            entry=entry,
            namespace=inputs.namespace,
            instance=inputs.instance,
            replicas=inputs.replicas,
            autoscaled=inputs.autoscaled,
            depends_on=inputs.depends_on,
            containers=containers,
            **extra,
        )

    @property
    def security(self) -> SecurityProfile:
        return self.containers[0].security

    @property
    def version(self) -> str:
        return image_tag(self.containers[0].image)


@dataclass
class Deployed:
    deployment: apps.Deployment
    service: core.Service | None
    disruption_budget: k8s.policy.v1.PodDisruptionBudget | None


ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"


def spread(pod_selector: Mapping[str, str], *, co_located: bool = False) -> list[core.TopologySpreadConstraintArgs]:
    """Replicas across zones (soft) and nodes (hard unless the pods must share a node).

    Zone, ScheduleAnyway: with DoNotSchedule a node without the zone label (kind, bare metal) is
    filtered out entirely, and during a zone incident the surviving zones could not take the
    replacements while the impaired zone still has nodes the skew counts. Hostname, DoNotSchedule:
    two replicas on one node fall together, which is the failure the replicas exist for. A single
    node is one domain (skew 0), so small clusters still schedule. Honor both node policies: a
    cordoned, tainted or non-matching node must not count as an empty domain that blocks every
    other node (the default nodeTaintsPolicy Ignore counts a tainted control-plane node).
    ``co_located``: a ReadWriteOnce claim pins the sharers to one node (api_family's affinity), so
    spreading them over nodes can only be a preference.
    """

    def constraint(key: str, when: str) -> core.TopologySpreadConstraintArgs:
        return core.TopologySpreadConstraintArgs(
            max_skew=1,
            topology_key=key,
            when_unsatisfiable=when,
            node_affinity_policy="Honor",
            node_taints_policy="Honor",
            label_selector=meta.LabelSelectorArgs(match_labels=dict(pod_selector)),
        )

    return [
        constraint(ZONE, "ScheduleAnyway"),
        constraint(HOSTNAME, "ScheduleAnyway" if co_located else "DoNotSchedule"),
    ]


def _template(
    args: WorkloadArgs,
    object_labels: Mapping[str, str],
    topology_spread: Sequence[core.TopologySpreadConstraintArgs] | None,
) -> core.PodTemplateSpecArgs:
    """The pod template of a Deployment or DaemonSet, with the security exception written on it."""
    return core.PodTemplateSpecArgs(
        metadata=meta.ObjectMetaArgs(
            labels={**object_labels, **args.extra_labels},
            annotations={SECURITY_EXCEPTION_ANNOTATION: args.security.reason} if args.security.reason else None,
        ),
        spec=pod_spec(
            args.containers,
            args.security,
            volumes=args.volumes,
            init_containers=args.init_containers,
            affinity=args.affinity,
            topology_spread=topology_spread,
            termination_grace_period_seconds=args.termination_grace_period_seconds,
            service_account=args.service_account,
        ),
    )


def deploy(parent: pulumi.Resource, name: str, args: WorkloadArgs) -> Deployed:
    component = args.entry.key
    object_labels = labels(component, args.instance, args.version)
    pod_selector = selector(component, args.instance)
    child = pulumi.ResourceOptions(parent=parent)
    ordered = pulumi.ResourceOptions(parent=parent, depends_on=list(args.depends_on))

    strategy = apps.DeploymentStrategyArgs(type=args.strategy)
    if args.strategy == "RollingUpdate":
        # Surge first, never below the count: a single-replica service stays available during a
        # rollout. Workloads that cannot run old and new pods side by side (worker_beat, the
        # plugin daemon on a ReadWriteOnce claim) use Recreate instead.
        strategy = apps.DeploymentStrategyArgs(
            type="RollingUpdate",
            rolling_update=apps.RollingUpdateDeploymentArgs(max_surge=1, max_unavailable=0),
        )

    deployment = apps.Deployment(
        f"{name}-deployment",
        metadata=object_meta(args.entry.name, args.namespace, object_labels),
        spec=apps.DeploymentSpecArgs(
            # Autoscaled: no replicas field at all (the Kubernetes docs' advice for HPA targets).
            # Pulumi applies server-side, so a field it never sends is the HPA's alone and every
            # later `pulumi up` leaves the count where the HPA put it. ignoreChanges would work too
            # (pulumi-kubernetes re-sends the live value, await.go handleSSAIgnoreFields) but keeps
            # Pulumi a co-owner, whose removal later resets the count to 1.
            replicas=None if args.autoscaled else args.replicas,
            revision_history_limit=5,
            selector=meta.LabelSelectorArgs(match_labels=pod_selector),
            strategy=strategy,
            template=_template(
                args,
                object_labels,
                spread(pod_selector, co_located=args.affinity is not None) if args.replicas >= 2 else None,
            ),
        ),
        opts=ordered,
    )
    svc = None
    if args.expose and args.entry.ports:
        svc = service(
            f"{name}-service",
            args.entry,
            args.namespace,
            object_labels,
            pod_selector,
            child,
            service_type=args.service_type,
            service_port_overrides=args.service_port_overrides,
        )
    pdb = None
    if args.replicas >= 2:
        pdb = disruption_budget(f"{name}-pdb", args.entry.name, args.namespace, object_labels, pod_selector, child)
    return Deployed(deployment=deployment, service=svc, disruption_budget=pdb)


@dataclass(kw_only=True)
class StatefulArgs:
    entry: Entry
    namespace: pulumi.Input[str]
    instance: str
    container: ContainerSpec
    data_volume: str
    storage_size: str
    storage_class: str | None = None
    volumes: Sequence[core.VolumeArgs] = ()
    termination_grace_period_seconds: int = 60
    service_account: str | None = None
    init_containers: Sequence[ContainerSpec] = ()
    replicas: int = 1
    # A clustered store (Elasticsearch): a headless Service publishing not-ready pods governs the
    # set, so nodes find each other before the cluster forms, and all pods start together.
    peer_discovery: bool = False

    @property
    def security(self) -> SecurityProfile:
        return self.container.security

    @property
    def version(self) -> str:
        return image_tag(self.container.image)


@dataclass
class StatefulDeployed:
    stateful_set: apps.StatefulSet
    service: core.Service


def deploy_stateful(parent: pulumi.Resource, name: str, args: StatefulArgs) -> StatefulDeployed:
    """A StatefulSet with one PVC template per pod and a ClusterIP Service (the data stores); with
    ``peer_discovery`` also the governing headless Service, and with several replicas a PDB and the
    zone/node spread."""
    component = args.entry.key
    object_labels = labels(component, args.instance, args.version)
    pod_selector = selector(component, args.instance)
    child = pulumi.ResourceOptions(parent=parent)
    svc = service(f"{name}-service", args.entry, args.namespace, object_labels, pod_selector, child)
    governing = [svc]
    service_name = args.entry.name
    if args.peer_discovery:
        service_name = f"{args.entry.name}-headless"
        governing.append(
            core.Service(
                f"{name}-headless",
                metadata=object_meta(service_name, args.namespace, object_labels),
                spec=core.ServiceSpecArgs(
                    type="ClusterIP",
                    cluster_ip="None",
                    publish_not_ready_addresses=True,
                    selector=dict(pod_selector),
                    ports=[
                        core.ServicePortArgs(name=p.name, port=p.number, target_port=p.name, protocol="TCP")
                        for p in args.entry.ports
                    ],
                ),
                opts=child,
            )
        )
    stateful_set = apps.StatefulSet(
        f"{name}-statefulset",
        metadata=object_meta(args.entry.name, args.namespace, object_labels),
        spec=apps.StatefulSetSpecArgs(
            replicas=args.replicas,
            service_name=service_name,
            pod_management_policy="Parallel" if args.peer_discovery else None,
            selector=meta.LabelSelectorArgs(match_labels=pod_selector),
            # Keep the claims when the stack is scaled or destroyed: data outlives the workload.
            persistent_volume_claim_retention_policy=apps.StatefulSetPersistentVolumeClaimRetentionPolicyArgs(
                when_deleted="Retain", when_scaled="Retain"
            ),
            template=core.PodTemplateSpecArgs(
                metadata=meta.ObjectMetaArgs(labels=object_labels),
                spec=pod_spec(
                    [args.container],
                    args.security,
                    volumes=args.volumes,
                    init_containers=args.init_containers,
                    topology_spread=spread(pod_selector) if args.replicas >= 2 else None,
                    termination_grace_period_seconds=args.termination_grace_period_seconds,
                    service_account=args.service_account,
                ),
            ),
            volume_claim_templates=[
                core.PersistentVolumeClaimArgs(
                    metadata=meta.ObjectMetaArgs(name=args.data_volume, labels=object_labels),
                    spec=core.PersistentVolumeClaimSpecArgs(
                        access_modes=["ReadWriteOnce"],
                        storage_class_name=args.storage_class,
                        resources=core.VolumeResourceRequirementsArgs(requests={"storage": args.storage_size}),
                    ),
                )
            ],
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=governing),
    )
    if args.replicas >= 2:
        disruption_budget(f"{name}-pdb", args.entry.name, args.namespace, object_labels, pod_selector, child)
    return StatefulDeployed(stateful_set=stateful_set, service=svc)


def deploy_daemon(parent: pulumi.Resource, name: str, args: WorkloadArgs) -> apps.DaemonSet:
    """One pod per node (node-exporter), hardened like every Deployment; no Service (Prometheus
    discovers the pods), replicas and strategy do not apply."""
    object_labels = labels(args.entry.key, args.instance, args.version)
    pod_selector = selector(args.entry.key, args.instance)
    return apps.DaemonSet(
        f"{name}-daemonset",
        metadata=object_meta(args.entry.name, args.namespace, object_labels),
        spec=apps.DaemonSetSpecArgs(
            selector=meta.LabelSelectorArgs(match_labels=pod_selector),
            update_strategy=apps.DaemonSetUpdateStrategyArgs(
                type="RollingUpdate", rolling_update=apps.RollingUpdateDaemonSetArgs(max_unavailable=1)
            ),
            template=_template(args, object_labels, None),
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(args.depends_on)),
    )
