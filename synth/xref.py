"""Offline cross-reference checks between the Kubernetes objects of one stack.

Schema validation cannot see that a Service selects nothing or that an env var
points at a missing Secret key; the API server accepts both and the failure only
shows up at runtime. These checks run on plain manifests (camelCase dicts).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CLUSTER_SCOPED_KINDS", "PodTemplate", "check_references"]

Obj = Mapping[str, Any]
Key = tuple[str, str | None, str]

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService", "CertificateSigningRequest", "ClusterIssuer", "ClusterRole",
        "ClusterRoleBinding", "CSIDriver", "CSINode", "CustomResourceDefinition",
        "FlowSchema", "IngressClass", "MutatingWebhookConfiguration", "Namespace",
        "Node", "PersistentVolume", "PriorityClass", "PriorityLevelConfiguration",
        "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)  # fmt: skip
BUILTIN_CLUSTER_ROLES = frozenset({"view", "edit", "admin", "cluster-admin"})
_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})
_CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_PROBE_HANDLERS = ("httpGet", "tcpSocket", "grpc")
_ENV_REFS = (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap"))
_ENV_FROM_REFS = (("secretRef", "Secret"), ("configMapRef", "ConfigMap"))


def _d(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _num(value: Any) -> Any:
    """Fold protobuf's 5001.0 into 5001 so ports compare equal to ints."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _namespace(obj: Obj) -> str | None:
    if obj.get("kind") in CLUSTER_SCOPED_KINDS:
        return None
    # The API server puts objects without metadata.namespace into "default".
    return str(_d(obj.get("metadata")).get("namespace") or "default")


def _key(obj: Obj) -> Key:
    name = str(_d(obj.get("metadata")).get("name") or "")
    return str(obj.get("kind") or ""), _namespace(obj), name


def describe(obj: Obj) -> str:
    """``Kind/namespace/name``, or ``Kind/name`` for cluster-scoped kinds."""
    return "/".join(part for part in _key(obj) if part is not None)


@dataclass(frozen=True)
class PodTemplate:
    owner: str
    name: str
    namespace: str
    labels: Mapping[str, str]
    spec: Mapping[str, Any]
    claim_templates: frozenset[str]


def _pod_template(obj: Obj) -> PodTemplate | None:
    kind, namespace, name = _key(obj)
    spec = _d(obj.get("spec"))
    if kind == "Pod":
        template: Obj = {"metadata": obj.get("metadata"), "spec": spec}
    elif kind == "CronJob":
        template = _d(_d(_d(spec.get("jobTemplate")).get("spec")).get("template"))
    elif kind in _TEMPLATE_KINDS:
        template = _d(spec.get("template"))
    else:
        return None
    claims = {
        str(_d(c.get("metadata")).get("name")) for c in _l(spec.get("volumeClaimTemplates")) if kind == "StatefulSet"
    }
    labels = _d(_d(template.get("metadata")).get("labels"))
    pod_spec = _d(template.get("spec"))
    return PodTemplate(describe(obj), name, namespace or "", labels, pod_spec, frozenset(claims))


