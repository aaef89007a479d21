"""The stack's namespaces and the Pod Security level each enforces.

Dify runs in ``<namespace>`` under ``restricted``, enforced: every pod there runs as non-root
with all capabilities dropped. dify-sandbox cannot (it chroots and setuid()s per execution as root
with SYS_CHROOT, SETUID, SETGID, CHOWN, DAC_OVERRIDE, FOWNER and KILL: components/images/), so it
runs alone in ``<namespace>-sandbox`` under ``baseline``, which admits exactly those capabilities.
Both pin ``enforce-version`` to the targeted Kubernetes minor, so a cluster upgrade cannot tighten
or loosen the rules under a running stack; ``restricted`` is audited everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

Level = Literal["restricted", "baseline"]
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
) -> k8s.core.v1.Namespace:
    return k8s.core.v1.Namespace(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name, labels={**labels, **pod_security_labels(level, kubernetes_version)}
        ),
        opts=opts,
    )
