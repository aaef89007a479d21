"""dify:net:AgentSsrfProxy: the egress proxy of the agent's local_sandbox (code the model wrote runs there).

Creates: an auto-named ConfigMap with the rendered squid.conf, a non-root squid Deployment and the
ClusterIP Service ``dify-agent-ssrf-proxy:3128`` (plus a PodDisruptionBudget from two replicas up),
through the same builder as ``SsrfProxy``; see ``components.net.ssrf_proxy`` for why running
without upstream's entrypoint and without root is safe.

Policy (upstream squid-agent.conf.template): the internet is open, private networks are closed,
except ``/agent-stub/`` on the agent backend and ``/files/`` (signed file URLs) on the api. Upstream
names those hosts ``agent_backend`` and ``api`` (compose service names); here they are the
Kubernetes Service names from the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import CATALOG, Resources
from components.net.squid_conf import render_agent_proxy_conf
from components.net.ssrf_proxy import PORT_NAME, deploy_squid

ENTRY = CATALOG["agent-ssrf-proxy"]


@dataclass
class AgentSsrfProxyArgs:
    namespace: pulumi.Input[str]
    instance: str
    labels: Mapping[str, str]
    image: str
    replicas: int
    resources: Resources


class AgentSsrfProxy(pulumi.ComponentResource):
    service: k8s.core.v1.Service
    config_map: k8s.core.v1.ConfigMap
    url: str

    def __init__(
        self,
        name: str,
        args: AgentSsrfProxyArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("dify:net:AgentSsrfProxy", name, None, opts)
        squid_conf = render_agent_proxy_conf(
            port=ENTRY.port(PORT_NAME),
            api_host=CATALOG["api"].name,
            agent_backend_host=CATALOG["agent-backend"].name,
        )
        proxy = deploy_squid(
            self,
            name,
            entry=ENTRY,
            squid_conf=squid_conf,
            namespace=args.namespace,
            instance=args.instance,
            labels=args.labels,
            image=args.image,
            replicas=args.replicas,
            resources=args.resources,
        )
        self.config_map = proxy.config_map
        self.service = proxy.service
        self.deployment = proxy.deployed.deployment
        self.url = ENTRY.url(PORT_NAME)
        self.register_outputs(
            {
                "url": self.url,
                "service": self.service.metadata.name,
                "config_map": self.config_map.metadata.name,
            }
        )
