"""Holds every rendered Dify container to the compose-parity table (components/parity/).

Each variable upstream's compose sets for a service has a verdict (same value, a different one
with a reason, or deliberately unset); a rendered env that breaks a verdict is a problem, so a
silently dropped or changed setting fails synth, not the first user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.parity.table import WORKLOADS, load_snapshot, object_name, problems, table_for

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
    """A stack that renders the api but neither in-cluster Postgres nor Redis has the managed
    data tier (dify:aws), whose verdicts differ (components/parity/managed.py)."""
    envs = rendered_env(objects)
    table = table_for(managed="api" in envs and not {"db_postgres", "redis"} & set(envs))
    return [
        line
        for service in table
        if service in envs
        for line in problems(service, _SNAPSHOT[service], envs[service], table)
    ]
