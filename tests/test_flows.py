"""The reachability proof: rendered NetworkPolicies, evaluated, open exactly the flow table.

Besides the whole-matrix equality (synth/flows.py), the pairs that matter most are written out
literally: what the sandbox, local_sandbox and web must never reach, and that nothing reaches the
cloud metadata endpoint.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.config import parse_config
from components.config.models import StackConfig
from synth.flows import EXTERNALS, check_flows, cluster, rendered_matrix
from synth.harness import stack_config
from synth.mocks import Recording
from synth.netpol import External
from tests.conftest import objects, synth_with
from tests.lookup import kinds

ROOT = Path(__file__).resolve().parent.parent
INTERNET, METADATA, LAN = EXTERNALS


def _config(stack: str, **overrides: Any) -> StackConfig:
    raw, secret_keys = stack_config(stack)
    raw.update({f"dify:{k}": v if isinstance(v, str) else __import__("json").dumps(v) for k, v in overrides.items()})
    return parse_config(raw, set(secret_keys))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rendered_policies_open_exactly_the_flow_table(stack: str, request: pytest.FixtureRequest) -> None:
    assert check_flows(objects(request.getfixturevalue(stack), show_secrets=False), _config(stack)) == []


# (source, destination, port): pairs that must stay closed in every stack.
CLOSED = [
    ("dify-sandbox", "dify-postgres", 5432),
    ("dify-sandbox", "dify-redis", 6379),
    ("dify-sandbox", "dify-api", 5001),
    ("dify-sandbox", "dify-plugin-daemon", 5002),
    ("dify-sandbox", "dify-weaviate", 8080),
    ("dify-sandbox", "internet", 443),
    ("dify-sandbox", "internet", 80),
    ("dify-local-sandbox", "dify-api", 5001),
    ("dify-local-sandbox", "dify-agent-backend", 5050),
    ("dify-local-sandbox", "internet", 443),
    ("dify-web", "dify-redis", 6379),
    ("dify-web", "dify-postgres", 5432),
    ("dify-web", "internet", 443),
    ("dify-router", "dify-postgres", 5432),
    ("dify-router", "dify-sandbox", 8194),
    ("dify-api", "private-lan", 443),
    ("dify-worker", "internet", 80),
    ("dify-postgres", "internet", 443),
    ("dify-redis", "internet", 443),
    ("dify-weaviate", "internet", 443),
    ("internet", "dify-api", 5001),
    ("internet", "dify-postgres", 5432),
    ("ingress-controller", "dify-postgres", 5432),
    ("ingress-controller", "dify-sandbox", 8194),
]
OPEN = [
    ("dify-sandbox", "dify-ssrf-proxy", 3128),
    ("dify-local-sandbox", "dify-agent-ssrf-proxy", 3128),
    ("dify-api", "dify-sandbox", 8194),
    ("dify-worker", "dify-sandbox", 8194),
    ("dify-api", "dify-weaviate", 50051),
    ("dify-plugin-daemon", "dify-api", 5001),
    ("dify-ssrf-proxy", "internet", 443),
    ("dify-ssrf-proxy", "internet", 8080),
    ("dify-plugin-daemon", "internet", 443),
    ("dify-api", "internet", 443),
    ("dify-agent-ssrf-proxy", "dify-api", 5001),
    ("ingress-controller", "dify-web", 3000),
    ("internet", "dify-router", 8080),
    ("dify-router", "dify-plugin-daemon", 5002),
    ("dify-sandbox", "cluster-dns", 53),
]


@pytest.fixture(scope="module")
def dev_matrix(dev: Recording) -> set[tuple[str, str, int, str]]:
    return rendered_matrix(objects(dev, show_secrets=False), _config("dev"))


@pytest.mark.parametrize(("source", "target", "port"), CLOSED)
def test_closed(dev_matrix: set[tuple[str, str, int, str]], source: str, target: str, port: int) -> None:
    assert (source, target, port, "TCP") not in dev_matrix


@pytest.mark.parametrize(("source", "target", "port"), OPEN)
def test_open(dev_matrix: set[tuple[str, str, int, str]], source: str, target: str, port: int) -> None:
    protocol = "UDP" if port == 53 else "TCP"
    assert (source, target, port, protocol) in dev_matrix


def test_nothing_reaches_the_cloud_metadata_endpoint(dev: Recording, prod: Recording) -> None:
    for recording, stack in ((dev, "dev"), (prod, "prod")):
        evaluated = cluster(objects(recording, show_secrets=False), _config(stack))
        ours = [pod for pod in evaluated.pods if pod.labels.get("app.kubernetes.io/name") == "dify"]
        # 16 Dify workloads; prod's Postgres and Redis are RDS and ElastiCache (dify:aws), outside the
        # cluster; prod adds the 9 of bundled monitoring (node-exporter included) and Elasticsearch,
        # Logstash, Kibana, Filebeat and the bootstrap Job.
        assert len(ours) == {"dev": 16, "prod": 14 + 9 + 5}[stack]
        for pod in ours:
            for port in (80, 443, 8080):
                assert not evaluated.allowed(pod, METADATA, port), (stack, pod.workload, port)
            # Not even through an IPv6 link-local address.
            assert not evaluated.allowed(pod, External("v6-link-local", "fe80::a9fe:a9fe"), 80), pod.workload


def test_allow_listed_private_cidr_opens_only_for_the_proxy_and_the_daemon() -> None:
    overrides = {"ssrfProxy": {"allowPrivateIps": ["10.1.0.0/16"]}}
    objs = objects(synth_with("dev", **overrides), show_secrets=False)
    config = _config("dev", **overrides)
    assert check_flows(objs, config) == []
    reach_lan = {src for src, dst, port, _ in rendered_matrix(objs, config) if dst == "private-lan" and port == 443}
    assert reach_lan == {"dify-ssrf-proxy", "dify-plugin-daemon"}


def test_toggled_off_features_take_their_policies_and_flows_along() -> None:
    overrides = {"features": {"collaboration": False, "agentV2": False}}
    objs = objects(synth_with("dev", **overrides), show_secrets=False)
    assert check_flows(objs, _config("dev", **overrides)) == []
    names = {p["metadata"]["name"] for p in kinds(objs, "NetworkPolicy")}
    assert not names & {"dify-api-websocket", "dify-agent-backend", "dify-local-sandbox", "dify-agent-ssrf-proxy"}
    assert len(names) == 13  # 12 workloads + the default-deny (two namespaces share the name)


def test_every_pod_is_selected_and_every_namespace_denies_by_default(dev: Recording) -> None:
    objs = objects(dev, show_secrets=False)
    policies = kinds(objs, "NetworkPolicy")
    denies = {p["metadata"]["namespace"] for p in policies if p["spec"]["podSelector"] == {}}
    assert denies == {"dify", "dify-sandbox"}
    for policy in policies:
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    selected = {
        (p["metadata"]["namespace"], p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"])
        for p in policies
        if p["spec"]["podSelector"]
    }
    workloads = {
        (o["metadata"]["namespace"], o["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"])
        for o in objs
        if o["kind"] in ("Deployment", "StatefulSet", "Job")
    }
    assert selected == workloads and len(workloads) == 16


def test_disabling_policies_removes_them_all() -> None:
    objs = objects(synth_with("dev", networkPolicy={"enabled": False}), show_secrets=False)
    assert kinds(objs, "NetworkPolicy") == []


def test_readme_shows_the_current_flow_table() -> None:
    done = subprocess.run([sys.executable, "-m", "components.flows", "--check"], cwd=ROOT, check=False)
    assert done.returncode == 0, "README's flow table is stale: run python -m components.flows"
