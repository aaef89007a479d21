"""Generates the config schema's views from the models: Pulumi.yaml's ``config:`` block and
docs/config-reference.md (``python -m components.config.reference --write``; a test fails when stale).

Pulumi makes every project key declared without a ``default`` required ("Stack '<name>' is missing
configuration value …"), and a ``secret: true`` key must then be set encrypted on every stack. So
Pulumi.yaml declares the keys that have a default plus the required ``environment`` and ``host``;
optional keys without a default (``imageRegistry``, ``mail``) and ``USER_SECRETS`` are documented
in the Markdown only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from annotated_types import Ge, Le
from pydantic import AfterValidator, BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from components.config.errors import NAMESPACE
from components.config.loader import USER_SECRETS
from components.config.models import StackConfig
from components.config.notes import NOTES as _NOTES
from components.versions import DIFY_RELEASE

ROOT = Path(__file__).resolve().parents[2]
PULUMI_YAML = ROOT / "Pulumi.yaml"
DOCS = ROOT / "docs" / "config-reference.md"
README = ROOT / "README.md"
_README_SECTION = re.compile(r"(<!-- config-reference:start -->\n).*?(<!-- config-reference:end -->)", re.DOTALL)
COMMAND = "python -m components.config.reference --write"

# A dict keyed by a Literal is documented as one ``<placeholder>`` row per key path.
_PLACEHOLDERS = {"resources": "service"}


_REQUIRED: Any = object()  # marks a key without a default


@dataclass(frozen=True)
class Row:  # one line of the Markdown table; key is the path without the namespace
    key: str
    type: str
    default: str
    description: str


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The type under ``X | None`` and ``Annotated[…]``, with the Annotated metadata."""
    metadata: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                raise TypeError(f"unsupported union in the config models: {annotation}")
            annotation = options[0]
        elif origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            metadata += extra
        else:
            return annotation, metadata


def _is_model(base: Any) -> bool:
    return isinstance(base, type) and issubclass(base, BaseModel)


def _scalar_type(base: Any) -> str:
    if typing.get_origin(base) is Literal:  # the models' Literals hold one type each
        base = type(typing.get_args(base)[0])
    names = {bool: "boolean", int: "integer", str: "string"}
    if base not in names:
        raise TypeError(f"no Pulumi config type for {base}")
    return names[base]


def _pulumi_type(base: Any) -> dict[str, Any]:
    if _is_model(base) or typing.get_origin(base) is dict:
        return {"type": "object"}
    if typing.get_origin(base) is list:
        item, _ = _unwrap(typing.get_args(base)[0])
        return {"type": "array", "items": _pulumi_type(item)}
    return {"type": _scalar_type(base)}


def _doc_type(base: Any) -> str:
    origin = typing.get_origin(base)
    if _is_model(base):
        return "object"
    if origin is dict:
        return "map of " + _doc_type(_unwrap(typing.get_args(base)[1])[0])
    if origin is list:
        return "array of " + _doc_type(_unwrap(typing.get_args(base)[0])[0])
    return _scalar_type(base)


def _validator_hints(base: Any, metadata: list[Any]) -> list[str]:
    """The "expected …" text of each AfterValidator (types.py's contract), read by a failing probe."""
    hints = []
    for item in metadata:
        if isinstance(item, AfterValidator):
            check = typing.cast(Callable[[Any], Any], item.func)
            try:
                check(0 if base is int else "!")
            except ValueError as exc:
                hints.append("Expected " + str(exc).removeprefix("expected ").rstrip(".") + ".")
    return hints


def _constraints(base: Any, metadata: list[Any]) -> list[str]:
    origin = typing.get_origin(base)
    if origin is Literal:
        return ["One of " + ", ".join(f"`{v}`" for v in typing.get_args(base)) + "."]
    if origin is list:
        item, item_metadata = _unwrap(typing.get_args(base)[0])
        each = " ".join(_constraints(item, item_metadata))
        return [f"Each item: {each[0].lower()}{each[1:]}"] if each else []
    low = next((m.ge for m in metadata if isinstance(m, Ge)), None)
    high = next((m.le for m in metadata if isinstance(m, Le)), None)
    hints = [f"From {low} to {high}."] if low is not None and high is not None else []
    return hints + _validator_hints(base, metadata)


