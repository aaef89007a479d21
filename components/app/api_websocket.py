"""dify:app:ApiWebsocket: the Socket.IO process for real-time collaboration (MODE=api with the
gevent-websocket worker class), behind the ``/socket.io/`` route.

Creates: a Deployment, a ClusterIP Service, and a PDB when replicas ≥ 2. Cross-replica fan-out
goes through Redis (api/extensions/ext_socketio.py).
"""

from __future__ import annotations

import pulumi

from components.app.api_family import ApiFamilyArgs, api_container, deploy_api_family
from components.catalog import CATALOG
from components.kube import http_probe, startup

ENTRY = CATALOG["api-websocket"]


class ApiWebsocket(pulumi.ComponentResource):
    def __init__(self, name: str, args: ApiFamilyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:app:ApiWebsocket", name, None, opts)
        # The same Flask app is mounted under the Socket.IO server, so /health answers here too.
        ready = http_probe("/health", period=10, timeout=5)
        container = api_container(
            args.ctx,
            "websocket",
            image=args.image,
            resources=args.resources,
            ports=ENTRY.ports,
            readiness=ready,
            liveness=http_probe("/health", period=20, timeout=5, failures=6),
            startup=startup(ready, budget_seconds=300),
        )
        deployed = deploy_api_family(self, name, ENTRY, args, container)
        self.deployment = deployed.deployment
        self.service = deployed.service
        self.register_outputs({"url": ENTRY.url()})
