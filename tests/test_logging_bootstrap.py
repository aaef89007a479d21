"""The logging bootstrap Job proves its work: the rendered script runs against a fake ``curl``
that plays Elasticsearch and Kibana (the REST paths and bodies of Elasticsearch 8.19 and Kibana
8.19's data view API), like the migration Job's script runs against a fake ``flask``."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from synth.harness import run_program, stack_config
from synth.mocks import Recording
from tests.conftest import objects, synth_with
from tests.lookup import Obj, find, kinds

FAKE_CURL = r"""#!/usr/bin/env python3
import json, os, pathlib, sys
args = sys.argv[1:]
state = pathlib.Path(os.environ["FAKE_STATE"])
call = {"argv": args, "method": "GET", "headers": [], "body": None, "cacert": None}
out = None
i = 0
while i < len(args):
    a = args[i]
    if a in ("-X", "-o", "-w", "-H", "--data-binary", "--cacert", "-K"):
        value = args[i + 1]
        if a == "-X": call["method"] = value
        if a == "-o": out = value
        if a == "-H": call["headers"].append(pathlib.Path(value[1:]).read_text() if value.startswith("@") else value)
        if a == "--data-binary": call["body"] = pathlib.Path(value[1:]).read_text()
        if a == "--cacert": call["cacert"] = value
        i += 2
        continue
    if not a.startswith("-"):
        call["url"] = a
    i += 1
path = "/" + call["url"].split("://", 1)[1].split("/", 1)[1]
call["path"] = path
with open(state / "calls.jsonl", "a") as log:
    log.write(json.dumps(call) + "\n")
def counter(name):
    f = state / name
    n = int(f.read_text()) if f.exists() else 0
    f.write_text(str(n + 1))
    return n
code = "200"
if path.startswith("/_cluster/health") and counter("es") < int(os.environ.get("FAKE_ES_DOWN", "0")):
    sys.exit(7)  # connection refused: curl prints 000
if path == "/api/status" and counter("kibana") < int(os.environ.get("FAKE_KIBANA_DOWN", "0")):
    code = "503"
if f'{call["method"]} {path}' == os.environ.get("FAKE_FORBIDDEN"):
    code = "403"
if out and out != "/dev/null":
    pathlib.Path(out).write_text('{"error": "forbidden"}' if code == "403" else "{}")
