"""The runtime-contract check (synth/runtime.py) on both stacks and on realistic single mistakes.

Each negative case takes the rendered stack, makes one change an engineer could plausibly make,
and expects exactly the problem a kubelet or the process would hit.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from synth.mocks import Recording
from synth.runtime import check_runtime_contracts, image_key
from tests.conftest import objects
from tests.lookup import container, find, kinds, pod_spec

Obj = dict[str, Any]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_stacks_keep_every_runtime_contract(stack: str, request: pytest.FixtureRequest) -> None:
    assert check_runtime_contracts(objects(request.getfixturevalue(stack), show_secrets=False)) == []


@pytest.fixture
def objs(dev: Recording) -> list[Obj]:
    return copy.deepcopy(objects(dev, show_secrets=False))


def _problems(objs: list[Obj]) -> list[str]:
    return check_runtime_contracts(objs)


def test_migration_without_a_writable_storage_root_is_the_foundations_crash(objs: list[Obj]) -> None:
    job = kinds(objs, "Job")[0]
    main = container(job)
    main["volumeMounts"] = [m for m in main["volumeMounts"] if m["mountPath"] != "/app/api/storage"]
    assert _problems(objs) == [
        "Job/dify/dify-migrate-1-16-1 container migration: writes /app/api/storage at start on a read-only root "
        "filesystem without a writable mount (dify@1.16.1 api/extensions/storage/opendal_storage.py:35-37 "
        "(create_app mkdirs the fs root in every mode))"
    ]


def test_a_read_only_storage_mount_does_not_count(objs: list[Obj]) -> None:
    beat = container(find(objs, "Deployment", "dify-worker-beat"))
    next(m for m in beat["volumeMounts"] if m["mountPath"] == "/app/api/storage")["readOnly"] = True
    assert len(_problems(objs)) == 1 and "writes /app/api/storage at start" in _problems(objs)[0]


def test_storage_root_follows_opendal_fs_root(objs: list[Obj]) -> None:
    worker = container(find(objs, "Deployment", "dify-worker"))
    next(v for v in worker["env"] if v["name"] == "OPENDAL_FS_ROOT")["value"] = "/data/files"
    assert _problems(objs) == [
        "Deployment/dify/dify-worker container worker: writes /data/files at start on a read-only root filesystem "
        "without a writable mount (dify@1.16.1 api/extensions/storage/opendal_storage.py:35-37 (create_app mkdirs "
        "the fs root in every mode))"
    ]


def test_beat_without_its_schedule_flag_writes_into_the_image(objs: list[Obj]) -> None:
    beat = container(find(objs, "Deployment", "dify-worker-beat"))
    at = beat["command"].index("-s")
    beat["command"] = beat["command"][:at] + beat["command"][at + 2 :]
    (problem,) = _problems(objs)
    assert "writes /app/api/celerybeat-schedule at serving" in problem


def test_sandbox_without_kill_cannot_stop_runaway_code(objs: list[Obj]) -> None:
    sandbox = container(find(objs, "Deployment", "dify-sandbox"))
    sandbox["securityContext"]["capabilities"]["add"].remove("KILL")
    (problem,) = _problems(objs)
    assert problem.startswith(
        "Deployment/dify-sandbox/dify-sandbox container sandbox: lacks capabilities KILL the image uses"
    )


def test_sandbox_forced_non_root_is_refused(objs: list[Obj]) -> None:
    pod_spec(find(objs, "Deployment", "dify-sandbox"))["securityContext"]["runAsNonRoot"] = True
    container(find(objs, "Deployment", "dify-sandbox"))["securityContext"]["runAsNonRoot"] = True
    (problem,) = _problems(objs)
    assert "runAsNonRoot, but the image must run as root" in problem


def test_api_under_another_uid_is_a_discrepancy(objs: list[Obj]) -> None:
    container(find(objs, "Deployment", "dify-api"))["securityContext"]["runAsUser"] = 1000
    assert _problems(objs) == [
        "Deployment/dify/dify-api container api: runs as uid 1000, the image as 1001 "
        "(dify@1.16.1 api/Dockerfile:56-61,123 (USER dify, useradd -u 1001))"
    ]


def test_weaviate_takes_any_uid(objs: list[Obj]) -> None:
    container(find(objs, "StatefulSet", "dify-weaviate"))["securityContext"]["runAsUser"] = 4242
    assert _problems(objs) == []


def test_probe_on_a_port_nothing_binds(objs: list[Obj]) -> None:
    api = container(find(objs, "Deployment", "dify-api"))
    api["livenessProbe"] = {"tcpSocket": {"port": 5002}}
    assert _problems(objs) == [
        "Deployment/dify/dify-api container api: livenessProbe targets port 5002, where the process does not listen"
    ]


def test_port_moved_by_env_but_not_in_the_spec(objs: list[Obj]) -> None:
    sandbox = container(find(objs, "Deployment", "dify-sandbox"))
    next(v for v in sandbox["env"] if v["name"] == "SANDBOX_PORT")["value"] = "8195"
    where = "Deployment/dify-sandbox/dify-sandbox container sandbox: "
    assert set(_problems(objs)) == {
        where + "declares port 8194, where the process does not listen (it binds [8195])",
        where + "readinessProbe targets port http, where the process does not listen",
        where + "livenessProbe targets port http, where the process does not listen",
        where + "startupProbe targets port http, where the process does not listen",
    }


def test_http_probe_on_a_path_the_image_does_not_serve(objs: list[Obj]) -> None:
    daemon = container(find(objs, "Deployment", "dify-plugin-daemon"))
    daemon["readinessProbe"]["httpGet"]["path"] = "/health"
    assert _problems(objs) == [
        "Deployment/dify/dify-plugin-daemon container plugin-daemon: readinessProbe requests /health, which is no "
        "health endpoint of the image (it has /health/check)"
    ]


def test_http_probe_on_an_image_without_health_route(objs: list[Obj]) -> None:
    web = container(find(objs, "Deployment", "dify-web"))
    web["readinessProbe"] = {"httpGet": {"path": "/", "port": "http"}}
    (problem,) = _problems(objs)
    assert problem.endswith("readinessProbe requests /, which is no health endpoint of the image (it has none)")


def test_unknown_mode_and_unknown_image(objs: list[Obj]) -> None:
    worker = container(find(objs, "Deployment", "dify-worker"))
    next(v for v in worker["env"] if v["name"] == "MODE")["value"] = "job"
    container(find(objs, "Deployment", "dify-web"))["image"] = "docker.io/library/busybox:1.36"
    assert set(_problems(objs)) == {
        "Deployment/dify/dify-worker container worker: api has no traced mode 'job' (known: api, worker, beat, "
        "migration)",
        "Deployment/dify/dify-web container web: no runtime contract for image docker.io/library/busybox:1.36",
    }


def test_image_keys_survive_a_registry_mirror() -> None:
    assert image_key("registry.example.com/mirror/langgenius/dify-api:1.16.1") == "api"
    assert image_key("docker.io/langgenius/dify-sandbox:0.2.15") == "sandbox"
    assert image_key("docker.io/nginxinc/nginx-unprivileged:1.28.0-alpine") == "nginx"
    assert image_key("localhost:5000/library/postgres:15.15-alpine") == "postgres"
    assert image_key("docker.io/langgenius/dify-api-fork:1.16.1") is None
