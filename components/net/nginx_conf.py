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

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from components.catalog import CATALOG
from components.config.models import EdgeSettings, RequestBudget
from components.routing import NEVER_ROUTED, Route

HEALTH_PATH = "/healthz"

# Edge policy per routed prefix. Every prefix of the routing table must appear in exactly one
# budget table, so a new route forces a decision instead of silently going unlimited.
Budget = Literal["console", "public_api"]
BUDGET_PREFIXES: dict[Budget | None, tuple[str, ...]] = {
    # The console and the web apps' own API (and files they show): browsers of signed-in users.
    "console": ("/console/api", "/api", "/files", "/openapi"),
    # Called by other programs with app keys, MCP clients, webhook senders, plugin endpoints.
    "public_api": ("/v1", "/mcp", "/triggers", "/e/"),
    # Never limited: a page load fetches dozens of /_next assets, Socket.IO long-polls.
    None: ("/socket.io/", "/explore", "/"),
}
# The console UI pages share "/" with the web apps, but are inert without /console/api.
ALLOW_LISTED_PREFIXES = ("/console/api",)
# Dify's web frontend refuses framing (X-Frame-Options: DENY) everywhere except the pages its
# embed feature puts in other sites' iframes (web/proxy.ts @ 1.16.1: pathname.startsWith "/chat",
# "/workflow", "/completion", "/webapp-signin"; "/chat" also covers the /chatbot embed pages, and
# /embed.js is a script, which frame-ancestors does not govern). The edge therefore must not send
# a global X-Frame-Options: DENY or frame-ancestors 'self': those pages get webAppFrameAncestors
# (none by default), everything else frameAncestors.
EMBEDDABLE_PREFIXES = ("/chat", "/chatbot", "/completion", "/workflow", "/webapp-signin")
_EMBEDDABLE_URI = "~^(" + "|".join(EMBEDDABLE_PREFIXES) + ")(/|$)"
_ZONE_SIZE = "10m"  # ~160k client addresses per budget
_PUBLIC_URL = re.compile(r"^(https?)://([a-z0-9.-]+)(?::([0-9]{1,5}))?$")


