"""Holds every rendered Dify container to the compose-parity table (components/parity/).

Each variable upstream's compose sets for a service has a verdict (same value, a different one
with a reason, or deliberately unset); a rendered env that breaks a verdict is a problem, so a
silently dropped or changed setting fails synth, not the first user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.parity.table import TABLE, WORKLOADS, load_snapshot, object_name, problems

__all__ = ["check_compose_parity", "rendered_env"]

_, _SNAPSHOT = load_snapshot()


def rendered_env(objects: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, str | None]]:
    """Each compose service's main-container env as rendered: the literal, or None for valueFrom.
    Services a feature toggle leaves out are absent."""
    by_key = {(o.get("kind"), o.get("metadata", {}).get("name")): o for o in objects}
    envs: dict[str, dict[str, str | None]] = {}
    for service, (kind, _) in WORKLOADS.items():
        workload = by_key.get((kind, object_name(service)))
        if workload is None:
            continue
        main = workload["spec"]["template"]["spec"]["containers"][0]
        envs[service] = {e["name"]: None if "valueFrom" in e else e.get("value") for e in main.get("env", [])}
    return envs


def check_compose_parity(objects: Sequence[Mapping[str, Any]]) -> list[str]:
    envs = rendered_env(objects)
    return [
        line for service in TABLE if service in envs for line in problems(service, _SNAPSHOT[service], envs[service])
    ]
