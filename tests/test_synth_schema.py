"""Tests for synth.schema: the official Kubernetes OpenAPI schemas in strict mode."""

from __future__ import annotations

import time

import pytest

from synth.schema import SUPPORTED_VERSIONS, is_supported_version, validate_schemas
from synth.xref import check_references
from tests.validator_baseline import BASELINE, NS, Obj, api_container, api_pod, assert_one_error, find, meta

# --- baseline ---------------------------------------------------------------


def test_baseline_is_clean(objs: list[Obj]) -> None:
    assert validate_schemas(objs) == []
    assert check_references(objs) == []


def test_validators_do_not_mutate_input(objs: list[Obj]) -> None:
    validate_schemas(objs)
    check_references(objs)
    assert objs == BASELINE
    assert isinstance(api_container(objs)["ports"][0]["containerPort"], float)


# --- schema -------------------------------------------------------------------


def test_schema_unknown_field_is_error(objs: list[Obj]) -> None:
    find(objs, "Deployment", "api")["spec"]["replica"] = 3
    assert_one_error(
        validate_schemas(objs),
        ("Deployment/dify/api: spec: Additional properties are not allowed ('replica' was unexpected)"),
    )


def test_schema_typo_in_pod_spec_is_error(objs: list[Obj]) -> None:
    pod = api_pod(objs)
    pod["contianers"] = pod.pop("containers")
    errors = validate_schemas(objs)
    assert "Deployment/dify/api: spec.template.spec: 'containers' is a required property" in errors
    assert any("('contianers' was unexpected)" in e for e in errors), errors


def test_schema_non_integral_float_is_error(objs: list[Obj]) -> None:
    api_container(objs)["ports"][0]["containerPort"] = 5001.5
    assert_one_error(
        validate_schemas(objs),
        (
            "Deployment/dify/api: spec.template.spec.containers[0].ports[0]"
            ".containerPort: 5001.5 is not of type 'integer'"
        ),
    )


def test_schema_wrong_type_is_error(objs: list[Obj]) -> None:
    find(objs, "Service", "api")["spec"]["ports"][0]["port"] = "http"
    assert_one_error(
        validate_schemas(objs),
        "Service/dify/api: spec.ports[0].port: 'http' is not of type 'integer'",
    )


def test_schema_cluster_scoped_name_has_no_namespace(objs: list[Obj]) -> None:
    find(objs, "Namespace", NS)["spec"] = {"finalizer": []}
    assert_one_error(validate_schemas(objs), "Namespace/dify: spec: Additional properties")


def test_schema_unknown_kind_is_error_unless_allowed() -> None:
    cert = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": meta("tls"),
        "spec": {},
    }
    assert validate_schemas([cert]) == [
        ("Certificate/dify/tls: (root): no schema for cert-manager.io/v1/Certificate in Kubernetes 1.33")
    ]
    assert validate_schemas([cert], allow_unknown_kinds={"cert-manager.io/v1/Certificate"}) == []
    assert validate_schemas([cert], allow_unknown_kinds={"cert-manager.io/*"}) == []
    assert validate_schemas([cert], allow_unknown_kinds={"example.com/*"}) != []


def test_schema_foreign_group_does_not_borrow_core_schema() -> None:
    # The bundled file for networking.k8s.io/v1 Ingress would otherwise match.
    crd = {
        "apiVersion": "networking.example.com/v1",
        "kind": "Ingress",
        "metadata": meta("x"),
    }
    assert_one_error(validate_schemas([crd]), "no schema for networking.example.com/v1/Ingress")


def test_schema_missing_kind_is_error() -> None:
    assert_one_error(
        validate_schemas([{"apiVersion": "v1", "metadata": meta("x")}]),
        "apiVersion and kind must be strings",
    )


@pytest.mark.parametrize("version", ["1.33", "v1.33", "1.33.4", SUPPORTED_VERSIONS[-1]])
def test_schema_supported_version_spellings(objs: list[Obj], version: str) -> None:
    assert is_supported_version(version)
    assert validate_schemas(objs, version) == []


@pytest.mark.parametrize("version", ["1.10", "2.0", "latest", ""])
def test_schema_unsupported_version_raises(version: str) -> None:
    assert not is_supported_version(version)
    with pytest.raises(ValueError, match="not supported"):
        validate_schemas([], version)


def test_schema_validation_is_fast(objs: list[Obj]) -> None:
    many = (objs * 5)[:80]
    validate_schemas(many)  # warm the schema caches
    start = time.perf_counter()
    validate_schemas(many)
    assert time.perf_counter() - start < 1.0