@dataclass(frozen=True)
class PublicUrl:
    """The URL users open (``dify:scheme`` + ``dify:host``): the router sits behind a port-forward,
    a Service or an Ingress, so its own scheme and port say nothing about what clients used."""

    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> PublicUrl:
        match = _PUBLIC_URL.fullmatch(url)
        if not match:
            raise ValueError(f"public URL {url!r} must be http(s)://host[:port] without a path")
        scheme, host, port = match.groups()
        return cls(scheme, host, int(port) if port else (443 if scheme == "https" else 80))

    def __str__(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return f"{self.scheme}://{self.host}" + ("" if self.port == default else f":{self.port}")


def budget_of(prefix: str) -> Budget | None:
    owners = [budget for budget, prefixes in BUDGET_PREFIXES.items() if prefix in prefixes]
    if len(owners) != 1:
        raise ValueError(f"route prefix {prefix!r} has no rate-limit budget in BUDGET_PREFIXES")
    return owners[0]


def budget_settings(edge: EdgeSettings, budget: Budget) -> RequestBudget:
    return edge.rate_limit.console if budget == "console" else edge.rate_limit.public_api


def burst_multiplier(budget: RequestBudget) -> int:
    """ingress-nginx sets burst = rate × an integer multiplier: the smallest one covering ``burst``."""
    return max(1, math.ceil(budget.burst / int(budget.rate.split("r/")[0])))


def frame_ancestors(sources: Sequence[str]) -> str:
    return f"frame-ancestors {' '.join(sources)}" if sources else ""


def security_headers(edge: EdgeSettings, public: PublicUrl) -> list[tuple[str, str]]:
    """(name, value) of the headers every response gets, the frame policy aside."""
    if not edge.security_headers:
        return []
    headers = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", edge.referrer_policy)]
    # Browsers ignore HSTS over plain http, and a stray one would pin a host that has no TLS.
    if public.scheme == "https" and edge.hsts_max_age > 0:
        headers.append(("Strict-Transport-Security", f"max-age={edge.hsts_max_age}"))
    return headers


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


def _forward_headers(public: PublicUrl) -> tuple[tuple[str, str], ...]:
    """proxy.conf.template @ 1.16.1, minus Connection, which depends on the route. The router never
    terminates TLS and listens on 8080, so upstream's $scheme and $server_port would be wrong
    behind any port-forward, load balancer or Ingress: the public URL's scheme and port are used."""
    return (
        ("Host", "$host"),
        ("X-Forwarded-For", "$proxy_add_x_forwarded_for"),
        ("X-Forwarded-Proto", public.scheme),
        ("X-Forwarded-Port", str(public.port)),
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


def _edge_rules(route: Route, edge: EdgeSettings) -> list[str]:
    rules = []
    if route.prefix in ALLOW_LISTED_PREFIXES and edge.console_allow_list:
        rules += [*(f"allow {cidr};" for cidr in edge.console_allow_list), "deny all;"]
    budget = budget_of(route.prefix)
    if budget is not None and edge.rate_limit.enabled:
        # nodelay: a burst is served at once (then 429), never queued; an SSE stream is one request.
        rules.append(f"limit_req zone={budget} burst={budget_settings(edge, budget).burst} nodelay;")
    return rules


def _location(route: Route, edge: EdgeSettings, public: PublicUrl) -> list[str]:
    upstream = CATALOG[route.service].address(route.port)
    # Directive order within a location does not matter to nginx; proxy_pass first reads best.
    body = [f"proxy_pass http://{upstream};", *_edge_rules(route, edge)]
    body += [f"proxy_set_header {name} {value};" for name, value in _forward_headers(public)]
    if route.hook_url_header:
        # The plugin daemon builds the public endpoint URL it shows users from this header.
        body.append(f"proxy_set_header Dify-Hook-Url {public}$request_uri;")
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
    public_url: str = "http://localhost:8080",
    edge: EdgeSettings | None = None,
    listen_port: int = 8080,
    proxy_timeout: str = "3600s",
    worker_processes: int = 2,
) -> str:
    """A complete nginx.conf proxying each route, in the given order, to its catalogue Service.

    ``worker_processes`` defaults to a number rather than upstream's ``auto`` because ``auto``
    counts the node's CPUs, not the container's limit, and would fork dozens of workers on a
    large node.
    """
    validate_routes(routes)
    edge = edge or EdgeSettings()
    public = PublicUrl.parse(public_url)
    for route in routes:
        budget_of(route.prefix)
    client_max_body_size = edge.max_body_size
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
        *_header_directives(edge, public),
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
        server += ["", *_location(route, edge, public)]

    http: list[str] = [
        "include /etc/nginx/mime.types;",
        "default_type application/octet-stream;",
        "server_tokens off;",
        "access_log /dev/stdout;",
        "sendfile on;",
        "keepalive_timeout 65;",
        "",
        *(f"{directive} {path};" for directive, path in _TEMP_PATHS),
        *_http_edge(edge),
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


def _http_edge(edge: EdgeSettings) -> list[str]:
    lines: list[str] = []
    if edge.trusted_proxies:
        lines += [
            "",
            "# The client is the last address in X-Forwarded-For not added by a trusted proxy.",
            *(f"set_real_ip_from {cidr};" for cidr in edge.trusted_proxies),
            "real_ip_header X-Forwarded-For;",
            "real_ip_recursive on;",
        ]
    if edge.rate_limit.enabled:
        lines += ["", "# Per-client budgets (components/net/nginx_conf.py BUDGET_PREFIXES)."]
        for budget in ("console", "public_api"):
            rate = budget_settings(edge, budget).rate
            lines.append(f"limit_req_zone $binary_remote_addr zone={budget}:{_ZONE_SIZE} rate={rate};")
        lines.append("limit_req_status 429;")
    outside, embeddable = frame_ancestors(edge.frame_ancestors), frame_ancestors(edge.web_app_frame_ancestors)
    if edge.security_headers and (outside or embeddable):
        lines += [
            "",
            "# Dify's embeddable web-app pages keep their own frame policy; an empty value sends no header.",
            "map $uri $frame_ancestors {",
            f'    default "{outside}";',
            f'    {_EMBEDDABLE_URI} "{embeddable}";',
            "}",
        ]
    return lines


def _header_directives(edge: EdgeSettings, public: PublicUrl) -> list[str]:
    """Server-level, so every location inherits them (none sets add_header of its own); ``always``
    puts them on 403/429/5xx answers too. The upstream's copies are hidden so there is one of each."""
    headers = security_headers(edge, public)
    lines = [f'add_header {name} "{value}" always;' for name, value in headers]
    lines += [f"proxy_hide_header {name};" for name, _ in headers]
    if edge.security_headers and (edge.frame_ancestors or edge.web_app_frame_ancestors):
        lines.append("add_header Content-Security-Policy $frame_ancestors always;")
    return lines


def _indent(lines: Sequence[str]) -> list[str]:
    return [f"    {line}" if line else "" for line in lines]
