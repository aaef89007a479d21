"""Snapshot the environment upstream's docker-compose gives each Dify container.

Writes ``components/parity/compose-<tag>.json``: ``{"_header": {...}, "<service>": {"VAR": "value"}}``
for the compose services we deploy, which ``tests/test_compose_parity.py`` holds the parity table
against. Names and values only: the upstream file itself never enters the repo.

What "the compose sets" means is what a default upstream install gets (docker/README.md at the
tag: ``cp .env.example .env && docker compose up -d``):

- ``environment:`` entries, with ``${VAR:-default}`` interpolated from ``.env`` (the copy of
  ``.env.example``) first and the inline default second, as compose does;
- ``env_file:`` entries that a default install has: ``./.env``, read from ``.env.example``.
  Entries marked ``required: false`` (``envs/**/*.env``) exist only after an operator copies
  them for advanced settings, so they set nothing by default and are skipped.
  ``environment:`` wins over ``env_file:``, as in compose.

Older releases (≤ 1.13) inlined everything in an ``x-shared-env`` anchor merged into the api
family; YAML anchors and ``<<`` merge keys are expanded by the loader, so both layouts work.

On a version bump::

    git --git-dir=<dify>.git show 1.17.0:docker/docker-compose.yaml > /tmp/compose.yaml
    git --git-dir=<dify>.git show 1.17.0:docker/.env.example > /tmp/.env.example
    python tools/compose_env.py /tmp/compose.yaml --tag 1.17.0 --commit <sha>
    # or straight from a clone:
    python tools/compose_env.py --git-dir <dify>.git --tag 1.17.0
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_PATH = "docker/docker-compose.yaml"
ENV_EXAMPLE_PATH = "docker/.env.example"

# The compose services this project deploys (components/catalog.py maps them to ours); the
# dozens of alternative vector stores, mysql, certbot and init_permissions are not deployed.
SERVICES = (
    "api",
    "api_websocket",
    "worker",
    "worker_beat",
    "web",
    "sandbox",
    "plugin_daemon",
    "agent_backend",
    "local_sandbox",
    "ssrf_proxy",
    "agent_ssrf_proxy",
    "nginx",
    "db_postgres",
    "redis",
    "weaviate",
)

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class Interpolator:
    """Compose variable substitution: ``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``,
    ``${VAR:?e}``/``${VAR?e}`` and ``${VAR:+x}``/``${VAR+x}``, with nesting in the defaults."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables = variables

    def __call__(self, text: str) -> str:
        out, i = [], 0
        while i < len(text):
            char = text[i]
            if char != "$":
                out.append(char)
                i += 1
            elif text.startswith("$$", i):
                out.append("$")
                i += 2
            elif text.startswith("${", i):
                end = self._closing(text, i + 2)
                out.append(self._braced(text[i + 2 : end]))
                i = end + 1
            elif match := re.match(_NAME, text[i + 1 :]):
                out.append(self.variables.get(match.group(0), ""))
                i += 1 + match.end()
            else:
                out.append(char)
                i += 1
        return "".join(out)

    @staticmethod
    def _closing(text: str, start: int) -> int:
        depth = 1
        for j in range(start, len(text)):
            if text.startswith("${", j):
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    return j
        raise ValueError(f"unterminated ${{ in {text!r}")

    def _braced(self, body: str) -> str:
        match = re.match(rf"({_NAME})(?:(:?)([-?+])(.*))?$", body, re.DOTALL)
        if not match:
            raise ValueError(f"unsupported substitution ${{{body}}}")
        name, colon, op, word = match.groups()
        value = self.variables.get(name)
        unset = value is None or (colon == ":" and value == "")
        if op is None:
            return value or ""
        if op == "-":
            return self(word) if unset else str(value)
        if op == "+":
            return "" if unset else self(word)
        if unset:
            raise ValueError(f"${{{name}}} is required: {self(word)}")
        return str(value)


