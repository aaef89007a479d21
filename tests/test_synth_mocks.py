"""The recording mock behaves like the providers where the program depends on it."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pulumi
import pytest
from pulumi.runtime import rpc

from synth import harness
from synth.__main__ import main
from synth.mocks import RecordingMocks


def new(mocks: RecordingMocks, typ: str, name: str, inputs: dict) -> tuple[str | None, dict]:
    return mocks.new_resource(pulumi.runtime.MockResourceArgs(typ, name, inputs, "", "", True))


def test_kubernetes_auto_names_unnamed_objects_and_keeps_explicit_names() -> None:
    mocks = RecordingMocks()
    identity, state = new(mocks, "kubernetes:core/v1:ConfigMap", "router-config", {"kind": "ConfigMap"})
    name = state["metadata"]["name"]
    prefix, suffix = name.rsplit("-", 1)
    assert prefix == "router-config" and len(suffix) == 8
    # As the real provider does (seen in the e2e tier: postgres-init-24839edf): 8 hex characters
    # and the pulumi.com/autonamed annotation.
    assert set(suffix) <= set(string.hexdigits.lower()) and len(set(suffix)) > 1
    assert state["metadata"]["annotations"] == {"pulumi.com/autonamed": "true"}
    assert identity == f"default/{name}"
    again = new(RecordingMocks(), "kubernetes:core/v1:ConfigMap", "router-config", {"kind": "ConfigMap"})[1]
    assert again["metadata"]["name"] == name, "seeded: two synths of one program agree"
    explicit = new(mocks, "kubernetes:core/v1:Service", "api", {"kind": "Service", "metadata": {"name": "dify-api"}})
    assert explicit[1]["metadata"] == {"name": "dify-api", "namespace": "default"}


def test_cluster_scoped_objects_get_no_namespace() -> None:
    identity, state = new(
        RecordingMocks(), "kubernetes:core/v1:Namespace", "ns", {"kind": "Namespace", "metadata": {"name": "dify"}}
    )
    assert identity == "dify" and "namespace" not in state["metadata"]


def test_random_password_honours_length_and_alphabet_and_is_secret() -> None:
    inputs = {"length": 32, "special": False, "minUpper": 1, "minLower": 1, "minNumeric": 1}
    identity, state = new(RecordingMocks(), "random:index/randomPassword:RandomPassword", "db", inputs)
    assert identity == "none"  # the real provider's id for every password
    assert rpc.is_rpc_secret(state["result"])
    value = rpc.unwrap_rpc_secret(state["result"])
    assert len(value) == 32 and value.isalnum()
    assert any(c.isupper() for c in value) and any(c.isdigit() for c in value)


def test_random_id_b64url_is_a_secret_of_the_agent_key_shape() -> None:
    identity, state = new(RecordingMocks(), "random:index/randomId:RandomId", "jwe", {"byteLength": 32})
    value = rpc.unwrap_rpc_secret(state["b64Url"])
    assert identity == value  # the real provider's id is the b64Url value
    assert rpc.is_rpc_secret(state["b64Url"]) and len(value) == 43 and "=" not in value
    assert len(state["hex"]) == 64


def test_aws_outputs_are_shaped_as_aws_shapes_them() -> None:
    mocks = RecordingMocks()
    new(mocks, "pulumi:providers:aws", "aws", {"region": "eu-west-1"})
    identity, bucket = new(mocks, "aws:s3/bucket:Bucket", "uploads", {"bucketPrefix": "dify-prod-"})
    assert re.fullmatch(r"dify-prod-[0-9]{26}", identity) and bucket["bucket"] == identity
    assert bucket["arn"] == f"arn:aws:s3:::{identity}"
    _, db = new(mocks, "aws:rds/instance:Instance", "db", {"identifier": "dify-prod", "port": 5432})
    assert re.fullmatch(r"dify-prod\.[0-9a-f]{12}\.eu-west-1\.rds\.amazonaws\.com", db["address"])
    assert db["arn"] == "arn:aws:rds:eu-west-1:123456789012:db:dify-prod"
    assert db["endpoint"] == db["address"] + ":5432" and re.fullmatch(r"db-[A-Z0-9]{26}", db["resourceId"])
    group_id, cache = new(
        mocks, "aws:elasticache/replicationGroup:ReplicationGroup", "c", {"replicationGroupId": "dify-prod"}
    )
    assert group_id == "dify-prod"
    assert re.fullmatch(r"master\.dify-prod\.[0-9a-f]{6}\.euw1\.cache\.amazonaws\.com", cache["primaryEndpointAddress"])
    assert cache["arn"] == "arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:dify-prod"
    _, role = new(mocks, "aws:iam/role:Role", "irsa", {})
    assert re.fullmatch(r"arn:aws:iam::123456789012:role/irsa-[0-9a-f]{7}", role["arn"])
    group, sg = new(mocks, "aws:ec2/securityGroup:SecurityGroup", "sg", {})
    assert re.fullmatch(r"sg-[0-9a-f]{17}", group) and sg["arn"].endswith(f":security-group/{group}")
    key_id, key = new(mocks, "aws:kms/key:Key", "key", {})
    assert key["arn"] == f"arn:aws:kms:eu-west-1:123456789012:key/{key_id}"
    with pytest.raises(NotImplementedError, match="no shape for aws:sqs/queue:Queue"):
        new(mocks, "aws:sqs/queue:Queue", "q", {})


def test_synth_exits_2_with_one_line_per_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.broken.yaml").write_text(
        "config:\n  dify:environment: dev\n  dify:host: localhost\n  dify:replicas:\n    api: -1\n    apii: 2\n"
    )
    monkeypatch.setattr(harness, "ROOT", tmp_path)
    monkeypatch.setattr("synth.__main__.stack_config", lambda stack: harness.stack_config(stack, tmp_path))
    assert main(["broken", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "invalid stack config (2 problems):",
        "dify:replicas.api: -1 is not allowed (expected an integer ≥ 1)",
        "dify:replicas.apii: unknown key (expected one of: api, apiWebsocket, worker, workerBeat, web, sandbox, "
        "pluginDaemon, agentBackend, localSandbox, ssrfProxy, agentSsrfProxy, router)",
    ]


def test_unknown_stack_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staging"]) == 2
    assert "no stack file Pulumi.staging.yaml (known: dev, prod)" in capsys.readouterr().err


def test_stack_transforms_run_on_every_registration_as_in_the_engine() -> None:
    # The SDK's mock monitor records stack transforms without running them; the engine runs them
    # on every resource. kubernetes.skipAwait relies on one: every object must carry it.
    from tests.conftest import objects, synth_with

    objs = objects(synth_with("dev", kubernetes={"skipAwait": True}), show_secrets=False)
    marked = [
        o
        for o in objs
        if (o["metadata"].get("annotations") or {}).get("pulumi.com/skipAwait") == "true"
        and o["metadata"]["annotations"].get("pulumi.com/deletionPropagationPolicy") == "background"
    ]
    assert len(marked) == len(objs) == 58
    # Off by default: only the two claims that must not wait for binding carry it.
    default = objects(synth_with("dev"), show_secrets=False)
    assert sorted(
        o["metadata"]["name"]
        for o in default
        if (o["metadata"].get("annotations") or {}).get("pulumi.com/skipAwait") == "true"
    ) == ["dify-app-storage", "dify-plugin-daemon-storage"]


def test_pulumi_yaml_defaults_reach_the_program_as_the_cli_passes_them(tmp_path: Path) -> None:
    # The CLI sends every declared default for a key the stack file leaves unset; synth must too,
    # or a default that fails validation passes synth and breaks `pulumi up`.
    from synth.harness import project_defaults, stack_config

    config, _ = stack_config("dev")
    assert config["dify:kubernetes"] == '{"version": "1.33", "skipAwait": false}'
    assert config["dify:scheme"] == "http"  # the stack file wins over the default https
    assert project_defaults()["dify:scheme"] == "https"
    (tmp_path / "Pulumi.yaml").write_text(
        "name: dify\nconfig:\n  namespace:\n    type: string\n    default: Bad_Name\n"
    )
    (tmp_path / "Pulumi.x.yaml").write_text("config:\n  dify:environment: x\n  dify:host: example.com\n")
    flat, _ = stack_config("x", tmp_path)
    assert flat["dify:namespace"] == "Bad_Name"
