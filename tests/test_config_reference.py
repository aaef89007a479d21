"""The generated config views (Pulumi.yaml's ``config:`` block, docs/config-reference.md) match the models.

When a test here fails after a model change, run ``python -m components.config.reference --write``.
The Pulumi rules checked below are those of the CLI's project loader (sdk/go/common/workspace/
project.go and pkg/workspace/config.go): a declared key without a default is required on every
stack, ``default`` must match ``type``, and an array needs ``items``.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from components.config import USER_SECRETS, StackConfig, parse_config, reference
from components.config.types import Cidr

ROOT = Path(__file__).resolve().parents[1]
PULUMI_TYPES = {"string", "integer", "boolean", "array", "object"}
# What a project config declaration may hold (project.json's configTypeDeclaration).
ATTRIBUTES = {"type", "items", "description", "secret", "default", "value"}
BASE = {"dify:environment": "dev", "dify:host": "dify.example.com"}


def _declared() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(reference.PULUMI_YAML.read_text())["config"]


def _inner(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def _is_model(annotation: Any) -> typing.TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _leaf_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    paths = []
    for name, info in model.model_fields.items():
        path = prefix + (info.alias or name)
        annotation = _inner(info.annotation)
        value = _inner(typing.get_args(annotation)[1]) if typing.get_origin(annotation) is dict else None
        if _is_model(annotation):
            paths += _leaf_paths(annotation, path + ".")
        elif _is_model(value):
            paths += _leaf_paths(value, f"{path}.<{reference._PLACEHOLDERS[path]}>.")
        else:
            paths.append(path)
    return paths


def _matches(type_name: str, items: dict[str, Any] | None, value: Any) -> bool:
    """Pulumi's ValidateConfigValue for a YAML-decoded value."""
    if type_name == "array":
        return (
            isinstance(value, list)
            and items is not None
            and all(_matches(items["type"], items.get("items"), v) for v in value)
        )
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "boolean": bool, "object": dict}[type_name])


def _as_cli(value: Any) -> str:
    """A Pulumi.yaml default as the program receives it: scalars as text, objects and arrays as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def test_pulumi_yaml_config_block_is_current() -> None:
    assert _declared() == reference.pulumi_config_block()
    text = reference.PULUMI_YAML.read_text()
    assert reference.render_pulumi_yaml(text) == text, "Pulumi.yaml is stale: run " + reference.COMMAND


def test_pulumi_yaml_is_a_python_project_named_dify() -> None:
    project = yaml.safe_load(reference.PULUMI_YAML.read_text())
    assert project["name"] == "dify"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    assert project["description"].startswith(f"Dify {reference.DIFY_RELEASE.dify} on Kubernetes")


def test_markdown_reference_is_current() -> None:
    assert reference.DOCS.read_text() == reference.markdown_reference(), "run " + reference.COMMAND


def test_every_leaf_key_path_and_secret_is_in_the_markdown() -> None:
    markdown = reference.markdown_reference()
    paths = _leaf_paths(StackConfig) + [secret.key for secret in USER_SECRETS]
    assert "replicas.api" in paths and "resources.<service>.requests.cpu" in paths
    missing = [path for path in paths if f"| `dify:{path}` |" not in markdown]
    assert missing == []


def test_every_row_has_a_type_a_default_and_a_description() -> None:
    rows = reference.rows()
    assert len({row.key for row in rows}) == len(rows)
    for row in rows:
        assert row.type and row.default and row.description.strip(), row


def test_service_placeholder_lists_every_allowed_service() -> None:
    (row,) = [row for row in reference.rows() if row.key == "resources.<service>"]
    annotation = _inner(StackConfig.model_fields["resources"].annotation)
    for service in typing.get_args(typing.get_args(annotation)[0]):
        assert f"`{service}`" in row.description


def test_secrets_are_marked_secret_in_the_markdown() -> None:
    rows = {row.key: row for row in reference.rows()}
    for secret in USER_SECRETS:
        assert rows[secret.key].type == "string (secret)"
        assert rows[secret.key].default == "unset"
        assert secret.description in rows[secret.key].description


def test_pulumi_defaults_reproduce_the_model_defaults() -> None:
    defaults = {f"dify:{key}": _as_cli(e["default"]) for key, e in _declared().items() if "default" in e}
    assert defaults, "Pulumi.yaml declares no defaults"
    with_defaults = parse_config({**defaults, **BASE}, set())
    baseline = parse_config(BASE, set())
    assert with_defaults.model_dump() == baseline.model_dump()
    assert with_defaults == baseline


def test_declarations_follow_pulumis_project_schema() -> None:
    for key, entry in _declared().items():
        assert set(entry) <= ATTRIBUTES, key
        assert ":" not in key, f"{key}: project keys are declared without the namespace"
        assert entry["type"] in PULUMI_TYPES, key
        assert entry.get("description"), key
        if entry["type"] == "array":
            assert "items" in entry, f"{key}: Pulumi rejects an array without items"
        if "default" in entry:
            assert _matches(entry["type"], entry.get("items"), entry["default"]), key


def test_only_the_required_keys_lack_a_default() -> None:
    # Pulumi fails `up` on a stack that leaves a declared key without a default unset.
    required = {info.alias or name for name, info in StackConfig.model_fields.items() if info.is_required()}
    assert required == {"environment", "host"}
    assert {key for key, entry in _declared().items() if "default" not in entry} == required


def test_secrets_and_optional_keys_without_default_are_left_out() -> None:
    declared = _declared()
    secrets = {secret.key for secret in USER_SECRETS}
    assert not secrets & set(declared), "a declared secret would be required on every stack"
    for entry in declared.values():
        if entry.get("secret"):
            assert "default" not in entry  # a default is plain text: Pulumi rejects it for a secret
    assert set(reference.undeclared_keys()) == {"imageRegistry", "mail"} | secrets
    for key in reference.undeclared_keys():
        assert key in reference.PULUMI_YAML.read_text()  # named in the block's comment


def test_arrays_get_items() -> None:
    assert reference._pulumi_type(list[Cidr]) == {"type": "array", "items": {"type": "string"}}
    assert reference._pulumi_type(list[list[int]]) == {
        "type": "array",
        "items": {"type": "array", "items": {"type": "integer"}},
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_pass_pulumis_project_config_checks(stack: str) -> None:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    for key, entry in _declared().items():
        value = config.get(f"dify:{key}")
        if "default" not in entry:
            assert value is not None, f"Pulumi.{stack}.yaml must set dify:{key}"
        if value is not None and entry["type"] == "object":
            assert isinstance(value, dict), key
        elif value is not None and entry["type"] == "string":
            assert not isinstance(value, dict | list), key


def test_stale_notes_are_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(reference._NOTES, "replicas.gone", "A key the models no longer have.")
    with pytest.raises(ValueError, match=r"replicas\.gone"):
        reference.rows()


def test_cli_prints_the_config_block(capsys: pytest.CaptureFixture[str]) -> None:
    assert reference.main(["--pulumi-yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["config"] == reference.pulumi_config_block()


def test_readme_embeds_the_current_reference_table() -> None:
    from components.config.reference import README, markdown_table, render_readme

    text = README.read_text()
    assert markdown_table() in text
    assert render_readme(text) == text