def parse_dotenv(text: str, outer: Mapping[str, str] | None = None) -> dict[str, str]:
    """``KEY=value`` lines as compose reads them; later keys may interpolate earlier ones."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote, value = value[0], value[1:-1]
            if quote == "'":  # single quotes are literal
                values[key] = value
                continue
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0]
        values[key] = Interpolator({**(outer or {}), **values})(value)
    return values


def _env_files(service: Mapping[str, Any]) -> list[tuple[str, bool]]:
    entries = service.get("env_file") or []
    if isinstance(entries, str):
        entries = [entries]
    files = []
    for entry in entries:
        if isinstance(entry, str):
            files.append((entry, True))
        else:
            files.append((entry["path"], bool(entry.get("required", True))))
    return files


def _environment(service: Mapping[str, Any]) -> dict[str, str | None]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        pairs = (item.partition("=") for item in environment)
        return {key: (value if sep else None) for key, sep, value in pairs}
    return {key: None if value is None else str(value) for key, value in environment.items()}


def service_env(service: Mapping[str, Any], dotenv: Mapping[str, str], interpolate: Interpolator) -> dict[str, str]:
    env: dict[str, str] = {}
    for path, required in _env_files(service):
        if Path(path).name == ".env":
            env |= dotenv
        elif required:
            raise SystemExit(f"a required env_file {path!r} other than ./.env: teach compose_env.py to read it")
        # Optional env files (envs/**/*.env) exist only after an operator copies them.
    for key, value in _environment(service).items():
        if value is None:  # `- NAME` passes the variable through from the compose environment
            if key in dotenv:
                env[key] = dotenv[key]
        else:
            env[key] = interpolate(value)
    return env


def snapshot(compose_text: str, env_example_text: str, services: tuple[str, ...] = SERVICES) -> dict[str, Any]:
    document = yaml.safe_load(compose_text)  # SafeLoader expands anchors and `<<` merge keys
    dotenv = parse_dotenv(env_example_text)
    interpolate = Interpolator(dotenv)
    declared = document["services"]
    missing = [name for name in services if name not in declared]
    if missing:
        raise SystemExit(f"services not in this compose file: {', '.join(missing)} (update SERVICES)")
    return {name: dict(sorted(service_env(declared[name], dotenv, interpolate).items())) for name in services}


def _git_show(git_dir: str, ref: str) -> str:
    return subprocess.run(["git", "--git-dir", git_dir, "show", ref], check=True, capture_output=True, text=True).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("compose", nargs="?", help="docker-compose.yaml (else read from --git-dir at --tag)")
    parser.add_argument("--env-file", help="the .env.example of the same release (default: beside the compose file)")
    parser.add_argument("--git-dir", help="a langgenius/dify clone to read both files from at --tag")
    parser.add_argument("--tag", required=True, help="the upstream release tag, e.g. 1.16.1")
    parser.add_argument("--commit", help="the commit the tag points at (read from --git-dir when given)")
    parser.add_argument("--out", type=Path, help="default: components/parity/compose-<tag>.json")
    args = parser.parse_args(argv)

    commit = args.commit
    if args.git_dir:
        compose_text = _git_show(args.git_dir, f"{args.tag}:{COMPOSE_PATH}")
        env_text = _git_show(args.git_dir, f"{args.tag}:{ENV_EXAMPLE_PATH}")
        commit = (
            commit
            or subprocess.run(
                ["git", "--git-dir", args.git_dir, "rev-parse", f"{args.tag}^{{commit}}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
    elif args.compose:
        compose_path = Path(args.compose)
        compose_text = compose_path.read_text()
        env_path = Path(args.env_file) if args.env_file else compose_path.with_name(".env.example")
        env_text = env_path.read_text()
    else:
        parser.error("give a compose file or --git-dir")

    data: dict[str, Any] = {
        "_header": {
            "upstream": "langgenius/dify",
            "tag": args.tag,
            "commit": commit or "unknown",
            "files": [COMPOSE_PATH, ENV_EXAMPLE_PATH],
            "generated_by": "tools/compose_env.py",
            "meaning": "env of each container in a default install (cp .env.example .env; docker compose up): "
            "environment: interpolated from .env, plus env_file ./.env; optional envs/**/*.env files skipped",
        },
        **snapshot(compose_text, env_text),
    }
    out = args.out or ROOT / "components" / "parity" / f"compose-{args.tag}.json"
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    counts = ", ".join(f"{name} {len(env)}" for name, env in data.items() if name != "_header")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