class _Index:
    def __init__(self, objects: Iterable[Obj], known_namespaces: Collection[str]):
        self.objects: dict[Key, Obj] = {}
        self.duplicates: list[str] = []
        self.templates: list[PodTemplate] = []
        # "<template>-<statefulset>" per namespace; pods get claims "<that>-<ordinal>".
        self.sts_claims: set[tuple[str, str]] = set()
        for obj in objects:
            key = _key(obj)
            if key in self.objects:
                self.duplicates.append(f"{describe(obj)}: duplicate object")
            self.objects.setdefault(key, obj)
            if tpl := _pod_template(obj):
                self.templates.append(tpl)
                for claim in tpl.claim_templates:
                    self.sts_claims.add((tpl.namespace, f"{claim}-{tpl.name}"))
        declared = {name for kind, _, name in self.objects if kind == "Namespace"}
        self.namespaces = declared | set(known_namespaces)
        self.external_namespaces = set(known_namespaces) - declared

    def get(self, kind: str, namespace: str | None, name: Any) -> Obj | None:
        return self.objects.get((kind, namespace, str(name)))

    def selected(self, namespace: str | None, selector: Obj) -> list[PodTemplate]:
        return [t for t in self.templates if t.namespace == namespace and _selector_matches(selector, t.labels)]

    def exists(self, kind: str, namespace: str, name: Any) -> bool:
        if self.get(kind, namespace, name) is not None:
            return True
        head, _, ordinal = str(name).rpartition("-")
        claim = (namespace, head) in self.sts_claims and ordinal.isdigit()
        return kind == "PersistentVolumeClaim" and claim


def _selector_matches(selector: Obj, labels: Mapping[str, str]) -> bool:
    """metav1.LabelSelector semantics (matchLabels AND matchExpressions)."""
    match_labels = _d(selector.get("matchLabels"))
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    for expr in map(_d, _l(selector.get("matchExpressions"))):
        value = labels.get(str(expr.get("key")))
        values = _l(expr.get("values"))
        ok = {
            "In": value is not None and value in values,
            "NotIn": value is None or value not in values,
            "Exists": value is not None,
            "DoesNotExist": value is None,
        }.get(str(expr.get("operator")), False)
        if not ok:
            return False
    return True


def _containers(spec: Obj, serving_only: bool = False) -> Iterator[Obj]:
    for field in _CONTAINER_FIELDS:
        for c in _l(spec.get(field)):
            # Only native sidecars (restartPolicy Always) keep serving after init.
            sidecar = field == "initContainers" and c.get("restartPolicy") == "Always"
            if not serving_only or field == "containers" or sidecar:
                yield _d(c)


def _declares_port(container: Obj, port: Any) -> bool:
    field, wanted = ("name", port) if isinstance(port, str) else ("containerPort", port)
    return any(_num(_d(p).get(field)) == wanted for p in _l(container.get("ports")))


def _data_keys(obj: Obj) -> set[str]:
    return {k for f in ("data", "stringData", "binaryData") for k in _d(obj.get(f))}


def _ref_problems(idx: _Index, kind: str, ns: str, name: Any, keys: Iterable[Any], optional: Any) -> Iterator[str]:
    if optional is True:
        return
    if not idx.exists(kind, ns, name):
        yield f"{kind} '{name}' not found in namespace '{ns}'"
        return
    present = _data_keys(idx.get(kind, ns, name) or {})
    yield from (f"{kind} '{name}' has no key '{k}'" for k in keys if k not in present)


def _env_refs(c: Obj) -> Iterator[tuple[str, str, Obj, list[Any]]]:
    """(where, kind, reference, required keys) for each object the env points at."""
    for env in map(_d, _l(c.get("env"))):
        value_from = _d(env.get("valueFrom"))
        for field, kind in _ENV_REFS:
            if field in value_from:
                ref = _d(value_from[field])
                yield f"env '{env.get('name')}'", kind, ref, [ref.get("key")]
    for env_from in map(_d, _l(c.get("envFrom"))):
        for field, kind in _ENV_FROM_REFS:
            if field in env_from:
                yield "envFrom", kind, _d(env_from[field]), []


def _check_container(c: Obj, mountable: Collection[Any], ns: str, idx: _Index) -> Iterator[str]:
    where = f"container '{c.get('name')}'"
    for env, kind, ref, keys in _env_refs(c):
        name, optional = ref.get("name"), ref.get("optional")
        for problem in _ref_problems(idx, kind, ns, name, keys, optional):
            yield f"{where}: {env}: {problem}"
    for mount in _l(c.get("volumeMounts")) + _l(c.get("volumeDevices")):
        name = _d(mount).get("name")
        if name not in mountable:
            yield f"{where}: volumeMount '{name}' is no volume or volumeClaimTemplate"
    for probe_name in _PROBES:
        probe = _d(c.get(probe_name))
        for handler in _PROBE_HANDLERS:
            port = _num(_d(probe.get(handler)).get("port"))
            if port is not None and not _declares_port(c, port):
                yield (f"{where}: {probe_name}.{handler}.port {port!r} is not a containerPort of this container")