def _json(annotation: Any, value: Any) -> Any:
    """A default as Pulumi and the Markdown show it: JSON, camelCase keys, unset (None) keys left out."""
    return TypeAdapter(annotation).dump_python(value, mode="json", by_alias=True, exclude_none=True)


def pulumi_config_block() -> dict[str, dict[str, Any]]:
    """Pulumi.yaml's ``config:`` block: project keys (no namespace) with type, description, default."""
    block: dict[str, dict[str, Any]] = {}
    for name, info in StackConfig.model_fields.items():
        entry = {**_pulumi_type(_unwrap(info.annotation)[0]), "description": info.description or ""}
        if not info.is_required():
            default = _json(info.annotation, info.get_default(call_default_factory=True))
            if default is None:
                continue  # declared without a default it would become required
            entry["default"] = default
        block[info.alias or name] = entry
    return block


def _description(path: str, info: FieldInfo | None) -> str:
    own = info.description if info else None
    if own and path in _NOTES:
        raise ValueError(f"{path} has a Field description; drop its entry from _NOTES")
    if not own and path not in _NOTES:
        raise ValueError(f"{path} has no description: add a Field description or a _NOTES entry")
    return own or _NOTES[path]


def _render_default(value: Any, base: Any, required_in: str | None) -> str:
    if value is _REQUIRED:
        return f"required when `{required_in}` is set" if required_in else "**required**"
    if value is None:
        return "unset"
    if _is_model(base):
        return "—"
    return f"`{value}`" if isinstance(value, str) and value else f"`{json.dumps(value)}`"


def _walk(model: type[BaseModel], prefix: str, defaults: Any, required_in: str | None) -> Iterator[Row]:
    for name, info in model.model_fields.items():
        alias = info.alias or name
        path = prefix + alias
        base, metadata = _unwrap(info.annotation)
        metadata = [*info.metadata, *metadata]
        if isinstance(defaults, dict):  # the parent's default, dumped without its None keys
            value = defaults.get(alias)
        elif info.is_required():
            value = _REQUIRED
        else:
            value = _json(info.annotation, info.get_default(call_default_factory=True))
        text = " ".join([_description(path, info), *_constraints(base, metadata)])
        yield Row(path, _doc_type(base), _render_default(value, base, required_in), text)
        inner = path if value is None else required_in
        if _is_model(base):
            yield from _walk(base, path + ".", value, inner)
        elif typing.get_origin(base) is dict:
            key_type, value_type = (_unwrap(t)[0] for t in typing.get_args(base))
            if _is_model(value_type):
                placeholder = _PLACEHOLDERS[path]
                entry = f"{path}.<{placeholder}>"
                names = ", ".join(f"`{k}`" for k in typing.get_args(key_type))
                text = f"{_description(entry, None)} `<{placeholder}>` is one of {names}."
                yield Row(entry, "object", "unset", text)
                yield from _walk(value_type, entry + ".", None, entry)


def rows() -> list[Row]:
    """Every key path of the stack config (nested ones included) and the user secrets."""
    table = list(_walk(StackConfig, "", None, None))
    stale = set(_NOTES) - {row.key for row in table}
    if stale:
        raise ValueError(f"_NOTES has entries for keys the models no longer have: {sorted(stale)}")
    for secret in USER_SECRETS:
        text = f"{secret.description} Set it with `pulumi config set --secret`; never stored in plain text."
        table.append(Row(secret.key, "string (secret)", "unset", text))
    return table


_INTRO = (
    "Every key lives in the `dify:` namespace of `Pulumi.<stack>.yaml`. Set a top-level key with "
    "`pulumi config set dify:host dify.example.com`, a nested one with "
    "`pulumi config set --path 'dify:replicas.api' 3`, and a credential with "
    "`pulumi config set --secret dify:smtpPassword …`. An unset key takes the default shown "
    "(Pulumi.yaml declares the top-level defaults); `dify:environment` and `dify:host` are required. "
    "Unknown keys and invalid values stop `pulumi preview`/`up` before any resource is created, "
    "with one line per problem."
)


