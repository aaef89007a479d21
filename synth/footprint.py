"""The monitoring and logging stacks' footprints: summed CPU and memory requests of their pods
in the rendered objects (a DaemonSet counts once: one node; the dev targets of issues 9 and 10
are per cluster of one). A Job counts too: it runs during every `pulumi up` that changes it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from components.catalog import LOGGING_KEYS, MONITORING_KEYS
from components.config.types import cpu_millis, memory_bytes

COMPONENT = "app.kubernetes.io/component"
_REPLICATED = {"Deployment": True, "StatefulSet": True, "DaemonSet": False, "Job": False}


def requests_of(objects: Sequence[Mapping[str, Any]], components: Collection[str]) -> dict[str, tuple[int, int]]:
    """Workload name → (millicores, bytes) requested by all its replicas (main containers; init
    containers run before them and do not add up)."""
    found: dict[str, tuple[int, int]] = {}
    for obj in objects:
        kind = obj.get("kind")
        if kind not in _REPLICATED:
            continue
        template = obj["spec"]["template"]
        if (template.get("metadata") or {}).get("labels", {}).get(COMPONENT) not in components:
            continue
        replicas = int(obj["spec"].get("replicas", 1)) if _REPLICATED[kind] else 1
        cpu = memory = 0
        for container in template["spec"]["containers"]:
            requests = (container.get("resources") or {}).get("requests") or {}
            cpu += cpu_millis(str(requests.get("cpu", "0")))
            memory += memory_bytes(str(requests.get("memory", "0Mi")))
        found[obj["metadata"]["name"]] = (cpu * replicas, memory * replicas)
    return found


def monitoring_requests(objects: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    return requests_of(objects, MONITORING_KEYS)


def logging_requests(objects: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    return requests_of(objects, LOGGING_KEYS)


def _report(area: str, key: str, found: Mapping[str, tuple[int, int]]) -> list[str]:
    if not found:
        return [f"footprint: {area} is off (dify:{key}.enabled)"]
    cpu = sum(c for c, _ in found.values())
    memory = sum(m for _, m in found.values())
    lines = [f"  {name}: {c}m CPU, {m // 2**20}Mi" for name, (c, m) in sorted(found.items())]
    return [f"footprint: {area} requests {cpu}m CPU, {memory // 2**20}Mi memory", *lines]


def footprint_report(objects: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(
        _report("monitoring", "monitoring", monitoring_requests(objects))
        + _report("logging", "logging", logging_requests(objects))
    )
