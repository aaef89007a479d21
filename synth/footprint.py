"""The monitoring stack's footprint: summed CPU and memory requests of its pods, from the
rendered objects (a DaemonSet counts once: one node; issue 9's dev target is per cluster of one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.catalog import MONITORING_KEYS
from components.config.types import cpu_millis, memory_bytes

COMPONENT = "app.kubernetes.io/component"
_REPLICATED = {"Deployment": True, "StatefulSet": True, "DaemonSet": False}


def monitoring_requests(objects: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    """Workload name → (millicores, bytes) requested by all its replicas."""
    found: dict[str, tuple[int, int]] = {}
    for obj in objects:
        kind = obj.get("kind")
        if kind not in _REPLICATED:
            continue
        template = obj["spec"]["template"]
        if (template.get("metadata") or {}).get("labels", {}).get(COMPONENT) not in MONITORING_KEYS:
            continue
        replicas = int(obj["spec"].get("replicas", 1)) if _REPLICATED[kind] else 1
        cpu = memory = 0
        for container in template["spec"]["containers"]:
            requests = (container.get("resources") or {}).get("requests") or {}
            cpu += cpu_millis(str(requests.get("cpu", "0")))
            memory += memory_bytes(str(requests.get("memory", "0Mi")))
        found[obj["metadata"]["name"]] = (cpu * replicas, memory * replicas)
    return found


def footprint_report(objects: Sequence[Mapping[str, Any]]) -> str:
    found = monitoring_requests(objects)
    if not found:
        return "footprint: monitoring is off (dify:monitoring.enabled)"
    cpu = sum(c for c, _ in found.values())
    memory = sum(m for _, m in found.values())
    lines = [f"  {name}: {c}m CPU, {m // 2**20}Mi" for name, (c, m) in sorted(found.items())]
    return "\n".join([f"footprint: monitoring requests {cpu}m CPU, {memory // 2**20}Mi memory", *lines])
