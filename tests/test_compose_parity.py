"""Compose parity: every variable upstream's compose sets for a Dify container is decided, and the
rendered stacks keep those decisions (components/parity/).

The snapshot (components/parity/compose-<tag>.json) is regenerated with tools/compose_env.py on a
version bump; a new upstream variable then fails ``test_every_upstream_variable_is_decided``
until the table decides it.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.parity.managed import MANAGED
from components.parity.model import SAME, Differs
from components.parity.table import (
    TABLE,
    WORKLOADS,
    coverage,
    load_snapshot,
    problems,
    same_as_upstream,
    table_for,
)
from components.versions import DIFY_RELEASE
from synth.mocks import Recording
from synth.parity import rendered_env as synth_rendered_env
from tests.conftest import objects

HEADER, SNAPSHOT = load_snapshot()


# Prod's data tier is AWS's (dify:aws): RDS and ElastiCache replace these compose services.
MANAGED_SERVICES = {"db_postgres", "redis"}


def rendered_env(recording: Recording, stack: str) -> dict[str, dict[str, str | None]]:
    envs = synth_rendered_env(objects(recording, show_secrets=False))
    expected = set(WORKLOADS) - (MANAGED_SERVICES if stack == "prod" else set())
    assert set(envs) == expected  # every compose service runs, but what a managed service replaces
    return envs


@pytest.fixture(scope="module")
def stacks(dev: Recording, prod: Recording) -> dict[str, dict[str, dict[str, str | None]]]:
    return {"dev": rendered_env(dev, "dev"), "prod": rendered_env(prod, "prod")}


def test_snapshot_is_of_the_pinned_release() -> None:
    assert (HEADER["upstream"], HEADER["tag"]) == ("langgenius/dify", DIFY_RELEASE.dify)
    assert HEADER["commit"] == "6f8ed69ee15f9a2e7189ca066275e973d091d1e9"  # git rev-parse 1.16.1^{commit}


def test_every_upstream_variable_is_decided() -> None:
    assert coverage(SNAPSHOT) == []


def test_snapshot_facts_the_table_relies_on() -> None:
    # Literals from docker/docker-compose.yaml and docker/.env.example @ 1.16.1, so a generator bug
    # cannot make snapshot and table agree by accident.
    api, websocket, daemon = SNAPSHOT["api"], SNAPSHOT["api_websocket"], SNAPSHOT["plugin_daemon"]
    assert api["PLUGIN_MAX_PACKAGE_SIZE"] == daemon["MAX_PLUGIN_PACKAGE_SIZE"] == "52428800"
    assert (api["SERVER_WORKER_CLASS"], websocket["SERVER_WORKER_CLASS"]) == (
        "gevent",
        "geventwebsocket.gunicorn.workers.GeventWebSocketWorker",
    )
    assert (api["SECRET_KEY"], api["REDIS_KEEPALIVE"], daemon["DB_DATABASE"]) == ("", "true", "dify_plugin")
    assert SNAPSHOT["agent_backend"]["DIFY_AGENT_REDIS_URL"] == "redis://:difyai123456@redis:6379/2"
    assert SNAPSHOT["weaviate"]["AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED"] == "true"
    assert SNAPSHOT["local_sandbox"] == {
        "HTTP_PROXY": "http://agent_ssrf_proxy:3128",
        "HTTPS_PROXY": "http://agent_ssrf_proxy:3128",
        "NO_PROXY": "localhost,127.0.0.1",
        "SHELLCTL_AUTH_TOKEN": "",
    }
    assert len(SNAPSHOT["api"]) == 258


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rendered_env_keeps_every_decision(stacks: dict[str, Any], stack: str) -> None:
    table = table_for(managed=stack == "prod")
    envs = stacks[stack]
    found = [
        line
        for service in table
        if service in envs
        for line in problems(service, SNAPSHOT[service], envs[service], table)
    ]
    assert found == [], "\n".join(found)
    assert set(table) - set(envs) == (MANAGED_SERVICES if stack == "prod" else set())


def test_managed_verdicts_replace_only_data_tier_rows() -> None:
    # Every managed verdict overrides a row the table has, for a service the table has.
    for service, rows in MANAGED.items():
        assert set(rows) <= set(TABLE[service]), service
    managed = table_for(managed=True)
    assert managed["api"]["STORAGE_TYPE"] == Differs(
        "s3 through the pod's IRSA role (dify:aws): no volume is shared across pods"
    )
    assert managed["plugin_daemon"]["S3_USE_PATH_STYLE"] == SAME  # upstream's false, what AWS S3 wants
    assert managed["web"] == TABLE["web"] and table_for(managed=False) is TABLE


def test_every_difference_differs_in_some_stack(stacks: dict[str, Any]) -> None:
    # A Differs row whose value equals upstream's in every stack has become Same: say so.
    stale = {
        service: sorted(
            set.intersection(
                *(
                    same_as_upstream(service, SNAPSHOT[service], env[service])
                    for env in stacks.values()
                    if service in env
                )
            )
        )
        for service in TABLE
    }
    assert {service: names for service, names in stale.items() if names} == {}


def test_reasons_are_one_line() -> None:
    for service, rows in TABLE.items():
        for name, verdict in rows.items():
            reason = getattr(verdict, "reason", "x")
            assert reason and "\n" not in reason and len(reason) <= 120, (service, name)
    assert any(isinstance(v, Differs) for v in TABLE["api"].values())


def test_generator_resolves_compose_interpolation_as_compose_does() -> None:
    from tools.compose_env import Interpolator, parse_dotenv, snapshot

    dotenv = parse_dotenv("A=\nB=x\nC=${B:-y},z\n# c\nD=%Y %H # note\n")
    assert dotenv == {"A": "", "B": "x", "C": "x,z", "D": "%Y %H"}
    interpolate = Interpolator(dotenv)
    assert interpolate("${A:-${B:-q}}/${A-set}/$$HOME/${NOPE}") == "x//$HOME/"
    compose = """
x-env: &shared
  env_file: [{path: ./envs/optional.env, required: false}, ./.env]
services:
  one:
    <<: *shared
    environment: {B: "${A:-fallback}", E: "${NOPE:-${B}}"}
  two:
    environment: ["F=1", "B"]
"""
    result = snapshot(compose, "A=\nB=x\n", ("one", "two"))
    assert result == {"one": {"A": "", "B": "fallback", "E": "x"}, "two": {"B": "x", "F": "1"}}
