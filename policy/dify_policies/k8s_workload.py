"""Per-workload Kubernetes policies: resources, probes, images, the pod security fields and
where credentials come from. Each exception is a named allow-list entry (workload, namespace
glob, reason) in the policy's config, and an allow-listed pod must also carry its written reason
in the ``dify-pulumi/security-exception`` annotation, so the cluster shows why it differs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import Severity

from ._base import (
    LONG_RUNNING_KINDS,
    Pod,
    allow_list_schema,
    allowed,
    config,
    has_credentials,
    image_ref,
    pod_validator,
    resource_policy,
    secret_like_name,
)

Report = Callable[..., None]

# dify-sandbox (its own <namespace>-sandbox namespace, baseline): it chroots and setuid()s to a
# pool uid per execution, writes /etc/passwd, /opt and /var/sandbox, and kills timed-out runs
# (components/images.py, SANDBOX: uid 0 and these capabilities, traced in dify-sandbox 0.2.15).
SANDBOX_REASON = "dify-sandbox chroots and setuid()s to a pool uid per execution (dify-sandbox 0.2.15)"
SANDBOX_CAPABILITIES = ["SYS_CHROOT", "SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL"]
SANDBOX = {"workload": "dify-sandbox", "namespace": "*-sandbox", "containers": ["sandbox"], "reason": SANDBOX_REASON}
# Filebeat (its own <namespace>-logging-host namespace, privileged): reads the root-owned container
# logs through read-only hostPath and keeps its registry on the node (components/logging/filebeat.py).
FILEBEAT_REASON = "Filebeat reads the node's root-owned container logs through read-only hostPath"
FILEBEAT = {
    "workload": "dify-filebeat",
    "namespace": "*-logging-host",
    "containers": ["filebeat"],
    "reason": FILEBEAT_REASON,
}
# node-exporter (its own <namespace>-monitoring-host namespace): read-only /proc, /sys and /.
NODE_EXPORTER = {
    "workload": "dify-node-exporter",
    "namespace": "*-monitoring-host",
    "containers": ["node-exporter"],
    "reason": "node-exporter reads the node's /proc, /sys and root filesystem through read-only hostPath",
}
# local_sandbox: agent shell sessions write under /home and /mnt/drive (restricted does not
# require a read-only root, so it stays in the restricted namespace).
LOCAL_SANDBOX = {
    "workload": "dify-local-sandbox",
    "namespace": "*",
    "containers": ["local-sandbox"],
    "reason": "agent shell sessions write anywhere under /home and /mnt/drive",
}
# Names that end in a credential word but hold none: redis_exporter's list of Redis key names whose
# length it exports (the Celery queues; oliver006/redis_exporter README, -check-single-keys).
NON_SECRET_NAMES = ["REDIS_EXPORTER_CHECK_SINGLE_KEYS"]


def _resources(pod: Pod, args: Any, report: Report) -> None:
    for role, c in pod.containers():
        res = c.get("resources") or {}
        missing = [
            f"{part}.{what}"
            for part in ("requests", "limits")
            for what in ("cpu", "memory")
            if not (res.get(part) or {}).get(what)
        ]
        if missing:
            report(f"{pod.where}: {role} container {c.get('name')} has no {', '.join(missing)}")


def _probes(pod: Pod, args: Any, report: Report) -> None:
    if pod.kind not in LONG_RUNNING_KINDS:
        return
    for _, c in pod.containers(init=False):
        missing = [p for p in ("readinessProbe", "livenessProbe") if not c.get(p)]
        if missing:
            report(f"{pod.where}: container {c.get('name')} has no {' or '.join(missing)}")


def _image_tag(pod: Pod, args: Any, report: Report) -> None:
    for _, c in pod.containers():
        image = str(c.get("image") or "")
        _, tag, digest = image_ref(image)
        if digest:
            continue
        if not tag:
            report(f"{pod.where}: container {c.get('name')} image {image!r} has no tag (means latest)")
        elif tag == "latest":
            report(f"{pod.where}: container {c.get('name')} image {image!r} uses the mutable tag latest")


def _exception_check(
    name: str,
    key: str,
    pod: Pod,
    args: Any,
    report: Report,
    container: Any,
    problem: str,
) -> bool:
    """Report ``problem`` unless the allow-list names this container; True when it was allowed."""
    entry = allowed(config(args, name, key), pod.namespace, pod.name, str(container.get("name")))
    if entry is None:
        report(f"{pod.where}: container {container.get('name')} {problem}")
        return False
    if not pod.has_written_exception:
        report(
            f"{pod.where}: container {container.get('name')} {problem}; allow-listed ({entry['reason']}) "
            f"but the pod template lacks the annotation dify-pulumi/security-exception"
        )
    return True


def _non_root(pod: Pod, args: Any, report: Report) -> None:
    for _, c in pod.containers():
        as_root = pod.container_context(c, "runAsNonRoot") is not True or pod.container_context(c, "runAsUser") == 0
        if as_root:
            _exception_check("k8s-workload-run-as-non-root", "allow", pod, args, report, c, "may run as root")


def _capabilities(pod: Pod, args: Any, report: Report) -> None:
    for _, c in pod.containers():
        caps = (c.get("securityContext") or {}).get("capabilities") or {}
        if "ALL" not in list(caps.get("drop") or []):
            report(f"{pod.where}: container {c.get('name')} does not drop ALL capabilities")
        added = sorted(set(caps.get("add") or []) - {"NET_BIND_SERVICE"})
        if not added:
            continue
        entry = allowed(
            config(args, "k8s-workload-drop-all-capabilities", "allow"), pod.namespace, pod.name, str(c.get("name"))
        )
        extra = sorted(set(added) - set((entry or {}).get("capabilities") or []))
        if extra:
            report(f"{pod.where}: container {c.get('name')} adds {', '.join(extra)} (not allow-listed)")
        elif not pod.has_written_exception:
            report(
                f"{pod.where}: container {c.get('name')} adds {', '.join(added)} "
                "without the written exception annotation"
            )


def _no_escalation(pod: Pod, args: Any, report: Report) -> None:
    for _, c in pod.containers():
        if (c.get("securityContext") or {}).get("allowPrivilegeEscalation") is not False:
            report(f"{pod.where}: container {c.get('name')} does not set allowPrivilegeEscalation: false")


def _seccomp(pod: Pod, args: Any, report: Report) -> None:
    for _, c in pod.containers():
        profile = pod.container_context(c, "seccompProfile") or {}
        if profile.get("type") not in ("RuntimeDefault", "Localhost"):
            report(f"{pod.where}: container {c.get('name')} has no RuntimeDefault seccomp profile")


def _privileged(pod: Pod, args: Any, report: Report) -> None:
    for _, c in pod.containers():
        if (c.get("securityContext") or {}).get("privileged") is True:
            _exception_check("k8s-workload-no-privileged", "allow", pod, args, report, c, "is privileged")


def _host_namespaces(pod: Pod, args: Any, report: Report) -> None:
    used = [f for f in ("hostNetwork", "hostPID", "hostIPC") if pod.spec.get(f) is True]
    used += [
        f"hostPort {p.get('hostPort')}" for _, c in pod.containers() for p in c.get("ports") or [] if p.get("hostPort")
    ]
    if used and allowed(config(args, "k8s-workload-no-host-namespaces", "allow"), pod.namespace, pod.name, "*") is None:
        report(f"{pod.where}: uses {', '.join(used)}")


def _host_path(pod: Pod, args: Any, report: Report) -> None:
    paths = [v.get("name") for v in pod.spec.get("volumes") or [] if v.get("hostPath")]
    if paths and allowed(config(args, "k8s-workload-no-host-path", "allow"), pod.namespace, pod.name, "*") is None:
        report(f"{pod.where}: mounts hostPath volume(s) {', '.join(map(str, paths))}")


def _read_only_root(pod: Pod, args: Any, report: Report) -> None:
    for _, c in pod.containers():
        if (c.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True:
            _exception_check(
                "k8s-workload-read-only-root", "allow", pod, args, report, c, "has a writable root filesystem"
            )


def _literal_secrets(pod: Pod, args: Any, report: Report) -> None:
    allowed_names = set(config(args, "k8s-workload-no-literal-secrets", "allowNames") or [])
    for _, c in pod.containers():
        for env in c.get("env") or []:
            name, value = str(env.get("name")), env.get("value")
            if value is None or name in allowed_names:
                continue
            if secret_like_name(name) and str(value):
                report(f"{pod.where}: container {c.get('name')} sets {name} as a literal; use secretKeyRef")
            elif has_credentials(str(value)):
                report(f"{pod.where}: container {c.get('name')} sets {name} to a URL with credentials in it")


def _service_links(pod: Pod, args: Any, report: Report) -> None:
    if pod.spec.get("enableServiceLinks") is not False:
        # A Service named dify would inject DIFY_PORT=tcp://… and break the api (langgenius/dify#539).
        report(f"{pod.where}: enableServiceLinks is not false")


RESOURCES = resource_policy(
    "k8s-workload-resources",
    "Every container, init containers included, sets CPU and memory requests and limits.",
    Severity.HIGH,
    "Set resources.requests and resources.limits (cpu, memory) on the container; defaults live in "
    "components/catalog.py, overrides under dify:resources.<service>.",
    pod_validator(_resources),
)
PROBES = resource_policy(
    "k8s-workload-probes",
    "Long-running containers have readiness and liveness probes.",
    Severity.MEDIUM,
    "Add readinessProbe and livenessProbe (components/kube.py http_probe/tcp_probe/exec_probe).",
    pod_validator(_probes),
)
IMAGE_TAG = resource_policy(
    "k8s-workload-image-tag",
    "Images are pinned: no latest tag and no untagged image (a digest is also accepted).",
    Severity.HIGH,
    "Pin the image to a release tag (components/versions.py) or a digest.",
    pod_validator(_image_tag),
)
NON_ROOT = resource_policy(
    "k8s-workload-run-as-non-root",
    "Containers run as non-root (runAsNonRoot: true, runAsUser not 0) unless allow-listed by name.",
    Severity.HIGH,
    "Set securityContext.runAsNonRoot: true and a non-zero runAsUser; an image that must run as root "
    "goes into the 'allow' list with its reason and carries the dify-pulumi/security-exception annotation.",
    pod_validator(_non_root),
    {"allow": allow_list_schema("workloads that must run as root", [SANDBOX, FILEBEAT])},
)
CAPABILITIES = resource_policy(
    "k8s-workload-drop-all-capabilities",
    "Containers drop ALL capabilities and add none (beyond NET_BIND_SERVICE) unless allow-listed with the exact set.",
    Severity.HIGH,
    "Set securityContext.capabilities.drop: [ALL]; list needed capabilities per workload in 'allow'.",
    pod_validator(_capabilities),
    {
        "allow": allow_list_schema(
            "workloads that add capabilities", [{**SANDBOX, "capabilities": SANDBOX_CAPABILITIES}]
        )
    },
)
NO_ESCALATION = resource_policy(
    "k8s-workload-no-privilege-escalation",
    "Containers set allowPrivilegeEscalation: false.",
    Severity.HIGH,
    "Set securityContext.allowPrivilegeEscalation: false.",
    pod_validator(_no_escalation),
)
SECCOMP = resource_policy(
    "k8s-workload-seccomp",
    "Containers run under the RuntimeDefault (or a Localhost) seccomp profile.",
    Severity.MEDIUM,
    "Set spec.securityContext.seccompProfile.type: RuntimeDefault on the pod.",
    pod_validator(_seccomp),
)
PRIVILEGED = resource_policy(
    "k8s-workload-no-privileged",
    "No privileged containers unless allow-listed by name.",
    Severity.CRITICAL,
    "Remove securityContext.privileged; a node agent that needs it goes into 'allow' with its reason.",
    pod_validator(_privileged),
    {"allow": allow_list_schema("workloads that may run privileged (e.g. a node agent)", [])},
)
HOST_NAMESPACES = resource_policy(
    "k8s-workload-no-host-namespaces",
    "No hostNetwork, hostPID, hostIPC or hostPort unless allow-listed by name.",
    Severity.CRITICAL,
    "Remove hostNetwork/hostPID/hostIPC/hostPort; list a workload that needs them in 'allow'.",
    pod_validator(_host_namespaces),
    {"allow": allow_list_schema("workloads that share host namespaces", [])},
)
HOST_PATH = resource_policy(
    "k8s-workload-no-host-path",
    "No hostPath volumes unless allow-listed by name (e.g. a log shipper reading /var/log).",
    Severity.HIGH,
    "Use an emptyDir, PVC or projected volume; list a log shipper in 'allow' with its reason.",
    pod_validator(_host_path),
    # Volumes are the pod's, so these entries name no container.
    {
        "allow": allow_list_schema(
            "workloads that mount host paths",
            [{k: v for k, v in entry.items() if k != "containers"} for entry in (FILEBEAT, NODE_EXPORTER)],
        )
    },
)
READ_ONLY_ROOT = resource_policy(
    "k8s-workload-read-only-root",
    "Containers have a read-only root filesystem unless allow-listed by name.",
    Severity.MEDIUM,
    "Set securityContext.readOnlyRootFilesystem: true and mount emptyDirs where the image writes "
    "(components/images.py lists the paths); list an image that writes everywhere in 'allow'.",
    pod_validator(_read_only_root),
    {"allow": allow_list_schema("workloads with a writable root", [SANDBOX, LOCAL_SANDBOX])},
)
LITERAL_SECRETS = resource_policy(
    "k8s-workload-no-literal-secrets",
    "Secret-like env vars (…PASSWORD, …SECRET, …KEY, …TOKEN, …DSN) and URLs with credentials come from a Secret.",
    Severity.CRITICAL,
    "Reference the value with valueFrom.secretKeyRef (components/kube.py SecretRef); never inline it.",
    pod_validator(_literal_secrets),
    {
        "allowNames": {
            "type": "array",
            "items": {"type": "string"},
            "default": NON_SECRET_NAMES,
            "description": "env names that look secret-like but hold no credential",
        }
    },
)
SERVICE_LINKS = resource_policy(
    "k8s-workload-no-service-links",
    "Pods disable service links (enableServiceLinks: false).",
    Severity.LOW,
    "Set spec.enableServiceLinks: false; Dify reads DIFY_PORT and a Service named dify would override it.",
    pod_validator(_service_links),
)

POLICIES = [
    RESOURCES, PROBES, IMAGE_TAG, NON_ROOT, CAPABILITIES, NO_ESCALATION, SECCOMP, PRIVILEGED,
    HOST_NAMESPACES, HOST_PATH, READ_ONLY_ROOT, LITERAL_SECRETS, SERVICE_LINKS,
]  # fmt: skip
