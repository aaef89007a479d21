"""The routing table as Ingresses for the AWS Load Balancer Controller (``ingress.tls.mode: alb``).

An ALB terminates TLS with the ACM certificate and sends traffic straight to the pods
(``target-type: ip``). Differences from the ingress-nginx objects (components/net/ingress.py):

- one Ingress per backend Service, because an ALB health-checks each target group on a path
  and the path differs per backend (api and api_websocket ``/health``, the plugin daemon
  ``/health/check``; the web app has no health route, so ``/`` with any non-error status);
- every object joins one IngressGroup (``group.name``), so they share one ALB instead of one
  ALB each, and carries the same load-balancer-level annotations (the controller rejects a
  group whose members disagree); ``group.order`` puts the web app's ``/`` catch-all last;
- the idle timeout is 3600 s, so an SSE stream (a workflow run, a chat answer) that is silent
  for minutes is not cut at the ALB's default 60 s; an ALB neither buffers responses nor limits
  the body size, so nothing else is needed for streaming and 100m uploads;
- no rate limits, allow-list or security headers: those are ingress-nginx annotations (the
  router does not see this traffic either). AWS WAF is the place for them: ``ingress.tls.wafAclArn``
  associates a web ACL with the ALB (README).

Socket.IO needs no stickiness: Dify's collaboration client connects with the websocket
transport only (web/app/components/workflow/collaboration/core/websocket-manager.ts:49 @ 1.16.1).
"""

from __future__ import annotations

import json

from components.catalog import CATALOG, ServiceKey
from components.config.ingress_tls import ALB_CLASS
from components.net.nginx_conf import validate_routes
from components.routing import routes

ALB = "alb.ingress.kubernetes.io"
__all__ = ["ALB", "ALB_CLASS", "alb_annotations", "alb_groups", "backend_annotations", "object_name"]
# TLS 1.2 and 1.3 only (the controller's default policy still admits TLS 1.0 and 1.1).
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
IDLE_TIMEOUT_SECONDS = 3600
# Per backend: (health-check path, success codes, rule order within the group; lower first).
# web: "/" is web/app/(commonLayout)/page.tsx @ 1.16.1, a client page whose layouts redirect
# nothing on the server (sign-in happens in the browser), so it answers 200; 3xx is admitted too
# so that a future server-side redirect does not take every web target out of service.
HEALTH: dict[ServiceKey, tuple[str, str, int]] = {
    "api": ("/health", "200", 10),
    "api-websocket": ("/health", "200", 20),
    "plugin-daemon": ("/health/check", "200", 30),
    "web": ("/", "200-399", 1000),
}


def alb_annotations(group: str, certificate_arn: str, waf_acl_arn: str | None = None) -> dict[str, str]:
    """What every object of the group carries: the ALB's own settings."""
    waf = {f"{ALB}/wafv2-acl-arn": waf_acl_arn} if waf_acl_arn else {}
    return {
        **waf,
        f"{ALB}/group.name": group,
        f"{ALB}/scheme": "internet-facing",
        f"{ALB}/target-type": "ip",
        f"{ALB}/listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
        f"{ALB}/ssl-redirect": "443",
        f"{ALB}/certificate-arn": certificate_arn,
        f"{ALB}/ssl-policy": SSL_POLICY,
        f"{ALB}/load-balancer-attributes": f"idle_timeout.timeout_seconds={IDLE_TIMEOUT_SECONDS}",
    }


def alb_groups(collaboration: bool) -> dict[ServiceKey, list[tuple[str, str]]]:
    """Backend → its (Ingress path, Service port name) pairs, in routing-table order."""
    table = routes(collaboration)
    validate_routes(table)
    found: dict[ServiceKey, list[tuple[str, str]]] = {}
    for route in table:
        found.setdefault(route.service, []).append((route.ingress_path, route.port))
    unknown = set(found) - set(HEALTH)
    if unknown:
        raise ValueError(f"routes to backends without an ALB health check: {sorted(unknown)}")
    return found


def object_name(service: ServiceKey) -> str:
    """The web app's object keeps the plain name ``dify``: it holds the catch-all ``/``."""
    return "dify" if service == "web" else CATALOG[service].name


def backend_annotations(service: ServiceKey) -> dict[str, str]:
    path, codes, order = HEALTH[service]
    return {
        f"{ALB}/group.order": str(order),
        f"{ALB}/healthcheck-path": path,
        f"{ALB}/success-codes": codes,
    }