sys.stdout.write(code)
"""

WRITER = "Wr1terPassw0rd"
ELASTIC = "E1asticPassw0rd"
KIBANA = "K1banaPassw0rd"
READER = "Re4derPassw0rd"

BUNDLED_CALLS = [
    "GET /_cluster/health?wait_for_status=yellow&timeout=5s",
    "POST /_security/user/kibana_system/_password",
    "PUT /_ilm/policy/dify-logs",
    "PUT /_index_template/dify-logs",
    "PUT /_security/role/dify_logs_writer",
    "PUT /_security/user/dify_logstash",
    "PUT /_security/role/dify_logs_reader",
    "PUT /_security/user/dify_grafana",
    "GET /api/status",
    "POST /api/data_views/data_view",
]


def external_stack(logging: dict[str, Any], stack: str = "dev") -> Recording:
    """A stack with logging on an external cluster: its password and CA set as secrets."""
    config, secret_keys = stack_config(stack)
    config["dify:logging"] = json.dumps(logging)
    config["dify:elasticsearchPassword"] = "ciphertext-password"
    config["dify:elasticsearchCaCert"] = "ciphertext-ca"
    return run_program(config, [*secret_keys, "dify:elasticsearchPassword", "dify:elasticsearchCaCert"], stack=stack)


def _job(objs: list[Obj]) -> Obj:
    return find(objs, "Job", "dify-logging-bootstrap")


def _files(objs: list[Obj]) -> dict[str, str]:
    return next(c["data"] for c in kinds(objs, "ConfigMap") if "bootstrap.sh" in c.get("data", {}))


def _run(
    tmp_path: Path, objs: list[Obj], *, passwords: dict[str, str] | None = None, **fake: str
) -> tuple[Any, list[dict[str, Any]]]:
    """Lay the Job's ConfigMap and Secrets out under tmp_path at the paths its env names, then
    run its command with the fake curl first on PATH."""
    job = _job(objs)
    container = job["spec"]["template"]["spec"]["containers"][0]
    root = tmp_path / "root"
    env = {}
    for var in container["env"]:
        value = var["value"]
        env[var["name"]] = str(root) + value if value.startswith("/") else value
    for name, text in _files(objs).items():
        (root / "bootstrap").mkdir(parents=True, exist_ok=True)
        (root / "bootstrap" / name).write_text(text)
    secrets = {"elastic": ELASTIC, "kibana-system": KIBANA, "writer": WRITER, "reader": READER, **(passwords or {})}
    for purpose, value in secrets.items():
        (root / "run/secrets" / purpose).mkdir(parents=True, exist_ok=True)
        (root / "run/secrets" / purpose / "password").write_text(value)
    (root / "run/secrets/ca").mkdir(parents=True, exist_ok=True)
    (root / "run/secrets/ca/ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    (root / "tmp").mkdir(exist_ok=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "curl").write_text(FAKE_CURL)
    (bin_dir / "curl").chmod(0o755)
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    (state / "calls.jsonl").unlink(missing_ok=True)
    command = [part.replace("/bootstrap/", f"{root}/bootstrap/") for part in container["command"]]
    environment = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_STATE": str(state),
        "DELAY": "0",
        **env,
        **fake,
    }
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, check=False)
    log = state / "calls.jsonl"
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


@pytest.fixture(scope="module")
def bundled() -> list[Obj]:
    return objects(synth_with("dev", logging={"enabled": True}))


def _shape(calls: list[dict[str, Any]]) -> list[str]:
    return [f"{c['method']} {c['path']}" for c in calls]


def test_bundled_cluster_steps_in_order(bundled: list[Obj], tmp_path: Path) -> None:
    result, calls = _run(tmp_path, bundled)
    assert result.returncode == 0, result.stderr
    assert _shape(calls) == BUNDLED_CALLS
    assert all(c["url"].startswith("https://dify-elasticsearch.dify-logging:9200/") for c in calls[:8])
    # Every call trusts the stack's CA, from its own Secret.
    assert {c["cacert"] for c in calls} == {str(tmp_path / "root/run/secrets/ca/ca.crt")}
    assert all(c["url"].startswith("http://dify-kibana.dify-logging:5601/") for c in calls[8:])


def test_every_call_authenticates_as_elastic_from_the_secret_file(bundled: list[Obj], tmp_path: Path) -> None:
    _, calls = _run(tmp_path, bundled)
    expected = "Authorization: Basic " + base64.b64encode(f"elastic:{ELASTIC}".encode()).decode() + "\n"
    assert {h for c in calls for h in c["headers"] if h.startswith("Authorization")} == {expected}


def test_passwords_never_reach_argv_or_the_log(bundled: list[Obj], tmp_path: Path) -> None:
    result, calls = _run(tmp_path, bundled)
    for secret in (ELASTIC, KIBANA, WRITER, READER):
        assert secret not in result.stdout + result.stderr
        assert not [c for c in calls if any(secret in a for a in c["argv"])]


def test_bodies_set_the_passwords_roles_and_retention(bundled: list[Obj], tmp_path: Path) -> None:
    _, calls = _run(tmp_path, bundled)
    bodies = {f"{c['method']} {c['path']}": json.loads(c["body"]) for c in calls if c["body"]}
    assert bodies["POST /_security/user/kibana_system/_password"] == {"password": KIBANA}
    assert bodies["PUT /_security/user/dify_logstash"] == {"password": WRITER, "roles": ["dify_logs_writer"]}
    assert bodies["PUT /_security/user/dify_grafana"] == {"password": READER, "roles": ["dify_logs_reader"]}
    assert bodies["PUT /_security/role/dify_logs_writer"] == {
        "cluster": ["monitor"],
        "indices": [{"names": ["dify-logs-*"], "privileges": ["create_doc", "create_index"]}],
    }
    assert bodies["PUT /_security/role/dify_logs_reader"] == {
        "indices": [{"names": ["dify-logs-*"], "privileges": ["read", "view_index_metadata"]}]
    }
    assert bodies["PUT /_ilm/policy/dify-logs"]["policy"]["phases"]["delete"] == {
        "min_age": "7d",
        "actions": {"delete": {}},
    }
    template = bodies["PUT /_index_template/dify-logs"]
    assert template["index_patterns"] == ["dify-logs-*"]
    assert template["template"]["settings"]["index.lifecycle.name"] == "dify-logs"
    assert template["template"]["settings"]["index.number_of_replicas"] == 0
    assert bodies["POST /api/data_views/data_view"] == {
        "data_view": {"id": "dify-logs", "title": "dify-logs-*", "name": "Dify logs", "timeFieldName": "@timestamp"},
        "override": True,
    }


def test_a_second_run_makes_the_same_calls(bundled: list[Obj], tmp_path: Path) -> None:
    first, calls = _run(tmp_path, bundled)
    second, again = _run(tmp_path, bundled)
    assert (first.returncode, second.returncode) == (0, 0)
    assert [(c["method"], c["path"], c["body"]) for c in again] == [(c["method"], c["path"], c["body"]) for c in calls]


def test_waits_for_elasticsearch_then_proceeds(bundled: list[Obj], tmp_path: Path) -> None:
    result, calls = _run(tmp_path, bundled, FAKE_ES_DOWN="3")
    assert result.returncode == 0, result.stderr
    assert _shape(calls)[:4] == [BUNDLED_CALLS[0]] * 4
    assert _shape(calls)[4:] == BUNDLED_CALLS[1:]


def test_gives_up_when_elasticsearch_never_answers(bundled: list[Obj], tmp_path: Path) -> None:
    result, calls = _run(tmp_path, bundled, FAKE_ES_DOWN="100", ATTEMPTS="3")
    assert result.returncode == 1
    assert _shape(calls) == [BUNDLED_CALLS[0]] * 3
    assert "elasticsearch did not come up" in result.stderr


def test_waits_for_kibana_before_the_data_view(bundled: list[Obj], tmp_path: Path) -> None:
    result, calls = _run(tmp_path, bundled, FAKE_KIBANA_DOWN="2")
    assert result.returncode == 0, result.stderr
    assert _shape(calls)[-4:] == ["GET /api/status"] * 3 + ["POST /api/data_views/data_view"]


def test_a_refused_step_fails_the_job_and_stops(bundled: list[Obj], tmp_path: Path) -> None:
    result, calls = _run(tmp_path, bundled, FAKE_FORBIDDEN="PUT /_security/role/dify_logs_writer")
    assert result.returncode == 1
    assert _shape(calls) == BUNDLED_CALLS[:5]
    assert "PUT _security/role/dify_logs_writer failed with HTTP 403" in result.stderr


def test_a_password_that_would_break_the_json_is_refused(bundled: list[Obj], tmp_path: Path) -> None:
    result, calls = _run(tmp_path, bundled, passwords={"writer": 'a"b'})
    assert result.returncode == 2
    assert "PUT /_security/user/dify_logstash" not in _shape(calls)


def test_external_cluster_gets_only_policy_template_and_users(tmp_path: Path) -> None:
    external = {
        "enabled": True,
        "elasticsearch": {"external": {"url": "https://logs.example.com:9243", "username": "admin"}},
    }
    objs = objects(external_stack(external))
    result, calls = _run(tmp_path, objs)
    assert result.returncode == 0, result.stderr
    assert _shape(calls) == [BUNDLED_CALLS[0], *BUNDLED_CALLS[2:8]]
    assert {c["url"].split("/")[2] for c in calls} == {"logs.example.com:9243"}
    assert all(c["cacert"] and c["cacert"].endswith("/run/secrets/ca/ca.crt") for c in calls)
    expected = "Authorization: Basic " + base64.b64encode(f"admin:{ELASTIC}".encode()).decode() + "\n"
    assert {h for c in calls for h in c["headers"] if h.startswith("Authorization")} == {expected}
    template = json.loads(next(c["body"] for c in calls if c["path"] == "/_index_template/dify-logs"))
    assert template["template"]["settings"]["index.number_of_replicas"] == 1
