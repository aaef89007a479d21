"""The one routing table (docker/nginx/conf.d/default.conf.template @ 1.16.1).

Both the in-namespace nginx router and the optional Ingress are generated from ``routes()``;
there is no second hand-kept copy. ``/inner/api`` is deliberately absent: it is the
plugin-daemon/agent → api channel and must never be reachable from outside.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.catalog import ServiceKey


@dataclass(frozen=True)
class Route:
    prefix: str
    service: ServiceKey
    port: str = "http"
    websocket: bool = False
    # The plugin daemon builds endpoint URLs from the Dify-Hook-Url header nginx adds.
    hook_url_header: bool = False

    @property
    def ingress_path(self) -> str:
        # Ingress Prefix matching is per path element, so "/e" matches "/e/…" but not "/explore".
        return self.prefix.rstrip("/") or "/"


NEVER_ROUTED = ("/inner/api",)

# Kibana, with dify:logging.kibana.expose: its own Ingress in the logging namespace for the same
# host (an Ingress reaches only Services of its namespace), behind edge.consoleAllowList. Kibana
# serves under this base path itself (server.basePath, rewriteBasePath), so the path is portable
# across controllers. It must not shadow a Dify route (tests/test_logging_stack.py).
KIBANA_PREFIX = "/kibana"

_API_PREFIXES = ("/console/api", "/api", "/v1", "/openapi", "/files", "/mcp", "/triggers")


def routes(collaboration: bool = True) -> tuple[Route, ...]:
    """Routes in nginx order; without api_websocket, Socket.IO goes to the api as upstream notes."""
    api_routes = tuple(Route(prefix, "api") for prefix in _API_PREFIXES)
    socket_service: ServiceKey = "api-websocket" if collaboration else "api"
    return (
        *api_routes,
        Route("/socket.io/", socket_service, websocket=True),
        Route("/e/", "plugin-daemon", hook_url_header=True),
        Route("/explore", "web"),
        Route("/", "web"),
    )