def _volume_refs(vol: Obj) -> Iterator[tuple[str, Any, list[Any], Any]]:
    """(kind, name, required keys, optional) for each object a volume points at."""
    refs = [
        ("ConfigMap", vol.get("configMap"), "name"),
        ("Secret", vol.get("secret"), "secretName"),
    ]
    for source in map(_d, _l(_d(vol.get("projected")).get("sources"))):
        refs.append(("ConfigMap", source.get("configMap"), "name"))
        refs.append(("Secret", source.get("secret"), "name"))
    refs.append(("PersistentVolumeClaim", vol.get("persistentVolumeClaim"), "claimName"))
    for kind, ref, name_field in refs:
        if ref is not None:
            keys = [_d(i).get("key") for i in _l(_d(ref).get("items"))]
            yield kind, _d(ref).get(name_field), keys, _d(ref).get("optional")


def _check_pod(tpl: PodTemplate, idx: _Index) -> Iterator[str]:
    ns, spec = tpl.namespace, tpl.spec
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if account and account != "default" and not idx.get("ServiceAccount", ns, account):
        yield f"ServiceAccount '{account}' not found in namespace '{ns}'"
    mountable: set[Any] = set(tpl.claim_templates)
    for vol in map(_d, _l(spec.get("volumes"))):
        mountable.add(vol.get("name"))
        for kind, name, keys, optional in _volume_refs(vol):
            for problem in _ref_problems(idx, kind, ns, name, keys, optional):
                yield f"volume '{vol.get('name')}': {problem}"
    for c in _containers(spec):
        yield from _check_container(c, mountable, ns, idx)


_Check = Callable[[Obj, str | None, _Index], Iterator[str]]


def _check_service(svc: Obj, ns: str | None, idx: _Index) -> Iterator[str]:
    spec = _d(svc.get("spec"))
    selector = _d(spec.get("selector"))
    if not selector:
        return
    selected = idx.selected(ns, {"matchLabels": selector})
    if not selected:
        yield f"selector {dict(selector)} matches no pod template in namespace '{ns}'"
        return
    for port in map(_d, _l(spec.get("ports"))):
        target = _num(port.get("targetPort", port.get("port")))
        label = port.get("name") or _num(port.get("port"))
        for tpl in selected:
            if not any(_declares_port(c, target) for c in _containers(tpl.spec, True)):
                yield (f"port {label!r}: targetPort {target!r} is not a containerPort of {tpl.owner}")


def _check_ingress(ing: Obj, ns: str | None, idx: _Index) -> Iterator[str]:
    spec = _d(ing.get("spec"))
    backends = [("defaultBackend", spec.get("defaultBackend"))]
    for i, rule in enumerate(map(_d, _l(spec.get("rules")))):
        for j, path in enumerate(map(_d, _l(_d(rule.get("http")).get("paths")))):
            backends.append((f"rules[{i}].http.paths[{j}]", path.get("backend")))
    for where, backend in backends:
        ref = _d(_d(backend).get("service"))
        if not ref:
            continue
        name, port = ref.get("name"), _d(ref.get("port"))
        svc = idx.get("Service", ns, name)
        if svc is None:
            yield f"{where}: Service '{name}' not found in namespace '{ns}'"
            continue
        svc_ports = [_d(p) for p in _l(_d(svc.get("spec")).get("ports"))]
        if "number" in port and _num(port["number"]) not in {_num(p.get("port")) for p in svc_ports}:
            yield f"{where}: Service '{name}' has no port {_num(port['number'])}"
        if "name" in port and port["name"] not in {p.get("name") for p in svc_ports}:
            yield f"{where}: Service '{name}' has no port named '{port['name']}'"


