"""Runs ``__main__.py`` unchanged under the SDK mock runtime with a stack's config.

One harness for ``python -m synth`` and the tests: both call ``run_stack``. Config comes from
``Pulumi.<stack>.yaml`` the way the CLI would hand it over: top-level values as strings, objects
as JSON text, ``secure:`` values as still-encrypted ciphertext marked secret (synth never
decrypts anything, so no real credential can reach its output).
"""

from __future__ import annotations

import asyncio
import json
import runpy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc, settings

from synth.mocks import Recording, RecordingMocks, RecordingMonitor

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "dify"


def _flat(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def project_defaults(root: Path = ROOT) -> dict[str, str]:
    """The ``default:`` of every key Pulumi.yaml declares. The CLI hands these to the program for
    any key the stack file leaves unset, so a default that fails validation breaks `pulumi up`
    and must break synth too."""
    project = root / "Pulumi.yaml"
    if not project.exists():
        return {}
    declared = (yaml.safe_load(project.read_text()) or {}).get("config") or {}
    return {
        (key if ":" in key else f"{PROJECT}:{key}"): _flat(spec["default"])
        for key, spec in declared.items()
        if isinstance(spec, dict) and "default" in spec
    }


def stack_config(stack: str, root: Path = ROOT) -> tuple[dict[str, str], list[str]]:
    """Read ``Pulumi.<stack>.yaml``, over Pulumi.yaml's declared defaults, into the flat
    ``{key: string}`` map the CLI passes on."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path.name} (known: {', '.join(known_stacks(root))})")
    document = yaml.safe_load(path.read_text()) or {}
    flat: dict[str, str] = project_defaults(root)
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            flat[full_key] = str(value["secure"])
            secret_keys.append(full_key)
        elif isinstance(value, str):
            flat[full_key] = value
        else:
            flat[full_key] = json.dumps(value)
    return flat, secret_keys


def known_stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in root.glob("Pulumi.*.yaml"))


def run_program(
    config: Mapping[str, str],
    secret_keys: list[str] | None = None,
    *,
    stack: str = "dev",
    program: Path = ROOT / "__main__.py",
) -> Recording:
    """Evaluate the program once, on a fresh event loop and fresh mocks; returns what it registered."""
    # "default", as an unconfigured provider would use: an object that forgets its namespace
    # then fails the cross-reference check instead of landing silently somewhere.
    mocks = RecordingMocks(default_namespace="default")
    settings.reset_options(project=PROJECT, stack=stack)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=RecordingMonitor(mocks))
        pulumi.runtime.set_all_config(dict(config), secret_keys or [])

        async def evaluate() -> None:
            # Return nothing: the SDK would try to lift the module globals run_path returns.
            runpy.run_path(str(program), run_name="__main__")
            # Under mocks the root Stack never registers its outputs, so read the exports here,
            # keeping each one's secretness as the engine would.
            root = settings.get_root_resource()
            for key, value in (getattr(root, "outputs", None) or {}).items():
                output = pulumi.Output.from_input(value)
                resolved = await output.future()
                mocks.recording.stack_outputs[key] = (
                    rpc.wrap_rpc_secret(resolved) if await output.is_secret() else resolved
                )

        # The decorator waits for every outstanding registration before it returns.
        pulumi.runtime.test(evaluate)()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return mocks.recording


def run_stack(stack: str, overrides: Mapping[str, Any] | None = None, root: Path = ROOT) -> Recording:
    """Run the program with ``Pulumi.<stack>.yaml`` plus ``overrides`` (keys without namespace)."""
    config, secret_keys = stack_config(stack, root)
    for key, value in (overrides or {}).items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            config.pop(full_key, None)
        else:
            config[full_key] = value if isinstance(value, str) else json.dumps(value)
    return run_program(config, secret_keys, stack=stack)
