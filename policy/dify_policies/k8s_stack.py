"""Stack-wide Kubernetes topology: NetworkPolicy coverage and default-deny, PDBs and replica
counts, ServiceAccount tokens only with RBAC. Stack policies see each resource's outputs."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from ._base import Pod, config, is_k8s, kind_of, labels_match, pod_of, stack_policy

Report = Callable[..., None]


def _objects(args: StackValidationArgs, *kinds: str) -> Iterator[PolicyResource]:
    for r in args.resources:
        if is_k8s(r.resource_type, *kinds):
            yield r


def _pods(args: StackValidationArgs) -> Iterator[tuple[PolicyResource, Pod]]:
    for r in args.resources:
        pod = pod_of(kind_of(r.resource_type), r.props) if r.resource_type.startswith("kubernetes:") else None
        if pod is not None:
            yield r, pod


def _ns(r: PolicyResource) -> str:
    return str((r.props.get("metadata") or {}).get("namespace") or "")


def _netpol_coverage(args: StackValidationArgs, report: Report) -> None:
    policies = list(_objects(args, "NetworkPolicy"))
    for r, pod in _pods(args):
        labels = pod.meta.get("labels") or {}
        # The namespace's default-deny selects every pod; a pod also needs a policy of its own
        # (non-empty selector) or it can talk to nothing, or worse, the deny is missing.
        own = [
            p
            for p in policies
            if _ns(p) == pod.namespace
            and ((p.props.get("spec") or {}).get("podSelector") or {})
            and labels_match((p.props.get("spec") or {}).get("podSelector"), labels)
        ]
        if not own:
            report(f"{pod.where}: no NetworkPolicy selects its pods", r.urn)


def _default_deny(args: StackValidationArgs, report: Report) -> None:
    namespaces = {str((n.props.get("metadata") or {}).get("name")) for n in _objects(args, "Namespace")}
    namespaces |= {pod.namespace for _, pod in _pods(args)}
    for ns in sorted(namespaces - {""}):
        denies = {"Ingress": False, "Egress": False}
        for p in _objects(args, "NetworkPolicy"):
            spec = p.props.get("spec") or {}
            if _ns(p) != ns or (spec.get("podSelector") or {}):
                continue
            for direction in spec.get("policyTypes") or ["Ingress"]:
                if not spec.get(direction.lower()):  # no rules: denies that direction
                    denies[direction] = True
        missing = [d for d, ok in denies.items() if not ok]
        if missing:
            report(f"namespace {ns}: no default-deny NetworkPolicy for {' and '.join(missing)}")


Scaled = dict[tuple[str, str], float]


def _autoscaled(args: StackValidationArgs) -> Scaled:
    """(namespace, Deployment) → the fewest pods its HPA or KEDA ScaledObject keeps."""
    found: Scaled = {}
    for r in _objects(args, "HorizontalPodAutoscaler", "ScaledObject"):
        spec = r.props.get("spec") or {}
        target = str((spec.get("scaleTargetRef") or {}).get("name"))
        # The fields' API defaults: an HPA keeps 1, a ScaledObject may go to 0.
        keda = kind_of(r.resource_type) == "ScaledObject"
        low = spec.get("minReplicaCount", 0) if keda else spec.get("minReplicas", 1)
        found[(_ns(r), target)] = float(low)
    return found


def _replicas(r: PolicyResource, pod: Pod, scaled: Scaled) -> float:
    # An autoscaled Deployment has no replicas field (the autoscaler owns it): count its minimum.
    spec = r.props.get("spec") or {}
    if "replicas" not in spec and (pod.namespace, pod.name) in scaled:
        return scaled[(pod.namespace, pod.name)]
    return float(spec.get("replicas", 1))


def _pdb(args: StackValidationArgs, report: Report) -> None:
    pdbs = list(_objects(args, "PodDisruptionBudget"))
    scaled = _autoscaled(args)
    for r, pod in _pods(args):
        if pod.kind not in ("Deployment", "StatefulSet") or _replicas(r, pod, scaled) < 2:
            continue
        labels = pod.meta.get("labels") or {}
        if not any(
            _ns(p) == pod.namespace and labels_match((p.props.get("spec") or {}).get("selector"), labels) for p in pdbs
        ):
            report(f"{pod.where}: {_replicas(r, pod, scaled):g} replicas and no PodDisruptionBudget", r.urn)


def _min_replicas(args: StackValidationArgs, report: Report) -> None:
    minimum = float(config(args, "k8s-deployment-min-replicas", "minReplicas"))
    singletons = config(args, "k8s-deployment-min-replicas", "singletons") or []
    scaled = _autoscaled(args)
    for r, pod in _pods(args):
        replicas = _replicas(r, pod, scaled)
        if pod.kind != "Deployment" or replicas >= minimum:
            continue
        if any(fnmatch.fnmatchcase(pod.name, s["workload"]) for s in singletons):
            continue
        report(f"{pod.where}: {replicas:g} replica(s) < {minimum:g}; one node drain takes it down", r.urn)


def _sa_token(args: StackValidationArgs, report: Report) -> None:
    bound: set[tuple[str, str]] = set()
    for b in _objects(args, "RoleBinding", "ClusterRoleBinding"):
        for s in b.props.get("subjects") or []:
            if s.get("kind") == "ServiceAccount":
                bound.add((str(s.get("namespace") or _ns(b)), str(s.get("name"))))
    for r, pod in _pods(args):
        if pod.spec.get("automountServiceAccountToken") is False:
            continue
        account = str(pod.spec.get("serviceAccountName") or "default")
        if (pod.namespace, account) not in bound:
            report(f"{pod.where}: mounts a ServiceAccount token but {account} has no RBAC binding", r.urn)


NETPOL_COVERAGE = stack_policy(
    "k8s-stack-network-policy-per-pod",
    "Every pod is selected by a NetworkPolicy of its own, beside the namespace's default-deny.",
    Severity.HIGH,
    "Add the workload to the flow table (components/flows.py); it generates the NetworkPolicy.",
    _netpol_coverage,
)
DEFAULT_DENY = stack_policy(
    "k8s-stack-default-deny",
    "Every namespace has a default-deny NetworkPolicy for both ingress and egress.",
    Severity.HIGH,
    "Keep dify:networkPolicy.enabled true; it writes <prefix>-default-deny in each namespace.",
    _default_deny,
)
PDB = stack_policy(
    "k8s-stack-pdb",
    "Every Deployment or StatefulSet with two or more replicas (or an autoscaler minimum of two) has a PDB.",
    Severity.MEDIUM,
    "The workload builder adds a PDB from two replicas up; keep the selector equal to the pod labels.",
    _pdb,
)
SINGLETON = {"workload": "*-worker-beat", "namespace": "*", "reason": "celery beat is a singleton by design"}
MIN_REPLICAS = stack_policy(
    "k8s-deployment-min-replicas",
    "Every Deployment runs at least minReplicas pods, except named singletons.",
    Severity.MEDIUM,
    "Raise dify:replicas.<service>; a workload that must be single goes into 'singletons' with its reason.",
    _min_replicas,
    {
        "minReplicas": {"type": "integer", "minimum": 1, "default": 2},
        "singletons": {
            "type": "array",
            "default": [SINGLETON],
            "items": {
                "type": "object",
                "properties": {
                    "workload": {"type": "string"},
                    "namespace": {"type": "string"},
                    "reason": {"type": "string", "minLength": 10},
                },
                "required": ["workload", "reason"],
            },
        },
    },
)
SA_TOKEN = stack_policy(
    "k8s-stack-service-account-token",
    "Pods mount a ServiceAccount token only when that account has an RBAC binding.",
    Severity.MEDIUM,
    "Set spec.automountServiceAccountToken: false (components/kube.py does), or bind a Role to the account.",
    _sa_token,
)

POLICIES = [NETPOL_COVERAGE, DEFAULT_DENY, PDB, MIN_REPLICAS, SA_TOKEN]
