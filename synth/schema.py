"""Strict offline validation of Kubernetes objects against the official JSON schemas.

The schemas are the ``*-local-strict`` sets bundled with ``kubernetes-validate``
(``additionalProperties: false`` everywhere, so a typo such as ``spec.replica`` is an
error instead of being silently dropped by the API server).

We do not call ``kubernetes_validate.validate()`` per object: it re-reads and
re-parses the 1.4 MB ``_definitions.json`` and rebuilds the validator on every call
(~10 ms per object), and it compares versions as strings. Instead the definitions
registry and one validator per (version, apiVersion, kind) are cached, following the
library's file-naming convention.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Collection, Iterable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

# jsonschema ships no type hints; the ignore stays valid if types-jsonschema arrives.
import jsonschema  # type: ignore[import-untyped,unused-ignore]
from referencing import Registry, Resource

__all__ = ["SUPPORTED_VERSIONS", "is_supported_version", "validate_schemas"]

_SCHEMA_ROOT: Traversable = resources.files("kubernetes_validate") / "kubernetes-json-schema"
_STRICT_DIR = re.compile(r"^v(\d+)\.(\d+)\.\d+-local-strict$")
# The library maps "networking.k8s.io/v1" to "networking-v1": only the first DNS label
# of the group survives in file names.
_GROUP_PREFIX = re.compile(r"^([^./]*)(?:\.[^/]*)?/")
_GROUP_REPLACEMENT = r"\1-"
_Validator = Any  # jsonschema.Draft202012Validator, untyped
# Messages can embed the whole offending instance; keep reports readable.
_MAX_MESSAGE = 300


def _discover_strict_dirs() -> dict[str, str]:
    found: list[tuple[int, int, str]] = []
    for entry in _SCHEMA_ROOT.iterdir():
        if match := _STRICT_DIR.match(entry.name):
            found.append((int(match[1]), int(match[2]), entry.name))
    return {f"{major}.{minor}": name for major, minor, name in sorted(found)}


_STRICT_DIRS = _discover_strict_dirs()
SUPPORTED_VERSIONS: tuple[str, ...] = tuple(_STRICT_DIRS)


def _major_minor(version: str) -> str:
    parts = version.strip().removeprefix("v").split(".")
    return ".".join(parts[:2])


def is_supported_version(version: str) -> bool:
    """Whether strict schemas for this version ("1.33", "v1.33.2") are bundled."""
    return _major_minor(version) in _STRICT_DIRS


@functools.cache
def _registry(version: str) -> Registry[Any]:
    schema_dir = _SCHEMA_ROOT / _STRICT_DIRS[version]
    definitions = json.loads((schema_dir / "_definitions.json").read_text(encoding="utf-8"))
    # Crawling once up front means each validator resolves $refs from a warm registry.
    return (Resource.from_contents(definitions) @ Registry()).crawl()


def _schema_file_name(api_version: str, kind: str) -> str:
    return f"{kind.lower()}-{_GROUP_PREFIX.sub(_GROUP_REPLACEMENT, api_version)}.json"


def _schema_matches(schema: Mapping[str, Any], api_version: str, kind: str) -> bool:
    # File names drop most of the group, so "Ingress" of "networking.example.com/v1"
    # would otherwise be validated against the core Ingress schema.
    group, _, version = api_version.rpartition("/")
    return any(
        (gvk.get("group", ""), gvk.get("version"), gvk.get("kind")) == (group, version, kind)
        for gvk in schema.get("x-kubernetes-group-version-kind", [])
    )


@functools.cache
def _validator(version: str, api_version: str, kind: str) -> _Validator | None:
    path = _SCHEMA_ROOT / _STRICT_DIRS[version] / _schema_file_name(api_version, kind)
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    if not _schema_matches(schema, api_version, kind):
        return None
    return jsonschema.Draft202012Validator(schema, registry=_registry(version))


def _normalise_numbers(value: Any) -> Any:
    """Copy ``value`` with integral floats as ints: protobuf turns 5001 into 5001.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _normalise_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise_numbers(item) for item in value]
    return value


def _json_path(path: Iterable[str | int]) -> str:
    rendered = ""
    for part in path:
        if isinstance(part, int):
            rendered += f"[{part}]"
        else:
            rendered += f".{part}" if rendered else part
    return rendered or "(root)"


def _describe(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    kind, name = obj.get("kind") or "?", metadata.get("name") or "?"
    parts = [kind, metadata.get("namespace"), name]
    return "/".join(str(part) for part in parts if part)


def _shorten(message: str) -> str:
    if len(message) <= _MAX_MESSAGE:
        return message
    return message[: _MAX_MESSAGE - 3] + "..."


def _is_allowed_unknown(api_version: str, kind: str, allow: Collection[str]) -> bool:
    gvk = f"{api_version}/{kind}"
    return any(fnmatch.fnmatchcase(gvk, pattern) for pattern in allow)


def _validate_one(obj: Mapping[str, Any], version: str, allow: Collection[str]) -> list[str]:
    where = _describe(obj)
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return [f"{where}: (root): apiVersion and kind must be strings"]
    if not api_version or not kind:
        return [f"{where}: (root): apiVersion and kind must not be empty"]
    validator = _validator(version, api_version, kind)
    if validator is None:
        if _is_allowed_unknown(api_version, kind, allow):
            return []
        problem = f"no schema for {api_version}/{kind} in Kubernetes {version}"
        return [f"{where}: (root): {problem}"]
    errors = validator.iter_errors(_normalise_numbers(obj))
    return [f"{where}: {_json_path(e.absolute_path)}: {_shorten(e.message)}" for e in errors]


def validate_schemas(
    objects: list[dict[str, Any]],
    k8s_version: str = "1.33",
    allow_unknown_kinds: Collection[str] = frozenset(),
) -> list[str]:
    """Validate each object against the strict official schema of ``k8s_version``.

    Returns ``"<Kind>/<namespace>/<name>: <path>: <message>"`` strings (namespace
    omitted when unset); an empty list means every object is valid. Kinds without a
    bundled schema (CRDs) are errors unless ``"<apiVersion>/<Kind>"`` matches one of
    the ``allow_unknown_kinds`` patterns, e.g. ``"cert-manager.io/v1/Certificate"`` or
    ``"cert-manager.io/*"`` (fnmatch syntax). The input objects are not modified.
    """
    version = _major_minor(k8s_version)
    if version not in _STRICT_DIRS:
        supported = ", ".join(SUPPORTED_VERSIONS)
        raise ValueError(f"Kubernetes version {k8s_version!r} is not supported (bundled strict schemas: {supported})")
    errors: list[str] = []
    for obj in objects:
        errors.extend(_validate_one(obj, version, allow_unknown_kinds))
    return errors
