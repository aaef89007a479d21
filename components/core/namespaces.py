"""The stack's namespaces and the Pod Security level each enforces.

Dify runs in ``<namespace>`` under ``restricted``, enforced: every pod there runs as non-root
with all capabilities dropped. dify-sandbox cannot (it chroots and setuid()s per execution as root
with SYS_CHROOT, SETUID, SETGID, CHOWN, DAC_OVERRIDE, FOWNER and KILL: components/images/), so it
runs alone in ``<namespace>-sandbox`` under ``baseline``, which admits exactly those capabilities.
Both pin ``enforce-version`` to the targeted Kubernetes minor, so a cluster upgrade cannot tighten
or loosen the rules under a running stack; ``restricted`` is audited everywhere.

With monitoring, Prometheus and the exporters run in ``<namespace>-monitoring`` (restricted) and
node-exporter alone in ``<namespace>-monitoring-host`` under ``privileged``: it reads the node's
/proc, /sys and root filesystem through read-only hostPath volumes, which baseline forbids. Such
a namespace carries its reason as the ``dify-pulumi/security-exception`` annotation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from components.kube import SECURITY_EXCEPTION_ANNOTATION

Level = Literal["restricted", "baseline", "privileged"]
_PSA = "pod-security.kubernetes.io"


def pod_security_labels(level: Level, kubernetes_version: str) -> dict[str, str]:
    version = f"v{kubernetes_version}"
    return {
        f"{_PSA}/enforce": level,
        f"{_PSA}/enforce-version": version,
        f"{_PSA}/warn": level,
        f"{_PSA}/warn-version": version,
        f"{_PSA}/audit": "restricted",
        f"{_PSA}/audit-version": version,
    }


def namespace(
    resource_name: str,
    name: str,
    labels: Mapping[str, str],
    level: Level,
    kubernetes_version: str,
    opts: pulumi.ResourceOptions,
    reason: str = "",
) -> k8s.core.v1.Namespace:
    if (level == "privileged") != bool(reason):
        raise ValueError("a privileged namespace, and only one, must say why (reason)")
    return k8s.core.v1.Namespace(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name,
            labels={**labels, **pod_security_labels(level, kubernetes_version)},
            annotations={SECURITY_EXCEPTION_ANNOTATION: reason} if reason else None,
        ),
        opts=opts,
    )
