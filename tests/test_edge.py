"""Edge hardening (``dify:edge``) on the nginx router and the Ingress.

Three layers: the exact directives and annotations rendered from config; ``nginx -t`` on a config
with every feature on; and a live nginx on loopback in front of stub upstreams (tiny HTTP servers on
127.0.0.1 that echo what they received), showing 429 past a budget, 403 outside the allow-list, the
headers, the public X-Forwarded-Port and that /inner/api lands on web. Only loopback addresses are
ever contacted; every loop is bounded and every process and thread is stopped afterwards.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from components.config.models import EdgeSettings
from components.net.ingress import ingress_objects
from components.net.nginx_conf import BUDGET_PREFIXES, PublicUrl, render_nginx_conf
from components.routing import Route, routes
from synth.__main__ import validate
from synth.mocks import Recording
from tests.conftest import objects, synth_with
from tests.lookup import kinds
from tests.test_router_conf import (
    _directives,
    _locations,
    nginx_test,
)

NGINX = "nginx.ingress.kubernetes.io"
BASE = {
    f"{NGINX}/proxy-body-size": "100m",
    f"{NGINX}/proxy-read-timeout": "3600",
    f"{NGINX}/proxy-send-timeout": "3600",
    f"{NGINX}/proxy-buffering": "off",
}
CONSOLE_LIMIT = {f"{NGINX}/limit-rps": "20", f"{NGINX}/limit-burst-multiplier": "5"}
PUBLIC_LIMIT = {f"{NGINX}/limit-rps": "10", f"{NGINX}/limit-burst-multiplier": "5"}
ALL_PATHS = [
    "/console/api",
    "/api",
    "/v1",
    "/openapi",
    "/files",
    "/mcp",
    "/triggers",
    "/socket.io",
    "/e",
    "/explore",
    "/",
]
WEBAPP_PATHS = ["/chat", "/chatbot", "/completion", "/workflow", "/webapp-signin"]
HEADERS_HTTP = [
    'add_header X-Content-Type-Options "nosniff" always;',
    'add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
    "proxy_hide_header X-Content-Type-Options;",
    "proxy_hide_header Referrer-Policy;",
    "add_header Content-Security-Policy $frame_ancestors always;",
]
HSTS = 'add_header Strict-Transport-Security "max-age=31536000" always;'


def edge(**values: Any) -> EdgeSettings:
    """EdgeSettings from camelCase keys, as the stack config spells them."""
    return EdgeSettings.model_validate(values)


def _server_directives(conf: str) -> list[str]:
    server = conf.split("server {", 1)[1].split("location", 1)[0]
    return _directives(server)


# --- rendering -------------------------------------------------------------------------------


def test_default_budgets_per_location() -> None:
    conf = render_nginx_conf(routes())
    locations = _locations(conf)
    expected = {
        "/console/api": "limit_req zone=console burst=100 nodelay;",
        "/api": "limit_req zone=console burst=100 nodelay;",
        "/files": "limit_req zone=console burst=100 nodelay;",
        "/openapi": "limit_req zone=console burst=100 nodelay;",
        "/v1": "limit_req zone=public_api burst=50 nodelay;",
        "/mcp": "limit_req zone=public_api burst=50 nodelay;",
        "/triggers": "limit_req zone=public_api burst=50 nodelay;",
        "/e/": "limit_req zone=public_api burst=50 nodelay;",
        "/socket.io/": None,
        "/explore": None,
        "/": None,
        "= /healthz": None,
    }
    assert set(locations) == set(expected)
    for prefix, limit in expected.items():
        found = [d for d in _directives(locations[prefix]) if d.startswith("limit_req")]
        assert found == ([limit] if limit else []), prefix
        assert not any(d.startswith(("allow", "deny")) for d in _directives(locations[prefix]))
    http = _directives(conf.split("server {", 1)[0])
    for directive in (
        "limit_req_zone $binary_remote_addr zone=console:10m rate=20r/s;",
        "limit_req_zone $binary_remote_addr zone=public_api:10m rate=10r/s;",
        "limit_req_status 429;",
    ):
        assert http.count(directive) == 1, directive
    assert "set_real_ip_from" not in conf


def test_default_headers_and_frame_policy_http() -> None:
    conf = render_nginx_conf(routes(), public_url="http://localhost:8080")
    server = _server_directives(conf)
    assert [d for d in server if d.startswith(("add_header", "proxy_hide_header"))] == HEADERS_HTTP
    assert "Strict-Transport-Security" not in conf  # no TLS, no HSTS
    assert "X-Frame-Options" not in conf  # would break Dify's embedded chatbots
    frame_map = re.search(r"map \$uri \$frame_ancestors \{\n(.*?)\n\s*\}", conf, re.DOTALL)
    assert frame_map is not None
    assert _directives(frame_map.group(1)) == [
        "default \"frame-ancestors 'self'\";",
        '~^(/chat|/chatbot|/completion|/workflow|/webapp-signin)(/|$) "";',
    ]
    assert "client_max_body_size 100M;" in server


def test_https_adds_hsts_and_public_forwarding() -> None:
    conf = render_nginx_conf(routes(), public_url="https://dify.example.com", edge=edge(hstsMaxAge=600))
    server = _server_directives(conf)
    assert 'add_header Strict-Transport-Security "max-age=600" always;' in server
    assert "proxy_hide_header Strict-Transport-Security;" in server
    for prefix, body in _locations(conf).items():
        if prefix.startswith("="):
            continue
        directives = _directives(body)
        assert "proxy_set_header X-Forwarded-Proto https;" in directives
        assert "proxy_set_header X-Forwarded-Port 443;" in directives
        assert not any("$server_port" in d or "$scheme" in d for d in directives)
    assert "proxy_set_header Dify-Hook-Url https://dify.example.com$request_uri;" in _directives(
        _locations(conf)["/e/"]
    )
    assert "Strict-Transport-Security" not in render_nginx_conf(
        routes(), public_url="https://dify.example.com", edge=edge(hstsMaxAge=0)
    )


@pytest.mark.parametrize(
    ("url", "scheme", "port", "hook"),
    [
        ("http://localhost:8080", "http", 8080, "http://localhost:8080"),
        ("http://dify.example.com", "http", 80, "http://dify.example.com"),
        ("https://dify.example.com", "https", 443, "https://dify.example.com"),
        ("https://dify.example.com:8443", "https", 8443, "https://dify.example.com:8443"),
    ],
)
def test_public_port_comes_from_the_public_url(url: str, scheme: str, port: int, hook: str) -> None:
    public = PublicUrl.parse(url)
    assert (public.scheme, public.port, str(public)) == (scheme, port, hook)
    body = _directives(_locations(render_nginx_conf(routes(), public_url=url))["/e/"])
    assert f"proxy_set_header X-Forwarded-Port {port};" in body
    assert f"proxy_set_header Dify-Hook-Url {hook}$request_uri;" in body


@pytest.mark.parametrize("url", ["dify.example.com", "https://dify.example.com/app", "ftp://x", "https://a b"])
def test_bad_public_url_is_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="public URL"):
        render_nginx_conf(routes(), public_url=url)


def test_allow_list_only_on_console_api() -> None:
    conf = render_nginx_conf(routes(), edge=edge(consoleAllowList=["10.0.0.0/8", "192.168.1.10/32"]))
    locations = _locations(conf)
    assert _directives(locations["/console/api"])[1:5] == [
        "allow 10.0.0.0/8;",
        "allow 192.168.1.10/32;",
        "deny all;",
        "limit_req zone=console burst=100 nodelay;",
    ]
    others = [prefix for prefix in locations if prefix != "/console/api"]
    assert all("allow " not in locations[p] and "deny " not in locations[p] for p in others)


def test_trusted_proxies_set_the_real_client() -> None:
    conf = render_nginx_conf(routes(), edge=edge(trustedProxies=["10.42.0.0/16"]))
    http = _directives(conf.split("server {", 1)[0])
    start = http.index("set_real_ip_from 10.42.0.0/16;")
    assert http[start : start + 3] == [
        "set_real_ip_from 10.42.0.0/16;",
        "real_ip_header X-Forwarded-For;",
        "real_ip_recursive on;",
    ]


def test_everything_off_renders_no_edge_directives() -> None:
    conf = render_nginx_conf(routes(), edge=edge(securityHeaders=False, rateLimit={"enabled": False}))
    for word in ("limit_req", "add_header", "proxy_hide_header", "$frame_ancestors", "allow ", "deny "):
        assert word not in conf, word
    assert "client_max_body_size 100M;" in conf


def test_custom_budgets_frame_sources_and_body_size() -> None:
    settings = edge(
        rateLimit={"console": {"rate": "600r/m", "burst": 0}, "publicApi": {"rate": "3r/s", "burst": 7}},
        frameAncestors=["'self'", "https://intranet.example.com"],
        webAppFrameAncestors=["https://*.example.com"],
        referrerPolicy="no-referrer",
        maxBodySize="15M",
    )
    conf = render_nginx_conf(routes(), edge=settings)
    assert "limit_req_zone $binary_remote_addr zone=console:10m rate=600r/m;" in conf
    assert "limit_req_zone $binary_remote_addr zone=public_api:10m rate=3r/s;" in conf
    assert "limit_req zone=console burst=0 nodelay;" in _directives(_locations(conf)["/files"])
    assert "limit_req zone=public_api burst=7 nodelay;" in _directives(_locations(conf)["/v1"])
    assert "default \"frame-ancestors 'self' https://intranet.example.com\";" in conf
    assert '(/|$) "frame-ancestors https://*.example.com";' in conf
    assert 'add_header Referrer-Policy "no-referrer" always;' in conf
    assert "client_max_body_size 15M;" in conf


def test_every_route_has_exactly_one_budget() -> None:
    listed = [prefix for prefixes in BUDGET_PREFIXES.values() for prefix in prefixes]
    assert sorted(listed) == sorted(route.prefix for route in routes())
    with pytest.raises(ValueError, match="no rate-limit budget"):
        render_nginx_conf([*routes(), Route("/new", "api")])


@pytest.mark.parametrize("collaboration", [True, False])
def test_nginx_accepts_every_edge_feature(collaboration: bool, tmp_path: Path) -> None:
    settings = edge(
        consoleAllowList=["10.0.0.0/8", "fd00::/8"],
        trustedProxies=["10.42.0.0/16"],
        frameAncestors=["'self'", "https://intranet.example.com:8443"],
        webAppFrameAncestors=["https:"],
        rateLimit={"console": {"rate": "600r/m", "burst": 200}},
        maxBodySize="1g",
    )
    nginx_test(render_nginx_conf(routes(collaboration), public_url="https://dify.example.com", edge=settings), tmp_path)


# --- Ingress -------------------------------------------------------------------------------


def _by_name(objects: list[Any]) -> dict[str, tuple[list[str], dict[str, str]]]:
    return {obj.name: ([p.path for p in obj.paths], obj.annotations) for obj in objects}


def test_ingress_default_splits_the_budgets() -> None:
    # Separate console and public-API budgets need separate objects: ingress-nginx rate-limits per
    # Ingress object, so the default is the split layout.
    assert [obj.name for obj in ingress_objects(True)] == ["dify", "dify-console", "dify-app-api", "dify-public-api"]


def test_unsplit_ingress_is_one_object_with_the_console_budget() -> None:
    assert _by_name(ingress_objects(True, edge(ingressSplit=False))) == {"dify": (ALL_PATHS, {**BASE, **CONSOLE_LIMIT})}


def test_ingress_allow_list_moves_console_api_to_its_own_object() -> None:
    settings = edge(consoleAllowList=["10.0.0.0/8", "192.168.1.10/32"], ingressSplit=False)
    assert _by_name(ingress_objects(True, settings)) == {
        "dify": ([p for p in ALL_PATHS if p != "/console/api"], {**BASE, **CONSOLE_LIMIT}),
        "dify-console": (
            ["/console/api"],
            {**BASE, **CONSOLE_LIMIT, f"{NGINX}/whitelist-source-range": "10.0.0.0/8,192.168.1.10/32"},
        ),
    }


def test_ingress_split_gives_each_budget_its_objects() -> None:
    objects = ingress_objects(True, edge(ingressSplit=True, maxBodySize="15M"))
    base = {**BASE, f"{NGINX}/proxy-body-size": "15m"}
    assert [obj.name for obj in objects] == ["dify", "dify-console", "dify-app-api", "dify-public-api"]
    assert _by_name(objects) == {
        "dify": (["/socket.io", "/explore", "/"], base),
        "dify-console": (["/console/api"], {**base, **CONSOLE_LIMIT}),
        "dify-app-api": (["/api", "/openapi", "/files"], {**base, **CONSOLE_LIMIT}),
        "dify-public-api": (["/v1", "/mcp", "/triggers", "/e"], {**base, **PUBLIC_LIMIT}),
    }
    services = {p.path: p.service_name for obj in objects for p in obj.paths}
    assert services["/e"] == "dify-plugin-daemon" and services["/socket.io"] == "dify-api-websocket"


def test_ingress_rate_units_and_burst_multiplier() -> None:
    settings = edge(
        ingressSplit=True,
        rateLimit={"console": {"rate": "600r/m", "burst": 100}, "publicApi": {"rate": "7r/s", "burst": 15}},
    )
    found = _by_name(ingress_objects(True, settings))
    assert found["dify-app-api"][1] == {**BASE, f"{NGINX}/limit-rpm": "600", f"{NGINX}/limit-burst-multiplier": "1"}
    assert found["dify-public-api"][1] == {**BASE, f"{NGINX}/limit-rps": "7", f"{NGINX}/limit-burst-multiplier": "3"}
    unlimited = _by_name(ingress_objects(True, edge(ingressSplit=True, rateLimit={"enabled": False})))
    assert all(annotations == BASE for _, annotations in unlimited.values())


def test_ingress_snippets_carry_headers_and_429() -> None:
    objects = ingress_objects(True, edge(ingressSnippets=True, ingressSplit=False), "https://dify.example.com")
    common = (
        'more_set_headers "X-Content-Type-Options: nosniff";\n'
        'more_set_headers "Referrer-Policy: strict-origin-when-cross-origin";\n'
        'more_set_headers "Strict-Transport-Security: max-age=31536000";\n'
    )
    assert _by_name(objects) == {
        "dify": (
            ALL_PATHS,
            {
                **BASE,
                **CONSOLE_LIMIT,
                f"{NGINX}/configuration-snippet": common
                + "more_set_headers \"Content-Security-Policy: frame-ancestors 'self'\";\nlimit_req_status 429;\n",
            },
        ),
        "dify-webapp": (
            WEBAPP_PATHS,
            {**BASE, **CONSOLE_LIMIT, f"{NGINX}/configuration-snippet": common + "limit_req_status 429;\n"},
        ),
    }
    assert {p.service_name for p in objects[1].paths} == {"dify-web"}
    plain = _by_name(ingress_objects(True, edge(ingressSnippets=True, ingressSplit=True), "http://dify.example.com"))
    assert plain["dify"][1][f"{NGINX}/configuration-snippet"] == (
        'more_set_headers "X-Content-Type-Options: nosniff";\n'
        'more_set_headers "Referrer-Policy: strict-origin-when-cross-origin";\n'
        "more_set_headers \"Content-Security-Policy: frame-ancestors 'self'\";\n"
    )


def test_ingress_user_annotations_win_everywhere() -> None:
    user = {f"{NGINX}/limit-rps": "99", "example.com/team": "ai"}
    for obj in ingress_objects(True, edge(ingressSplit=True), user=user):
        assert obj.annotations[f"{NGINX}/limit-rps"] == "99"
        assert obj.annotations["example.com/team"] == "ai"


@pytest.mark.parametrize(
    "settings", [{}, {"ingressSplit": True}, {"ingressSnippets": True, "consoleAllowList": ["10.0.0.0/8"]}]
)
def test_ingress_never_exposes_inner_api(settings: dict[str, Any]) -> None:
    paths = [p.path for obj in ingress_objects(True, edge(**settings)) for p in obj.paths]
    assert len(paths) == len(set(paths))  # one backend per path across all objects
    assert not any(path.startswith("/inner") or path == "/in" for path in paths)


# --- the whole stack ---------------------------------------------------------------------------


def _router_conf(objs: list[dict[str, Any]]) -> str:
    return next(o for o in kinds(objs, "ConfigMap") if "nginx.conf" in o.get("data", {}))["data"]["nginx.conf"]


def test_stacks_wire_the_public_url_and_edge_into_the_router(dev: Recording, prod: Recording) -> None:
    dev_conf, prod_conf = _router_conf(objects(dev)), _router_conf(objects(prod))
    assert "proxy_set_header X-Forwarded-Port 8080;" in dev_conf  # dify:host localhost:8080
    assert "proxy_set_header Dify-Hook-Url http://localhost:8080$request_uri;" in dev_conf
    assert "Strict-Transport-Security" not in dev_conf
    assert "proxy_set_header X-Forwarded-Port 443;" in prod_conf  # https://dify.example.com
    assert "proxy_set_header Dify-Hook-Url https://dify.example.com$request_uri;" in prod_conf
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in prod_conf
    assert "$server_port" not in dev_conf + prod_conf


def test_split_ingress_with_snippets_and_allow_list_synths_clean() -> None:
    settings = {"ingressSplit": True, "ingressSnippets": True, "consoleAllowList": ["10.0.0.0/8"], "maxBodySize": "1g"}
    objs = objects(synth_with("prod", edge=settings), show_secrets=False)
    assert validate(objs, "1.33") == []
    ingresses = {o["metadata"]["name"]: o for o in kinds(objs, "Ingress")}
    paths = {name: [p["path"] for p in o["spec"]["rules"][0]["http"]["paths"]] for name, o in ingresses.items()}
    assert paths == {
        "dify": ["/socket.io", "/explore", "/"],
        "dify-console": ["/console/api"],
        "dify-app-api": ["/api", "/openapi", "/files"],
        "dify-public-api": ["/v1", "/mcp", "/triggers", "/e"],
        "dify-webapp": WEBAPP_PATHS,
    }
    for ingress in ingresses.values():
        assert ingress["spec"]["tls"] == [{"hosts": ["dify.example.com"], "secretName": "dify-tls"}]
        assert ingress["metadata"]["annotations"][f"{NGINX}/proxy-body-size"] == "1g"
    console = ingresses["dify-console"]["metadata"]["annotations"]
    assert console[f"{NGINX}/whitelist-source-range"] == "10.0.0.0/8"
    assert "limit_req_status 429;" in console[f"{NGINX}/configuration-snippet"]
    assert "client_max_body_size 1g;" in _router_conf(objs)
