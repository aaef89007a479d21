"""dify:net:Ingress: the routing table as networking.k8s.io/v1 Ingresses, for clusters with a controller.

Creates: an Ingress named ``dify`` whose paths come from ``routing.routes()`` (the same table the
nginx router renders), each pointing straight at the owning Service by port name, so traffic skips
the router hop; and, as ``dify:edge`` asks, more Ingresses for path groups whose annotations differ
(``ingress_objects``).

Annotations default to ingress-nginx equivalents of the router's proxy settings (body size from
``edge.maxBodySize``, one-hour read/send timeouts, no response buffering for SSE) and its edge
settings; the user's annotations override them. ingress-nginx applies annotations to every path of
an Ingress object and gives each object its own rate-limit zone, hence the split:

- the console allow-list needs ``/console/api`` alone in ``dify-console``;
- with ``edge.ingressSplit`` every budget gets its own objects (``dify-console``, ``dify-app-api``,
  ``dify-public-api``) and ``dify`` keeps only the unlimited paths; without it ``dify`` carries the
  console budget for all its paths, the public API included;
- with ``edge.ingressSnippets`` the embeddable web-app pages get ``dify-webapp``, whose
  configuration-snippet sends their own frame policy.

Not expressible per Ingress: the 429 status (ingress-nginx's ``limit-req-status-code`` is a
controller ConfigMap key; with snippets, ``limit_req_status 429`` is added) and the security headers
without snippets (the controller's ``add-headers`` ConfigMap is global). HSTS comes from the
controller whenever the Ingress has TLS (``hsts`` ConfigMap keys, one year by default).

One upstream behaviour has no portable Ingress equivalent: the router adds
``Dify-Hook-Url: <public URL>$request_uri`` on ``/e/``. Without it the plugin daemon builds
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
from components.config.ingress_tls import IngressTls
from components.config.models import EdgeSettings
from components.net.alb import ALB_CLASS, alb_annotations, alb_groups, backend_annotations, object_name
from components.net.nginx_conf import (
    ALLOW_LISTED_PREFIXES,
    EMBEDDABLE_PREFIXES,
    Budget,
    PublicUrl,
    budget_of,
    budget_settings,
    burst_multiplier,
    frame_ancestors,
    security_headers,
    validate_routes,
)
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
    edge: EdgeSettings = field(default_factory=EdgeSettings)
    public_url: str = "https://localhost"
    tls: IngressTls = field(default_factory=IngressTls)
    # The ALB IngressGroup's name (ingress.tls.mode alb): one ALB per stack.
    alb_group: str = NAME


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


def ingress_annotations(user: Mapping[str, str], edge: EdgeSettings | None = None) -> dict[str, str]:
    """The annotations every Ingress object starts from."""
    edge = edge or EdgeSettings()
    return {**DEFAULT_ANNOTATIONS, f"{_NGINX}/proxy-body-size": edge.max_body_size.lower(), **user}


class IngressObject(NamedTuple):
    name: str
    paths: list[IngressPath]
    annotations: dict[str, str]


class _Group(NamedTuple):
    name: str
    budget: Budget | None
    allow_listed: bool = False
    embeddable: bool = False


def _group_of(prefix: str, edge: EdgeSettings) -> _Group:
    budget = budget_of(prefix)
    if prefix in ALLOW_LISTED_PREFIXES and (edge.console_allow_list or edge.ingress_split):
        return _Group(f"{NAME}-console", "console", allow_listed=True)
    if not edge.ingress_split:
        return _Group(NAME, "console")  # one object, one zone: the console budget covers it all
    if budget == "console":
        return _Group(f"{NAME}-app-api", "console")
    if budget == "public_api":
        return _Group(f"{NAME}-public-api", "public_api")
    return _Group(NAME, None)


def _edge_annotations(group: _Group, edge: EdgeSettings, public: PublicUrl) -> dict[str, str]:
    annotations: dict[str, str] = {}
    limited = group.budget is not None and edge.rate_limit.enabled
    if limited and group.budget is not None:
        budget = budget_settings(edge, group.budget)
        count, unit = budget.rate.split("r/")
        annotations[f"{_NGINX}/limit-rp{unit}"] = count
        annotations[f"{_NGINX}/limit-burst-multiplier"] = str(burst_multiplier(budget))
    if group.allow_listed and edge.console_allow_list:
        annotations[f"{_NGINX}/whitelist-source-range"] = ",".join(edge.console_allow_list)
    if edge.ingress_snippets:
        headers = security_headers(edge, public)
        if edge.security_headers:
            policy = frame_ancestors(edge.web_app_frame_ancestors if group.embeddable else edge.frame_ancestors)
            headers += [("Content-Security-Policy", policy)] if policy else []
        snippet = [f'more_set_headers "{name}: {value}";' for name, value in headers]
        snippet += ["limit_req_status 429;"] if limited else []
        if snippet:
            annotations[f"{_NGINX}/configuration-snippet"] = "\n".join(snippet) + "\n"
    return annotations


CLUSTER_ISSUER = "cert-manager.io/cluster-issuer"


def alb_objects(
    collaboration: bool,
    group: str,
    certificate_arn: str,
    user: Mapping[str, str] | None = None,
    waf_acl_arn: str | None = None,
) -> list[IngressObject]:
    """One object per backend for the AWS Load Balancer Controller (components/net/alb.py)."""
    shared = alb_annotations(group, certificate_arn, waf_acl_arn)
    objects = [
        IngressObject(
            object_name(service),
            [IngressPath(path, CATALOG[service].name, port) for path, port in paths],
            {**shared, **backend_annotations(service), **(user or {})},
        )
        for service, paths in alb_groups(collaboration).items()
    ]
    return sorted(objects, key=lambda obj: obj.name != NAME)


def ingress_objects(
    collaboration: bool,
    edge: EdgeSettings | None = None,
    public_url: str = "https://localhost",
    user: Mapping[str, str] | None = None,
    tls: IngressTls | None = None,
    alb_group: str = NAME,
) -> list[IngressObject]:
    """The Ingress objects, ``dify`` first, each with its paths (routing-table order) and annotations."""
    tls = tls or IngressTls()
    if tls.mode == "alb" and tls.certificate_arn:
        return alb_objects(collaboration, alb_group, tls.certificate_arn, user, tls.waf_acl_arn)
    edge = edge or EdgeSettings()
    public = PublicUrl.parse(public_url)
    groups: dict[_Group, list[IngressPath]] = {}
    for route, path in zip(routes(collaboration), ingress_paths(collaboration), strict=True):
        groups.setdefault(_group_of(route.prefix, edge), []).append(path)
    if edge.ingress_snippets:
        # Only a snippet can give these pages a frame policy of their own; without one they stay
        # under "/" in the main object.
        main = next(group for group in groups if group.name == NAME)
        web = CATALOG["web"].name
        webapp = main._replace(name=f"{NAME}-webapp", embeddable=True)
        groups[webapp] = [IngressPath(prefix, web, "http") for prefix in EMBEDDABLE_PREFIXES]
    base = ingress_annotations(user or {}, edge)
    ordered = sorted(groups.items(), key=lambda item: item[0].name != NAME)
    # cert-manager's ingress-shim makes one Certificate per Ingress and TLS secretName: asked by
    # every object, they would fight over the one Secret. The main object asks; all serve it.
    issuer = {CLUSTER_ISSUER: tls.cluster_issuer} if tls.mode == "cert-manager" and tls.cluster_issuer else {}
    return [
        IngressObject(
            group.name,
            paths,
            {
                **base,
                **_edge_annotations(group, edge, public),
                **(issuer if group.name == NAME else {}),
                **(user or {}),
            },
        )
        for group, paths in ordered
    ]


def _check_host(host: str | None, tls_secret_name: str | None) -> None:
    if host is not None and (not host or ":" in host or "/" in host):
        raise ValueError(f"Ingress host {host!r} must be a bare DNS name (no scheme, port or path)")
    if tls_secret_name and not host:
        raise ValueError("an Ingress TLS block needs a host to put in the certificate's hosts list")


def _tls(args: IngressArgs, alb: bool) -> list[networking.IngressTLSArgs] | None:
    if not args.host:
        return None
    if alb:
        # The certificate is the ACM ARN annotation; the TLS block still names the host it covers.
        return [networking.IngressTLSArgs(hosts=[args.host])]
    if args.tls_secret_name:
        return [networking.IngressTLSArgs(hosts=[args.host], secret_name=args.tls_secret_name)]
    return None


class Ingress(pulumi.ComponentResource):
    ingress: networking.Ingress
    ingresses: list[networking.Ingress]

    def __init__(self, name: str, args: IngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:net:Ingress", name, None, opts)
        _check_host(args.host, args.tls_secret_name)
        self.ingresses = [
            self._ingress(name + obj.name.removeprefix(NAME), obj, args)
            for obj in ingress_objects(
                args.collaboration, args.edge, args.public_url, args.annotations, args.tls, args.alb_group
            )
        ]
        self.ingress = self.ingresses[0]
        self.register_outputs({"name": self.ingress.metadata.name})

    def _ingress(self, resource_name: str, obj: IngressObject, args: IngressArgs) -> networking.Ingress:
        alb = args.tls.mode == "alb"
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
            for p in obj.paths
        ]
        return networking.Ingress(
            resource_name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=obj.name,
                namespace=args.namespace,
                labels=dict(args.labels),
                annotations=obj.annotations,
            ),
            spec=networking.IngressSpecArgs(
                ingress_class_name=ALB_CLASS if alb else args.class_name,
                tls=_tls(args, alb),
                rules=[
                    networking.IngressRuleArgs(
                        host=args.host, http=networking.HTTPIngressRuleValueArgs(paths=http_paths)
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
