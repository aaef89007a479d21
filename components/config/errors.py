"""Turns validation failures into one line each: ``dify:<key path>: <value> … (expected …)``.

The Pulumi CLI prints a ``pulumi.RunError`` as its message alone, without a traceback, so a
``ConfigError`` is what a user with a typo in ``Pulumi.<stack>.yaml`` sees.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

NAMESPACE = "dify"


class ConfigError(pulumi.RunError):
    """Raised before any resource is created; ``problems`` holds one line per bad key."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        header = f"invalid stack config ({len(self.problems)} problem{'s' * (len(self.problems) != 1)}):"
        super().__init__("\n".join([header, *self.problems]))


def key_path(loc: Iterable[str | int]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]"
        else:
            parts.append(part)
    return f"{NAMESPACE}:" + ".".join(parts)


def render_value(value: Any) -> str:
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        except TypeError:
            text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def problem(loc: Iterable[str | int], value: Any, expected: str) -> str:
    return f"{key_path(loc)}: {render_value(value)} is not allowed (expected {expected})"


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(options[0]) if len(options) == 1 else annotation
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation


def _field_by_alias(model: type[BaseModel], alias: str) -> Any:
    for name, field in model.model_fields.items():
        if alias in (field.alias, name):
            return _unwrap(field.annotation)
    return None


def model_at(root: type[BaseModel], loc: Sequence[str | int]) -> Any:
    """The model class or annotation that ``loc`` points into, following dict values."""
    current: Any = root
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            current = _field_by_alias(current, part)
        elif typing.get_origin(current) in (dict, list):
            current = _unwrap(typing.get_args(current)[-1])
        else:
            return None
    return current


def allowed_keys(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    model = model_at(root, loc)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [field.alias or name for name, field in model.model_fields.items()]
    return []


_EXPECTED = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "a list",
}


def _expected(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).removeprefix("expected ")
    if kind == "greater_than_equal":
        return f"an integer ≥ {ctx['ge']}"
    if kind == "less_than_equal":
        return f"an integer ≤ {ctx['le']}"
    if kind == "literal_error":
        return str(ctx["expected"]).replace("'", '"')
    return _EXPECTED.get(kind, error["msg"])


# What a missing key should hold, where the field's own description does not say it well.
_MISSING = {
    "environment": "a short lower-case name such as dev, staging or prod",
    "host": "the public host name users open Dify on, e.g. dify.example.com",
    "versions.dify": "dify, sandbox and pluginDaemon together: versions are overridden only as a unit",
    "versions.sandbox": "dify, sandbox and pluginDaemon together: versions are overridden only as a unit",
    "versions.pluginDaemon": "dify, sandbox and pluginDaemon together: versions are overridden only as a unit",
    "mail.type": 'one of "smtp", "resend" or "sendgrid"',
    "mail.defaultSendFrom": "an e-mail address such as Dify <no-reply@example.com>",
    "mail.smtp.server": "the SMTP server host name",
}


def _missing(loc: Sequence[str | int]) -> str:
    path = ".".join(str(p) for p in loc if isinstance(p, str))
    if path in _MISSING:
        return _MISSING[path]
    if path.endswith(".size"):
        return "a Kubernetes storage size such as 20Gi"
    return "it to be set"


def format_validation_error(
    root: type[BaseModel], exc: ValidationError, extra_top_level: Sequence[str] = ()
) -> list[str]:
    lines: list[str] = []
    unknown: list[tuple[str | int, ...]] = []
    for error in exc.errors():
        loc = list(error["loc"])
        if any(tuple(loc[: len(prefix)]) == prefix for prefix in unknown):
            continue  # a bad value under an unknown key: the unknown key is the one problem
        if loc and loc[-1] == "[key]":
            loc.pop()
            unknown.append(tuple(loc))
            options = ", ".join(typing.get_args(_unwrap(typing.get_args(model_at(root, loc[:-1]))[0])))
            lines.append(f"{key_path(loc)}: unknown key (expected one of: {options})")
        elif error["type"] == "extra_forbidden":
            keys = allowed_keys(root, loc[:-1]) + (list(extra_top_level) if len(loc) == 1 else [])
            lines.append(f"{key_path(loc)}: unknown key (expected one of: {', '.join(keys)})")
        elif error["type"] == "missing":
            lines.append(f"{key_path(loc)}: is missing (expected {_missing(loc)})")
        else:
            lines.append(problem(loc, error.get("input"), _expected(error)))
    return lines
