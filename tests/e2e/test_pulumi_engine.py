"""The real Pulumi engine against the local kube-apiserver (issue 6, stage 2).

The dev stack's config, in a temp copy of the project as stack ``e2e``, through the real CLI, our
Python language host and the real kubernetes and random providers (tools/pulumi/build.sh builds
them from Go modules and installs the providers into a PULUMI_HOME in the tools cache, so nothing
is downloaded): ``preview``, ``up``, a second ``preview --expect-no-changes``, ``destroy``.
The harness (tests/e2e/engine.py) is shared with test_pulumi_engine_observability.py.

Local backend (file://, in the temp dir) with a passphrase secrets provider. No kubelet runs, so
no pod ever starts: the provider must not await readiness, which ``dify:kubernetes.skipAwait`` asks
for (a stack transform annotates every Kubernetes object).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.cluster import Cluster
from tests.e2e.engine import Engine, deploy, dev_config, missing_on_server, resources, stack_engine
from tests.e2e.kube import Api

pytestmark = pytest.mark.e2e

STACK = "e2e"


@pytest.fixture(scope="module")
def engine(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with stack_engine(tmp_path_factory.mktemp("pulumi-engine"), STACK, dev_config(cluster, "dify-engine")) as eng:
        yield eng


@pytest.fixture(scope="module")
def deployed(engine: Engine) -> dict[str, Any]:
    return deploy(engine)


def test_up_creates_every_object_on_the_server(deployed: dict[str, Any], api: Api) -> None:
    kinds = {r["type"] for r in resources(deployed)}
    assert "kubernetes:apps/v1:Deployment" in kinds
    assert "random:index/randomPassword:RandomPassword" in kinds
    # Every Kubernetes object the engine recorded is really on the server.
    assert not missing_on_server(deployed, api)


def test_second_run_has_no_changes(engine: Engine, deployed: dict[str, Any]) -> None:
    result = engine.run("preview", "--expect-no-changes", "--diff", check=False)
    assert result.returncode == 0, f"a second run wants changes:\n{result.stdout}\n{result.stderr}"
    # And a second real update, as a user's next `pulumi up`, changes nothing either.
    again = engine.run("up", "--yes", "--skip-preview", "--expect-no-changes", *engine.policy_pack(), check=False)
    assert again.returncode == 0, f"a second up changed something:\n{again.stdout}\n{again.stderr}"


def test_destroy_removes_everything(engine: Engine, deployed: dict[str, Any]) -> None:
    engine.run("destroy", "--yes", "--skip-preview")
    assert [r for r in resources(engine.export()) if not r["type"].startswith("pulumi:")] == []
