"""Renders the router's complete nginx.conf from the routing table (pure; no Pulumi).

The result replaces upstream's three templates (nginx.conf, proxy.conf, conf.d/default.conf
@ 1.16.1) with one file shaped for ``nginxinc/nginx-unprivileged`` as uid 101 on a read-only root
filesystem: no ``user`` directive, pid and temp files under the /tmp emptyDir, logs to the
container's stdout/stderr.

Upstreams are static ``proxy_pass http://<service>:<port>``. Upstream's ``/socket.io/`` uses
Docker's embedded resolver (127.0.0.11), which does not exist on Kubernetes; Service names are
instead resolved once at startup through the pod's resolv.conf. ClusterIPs are stable for a
Service's lifetime, and a routing change produces a new ConfigMap and therefore a new pod.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from components.catalog import CATALOG
from components.routing import NEVER_ROUTED, Route

HEALTH_PATH = "/healthz"

# Anything outside this set could break out of the location line or the config file.
_SAFE_PREFIX = re.compile(r"^/[A-Za-z0-9._~/-]*$")
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9.]+$")

_TEMP_PATHS = (
    ("client_body_temp_path", "/tmp/client_temp"),
    ("proxy_temp_path", "/tmp/proxy_temp"),
    ("fastcgi_temp_path", "/tmp/fastcgi_temp"),
    ("uwsgi_temp_path", "/tmp/uwsgi_temp"),
    ("scgi_temp_path", "/tmp/scgi_temp"),
)

# proxy.conf.template @ 1.16.1, minus Connection, which depends on the route.
_FORWARD_HEADERS = (
    ("Host", "$host"),
    ("X-Forwarded-For", "$proxy_add_x_forwarded_for"),
    ("X-Forwarded-Proto", "$scheme"),
    ("X-Forwarded-Port", "$server_port"),
)


def validate_routes(routes: Sequence[Route]) -> None:
    """Rejects tables that would expose ``NEVER_ROUTED`` paths or produce an invalid config.

    A prefix that merely *contains* ``/inner/api`` (say ``/inner``) would proxy it just as well,
    so any non-root prefix of a private path is refused too. ``/`` is allowed: it goes to the
    web frontend, which has no ``/inner/api``.
    """
    seen: set[str] = set()
    for route in routes:
        prefix = route.prefix
        if not _SAFE_PREFIX.match(prefix):
            raise ValueError(f"route prefix {prefix!r} is not a plain absolute path")
        for private in NEVER_ROUTED:
            if prefix.startswith(private) or (prefix != "/" and private.startswith(prefix)):
                raise ValueError(f"route prefix {prefix!r} would expose {private}, which must stay internal")
        if prefix == HEALTH_PATH:
            raise ValueError(f"{HEALTH_PATH} is reserved for the router's own probes")
        if prefix in seen:
            raise ValueError(f"duplicate route prefix {prefix!r}")
        seen.add(prefix)


def _location(route: Route) -> list[str]:
    upstream = CATALOG[route.service].address(route.port)
    body = [f"proxy_pass http://{upstream};"]
    body += [f"proxy_set_header {name} {value};" for name, value in _FORWARD_HEADERS]
    if route.hook_url_header:
        # The plugin daemon builds the public endpoint URL it shows users from this header.
        body.append("proxy_set_header Dify-Hook-Url $scheme://$host$request_uri;")
    if route.websocket:
        body.append("proxy_set_header Upgrade $http_upgrade;")
        body.append("proxy_set_header Connection $connection_upgrade;")
    else:
        # Lets HTTP/1.1 keep-alive to the upstream work instead of forwarding the client's "close".
        body.append('proxy_set_header Connection "";')
    return [f"location {route.prefix} {{", *(f"    {line}" for line in body), "}"]


def render_nginx_conf(
    routes: Sequence[Route],
    *,
    listen_port: int = 8080,
    client_max_body_size: str = "100M",
    proxy_timeout: str = "3600s",
    worker_processes: int = 2,
) -> str:
    """A complete nginx.conf proxying each route, in the given order, to its catalogue Service.

    ``worker_processes`` defaults to a number rather than upstream's ``auto`` because ``auto``
    counts the node's CPUs, not the container's limit, and would fork dozens of workers on a
    large node.
    """
    validate_routes(routes)
    if not 1 <= listen_port <= 65535:
        raise ValueError(f"listen_port {listen_port} is out of range")
    if worker_processes < 1:
        raise ValueError("worker_processes must be at least 1")
    for label, value in (("client_max_body_size", client_max_body_size), ("proxy_timeout", proxy_timeout)):
        if not _SAFE_VALUE.match(value):
            raise ValueError(f"{label} {value!r} is not an nginx size/time value")

    server: list[str] = [
        f"listen {listen_port};",
        "server_name _;",
        f"client_max_body_size {client_max_body_size};",
        # These inherit into every location; proxy_set_header does not (a location that sets one
        # header drops all inherited ones), so headers are written out per location below.
        "proxy_http_version 1.1;",
        "# Streaming (SSE) responses must reach the browser as they are produced.",
        "proxy_buffering off;",
        f"proxy_read_timeout {proxy_timeout};",
        f"proxy_send_timeout {proxy_timeout};",
        "",
        f"location = {HEALTH_PATH} {{",
        "    access_log off;",
        "    default_type text/plain;",
        '    return 200 "ok\\n";',
        "}",
    ]
    for route in routes:
        server += ["", *_location(route)]

    http: list[str] = [
        "include /etc/nginx/mime.types;",
        "default_type application/octet-stream;",
        "server_tokens off;",
        "access_log /dev/stdout;",
        "sendfile on;",
        "keepalive_timeout 65;",
        "",
        *(f"{directive} {path};" for directive, path in _TEMP_PATHS),
    ]
    if any(route.websocket for route in routes):
        http += [
            "",
            "# A plain request through a websocket location must not be told to upgrade.",
            "map $http_upgrade $connection_upgrade {",
            "    default upgrade;",
            "    '' close;",
            "}",
        ]
    http += ["", "server {", *_indent(server), "}"]

    lines = [
        "# Generated by components/net/nginx_conf.py from components/routing.py; do not edit.",
        f"worker_processes {worker_processes};",
        "pid /tmp/nginx.pid;",
        "error_log /dev/stderr warn;",
        "",
        "events {",
        # Each SSE stream or websocket holds two connections (client and upstream) for up to
        # proxy_timeout, so the default of 512 runs out early.
        "    worker_connections 4096;",
        "}",
        "",
        "http {",
        *_indent(http),
        "}",
    ]
    return "\n".join(lines) + "\n"


def _indent(lines: Sequence[str]) -> list[str]:
    return [f"    {line}" if line else "" for line in lines]
