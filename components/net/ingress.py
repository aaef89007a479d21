"""dify:net:Ingress: the routing table as a networking.k8s.io/v1 Ingress, for clusters with a controller.

Creates: one Ingress named ``dify`` whose paths come from ``routing.routes()`` (the same table the
nginx router renders), each pointing straight at the owning Service by port name, so traffic skips
the router hop.

Annotations default to ingress-nginx equivalents of the router's proxy settings (100m bodies,
one-hour read/send timeouts, no response buffering for SSE); the user's annotations override them.

One upstream behaviour has no portable Ingress equivalent: the router adds
``Dify-Hook-Url: $scheme://$host$request_uri`` on ``/e/``. Without it the plugin daemon builds
plugin endpoint URLs from ``ENDPOINT_URL_TEMPLATE``, which the api receives, so that variable must
carry the public URL whenever this Ingress is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import CATALOG
from components.net.nginx_conf import validate_routes
from components.routing import routes

NAME = "dify"

networking = k8s.networking.v1

_NGINX = "nginx.ingress.kubernetes.io"
DEFAULT_ANNOTATIONS: Mapping[str, str] = {
    f"{_NGINX}/proxy-body-size": "100m",
    f"{_NGINX}/proxy-read-timeout": "3600",
    f"{_NGINX}/proxy-send-timeout": "3600",
    f"{_NGINX}/proxy-buffering": "off",
}


class IngressPath(NamedTuple):
    path: str
    service_name: str
    port_name: str


@dataclass
class IngressArgs:
    namespace: pulumi.Input[str]
    labels: Mapping[str, str]
    host: str | None  # a bare DNS name; None matches any host (handy on dev clusters)
    class_name: str | None = None  # None: the cluster's default IngressClass
    tls_secret_name: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    collaboration: bool = True


def ingress_paths(collaboration: bool) -> list[IngressPath]:
    """(path, Service name, Service port name) per route, in routing-table order."""
    table = routes(collaboration)
    validate_routes(table)
    paths = [IngressPath(r.ingress_path, CATALOG[r.service].name, r.port) for r in table]
    # "/e/" and "/e" both collapse to "/e"; two backends for one path would be silently merged.
    duplicates = {p.path for p in paths if sum(q.path == p.path for q in paths) > 1}
    if duplicates:
        raise ValueError(f"routes collapse to the same Ingress path: {sorted(duplicates)}")
    return paths


def ingress_annotations(user: Mapping[str, str]) -> dict[str, str]:
    return {**DEFAULT_ANNOTATIONS, **user}


def _check_host(host: str | None, tls_secret_name: str | None) -> None:
    if host is not None and (not host or ":" in host or "/" in host):
        raise ValueError(f"Ingress host {host!r} must be a bare DNS name (no scheme, port or path)")
    if tls_secret_name and not host:
        raise ValueError("an Ingress TLS block needs a host to put in the certificate's hosts list")


class Ingress(pulumi.ComponentResource):
    ingress: networking.Ingress

    def __init__(self, name: str, args: IngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:net:Ingress", name, None, opts)
        _check_host(args.host, args.tls_secret_name)
        http_paths = [
            networking.HTTPIngressPathArgs(
                path=p.path,
                path_type="Prefix",
                backend=networking.IngressBackendArgs(
                    service=networking.IngressServiceBackendArgs(
                        name=p.service_name, port=networking.ServiceBackendPortArgs(name=p.port_name)
                    )
                ),
            )
            for p in ingress_paths(args.collaboration)
        ]
        self.ingress = networking.Ingress(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=NAME,
                namespace=args.namespace,
                labels=dict(args.labels),
                annotations=ingress_annotations(args.annotations),
            ),
            spec=networking.IngressSpecArgs(
                ingress_class_name=args.class_name,
                tls=(
                    [networking.IngressTLSArgs(hosts=[args.host], secret_name=args.tls_secret_name)]
                    if args.tls_secret_name and args.host
                    else None
                ),
                rules=[
                    networking.IngressRuleArgs(
                        host=args.host, http=networking.HTTPIngressRuleValueArgs(paths=http_paths)
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"name": self.ingress.metadata.name})
