"""The compose-parity table: per compose service, a verdict for every variable upstream sets.

``TABLE`` is keyed by compose service name; ``WORKLOADS`` says which of our objects runs it
(components/catalog.py names them). ``problems`` holds one stack's rendered env to the table and
the snapshot, so the test (and, if wanted, synth) reports every disagreement at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.catalog import CATALOG, ServiceKey
from components.parity.api_family import API_ROWS, API_WEBSOCKET_ROWS, WORKER_BEAT_ROWS, WORKER_ROWS
from components.parity.infra import (
    AGENT_SSRF_PROXY_ROWS,
    DB_POSTGRES_ROWS,
    LOCAL_SANDBOX_ROWS,
    NGINX_ROWS,
    REDIS_ROWS,
    SSRF_PROXY_ROWS,
    WEAVIATE_ROWS,
)
from components.parity.managed import MANAGED
from components.parity.model import Differs, Rows, Same, Unset, override
from components.parity.services import AGENT_BACKEND_ROWS, PLUGIN_DAEMON_ROWS, SANDBOX_ROWS, WEB_ROWS
from components.versions import DIFY_RELEASE

SNAPSHOT = Path(__file__).with_name(f"compose-{DIFY_RELEASE.dify}.json")

TABLE: dict[str, Rows] = {
    "api": API_ROWS,
    "api_websocket": API_WEBSOCKET_ROWS,
    "worker": WORKER_ROWS,
    "worker_beat": WORKER_BEAT_ROWS,
    "web": WEB_ROWS,
    "sandbox": SANDBOX_ROWS,
    "plugin_daemon": PLUGIN_DAEMON_ROWS,
    "agent_backend": AGENT_BACKEND_ROWS,
    "local_sandbox": LOCAL_SANDBOX_ROWS,
    "ssrf_proxy": SSRF_PROXY_ROWS,
    "agent_ssrf_proxy": AGENT_SSRF_PROXY_ROWS,
    "nginx": NGINX_ROWS,
    "db_postgres": DB_POSTGRES_ROWS,
    "redis": REDIS_ROWS,
    "weaviate": WEAVIATE_ROWS,
}

# compose service → (our kind, catalogue key). The migration Job has no compose counterpart.
WORKLOADS: dict[str, tuple[str, ServiceKey]] = {
    "api": ("Deployment", "api"),
    "api_websocket": ("Deployment", "api-websocket"),
    "worker": ("Deployment", "worker"),
    "worker_beat": ("Deployment", "worker-beat"),
    "web": ("Deployment", "web"),
    "sandbox": ("Deployment", "sandbox"),
    "plugin_daemon": ("Deployment", "plugin-daemon"),
    "agent_backend": ("Deployment", "agent-backend"),
    "local_sandbox": ("Deployment", "local-sandbox"),
    "ssrf_proxy": ("Deployment", "ssrf-proxy"),
    "agent_ssrf_proxy": ("Deployment", "agent-ssrf-proxy"),
    "nginx": ("Deployment", "router"),
    "db_postgres": ("StatefulSet", "postgres"),
    "redis": ("StatefulSet", "redis"),
    "weaviate": ("StatefulSet", "weaviate"),
}


def table_for(managed: bool) -> dict[str, Rows]:
    """The table of a stack: with ``dify:aws`` the managed data tier's verdicts replace the
    in-cluster ones (components/parity/managed.py)."""
    if not managed:
        return TABLE
    return {service: override(rows_, MANAGED.get(service, {})) for service, rows_ in TABLE.items()}


def object_name(service: str) -> str:
    return CATALOG[WORKLOADS[service][1]].name


def load_snapshot(path: Path = SNAPSHOT) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """The snapshot's header and its ``{service: {VAR: value}}``."""
    data = json.loads(path.read_text())
    header = data.pop("_header")
    return header, data


def coverage(snapshot: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Names upstream sets that the table does not decide, and decisions for names it does not set."""
    found = []
    for service in sorted(set(snapshot) | set(TABLE)):
        upstream, decided = set(snapshot.get(service, {})), set(TABLE.get(service, {}))
        if missing := sorted(upstream - decided):
            found.append(f"{service}: upstream sets, table does not decide: {', '.join(missing)}")
        if stale := sorted(decided - upstream):
            found.append(f"{service}: table decides, upstream does not set: {', '.join(stale)}")
    return found


# How an env entry looks once read off a container: a literal value, or None for valueFrom.
Rendered = Mapping[str, str | None]


def problems(
    service: str, upstream: Mapping[str, str], rendered: Rendered, table: Mapping[str, Rows] = TABLE
) -> list[str]:
    """Disagreements between one container's rendered env and its rows."""
    found = []
    for name, verdict in sorted(table[service].items()):
        where = f"{service} {name}"
        if isinstance(verdict, Same):
            if name not in rendered:
                found.append(f"{where}: Same, but we do not set it (upstream {upstream[name]!r})")
            elif rendered[name] != upstream[name]:
                found.append(f"{where}: Same, but we render {rendered[name]!r} (upstream {upstream[name]!r})")
        elif isinstance(verdict, Differs):
            if name not in rendered:
                found.append(f"{where}: Differs ({verdict.reason}), but we do not set it")
        elif isinstance(verdict, Unset) and name in rendered:
            shown = "from a Secret" if rendered[name] is None else repr(rendered[name])
            found.append(f"{where}: Unset ({verdict.reason}), but we set it {shown} (upstream {upstream[name]!r})")
    return found


def same_as_upstream(service: str, upstream: Mapping[str, str], rendered: Rendered) -> set[str]:
    """Differs rows whose rendered literal equals upstream's value in this stack."""
    return {
        name
        for name, verdict in TABLE[service].items()
        if isinstance(verdict, Differs) and rendered.get(name, object()) == upstream[name]
    }


def suspects() -> dict[str, list[str]]:
    """Rows marked as looking like gaps rather than choices, per service."""
    return {
        service: sorted(name for name, verdict in rows_.items() if getattr(verdict, "suspect", False))
        for service, rows_ in TABLE.items()
        if any(getattr(verdict, "suspect", False) for verdict in rows_.values())
    }
