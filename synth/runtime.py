"""Checks every rendered container against the image runtime contract (components/images/).

Schemas and cross-references cannot see that a read-only root filesystem meets a ``mkdir`` at
start-up, that a probe targets a port nothing binds, or that a capability the code uses was
dropped; each of those passes ``kubectl apply`` and fails in the pod. These checks catch them
offline, from facts traced in upstream source.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, get_args

from components.images import CONTRACTS, ImageContract, Mode, Write
from components.logging.steps import HEALTH_BASE_PATHS, STEP_ENV, STEP_MODES
from components.versions import ImageKey, image
from synth.xref import describe

__all__ = ["check_runtime_contracts", "image_key"]

Obj = Mapping[str, Any]
_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job"})
_VARIABLE = re.compile(r"^\$\{([A-Z_][A-Z0-9_]*)(?::-(.*))?\}$")
_REPOSITORIES = {image(key).rsplit(":", 1)[0].removeprefix("docker.io/"): key for key in get_args(ImageKey)}


def image_key(reference: str) -> ImageKey | None:
    """The image table's key for a rendered reference, registry mirror or not."""
    repository = reference.rsplit(":", 1)[0] if ":" in reference.rsplit("/", 1)[-1] else reference
    for known, key in _REPOSITORIES.items():
        if repository == known or repository.endswith("/" + known):
            return key
    return None


def _containers(obj: Obj) -> Iterator[tuple[Obj, Obj]]:
    if obj.get("kind") not in _TEMPLATE_KINDS:
        return
    pod = obj.get("spec", {}).get("template", {}).get("spec", {})
    for container in pod.get("initContainers", []) + pod.get("containers", []):
        yield pod, container


def _literal_env(container: Obj) -> dict[str, str | None]:
    # A value from a Secret is present but unknown offline: None.
    return {var["name"]: var.get("value") for var in container.get("env", [])}


def _resolve(write: Write, env: Mapping[str, str | None], argv: Sequence[str], workdir: str) -> str | None:
    path = write.path
    if write.flag and write.flag in argv[:-1]:
        path = argv[argv.index(write.flag) + 1]
    match = _VARIABLE.match(path)
    if match:
        name, default = match.group(1), match.group(2)
        value = env.get(name, default)
        if value is None:
            return None
        path = value
    return posixpath.normpath(posixpath.join(workdir, path))


def _bound_ports(mode: Mode, env: Mapping[str, str | None]) -> dict[int, str]:
    ports = {}
    for listen in mode.listens:
        value = env.get(listen.env) if listen.env else None
        number = int(value) if value and value.isdigit() else listen.port
        ports[number] = listen.fact.source
    return ports


def _security(pod: Obj, container: Obj) -> dict[str, Any]:
    return {**pod.get("securityContext", {}), **container.get("securityContext", {})}


def _check_identity(contract: ImageContract, security: Mapping[str, Any]) -> list[str]:
    problems = []
    uid = security.get("runAsUser", contract.uid)
    if uid != contract.uid and not contract.any_uid:
        problems.append(f"runs as uid {uid}, the image as {contract.uid} ({contract.uid_fact.source})")
    if contract.uid == 0 and not contract.any_uid and security.get("runAsNonRoot"):
        problems.append(
            f"runAsNonRoot, but the image must run as root ({contract.uid_fact.note or contract.uid_fact.source})"
        )
    granted = set(security.get("capabilities", {}).get("add") or ())
    missing = sorted(set(contract.capabilities) - granted)
    if missing and contract.capabilities_fact:
        problems.append(f"lacks capabilities {', '.join(missing)} the image uses ({contract.capabilities_fact.source})")
    return problems


def _check_writes(
    contract: ImageContract, mode: Mode, container: Obj, security: Mapping[str, Any], env: Mapping[str, str | None]
) -> list[str]:
    if not security.get("readOnlyRootFilesystem"):
        return []
    writable = [m["mountPath"].rstrip("/") or "/" for m in container.get("volumeMounts", []) if not m.get("readOnly")]
    argv = [*container.get("command", []), *container.get("args", [])]
    problems = []
    for write in mode.writes:
        path = _resolve(write, env, argv, contract.workdir)
        if path is None:
            problems.append(f"writes {write.path}, which does not resolve from its env ({write.fact.source})")
        elif not any(path == m or path.startswith(m + "/") or m == "/" for m in writable):
            problems.append(
                f"writes {path} at {write.when} on a read-only root filesystem without a writable mount "
                f"({write.fact.source})"
            )
    return problems


def _check_ports(mode: Mode, container: Obj, env: Mapping[str, str | None]) -> list[str]:
    bound = _bound_ports(mode, env)
    named = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
    declared = {p["containerPort"] for p in container.get("ports", [])}
    problems = [
        f"declares port {port}, where the process does not listen (it binds {sorted(bound) or 'nothing'})"
        for port in sorted(declared - set(bound))
    ]
    for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = container.get(probe_name) or {}
        for handler in ("httpGet", "tcpSocket", "grpc"):
            if handler not in probe:
                continue
            target = probe[handler].get("port")
            number = named.get(target) if isinstance(target, str) else target
            if number not in bound:
                problems.append(f"{probe_name} targets port {target}, where the process does not listen")
            path = probe[handler].get("path")
            if handler == "httpGet" and path not in mode.health:
                problems.append(
                    f"{probe_name} requests {path}, which is no health endpoint of the image "
                    f"(it has {', '.join(mode.health) or 'none'})"
                )
    return problems


def check_container(pod: Obj, container: Obj) -> list[str]:
    key = image_key(str(container.get("image", "")))
    if key is None:
        return [f"no runtime contract for image {container.get('image')}"]
    contract = CONTRACTS[key]
    if key in STEP_MODES:
        # Our own steps on this image (components/logging/steps.py), selected by their variable.
        contract = dataclasses.replace(contract, mode_env=STEP_ENV, modes={**contract.modes, **STEP_MODES[key]})
    env = _literal_env(container)
    mode_name = "default"
    if contract.mode_env:
        # Without its mode variable a container runs the image's default mode, where there is one.
        mode_name = env.get(contract.mode_env) or ("default" if "default" in contract.modes else "")
    mode = contract.modes.get(mode_name)
    if mode is None:
        return [f"{key} has no traced mode {mode_name!r} (known: {', '.join(contract.modes)})"]
    security = _security(pod, container)
    if key in HEALTH_BASE_PATHS:
        base_env, rewrite_env = HEALTH_BASE_PATHS[key]
        base = env.get(base_env) or ""
        if base and env.get(rewrite_env) == "true":
            mode = dataclasses.replace(mode, health=tuple(base.rstrip("/") + path for path in mode.health))
    return (
        _check_identity(contract, security)
        + _check_writes(contract, mode, container, security, env)
        + _check_ports(mode, container, env)
    )


def check_runtime_contracts(objects: Sequence[Obj]) -> list[str]:
    problems = []
    for obj in objects:
        for pod, container in _containers(obj):
            problems += [f"{describe(obj)} container {container['name']}: {p}" for p in check_container(pod, container)]
    return problems
