"""The e2e tier: a real kube-apiserver + etcd (tests/e2e/cluster.py), started once per session.

Tests marked ``e2e`` run only with DIFY_E2E=1 (``make e2e`` sets it): they need the tools build
(minutes on a cold cache) and etcd, which ``make test`` must not pay for. Without it they are
deselected, not skipped, so DIFY_REQUIRE_TOOLS-style "no skips" runs stay clean.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.e2e.cluster import Cluster
from tests.e2e.kube import Api

_cluster: Cluster | None = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("DIFY_E2E") == "1":
        return
    deselected = [item for item in items if item.get_closest_marker("e2e")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("e2e")]


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    global _cluster  # noqa: PLW0603 (the report hook below needs the running cluster's logs)
    with Cluster.start() as running:
        _cluster = running
        try:
            yield running
        finally:
            _cluster = None


@pytest.fixture(scope="session")
def api(cluster: Cluster) -> Api:
    return Api(cluster.kubeconfig)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # A failing e2e test shows the server's side too: the apiserver and etcd log tails.
    report = yield
    if _cluster is not None and report.failed and item.get_closest_marker("e2e"):
        for name in ("kube-apiserver", "etcd"):
            report.sections.append((f"{name} log", _cluster.log_tail(name, 30)))
    return report
