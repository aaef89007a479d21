"""dify:net:Router: the in-namespace nginx that plays upstream's ``nginx`` compose service.

Creates: an auto-named ConfigMap holding the rendered ``nginx.conf``, and (via ``deploy()``) a
Deployment of ``nginx-unprivileged`` as uid 101 on a read-only root filesystem, a Service
``dify-router`` on port 80, and a PodDisruptionBudget when replicas ≥ 2.

The ConfigMap is deliberately auto-named: a routing change (e.g. toggling collaboration) yields a
new ConfigMap name, which changes the pod template and rolls the Deployment. nginx only reads its
config and resolves upstream Service names at startup, so an in-place edit would go unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import CATALOG, ROUTER_SERVICE_PORT
from components.config.models import EdgeSettings
from components.kube import ContainerSpec, SecurityProfile, empty_dir, http_probe, mount, object_meta
from components.net.nginx_conf import HEALTH_PATH, render_nginx_conf
from components.routing import routes
from components.workload import ServiceInputs, WorkloadArgs, deploy

ENTRY = CATALOG["router"]
CONFIG_KEY = "nginx.conf"
CONFIG_DIR = "/etc/nginx/dify"

# The image's nginx user; fsGroup makes the ConfigMap files readable to it whatever their mode.
SECURITY = SecurityProfile(run_as_user=101, run_as_group=101, fs_group=101)

# Bypasses the image's entrypoint, whose envsubst/ipv6 scripts write to /etc/nginx/conf.d and
# fail on a read-only root filesystem; the config needs no templating anyway.
COMMAND = ("nginx", "-c", f"{CONFIG_DIR}/{CONFIG_KEY}", "-g", "daemon off;")


@dataclass(kw_only=True)
class RouterArgs(ServiceInputs):
    """``depends_on`` holds the Services nginx proxies to: it resolves their names once, at
    start, and exits if one is missing, so the Deployment must not be created before them."""

    labels: Mapping[str, str]
    service_type: str = "ClusterIP"
    collaboration: bool = True
    # What clients open (X-Forwarded-Proto/Port, Dify-Hook-Url) and the edge policy (headers,
    # rate limits, allow-list, body size): see components/net/nginx_conf.py.
    public_url: str = "http://localhost:8080"
    edge: EdgeSettings = field(default_factory=EdgeSettings)


class Router(pulumi.ComponentResource):
    service: k8s.core.v1.Service
    config_map: k8s.core.v1.ConfigMap

    def __init__(self, name: str, args: RouterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:net:Router", name, None, opts)
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=object_meta(None, args.namespace, args.labels),
            data={
                CONFIG_KEY: render_nginx_conf(
                    routes(args.collaboration),
                    public_url=args.public_url,
                    edge=args.edge,
                    listen_port=ENTRY.port("http"),
                )
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        container = ContainerSpec(
            name="nginx",
            image=args.image,
            resources=args.resources,
            security=SECURITY,
            ports=ENTRY.ports,
            command=COMMAND,
            readiness=http_probe(HEALTH_PATH, period=5, timeout=3),
            liveness=http_probe(HEALTH_PATH, period=20, timeout=5, failures=3),
            # A directory mount, not subPath: a subPath copy is frozen at pod start, so the file
            # in the pod could silently differ from the ConfigMap it names.
            mounts=[mount("config", CONFIG_DIR, read_only=True), mount("tmp", "/tmp")],
        )
        deployed = deploy(
            self,
            name,
            WorkloadArgs.of(
                ENTRY,
                args,
                [container],
                volumes=[
                    k8s.core.v1.VolumeArgs(
                        name="config",
                        config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=self.config_map.metadata.name),
                    ),
                    # nginx spools request bodies over 16k here before proxying, so a few
                    # concurrent 100M uploads must fit; exceeding the limit evicts the pod.
                    empty_dir("tmp", "1Gi"),
                ],
                service_type=args.service_type,
                service_port_overrides={"http": ROUTER_SERVICE_PORT},
            ),
        )
        if deployed.service is None:  # the catalogue gives the router a port, so deploy() always exposes it
            raise RuntimeError("router Service was not created")
        self.service = deployed.service
        self.deployment = deployed.deployment
        self.register_outputs(
            {
                "service": self.service.metadata.name,
                "config_map": self.config_map.metadata.name,
                "deployment": self.deployment.metadata.name,
            }
        )
