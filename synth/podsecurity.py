"""Pod Security Standards, checked offline on every pod template.

The stack's Namespace enforces ``baseline``: a pod that breaks it is rejected by the API server
and its Deployment never becomes ready, so any baseline violation is an error here. ``restricted``
is what every workload should meet; a pod that cannot carries the annotation
``dify-pulumi/security-exception`` with the reason (written by the workload builder from the
component's SecurityProfile), and only annotated pods may fall short of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from components.kube import SECURITY_EXCEPTION_ANNOTATION as EXCEPTION_ANNOTATION

# Capabilities baseline allows adding (the container runtimes' default set).
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}  # fmt: skip
RESTRICTED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
}  # fmt: skip

Obj = dict[str, Any]


def _templates(obj: Obj) -> Iterator[tuple[Obj, Obj]]:
    """(pod metadata, pod spec) of every pod an object would create."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        yield obj.get("metadata") or {}, spec
    elif kind == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        yield template.get("metadata") or {}, template.get("spec") or {}
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job") and "template" in spec:
        yield spec["template"].get("metadata") or {}, spec["template"].get("spec") or {}


def _containers(pod: Obj) -> list[Obj]:
    return [*pod.get("initContainers", []), *pod.get("containers", []), *pod.get("ephemeralContainers", [])]


def baseline_violations(pod: Obj) -> list[str]:
    found = [f"{field}: true" for field in ("hostNetwork", "hostPID", "hostIPC") if pod.get(field)]
    found += [f"volume {v['name']}: hostPath" for v in pod.get("volumes", []) if "hostPath" in v]
    if (pod.get("securityContext") or {}).get("seccompProfile", {}).get("type") == "Unconfined":
        found.append("seccompProfile: Unconfined")
    for c in _containers(pod):
        ctx = c.get("securityContext") or {}
        name = c.get("name")
        if ctx.get("privileged"):
            found.append(f"container {name}: privileged")
        extra = set((ctx.get("capabilities") or {}).get("add") or []) - BASELINE_CAPABILITIES
        if extra:
            found.append(f"container {name}: adds {', '.join(sorted(extra))}")
        if any(p.get("hostPort") for p in c.get("ports", [])):
            found.append(f"container {name}: hostPort")
        if (ctx.get("seccompProfile") or {}).get("type") == "Unconfined":
            found.append(f"container {name}: seccompProfile Unconfined")
    return found


def restricted_violations(pod: Obj) -> list[str]:
    found = [
        f"volume {v['name']}: not an allowed type" for v in pod.get("volumes", []) if not set(v) & RESTRICTED_VOLUMES
    ]
    pod_ctx = pod.get("securityContext") or {}
    for c in _containers(pod):
        ctx = c.get("securityContext") or {}
        name = c.get("name")
        if ctx.get("allowPrivilegeEscalation") is not False:
            found.append(f"container {name}: allowPrivilegeEscalation not false")
        if not ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")):
            found.append(f"container {name}: runAsNonRoot not true")
        if ctx.get("runAsUser", pod_ctx.get("runAsUser")) == 0:
            found.append(f"container {name}: runAsUser 0")
        seccomp = (ctx.get("seccompProfile") or pod_ctx.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"container {name}: seccompProfile not RuntimeDefault")
        capabilities = ctx.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            found.append(f"container {name}: does not drop ALL capabilities")
        if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
            found.append(f"container {name}: adds capabilities")
    return found


ENFORCE = "pod-security.kubernetes.io/enforce"


def namespace_problems(objects: list[Obj]) -> list[str]:
    """Every Namespace we create says what it enforces, at a pinned version."""
    problems = []
    for obj in objects:
        if obj.get("kind") != "Namespace":
            continue
        labels = (obj.get("metadata") or {}).get("labels") or {}
        name = (obj.get("metadata") or {}).get("name")
        if labels.get(ENFORCE) not in ("baseline", "restricted", "privileged"):
            problems.append(f"Namespace/{name}: enforces no Pod Security level (label {ENFORCE})")
        reason = ((obj.get("metadata") or {}).get("annotations") or {}).get(EXCEPTION_ANNOTATION, "").strip()
        if labels.get(ENFORCE) == "privileged" and not reason:
            problems.append(f"Namespace/{name}: enforces privileged without a written reason ({EXCEPTION_ANNOTATION})")
        if not str(labels.get(f"{ENFORCE}-version", "")).startswith("v1."):
            problems.append(f"Namespace/{name}: {ENFORCE}-version is not pinned to a Kubernetes minor")
    return problems


def check_pod_security(objects: list[Obj]) -> list[str]:
    """Baseline everywhere; restricted where the pod's namespace enforces it (the API server would
    reject the pod, exception or not), elsewhere unless the pod carries a written exception."""
    enforced = {
        (obj.get("metadata") or {}).get("name"): ((obj.get("metadata") or {}).get("labels") or {}).get(ENFORCE)
        for obj in objects
        if obj.get("kind") == "Namespace"
    }
    problems = namespace_problems(objects)
    for obj in objects:
        meta = obj.get("metadata") or {}
        where = f"{obj.get('kind')}/{meta.get('namespace')}/{meta.get('name')}"
        for pod_meta, pod in _templates(obj):
            excepted = ((pod_meta.get("annotations") or {}).get(EXCEPTION_ANNOTATION) or "").strip()
            if enforced.get(meta.get("namespace")) == "privileged":
                # The namespace admits anything; the pod must still say why it needs to.
                if not excepted and baseline_violations(pod):
                    problems.append(f"{where}: needs privileged without a written exception")
                continue
            problems += [f"{where}: violates baseline: {v}" for v in baseline_violations(pod)]
            if enforced.get(meta.get("namespace")) == "restricted":
                problems += [f"{where}: violates restricted, which its namespace enforces: {v}"
                             for v in restricted_violations(pod)]  # fmt: skip
                continue
            if not excepted:
                problems += [f"{where}: violates restricted without a written exception: {v}"
                             for v in restricted_violations(pod)]  # fmt: skip
    return problems
