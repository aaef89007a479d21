"""The SSRF proxies and the router as deployed: config flows from the stack, identity is unprivileged."""

from __future__ import annotations

from pathlib import Path

import yaml

from synth.__main__ import main
from synth.mocks import Recording
from tests.conftest import objects, synth_with
from tests.lookup import container, find, kinds, pod_spec


def squid_conf(objs: list[dict], deployment: str) -> str:
    spec = pod_spec(find(objs, "Deployment", deployment))
    config_map = next(v["configMap"]["name"] for v in spec["volumes"] if "configMap" in v)
    return next(o for o in kinds(objs, "ConfigMap") if o["metadata"]["name"] == config_map)["data"]["squid.conf"]


def test_ssrf_proxy_allow_lists_come_from_the_stack_config() -> None:
    ssrf = {"allowPrivateIps": ["10.20.0.0/16"], "allowPrivateDomains": [".models.internal"]}
    conf = squid_conf(objects(synth_with(ssrfProxy=ssrf)), "dify-ssrf-proxy")
    lines = conf.splitlines()
    deny = lines.index("http_access deny to_private_networks")
    allow_ips = next(i for i, line in enumerate(lines) if "10.20.0.0/16" in line)
    allow_domains = next(i for i, line in enumerate(lines) if ".models.internal" in line)
    assert allow_ips < deny and allow_domains < deny


def test_default_ssrf_proxy_has_no_private_allow_list(dev: Recording) -> None:
    conf = squid_conf(objects(dev), "dify-ssrf-proxy")
    assert "dify_allowed_private" not in conf
    assert "acl to_private_networks dst 169.254.0.0/16" in conf  # cloud metadata endpoints


def test_agent_proxy_only_reaches_agent_stub_and_files(dev: Recording) -> None:
    conf = squid_conf(objects(dev), "dify-agent-ssrf-proxy")
    assert "dstdomain dify-agent-backend" in conf and "dstdomain dify-api" in conf
    assert "^/agent-stub/" in conf and "^/files/" in conf


def test_proxies_run_squid_directly_as_the_proxy_user(dev: Recording) -> None:
    objs = objects(dev)
    for name in ("dify-ssrf-proxy", "dify-agent-ssrf-proxy"):
        squid = container(find(objs, "Deployment", name))
        assert squid["command"][0].endswith("squid") and "-N" in squid["command"]
        assert squid["securityContext"]["runAsUser"] == 13
        assert squid["securityContext"]["readOnlyRootFilesystem"] is True
        assert squid["readinessProbe"]["tcpSocket"]["port"] == "proxy"
        assert find(objs, "Service", name)["spec"]["ports"][0]["port"] == 3128


def test_router_runs_nginx_unprivileged_on_8080(dev: Recording) -> None:
    objs = objects(dev)
    router = find(objs, "Deployment", "dify-router")
    nginx = container(router)
    assert nginx["image"].startswith("docker.io/nginxinc/nginx-unprivileged:")
    assert nginx["securityContext"]["runAsUser"] == 101
    assert nginx["ports"] == [{"containerPort": 8080, "name": "http"}]
    router_urn = next(r.urn for r in dev.registrations if r.name == "router-deployment")
    upstream = {
        r.name
        for r in dev.registrations
        if r.urn in next(r for r in dev.registrations if r.urn == router_urn).dependencies
    }
    assert {"api-service", "web-service", "plugin-daemon-service"} <= upstream


def test_show_secrets_writes_mock_values_instead_of_tokens(tmp_path: Path) -> None:
    assert main(["dev", "--out", str(tmp_path), "--quiet", "--show-secrets"]) == 0
    primary, isolated = sorted(
        yaml.safe_load_all((tmp_path / "manifests" / "credentials.yaml").read_text()),
        key=lambda secret: -len(secret["stringData"]),
    )
    values = primary["stringData"].values()
    assert not any(v.startswith("<secret:") for v in values)
    assert sorted(len(v) for v in values) == [24, 32, 32, 40, 40, 43, 48, 48, 48, 48, 64]
    # The sandbox's namespace gets only its own key, with the same value the api uses.
    assert isolated["metadata"]["namespace"] == "dify-sandbox"
    assert isolated["stringData"] == {"sandbox-api-key": primary["stringData"]["sandbox-api-key"]}