def _check_hpa(hpa: Obj, ns: str | None, idx: _Index) -> Iterator[str]:
    target = _d(_d(hpa.get("spec")).get("scaleTargetRef"))
    kind, name = str(target.get("kind")), target.get("name")
    if idx.get(kind, ns, name) is None:
        yield f"scaleTargetRef {kind} '{name}' not found in namespace '{ns}'"


def _check_selecting(field: str, skip_empty: bool) -> _Check:
    def check(obj: Obj, ns: str | None, idx: _Index) -> Iterator[str]:
        selector = _d(obj.get("spec")).get(field)
        if skip_empty and not selector:
            return
        # A null selector (unlike {}) matches no pods at all.
        if selector is None or not idx.selected(ns, _d(selector)):
            yield f"{field} matches no pod template in namespace '{ns}'"

    return check


def _check_binding(binding: Obj, ns: str | None, idx: _Index) -> Iterator[str]:
    for subject in map(_d, _l(binding.get("subjects"))):
        name = subject.get("name")
        if subject.get("kind") != "ServiceAccount" or name == "default":
            continue
        # Only RoleBinding subjects may omit it: it defaults to the binding's namespace.
        sa_ns = subject.get("namespace") or ns
        if sa_ns in idx.external_namespaces:
            continue
        if sa_ns is None or idx.get("ServiceAccount", sa_ns, name) is None:
            yield f"subject ServiceAccount '{name}' not found in namespace '{sa_ns}'"
    role = _d(binding.get("roleRef"))
    kind, name = role.get("kind"), str(role.get("name"))
    if kind == "ClusterRole":
        builtin = name.startswith("system:") or name in BUILTIN_CLUSTER_ROLES
        if not builtin and idx.get("ClusterRole", None, name) is None:
            yield f"roleRef ClusterRole '{name}' not found"
    elif ns is None:
        yield f"roleRef {kind} '{name}': a ClusterRoleBinding needs a ClusterRole"
    elif idx.get("Role", ns, name) is None:
        yield f"roleRef {kind} '{name}' not found in namespace '{ns}'"


_CHECKS: dict[str, _Check] = {
    "Service": _check_service,
    "Ingress": _check_ingress,
    "HorizontalPodAutoscaler": _check_hpa,
    "PodDisruptionBudget": _check_selecting("selector", skip_empty=False),
    "NetworkPolicy": _check_selecting("podSelector", skip_empty=True),
    "RoleBinding": _check_binding,
    "ClusterRoleBinding": _check_binding,
}


def _check_object(obj: Obj, idx: _Index) -> Iterator[str]:
    ns = _namespace(obj)
    if ns is not None and ns not in idx.namespaces:
        yield f"namespace '{ns}' is not declared by any Namespace object"
    if check := _CHECKS.get(str(obj.get("kind"))):
        yield from check(obj, ns, idx)
    if tpl := _pod_template(obj):
        yield from _check_pod(tpl, idx)


def check_references(
    objects: list[dict[str, Any]],
    known_namespaces: Collection[str] = frozenset({"kube-system"}),
) -> list[str]:
    """Cross-check references between ``objects``; an empty list means consistent.

    Each error is ``"<Kind>/<namespace>/<name>: <problem>"`` (``<Kind>/<name>`` for
    cluster-scoped kinds). Namespaces in ``known_namespaces`` exist outside the
    stack: objects may live there, and ServiceAccounts there are not checked.
    """
    idx = _Index(objects, known_namespaces)
    errors = list(idx.duplicates)
    for obj in objects:
        where = describe(obj)
        errors.extend(f"{where}: {problem}" for problem in _check_object(obj, idx))
    return errors
