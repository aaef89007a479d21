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

import pulumi

from components.catalog import CATALOG
from components.net.squid_conf import render_agent_proxy_conf
from components.net.ssrf_proxy import PORT_NAME, SquidArgs, SquidProxy

ENTRY = CATALOG["agent-ssrf-proxy"]


# The agent proxy takes no allow-lists: its policy is fixed by the agent protocol.
AgentSsrfProxyArgs = SquidArgs


class AgentSsrfProxy(SquidProxy):
    def __init__(self, name: str, args: AgentSsrfProxyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        squid_conf = render_agent_proxy_conf(
            port=ENTRY.port(PORT_NAME),
            api_host=CATALOG["api"].name,
            agent_backend_host=CATALOG["agent-backend"].name,
        )
        super().__init__("dify:net:AgentSsrfProxy", name, ENTRY, args, squid_conf, opts)
