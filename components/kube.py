"""Shared builders for pods, probes, env and Services (plain functions, not components).

Every workload goes through ``pod_template`` so the hardening is written once: no service links
(a Service named ``dify`` would inject DIFY_PORT and break the api, langgenius/dify#539), no
ServiceAccount token, RuntimeDefault seccomp, and the most restrictive container security context
the image accepts. Where an image needs less, the ``SecurityProfile`` says so and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import PART_OF, PREFIX, Entry, Port, Resources

core = k8s.core.v1
meta = k8s.meta.v1


@dataclass(frozen=True)
class SecretRef:
    """A key of a Kubernetes Secret; the only way a credential reaches a container."""

    secret_name: pulumi.Input[str]
    key: str


@dataclass(frozen=True)
class FieldRef:
    """A field of the pod itself (``spec.nodeName``): what the Downward API hands a container."""

    field_path: str


EnvValue = pulumi.Input[str] | SecretRef | FieldRef
EnvMap = Mapping[str, EnvValue]


# Pods that cannot meet the restricted Pod Security Standard carry their reason here, so the
# exception is visible on the cluster and checkable offline (synth/podsecurity.py).
SECURITY_EXCEPTION_ANNOTATION = "dify-pulumi/security-exception"


@dataclass(frozen=True)
class SecurityProfile:
    """Pod/container identity; anything short of fully restricted carries a ``reason``."""

    run_as_user: int | None
    run_as_group: int | None = None
    fs_group: int | None = None
    run_as_non_root: bool = True
    read_only_root_filesystem: bool = True
    add_capabilities: tuple[str, ...] = ()
    reason: str = ""

    def __post_init__(self) -> None:
        relaxed = not self.run_as_non_root or not self.read_only_root_filesystem or self.add_capabilities
        if relaxed and not self.reason:
            raise ValueError("a relaxed SecurityProfile must say why the image needs it")


def labels(component: str, instance: str, version: str) -> dict[str, str]:
    return {
        **selector(component, instance),
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/version": version,
    }


def selector(component: str, instance: str) -> dict[str, str]:
    # Selectors are immutable on Deployments, so they never include the version.
    return {
        "app.kubernetes.io/name": PREFIX,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/component": component,
    }


def env_vars(env: EnvMap) -> list[core.EnvVarArgs]:
    out = []
    for name, value in env.items():
        if isinstance(value, SecretRef):
            source = core.EnvVarSourceArgs(
                secret_key_ref=core.SecretKeySelectorArgs(name=value.secret_name, key=value.key)
            )
            out.append(core.EnvVarArgs(name=name, value_from=source))
        elif isinstance(value, FieldRef):
            field_source = core.EnvVarSourceArgs(field_ref=core.ObjectFieldSelectorArgs(field_path=value.field_path))
            out.append(core.EnvVarArgs(name=name, value_from=field_source))
        else:
            out.append(core.EnvVarArgs(name=name, value=value))
    return out


def http_probe(
    path: str, port: str = "http", *, period: int = 10, timeout: int = 5, failures: int = 3
) -> core.ProbeArgs:
    return core.ProbeArgs(
        http_get=core.HTTPGetActionArgs(path=path, port=port),
        period_seconds=period,
        timeout_seconds=timeout,
        failure_threshold=failures,
    )


def tcp_probe(port: str, *, period: int = 10, timeout: int = 5, failures: int = 3) -> core.ProbeArgs:
    return core.ProbeArgs(
        tcp_socket=core.TCPSocketActionArgs(port=port),
        period_seconds=period,
        timeout_seconds=timeout,
        failure_threshold=failures,
    )


def exec_probe(command: Sequence[str], *, period: int = 30, timeout: int = 10, failures: int = 3) -> core.ProbeArgs:
    return core.ProbeArgs(
        exec_=core.ExecActionArgs(command=list(command)),
        period_seconds=period,
        timeout_seconds=timeout,
        failure_threshold=failures,
    )


def startup(probe: core.ProbeArgs, *, budget_seconds: int, period: int = 5) -> core.ProbeArgs:
    """The same check as ``probe``, retried for ``budget_seconds`` while a slow image boots."""
    return core.ProbeArgs(
        http_get=probe.http_get,
        tcp_socket=probe.tcp_socket,
        exec_=probe.exec_,
        period_seconds=period,
        timeout_seconds=probe.timeout_seconds,
        failure_threshold=max(1, budget_seconds // period),
    )


def resource_requirements(resources: Resources) -> core.ResourceRequirementsArgs:
    return core.ResourceRequirementsArgs(
        requests={"cpu": resources.requests.cpu, "memory": resources.requests.memory},
        limits={"cpu": resources.limits.cpu, "memory": resources.limits.memory},
    )


def container_security(profile: SecurityProfile) -> core.SecurityContextArgs:
    return core.SecurityContextArgs(
        allow_privilege_escalation=False,
        privileged=False,
        read_only_root_filesystem=profile.read_only_root_filesystem,
        run_as_non_root=profile.run_as_non_root,
        run_as_user=profile.run_as_user,
        run_as_group=profile.run_as_group,
        capabilities=core.CapabilitiesArgs(drop=["ALL"], add=list(profile.add_capabilities) or None),
        seccomp_profile=core.SeccompProfileArgs(type="RuntimeDefault"),
    )


@dataclass
class ContainerSpec:
    name: str
    image: str
    resources: Resources
    security: SecurityProfile
    ports: Sequence[Port] = ()
    env: EnvMap = field(default_factory=dict)
    command: Sequence[str] | None = None
    args: Sequence[pulumi.Input[str]] | None = None
    readiness: core.ProbeArgs | None = None
    liveness: core.ProbeArgs | None = None
    startup: core.ProbeArgs | None = None
    mounts: Sequence[core.VolumeMountArgs] = ()


def container(spec: ContainerSpec) -> core.ContainerArgs:
    return core.ContainerArgs(
        name=spec.name,
        image=spec.image,
        image_pull_policy="IfNotPresent",
        command=list(spec.command) if spec.command is not None else None,
        args=list(spec.args) if spec.args is not None else None,
        ports=[core.ContainerPortArgs(name=p.name, container_port=p.number) for p in spec.ports] or None,
        env=env_vars(spec.env) or None,
        resources=resource_requirements(spec.resources),
        readiness_probe=spec.readiness,
        liveness_probe=spec.liveness,
        startup_probe=spec.startup,
        security_context=container_security(spec.security),
        volume_mounts=list(spec.mounts) or None,
    )


class WorkloadIdentity(str):
    """A ServiceAccount a pod runs as for its cloud identity only (IRSA: the account's
    ``eks.amazonaws.com/role-arn`` annotation), never to call the Kubernetes API: ``pod_spec``
    names it but mounts no API token. The EKS pod identity webhook projects its own token, with
    the sts.amazonaws.com audience, whatever automountServiceAccountToken says."""

    __slots__ = ()


def pod_spec(
    containers: Sequence[ContainerSpec],
    security: SecurityProfile,
    *,
    volumes: Sequence[core.VolumeArgs] = (),
    init_containers: Sequence[ContainerSpec] = (),
    affinity: core.AffinityArgs | None = None,
    topology_spread: Sequence[core.TopologySpreadConstraintArgs] | None = None,
    restart_policy: str | None = None,
    termination_grace_period_seconds: int = 30,
    service_account: str | None = None,
) -> core.PodSpecArgs:
    """``service_account``: only pods that call the Kubernetes API (monitoring's discovery and
    kube-state-metrics) get its token mounted; a ``WorkloadIdentity`` is named without one."""
    return core.PodSpecArgs(
        containers=[container(c) for c in containers],
        init_containers=[container(c) for c in init_containers] or None,
        volumes=list(volumes) or None,
        enable_service_links=False,
        service_account_name=service_account,
        automount_service_account_token=service_account is not None
        and not isinstance(service_account, WorkloadIdentity),
        affinity=affinity,
        topology_spread_constraints=list(topology_spread) if topology_spread else None,
        restart_policy=restart_policy,
        termination_grace_period_seconds=termination_grace_period_seconds,
        security_context=core.PodSecurityContextArgs(
            run_as_non_root=security.run_as_non_root,
            run_as_user=security.run_as_user,
            run_as_group=security.run_as_group,
            fs_group=security.fs_group,
            fs_group_change_policy="OnRootMismatch" if security.fs_group is not None else None,
            seccomp_profile=core.SeccompProfileArgs(type="RuntimeDefault"),
        ),
    )


def empty_dir(name: str, size_limit: str = "256Mi", medium: str | None = None) -> core.VolumeArgs:
    return core.VolumeArgs(name=name, empty_dir=core.EmptyDirVolumeSourceArgs(size_limit=size_limit, medium=medium))


def mount(name: str, path: str, *, read_only: bool = False, sub_path: str | None = None) -> core.VolumeMountArgs:
    return core.VolumeMountArgs(name=name, mount_path=path, read_only=read_only or None, sub_path=sub_path)


def object_meta(
    name: str | None,
    namespace: pulumi.Input[str],
    object_labels: Mapping[str, str],
    annotations: Mapping[str, str] | None = None,
) -> meta.ObjectMetaArgs:
    return meta.ObjectMetaArgs(
        name=name, namespace=namespace, labels=dict(object_labels), annotations=dict(annotations or {}) or None
    )


# A claim on a WaitForFirstConsumer StorageClass binds only when a pod mounts it, and that pod
# is created after the claim: awaiting "Bound" would deadlock the update.
SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}


def service(
    resource_name: str,
    entry: Entry,
    namespace: pulumi.Input[str],
    object_labels: Mapping[str, str],
    pod_selector: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    *,
    service_type: str = "ClusterIP",
    service_port_overrides: Mapping[str, int] | None = None,
) -> core.Service:
    overrides = service_port_overrides or {}
    return core.Service(
        resource_name,
        metadata=object_meta(entry.name, namespace, object_labels),
        spec=core.ServiceSpecArgs(
            type=service_type,
            selector=dict(pod_selector),
            ports=[
                core.ServicePortArgs(
                    name=p.name, port=overrides.get(p.name, p.number), target_port=p.name, protocol="TCP"
                )
                for p in entry.ports
            ],
        ),
        opts=opts,
    )


def disruption_budget(
    resource_name: str,
    name: str,
    namespace: pulumi.Input[str],
    object_labels: Mapping[str, str],
    pod_selector: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> k8s.policy.v1.PodDisruptionBudget:
    """Keeps all but one replica up during node drains; only created for replicas ≥ 2."""
    return k8s.policy.v1.PodDisruptionBudget(
        resource_name,
        metadata=object_meta(name, namespace, object_labels),
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
            max_unavailable=1, selector=meta.LabelSelectorArgs(match_labels=dict(pod_selector))
        ),
        opts=opts,
    )


def service_account(
    parent: pulumi.Resource, name: str, account: str, namespace: pulumi.Input[str], object_labels: Mapping[str, str]
) -> core.ServiceAccount:
    return core.ServiceAccount(
        f"{name}-serviceaccount",
        metadata=object_meta(account, namespace, object_labels),
        # Only the pods that name this account get its token (pod_spec).
        automount_service_account_token=False,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def cluster_access(
    parent: pulumi.Resource,
    name: str,
    *,
    role_name: str,
    account: str,
    account_namespace: str,
    rules: Sequence[k8s.rbac.v1.PolicyRuleArgs],
    object_labels: Mapping[str, str],
) -> None:
    """A ClusterRole with exactly ``rules``, bound to one ServiceAccount: for what only a
    cluster-wide grant covers (nodes; pods watched by node)."""
    rbac = k8s.rbac.v1
    opts = pulumi.ResourceOptions(parent=parent)
    metadata = meta.ObjectMetaArgs(name=role_name, labels=dict(object_labels))
    role = rbac.ClusterRole(f"{name}-clusterrole", metadata=metadata, rules=list(rules), opts=opts)
    rbac.ClusterRoleBinding(
        f"{name}-clusterrolebinding",
        metadata=metadata,
        role_ref=rbac.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role.metadata.name),
        subjects=[rbac.SubjectArgs(kind="ServiceAccount", name=account, namespace=account_namespace)],
        opts=opts,
    )
