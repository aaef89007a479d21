"""Whole-stack checks: both stacks synth clean, the CLI behaves, secrets are handled right."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from synth import render
from synth.__main__ import main, validate
from synth.mocks import Recording, Registration
from tests.conftest import objects
from tests.lookup import find, kinds


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_passes_schema_and_reference_checks(stack: str, request: pytest.FixtureRequest) -> None:
    recording: Recording = request.getfixturevalue(stack)
    objs = objects(recording, show_secrets=False)
    # Prod: no in-cluster Postgres, Redis or claims (dify:aws), four HPAs, the IRSA ServiceAccount (66),
    # bundled monitoring (54) and logging (35) (tests/test_literals.py KINDS).
    assert len(objs) == {"dev": 58, "prod": 66 + 54 + 35}[stack]
    assert validate(objs, "1.33") == []
    assert render.leaks(recording) == []


# Only what runs dify-sandbox (root + capabilities: Pod Security baseline) leaves the namespace.
IN_SANDBOX_NAMESPACE = {
    ("Deployment", "dify-sandbox"),
    ("Service", "dify-sandbox"),
    ("NetworkPolicy", "dify-sandbox"),
    ("NetworkPolicy", "dify-default-deny"),
    ("Secret", "credentials-isolated-secret"),
}


def test_every_object_lives_in_the_stack_namespace_but_the_sandbox(dev: Recording) -> None:
    placed = {
        (o["kind"], o["metadata"]["name"].rsplit("-", 1)[0] if o["kind"] == "Secret" else o["metadata"]["name"]): o[
            "metadata"
        ]["namespace"]
        for o in objects(dev)
        if o["kind"] != "Namespace" and o["metadata"]["namespace"] == "dify-sandbox"
    }
    assert placed == dict.fromkeys(IN_SANDBOX_NAMESPACE, "dify-sandbox")
    assert {o["metadata"]["namespace"] for o in objects(dev) if o["kind"] != "Namespace"} == {"dify", "dify-sandbox"}


@pytest.mark.parametrize(("name", "level"), [("dify", "restricted"), ("dify-sandbox", "baseline")])
def test_namespaces_enforce_pod_security_at_a_pinned_version(dev: Recording, name: str, level: str) -> None:
    labels = find(objects(dev), "Namespace", name)["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k.startswith("pod-security")} == {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "v1.33",
        "pod-security.kubernetes.io/warn": level,
        "pod-security.kubernetes.io/warn-version": "v1.33",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "v1.33",
    }


def test_synth_cli_writes_manifests_and_resources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "--out", str(tmp_path), "--timings"]) == 0
    out = capsys.readouterr().out
    assert "+ dify:core:Platform  dify" in out
    assert "timings: evaluate" in out
    manifests = sorted(p.stem for p in (tmp_path / "manifests").glob("*.yaml"))
    assert {"api", "worker", "worker-beat", "web", "sandbox", "plugin-daemon", "router", "postgres"} <= set(manifests)
    api = list(yaml.safe_load_all((tmp_path / "manifests" / "api.yaml").read_text()))
    deployment = next(d for d in api if d["kind"] == "Deployment")
    port = deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    assert port == 5001 and isinstance(port, int)
    resources = json.loads((tmp_path / "resources.json").read_text())
    assert {"urn", "type", "name", "parent", "dependencies", "inputs"} <= set(resources[0])


def test_written_yaml_redacts_every_secret(tmp_path: Path, dev: Recording) -> None:
    assert main(["dev", "--out", str(tmp_path), "--quiet"]) == 0
    text = "".join(p.read_text() for p in (tmp_path / "manifests").glob("*.yaml"))
    text += (tmp_path / "resources.json").read_text()
    values = set().union(*(render.secret_values(r.outputs) for r in dev.registrations))
    # 11 generated credentials + the two Redis URLs that embed the password.
    assert len(values) == 13
    for value in values:
        assert value not in text
    credentials = next(d for d in yaml.safe_load_all((tmp_path / "manifests" / "credentials.yaml").read_text()))
    assert all(v.startswith("<secret:sha256:") for v in credentials["stringData"].values())


def test_same_secret_same_token_different_secret_different_token() -> None:
    assert render.token("abc") == render.token("abc")
    assert render.token("abc") != render.token("abd")


def test_leak_check_catches_a_secret_in_a_config_map() -> None:
    from pulumi.runtime import rpc

    secret = Registration(
        "urn:s",
        "kubernetes:core/v1:Secret",
        "s",
        "",
        [],
        {},
        {"kind": "Secret", "metadata": {"name": "s"}, "stringData": rpc.wrap_rpc_secret({"k": "hunter2hunter2"})},
        True,
    )
    leaky = Registration(
        "urn:c",
        "kubernetes:core/v1:ConfigMap",
        "c",
        "",
        [],
        {},
        {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"url": "redis://:hunter2hunter2@redis"}},
        True,
    )
    marked = Registration(
        "urn:d",
        "kubernetes:apps/v1:Deployment",
        "d",
        "",
        [],
        {},
        {"kind": "Deployment", "metadata": {"name": "d"}, "spec": rpc.wrap_rpc_secret({"x": 1})},
        True,
    )
    problems = render.leaks(Recording([secret, leaky, marked]))
    assert problems == [
        "ConfigMap/c: contains the plain text of a secret",
        "Deployment/d: holds a secret value outside a Kubernetes Secret",
    ]


def test_stack_outputs(dev: Recording) -> None:
    from pulumi.runtime import rpc

    outputs = dev.stack_outputs
    assert outputs["url"] == "http://localhost:8080"
    assert outputs["namespace"] == "dify"
    assert outputs["port_forward"] == "kubectl -n dify port-forward svc/dify-router 8080:80"
    assert rpc.is_rpc_secret(outputs["init_password"])


def test_prod_has_ingress_and_no_router_port_in_host(prod: Recording) -> None:
    objs = objects(prod)
    ingress = find(objs, "Ingress", "dify")
    paths = {
        p["path"]: p["backend"]["service"]["name"]
        for i in kinds(objs, "Ingress")
        for p in i["spec"]["rules"][0]["http"]["paths"]
    }
    assert paths["/console/api"] == "dify-api"
    assert paths["/socket.io"] == "dify-api-websocket"
    assert paths["/e"] == "dify-plugin-daemon"
    assert paths["/"] == "dify-web"
    assert not any(p.startswith("/inner") for p in paths)
    assert ingress["spec"]["tls"] == [{"hosts": ["dify.example.com"], "secretName": "dify-tls"}]
    # 8 Deployments (the plugin daemon runs two replicas on S3) and Elasticsearch.
    assert len(kinds(objs, "PodDisruptionBudget")) == 9


def test_composite_urls_are_pulumi_secrets_not_just_kubernetes_secrets(dev: Recording) -> None:
    from pulumi.runtime import rpc

    connections = next(r for r in dev.registrations if r.name == "connections-secret")
    string_data = connections.inputs["stringData"]
    wrapped = rpc.is_rpc_secret(string_data) or all(rpc.is_rpc_secret(v) for v in string_data.values())
    assert wrapped, "the broker URL embeds the Redis password and must stay a Pulumi secret"
    job = next(r for r in dev.registrations if r.type == "kubernetes:batch/v1:Job")
    assert job.inputs["metadata"]["name"] == "dify-migrate-1-16-1"


def test_two_synths_write_byte_identical_files(tmp_path: Path) -> None:
    for run in ("a", "b"):
        assert main(["prod", "--out", str(tmp_path / run), "--quiet"]) == 0
    for path in sorted((tmp_path / "a").rglob("*.*")):
        twin = tmp_path / "b" / path.relative_to(tmp_path / "a")
        assert path.read_bytes() == twin.read_bytes(), path.name
    first = next(yaml.safe_load_all((tmp_path / "a" / "manifests" / "api.yaml").read_text()))
    assert list(first)[:3] == ["apiVersion", "kind", "metadata"]


def test_longest_environment_name_keeps_every_label_valid() -> None:
    # dify:environment admits 20 characters; "dify-" + 20 = 25 stays far inside the 63-character
    # label limit, and every label value on every object must still be a valid label value.
    from tests.conftest import synth_with

    longest = "e" * 20
    objs = objects(synth_with("dev", environment=longest))
    label_value = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
    labelled: Counter[str] = Counter()
    for obj in objs:
        for where, meta in (
            ("object", obj["metadata"]),
            ("template", obj.get("spec", {}).get("template", {}).get("metadata", {})),
        ):
            for key, value in (meta.get("labels") or {}).items():
                assert len(value) <= 63 and label_value.fullmatch(value), (obj["metadata"]["name"], key, value)
            labelled[where] += bool(meta.get("labels"))
    deployment = find(objs, "Deployment", "dify-api")
    assert deployment["metadata"]["labels"]["app.kubernetes.io/instance"] == "dify-eeeeeeeeeeeeeeeeeeee"
    # Every one of the 58 objects is labelled, and so are the 16 pod templates (12 Deployments,
    # 3 StatefulSets, 1 Job).
    assert labelled == {"object": 58, "template": 16}


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    # Set iteration order changes with PYTHONHASHSEED; two processes must still write the same
    # bytes (two NetworkPolicies share a name in different namespaces, for one).
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    for seed in ("1", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "synth", "prod", "--quiet", "--out", str(tmp_path / seed)]
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    for path in sorted((tmp_path / "1").rglob("*.*")):
        assert path.read_bytes() == (tmp_path / "4" / path.relative_to(tmp_path / "1")).read_bytes(), path.name
