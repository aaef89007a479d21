"""The config schema's generated views: Pulumi.yaml's ``config:`` block and docs/config-reference.md.

The models in ``components.config.models`` are the one source of truth; this module only reads
them, and ``tests/test_config_reference.py`` fails when either generated file is stale. After a
model change run ``python -m components.config.reference --write``.

Pulumi makes every project key declared without a ``default`` required (``pulumi up`` stops with
"Stack '<name>' is missing configuration value …"), and a ``secret: true`` key must then be set,
encrypted, on every stack. So Pulumi.yaml declares the keys that have a default plus the required
``environment`` and ``host``; optional keys whose unset value means "off" (``imageRegistry``,
``mail``) and the user secrets (``USER_SECRETS``) appear in the Markdown reference only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
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
from components.versions import DIFY_RELEASE

ROOT = Path(__file__).resolve().parents[2]
PULUMI_YAML = ROOT / "Pulumi.yaml"
DOCS = ROOT / "docs" / "config-reference.md"
COMMAND = "python -m components.config.reference --write"

# A dict keyed by a Literal is documented as one ``<placeholder>`` row per key path.
_PLACEHOLDERS = {"resources": "service"}

# Descriptions of the keys whose Field has none (a Field description, when present, wins; a note
# for a key that has one, or for a key that no longer exists, is an error).
_NOTES: dict[str, str] = {
    "replicas.api": "Pods of api (console and service API).",
    "replicas.apiWebsocket": "Pods of api_websocket; runs only when features.collaboration is true.",
    "replicas.worker": "Pods of the Celery worker (background tasks).",
    "replicas.workerBeat": "Pods of the Celery beat scheduler; always one.",
    "replicas.web": "Pods of web (the Next.js front end).",
    "replicas.sandbox": "Pods of dify-sandbox, the code-node executor.",
    "replicas.pluginDaemon": "Pods of the plugin daemon.",
    "replicas.agentBackend": "Pods of the Agent v2 run server; runs only when features.agentV2 is true.",
    "replicas.localSandbox": "Pods of the Agent v2 shell workspace; runs only when features.agentV2 is true.",
    "replicas.ssrfProxy": "Pods of the squid SSRF proxy that api, worker and sandbox egress goes through.",
    "replicas.agentSsrfProxy": "Pods of local_sandbox's squid egress proxy; runs only when features.agentV2 is true.",
    "replicas.router": "Pods of the in-namespace nginx router (Service dify-router).",
    "resources.<service>": "Requests/limits override for one service.",
    "resources.<service>.requests": "Resource requests; an unset amount keeps the built-in default (components/catalog.py).",
    "resources.<service>.requests.cpu": "CPU request; must not exceed limits.cpu when both are set here.",
    "resources.<service>.requests.memory": "Memory request; must not exceed limits.memory when both are set here.",
    "resources.<service>.limits": "Resource limits; an unset amount keeps the built-in default (components/catalog.py).",
    "resources.<service>.limits.cpu": "CPU limit.",
    "resources.<service>.limits.memory": "Memory limit.",
    "ingress.enabled": "Create an Ingress that routes straight to the services (needs an ingress controller); "
    "host must then have no :port.",
    "ingress.className": "IngressClass of the Ingress; unset uses the cluster's default IngressClass.",
    "ingress.tlsSecretName": "Secret holding the TLS certificate for host; requires scheme https.",
    "ingress.annotations": "Extra Ingress annotations; they override the built-in ingress-nginx ones "
    "(100m bodies, one-hour timeouts, no buffering).",
    "router.serviceType": "Type of the dify-router Service (port 80).",
    "persistence.appStorage": "Volume shared by api, api_websocket and worker (uploads and the keys that "
    "encrypt provider credentials): back it up.",
    "persistence.appStorage.accessMode": "ReadWriteOnce pins api, api_websocket and worker to one node; "
    "ReadWriteMany (EFS, NFS) lets them spread.",
    "persistence.pluginStorage": "Volume of the plugin daemon (installed plugins).",
    "persistence.pluginStorage.accessMode": "With ReadWriteOnce the plugin daemon is updated with Recreate "
    "(stop, then start).",
    "persistence.postgres": "Volume of the in-cluster PostgreSQL.",
    "persistence.postgres.accessMode": "Accepted but unused: the PostgreSQL volume is always ReadWriteOnce.",
    "persistence.redis": "Volume of the in-cluster Redis.",
    "persistence.redis.accessMode": "Accepted but unused: the Redis volume is always ReadWriteOnce.",
    "persistence.weaviate": "Volume of the in-cluster Weaviate.",
    "persistence.weaviate.accessMode": "Accepted but unused: the Weaviate volume is always ReadWriteOnce.",
    "mail.type": "Mail provider (MAIL_TYPE): smtp needs mail.smtp, resend and sendgrid their API key secret.",
    "mail.defaultSendFrom": "Sender of outgoing mail (MAIL_DEFAULT_SEND_FROM).",
    "mail.smtp": "SMTP server settings; required when mail.type is smtp.",
    "mail.smtp.server": "SMTP server host name.",
    "mail.smtp.port": "SMTP server port.",
    "mail.smtp.username": "SMTP user; empty sends without logging in. When set, the smtpPassword secret is required.",
    "mail.smtp.useTls": "Use TLS. Without opportunisticTls this is implicit TLS (SMTPS, usually port 465).",
    "mail.smtp.opportunisticTls": "With useTls, connect in plain text and upgrade with STARTTLS (usually port 587).",
    "app.logLevel": "LOG_LEVEL of the api-image services.",
    "app.logOutputFormat": "LOG_OUTPUT_FORMAT of the api-image services; json suits Kubernetes log pipelines.",
    "app.serverWorkerAmount": "Gunicorn worker processes per api pod (SERVER_WORKER_AMOUNT).",
    "app.celeryWorkerAmount": "Celery concurrency per worker pod (CELERY_WORKER_AMOUNT).",
    "app.marketplaceEnabled": "Offer plugins from the Dify Marketplace (MARKETPLACE_ENABLED).",
    "app.sqlalchemyPoolSize": "Database connection pool size per process (SQLALCHEMY_POOL_SIZE).",
}
_VOLUME_SIZE = (
    "Volume size. The default applies only while {parent} is unset: set the size whenever you set {parent}."
)
_NOTES |= {
    f"persistence.{v}.size": _VOLUME_SIZE.format(parent=f"persistence.{v}")
    for v in ("appStorage", "pluginStorage", "postgres", "redis", "weaviate")
}

_REQUIRED: Any = object()  # marks a key without a default


@dataclass(frozen=True)
class Row:
    """One line of the Markdown table; ``key`` is the path without the ``dify:`` namespace."""

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
    if typing.get_origin(base) is Literal:
        kinds = {type(v) for v in typing.get_args(base)}
        if len(kinds) != 1:
            raise TypeError(f"mixed Literal in the config models: {base}")
        base = kinds.pop()
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
        return ["Each item: " + " ".join(_constraints(item, item_metadata))] if item_metadata else []
    low = next((m.ge for m in metadata if isinstance(m, Ge)), None)
    high = next((m.le for m in metadata if isinstance(m, Le)), None)
    hints = [f"From {low} to {high}."] if low is not None and high is not None else []
    return hints + _validator_hints(base, metadata)


def _json(annotation: Any, value: Any) -> Any:
    return TypeAdapter(annotation).dump_python(value, mode="json", by_alias=True)


def _baseline() -> dict[str, Any]:
    """Every default as JSON, None included (required fields filled with placeholders, then dropped)."""
    required = {name: "x" for name, info in StackConfig.model_fields.items() if info.is_required()}
    dumped = StackConfig.model_validate(required).model_dump(by_alias=True, mode="json")
    return {k: v for k, v in dumped.items() if k not in {_alias(n) for n in required}}


def _alias(name: str) -> str:
    return StackConfig.model_fields[name].alias or name


def pulumi_config_block() -> dict[str, dict[str, Any]]:
    """Pulumi.yaml's ``config:`` block: project keys (no namespace) with type, description, default."""
    defaults = _baseline()
    block: dict[str, dict[str, Any]] = {}
    for name, info in StackConfig.model_fields.items():
        alias = _alias(name)
        if not info.is_required() and defaults[alias] is None:
            continue  # declaring it without a default would make it required
        entry = {**_pulumi_type(_unwrap(info.annotation)[0]), "description": info.description or ""}
        if not info.is_required():
            entry["default"] = defaults[alias]
        block[alias] = entry
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
    if isinstance(value, str) and value:
        return f"`{value}`"
    return f"`{json.dumps(value)}`"