def markdown_table() -> str:
    """One table row per key path; the README embeds it between its config-reference markers."""
    lines = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for row in rows():
        cells = (f"`{NAMESPACE}:{row.key}`", row.type, row.default, row.description)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def markdown_reference() -> str:
    """docs/config-reference.md: a title, how to set keys, and the table."""
    header = "# Dify stack configuration reference"
    generated = f"<!-- Generated from components/config/models.py by `{COMMAND}`; do not edit. -->"
    return f"{header}\n\n{generated}\n\n{_INTRO}\n\n{markdown_table()}"


def render_readme(existing: str) -> str:
    return _README_SECTION.sub(lambda m: m.group(1) + markdown_table() + m.group(2), existing, count=1)


_HEADER = """\
# Generated by `{command}` from components/config/models.py:
# the description line and the config block (tests/test_config_reference.py fails when stale).
# Its `type: object` declarations need the Pulumi CLI 3.187 or later.
name: dify
description:
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: .venv
"""
_DESCRIPTION = re.compile(r"^description:.*$", re.MULTILINE)
_CONFIG_BLOCK = re.compile(r"^config:\n(?:(?: .*)?\n)*", re.MULTILINE)


def undeclared_keys() -> list[str]:
    """Keys Pulumi.yaml leaves out: optional ones without a default, and the user secrets."""
    declared = pulumi_config_block()
    keys = [info.alias or name for name, info in StackConfig.model_fields.items()]
    return [key for key in keys if key not in declared] + [secret.key for secret in USER_SECRETS]


def config_yaml() -> str:
    """The ``config:`` block as written into Pulumi.yaml, with a comment naming the left-out keys."""
    body = yaml.safe_dump(pulumi_config_block(), sort_keys=False, allow_unicode=True, width=100)
    note = textwrap.wrap(
        "Not declared, because Pulumi requires every declared key that has no default: "
        + ", ".join(undeclared_keys())
        + ". docs/config-reference.md lists every key.",
        width=96,
    )
    return "config:\n" + "".join(f"  # {line}\n" for line in note) + textwrap.indent(body, "  ")


def _project_description() -> str:
    text = f"Dify {DIFY_RELEASE.dify} on Kubernetes, the whole stack in one namespace, set by dify:* keys"
    return yaml.safe_dump({"description": text}, width=1000, allow_unicode=True).strip()


def render_pulumi_yaml(existing: str | None) -> str:
    """Pulumi.yaml with a regenerated description and ``config:`` block; the rest is kept."""
    text = existing or _HEADER.format(command=COMMAND)
    text = _DESCRIPTION.sub(lambda _: _project_description(), text, count=1)
    if _CONFIG_BLOCK.search(text):
        return _CONFIG_BLOCK.sub(lambda _: config_yaml(), text, count=1)
    return text.rstrip("\n") + "\n" + config_yaml()


def write() -> list[Path]:
    """Regenerate Pulumi.yaml, docs/config-reference.md and the README table; return what changed."""
    changed = []
    existing = PULUMI_YAML.read_text() if PULUMI_YAML.exists() else None
    outputs = [(PULUMI_YAML, render_pulumi_yaml(existing)), (DOCS, markdown_reference())]
    if README.exists():
        outputs.append((README, render_readme(README.read_text())))
    for path, text in outputs:
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m components.config.reference", description="Generate the config schema's views."
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--pulumi-yaml", action="store_true", help="print the Pulumi.yaml config: block")
    mode.add_argument("--markdown", action="store_true", help="print docs/config-reference.md")
    mode.add_argument("--write", action="store_true", help="regenerate both files")
    args = parser.parse_args(argv)
    if not args.write:
        sys.stdout.write(config_yaml() if args.pulumi_yaml else markdown_reference())
    for path in write() if args.write else []:
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
