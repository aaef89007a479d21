"""Turns a Recording into manifests, resources.json, a preview-like tree, and secret checks.

Secrets are redacted to ``<secret:sha256:xxxxxxxx>``: the token is a hash prefix, so two places
holding the same secret show the same token (proving a pair matches) without the value.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml
from pulumi.runtime import rpc

from synth.mocks import Recording, Registration

PLATFORM_TYPE = "dify:core:Platform"


def token(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return f"<secret:sha256:{hashlib.sha256(text.encode()).hexdigest()[:8]}>"


def normalise(value: Any, *, show_secrets: bool = False, secret: bool = False) -> Any:
    """Unwrap the SDK's secret markers (redacting their values) and turn 5001.0 back into 5001."""
    if rpc.is_rpc_secret(value):
        return normalise(rpc.unwrap_rpc_secret(value), show_secrets=show_secrets, secret=True)
    if isinstance(value, dict):
        return {k: normalise(v, show_secrets=show_secrets, secret=secret) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, show_secrets=show_secrets, secret=secret) for v in value]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if secret and not show_secrets:
        return token(value)
    return value


def secret_values(value: Any, secret: bool = False) -> set[str]:
    """Every scalar that sits under a secret marker, as text."""
    if rpc.is_rpc_secret(value):
        return secret_values(rpc.unwrap_rpc_secret(value), True)
    if isinstance(value, dict):
        return set().union(*(secret_values(v, secret) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(secret_values(v, secret) for v in value)) if value else set()
    return {str(value)} if secret and value not in (None, "") else set()


# Registrations complete in no fixed order and protobuf does not keep key order, so manifests are
# written in a canonical order: two synths of the same program give byte-identical files.
KIND_ORDER = (
    "Namespace", "ServiceAccount", "Role", "RoleBinding", "Secret", "ConfigMap", "PersistentVolumeClaim",
    "Service", "Deployment", "StatefulSet", "Job", "PodDisruptionBudget", "Ingress",
)  # fmt: skip
_FIRST_KEYS = ("apiVersion", "kind", "metadata", "name", "namespace", "type")


def canonical(value: Any) -> Any:
    if isinstance(value, dict):
        first = [k for k in _FIRST_KEYS if k in value]
        return {k: canonical(value[k]) for k in [*first, *sorted(set(value) - set(first))]}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def _document_order(obj: dict[str, Any]) -> tuple[int, str, str]:
    kind = obj.get("kind", "")
    rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    meta = obj.get("metadata") or {}
    # The namespace breaks ties: one name may exist in two namespaces (dify-default-deny).
    return rank, f"{kind}/{meta.get('name', '')}", meta.get("namespace") or ""


def is_kubernetes_object(reg: Registration) -> bool:
    return reg.custom and reg.type.startswith("kubernetes:")


def component_of(reg: Registration, by_urn: dict[str, Registration]) -> str:
    """The platform's direct child that owns ``reg`` (its file name under manifests/)."""
    current = reg
    while current.parent and current.parent in by_urn:
        parent = by_urn[current.parent]
        if parent.type == PLATFORM_TYPE:
            return current.name if not current.custom else "platform"
        current = parent
    return "stack"


def kubernetes_objects(recording: Recording, *, show_secrets: bool = False) -> dict[str, list[dict[str, Any]]]:
    by_urn = {r.urn: r for r in recording.registrations}
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for reg in recording.registrations:
        if is_kubernetes_object(reg):
            grouped[component_of(reg, by_urn)].append(canonical(normalise(reg.outputs, show_secrets=show_secrets)))
    return {component: sorted(docs, key=_document_order) for component, docs in sorted(grouped.items())}


def leaks(recording: Recording) -> list[str]:
    """Secrets may live only in Kubernetes Secrets (and the random/provider resources that make them)."""
    known = set()
    for reg in recording.registrations:
        known |= {v for v in secret_values(reg.outputs) if len(v) >= 8}
    problems = []
    for reg in recording.registrations:
        if not is_kubernetes_object(reg) or reg.outputs.get("kind") == "Secret":
            continue
        where = f"{reg.outputs.get('kind')}/{(reg.outputs.get('metadata') or {}).get('name')}"
        if secret_values(reg.outputs):
            problems.append(f"{where}: holds a secret value outside a Kubernetes Secret")
        text = json.dumps(normalise(reg.outputs, show_secrets=True))
        if any(value in text for value in known):
            problems.append(f"{where}: contains the plain text of a secret")
    return problems


def resources_json(recording: Recording, *, show_secrets: bool = False) -> list[dict[str, Any]]:
    ordered = sorted(recording.registrations, key=lambda r: r.urn)
    return [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "dependencies": r.dependencies,
            "inputs": canonical(normalise(r.inputs, show_secrets=show_secrets)),
        }
        for r in ordered
    ]


def write(recording: Recording, out: Path, *, show_secrets: bool = False) -> dict[str, list[dict[str, Any]]]:
    objects = kubernetes_objects(recording, show_secrets=show_secrets)
    manifests = out / "manifests"
    manifests.mkdir(parents=True, exist_ok=True)
    for stale in manifests.glob("*.yaml"):
        stale.unlink()
    for component, docs in sorted(objects.items()):
        text = yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False, width=120)
        (manifests / f"{component}.yaml").write_text(text)
    body = json.dumps(resources_json(recording, show_secrets=show_secrets), indent=2, sort_keys=False)
    (out / "resources.json").write_text(body + "\n")
    return objects


def tree(recording: Recording) -> list[str]:
    depth: dict[str, int] = {}
    lines = []
    for reg in recording.registrations:
        level = depth.get(reg.parent, -1) + 1
        depth[reg.urn] = level
        lines.append(f"{'    ' * level}+ {reg.type}  {reg.name}")
    return lines


def counts(recording: Recording) -> list[str]:
    tally = Counter(r.type for r in recording.registrations)
    width = max(len(t) for t in tally) if tally else 0
    return [f"{t.ljust(width)}  {n}" for t, n in sorted(tally.items())]
