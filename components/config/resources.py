"""A service's effective requests and limits: the catalogue default under the stack's override.

Validation and the platform both read this one function, so ``requests ≤ limits`` is checked on
exactly what gets rendered — an override of requests alone is compared with the default limit.
"""

from __future__ import annotations

from components.catalog import CATALOG, Amounts, Entry, Resources
from components.config.models import StackConfig

BY_CONFIG_KEY: dict[str, Entry] = {entry.config_key: entry for entry in CATALOG.values()}


def effective_resources(config: StackConfig, config_key: str) -> Resources:
    base = BY_CONFIG_KEY[config_key].resources
    override = config.resources.get(config_key)  # type: ignore[call-overload]
    if override is None:
        return base
    return Resources(
        requests=Amounts(override.requests.cpu or base.requests.cpu, override.requests.memory or base.requests.memory),
        limits=Amounts(override.limits.cpu or base.limits.cpu, override.limits.memory or base.limits.memory),
    )
