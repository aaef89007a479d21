"""Tests for the rendered router nginx.conf and the Ingress path table (pure, no Pulumi runtime).

``test_nginx_accepts_config`` runs the real ``nginx -t``. Static ``proxy_pass`` hostnames are
resolved when nginx loads its config, so the check runs in a private mount namespace whose
/etc/hosts maps every catalogue Service to 127.0.0.1, and whose /tmp is a scratch directory so
nginx's temp directories do not leak onto the host.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from components.config.models import EdgeSettings
from components.net.ingress import DEFAULT_ANNOTATIONS, ingress_annotations, ingress_paths
from components.net.nginx_conf import render_nginx_conf, validate_routes
from components.routing import NEVER_ROUTED, Route, routes
from tests.test_literals import INGRESS_ROUTES, NGINX_ROUTES

REQUIRE_TOOLS = os.environ.get("DIFY_REQUIRE_TOOLS") == "1"
NAMESPACE_READY = "dify-test-namespace-ready"

_LOCATION = re.compile(r"^\s*location\s+(=\s+)?(\S+)\s*\{\n(.*?)^\s*\}", re.MULTILINE | re.DOTALL)


def _locations(conf: str) -> dict[str, str]:
    """Location prefix → body ("= /x" for exact matches); bodies contain no nested blocks."""
    found: dict[str, str] = {}
    for exact, prefix, body in _LOCATION.findall(conf):
        key = f"= {prefix}" if exact else prefix
        assert key not in found, f"duplicate location {key}"
        found[key] = body
    return found


def _directives(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]


@pytest.mark.parametrize("collaboration", [True, False])
def test_every_route_is_a_location_with_its_upstream(collaboration: bool) -> None:
    conf = render_nginx_conf(routes(collaboration))
    locations = _locations(conf)
    # Literal upstream table (docker/nginx/conf.d/default.conf.template @ 1.16.1), in nginx order.
    expected = dict(NGINX_ROUTES)
    if not collaboration:
        expected["/socket.io/"] = "http://dify-api:5001"
    assert [key for key in locations if not key.startswith("=")] == list(expected)
    for prefix, upstream in expected.items():
        body = _directives(locations[prefix])
        assert body.count(f"proxy_pass {upstream};") == 1
        assert sum(d.startswith("proxy_pass ") for d in body) == 1
        # Without these the api sees the router as the client and builds wrong URLs.
        for header in (
            "Host $host",
            "X-Forwarded-For $proxy_add_x_forwarded_for",
            # The public URL's (default http://localhost:8080), not the router's own $scheme/8080.
            "X-Forwarded-Proto http",
            "X-Forwarded-Port 8080",
        ):
            assert f"proxy_set_header {header};" in body
        connection = [d for d in body if d.startswith("proxy_set_header Connection ")]
        assert len(connection) == 1
    assert "resolver" not in conf


@pytest.mark.parametrize(("collaboration", "upstream"), [(True, "dify-api-websocket:5001"), (False, "dify-api:5001")])
def test_socket_io_upstream_follows_collaboration(collaboration: bool, upstream: str) -> None:
    conf = render_nginx_conf(routes(collaboration))
    body = _directives(_locations(conf)["/socket.io/"])
    assert f"proxy_pass http://{upstream};" in body
    assert "proxy_set_header Upgrade $http_upgrade;" in body
    assert "proxy_set_header Connection $connection_upgrade;" in body
    assert 'proxy_set_header Connection "";' not in body
    assert re.search(r"map \$http_upgrade \$connection_upgrade \{\s*default upgrade;\s*'' close;\s*\}", conf)


def test_plain_routes_clear_connection_header() -> None:
    locations = _locations(render_nginx_conf(routes()))
    for route in routes():
        if not route.websocket:
            assert 'proxy_set_header Connection "";' in _directives(locations[route.prefix])


def test_plugin_endpoints_get_hook_url_header() -> None:
    locations = _locations(render_nginx_conf(routes()))
    hook = "proxy_set_header Dify-Hook-Url http://localhost:8080$request_uri;"
    assert hook in _directives(locations["/e/"])
    assert "proxy_pass http://dify-plugin-daemon:5002;" in _directives(locations["/e/"])
    others = [prefix for prefix in locations if prefix != "/e/"]
    assert all(hook not in locations[prefix] for prefix in others)


@pytest.mark.parametrize("collaboration", [True, False])
def test_inner_api_is_never_routed(collaboration: bool) -> None:
    conf = render_nginx_conf(routes(collaboration))
    assert "/inner" not in conf
    assert all(path.path != "/inner/api" for path in ingress_paths(collaboration))


@pytest.mark.parametrize("prefix", [*NEVER_ROUTED, "/inner", "/inner/api/plugin", "/healthz", "api", "/a b"])
def test_unsafe_prefixes_are_rejected(prefix: str) -> None:
    with pytest.raises(ValueError):
        render_nginx_conf([*routes(), Route(prefix, "api")])


def test_duplicate_prefixes_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        validate_routes([Route("/v1", "api"), Route("/v1", "web")])


def test_proxy_settings_match_upstream_proxy_conf() -> None:
    conf = render_nginx_conf(routes())
    for directive in (
        "proxy_buffering off;",
        "proxy_read_timeout 3600s;",
        "proxy_send_timeout 3600s;",
        "client_max_body_size 100M;",
        "proxy_http_version 1.1;",
        "listen 8080;",
        "server_tokens off;",
        "pid /tmp/nginx.pid;",
        "error_log /dev/stderr warn;",
        "access_log /dev/stdout;",
        "include /etc/nginx/mime.types;",
    ):
        assert directive in conf, directive
    temp_paths = re.findall(r"^\s*(\w+_temp_path) (\S+);", conf, re.MULTILINE)
    assert {name for name, _ in temp_paths} == {
        "client_body_temp_path",
        "proxy_temp_path",
        "fastcgi_temp_path",
        "uwsgi_temp_path",
        "scgi_temp_path",
    }
    assert all(path.startswith("/tmp/") for _, path in temp_paths)
    assert not re.search(r"^\s*user\s", conf, re.MULTILINE)


def test_parameters_are_rendered_and_validated() -> None:
    conf = render_nginx_conf(routes(), listen_port=9000, edge=EdgeSettings(max_body_size="15M"), proxy_timeout="60s")
    assert "listen 9000;" in conf
    assert "client_max_body_size 15M;" in conf
    assert "proxy_read_timeout 60s;" in conf
    with pytest.raises(ValueError):
        render_nginx_conf(routes(), proxy_timeout="1s; include /etc/passwd")


def test_health_location_answers_locally() -> None:
    body = _directives(_locations(render_nginx_conf(routes()))["= /healthz"])
    assert "access_log off;" in body
    assert 'return 200 "ok\\n";' in body
    assert not any(d.startswith("proxy_pass") for d in body)


@pytest.mark.parametrize("collaboration", [True, False])
def test_ingress_paths_follow_routing_table(collaboration: bool) -> None:
    expected = [(path, service) for path, _, service in INGRESS_ROUTES]
    if not collaboration:
        expected = [(path, "dify-api" if path == "/socket.io" else service) for path, service in expected]
    paths = ingress_paths(collaboration)
    assert [(p.path, p.service_name) for p in paths] == expected
    assert {p.port_name for p in paths} == {"http"}


def test_ingress_annotations_user_wins() -> None:
    merged = ingress_annotations({"nginx.ingress.kubernetes.io/proxy-body-size": "1g", "x/y": "z"})
    assert merged["nginx.ingress.kubernetes.io/proxy-body-size"] == "1g"
    assert merged["x/y"] == "z"
    assert merged["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert merged["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "3600"
    assert ingress_annotations({}) == dict(DEFAULT_ANNOTATIONS)


def _unavailable(reason: str) -> None:
    if REQUIRE_TOOLS:
        pytest.fail(f"{reason} (DIFY_REQUIRE_TOOLS=1)")
    pytest.skip(reason)


UPSTREAM_HOSTS = ("dify-api", "dify-api-websocket", "dify-plugin-daemon", "dify-web")


def nginx_in_namespace(conf: str, tmp_path: Path, *nginx_args: str, directives: str = "") -> list[str] | None:
    """argv that runs nginx on ``conf`` in a private mount namespace whose /etc/hosts maps every
    upstream to 127.0.0.1 and whose /tmp is a scratch directory; None (after skip/fail) without tools.

    The namespace prints ``NAMESPACE_READY`` on stderr once its mounts are in place."""
    # Debian keeps both in sbin/bin directories that a non-root PATH may lack.
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"])
    nginx, unshare = shutil.which("nginx", path=search), shutil.which("unshare", path=search)
    if nginx is None or unshare is None:
        _unavailable("nginx needs the nginx and unshare binaries")
        return None
    scratch = tmp_path / "tmp"  # becomes /tmp inside the namespace
    scratch.mkdir()
    (scratch / "nginx.conf").write_text(conf)
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n" + "".join(f"127.0.0.1 {name}\n" for name in UPSTREAM_HOSTS))
    script = (
        'mount --bind "$1" /etc/hosts && mount --bind "$2" /tmp || exit 97; '
        f"echo {NAMESPACE_READY} >&2; "
        'nginx="$3"; shift 3; exec "$nginx" -c /tmp/nginx.conf -p /tmp -e stderr "$@"'
    )
    if os.geteuid() == 0:
        flags = ["-m"]
    else:
        # A non-root CI user gets a mount namespace by mapping itself to root in a user namespace.
        # There nginx's default worker user (nobody) is unmapped and chowning the temp dirs to it
        # fails, so the workers run as that mapped root; the file under test stays unchanged.
        flags, directives = ["-r", "-m"], f"user root; {directives}"
    extra = ["-g", directives.strip()] if directives.strip() else []
    return [unshare, *flags, "sh", "-c", script, "sh", str(hosts), str(scratch), nginx, *extra, *nginx_args]


def nginx_test(conf: str, tmp_path: Path) -> None:
    """Asserts ``nginx -t`` accepts ``conf`` (skips, or fails under DIFY_REQUIRE_TOOLS, without tools)."""
    argv = nginx_in_namespace(conf, tmp_path, "-t")
    if argv is None:
        return
    result = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    if NAMESPACE_READY not in result.stderr:
        _unavailable(f"cannot set up a private mount namespace: {output.strip()}")
        return
    assert result.returncode == 0, output
    assert "test is successful" in output


@pytest.mark.parametrize("collaboration", [True, False])
def test_nginx_accepts_config(collaboration: bool, tmp_path: Path) -> None:
    nginx_test(render_nginx_conf(routes(collaboration)), tmp_path)