def _walk(model: type[BaseModel], prefix: str, defaults: Any, required_in: str | None) -> Iterator[Row]:
    for name, info in model.model_fields.items():
        alias = info.alias or name
        path = prefix + alias
        base, metadata = _unwrap(info.annotation)
        metadata = [*info.metadata, *metadata]
        if isinstance(defaults, dict) and alias in defaults:
            value = defaults[alias]
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
    table = list(_walk(StackConfig, "", _baseline(), None))
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


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_reference() -> str:
    """docs/config-reference.md: a title, how to set keys, and one table row per key path."""
    lines = [
        "# Dify stack configuration reference",
        "",
        f"<!-- Generated from components/config/models.py by `{COMMAND}`; do not edit. -->",
        "",
        _INTRO,
        "",
        "| Key | Type | Default | Description |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows():
        cells = (f"`{NAMESPACE}:{row.key}`", row.type, row.default, row.description)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


_HEADER = """\
# The `description:` line and the `config:` block are generated from components/config/models.py
# by `{command}` (tests/test_config_reference.py fails when they are stale).
# Optional keys without a default (imageRegistry, mail) and the `--secret` keys are not declared
# here, because Pulumi requires every declared key that has no default; docs/config-reference.md
# lists every key.
name: dify
description: {description}
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: .venv
"""
_DESCRIPTION = re.compile(r"^description:.*$", re.MULTILINE)
_CONFIG_BLOCK = re.compile(r"^config:\n(?:(?:[ #].*)?\n)*", re.MULTILINE)


def _project_description() -> str:
    return f"Dify {DIFY_RELEASE.dify} on Kubernetes: the whole stack in one namespace, configured by dify:* keys"


def render_pulumi_yaml(existing: str | None) -> str:
    """Pulumi.yaml with a regenerated description and ``config:`` block; the rest is kept."""
    text = existing or _HEADER.format(command=COMMAND, description="")
    text = _DESCRIPTION.sub(lambda _: f"description: {_project_description()}", text, count=1)
    block = yaml.safe_dump(
        {"config": pulumi_config_block()}, sort_keys=False, allow_unicode=True, width=100
    )
    if _CONFIG_BLOCK.search(text):
        return _CONFIG_BLOCK.sub(lambda _: block, text, count=1)
    return text.rstrip("\n") + "\n" + block


def write() -> list[Path]:
    """Regenerate Pulumi.yaml's config block and docs/config-reference.md; return the changed files."""
    changed = []
    existing = PULUMI_YAML.read_text() if PULUMI_YAML.exists() else None
    for path, text in ((PULUMI_YAML, render_pulumi_yaml(existing)), (DOCS, markdown_reference())):
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components.config.reference", description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--pulumi-yaml", action="store_true", help="print the Pulumi.yaml config: block")
    mode.add_argument("--markdown", action="store_true", help="print docs/config-reference.md")
    mode.add_argument("--write", action="store_true", help="regenerate Pulumi.yaml and docs/config-reference.md")
    args = parser.parse_args(argv)
    if args.pulumi_yaml:
        sys.stdout.write(yaml.safe_dump({"config": pulumi_config_block()}, sort_keys=False, allow_unicode=True))
    elif args.markdown:
        sys.stdout.write(markdown_reference())
    else:
        for path in write():
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
