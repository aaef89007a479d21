"""dify:app:Api: the Dify REST API (gunicorn + gevent, MODE=api) on port 5001.

Creates: a Deployment (probes on ``/health``), a ClusterIP Service, and a PDB when replicas ≥ 2.
It never migrates (MIGRATION_ENABLED=false) and starts only after the migration Job.
"""

from __future__ import annotations

import pulumi

from components.app.api_family import ApiFamilyArgs, api_container, deploy_api_family
from components.catalog import CATALOG
from components.kube import http_probe, startup

ENTRY = CATALOG["api"]


class Api(pulumi.ComponentResource):
    def __init__(self, name: str, args: ApiFamilyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:app:Api", name, None, opts)
        ready = http_probe("/health", period=10, timeout=5)
        container = api_container(
            args.ctx,
            "api",
            image=args.image,
            resources=args.resources,
            ports=ENTRY.ports,
            readiness=ready,
            liveness=http_probe("/health", period=20, timeout=5, failures=6),
            # Imports and extension init take tens of seconds on a cold node.
            startup=startup(ready, budget_seconds=300),
        )
        deployed = deploy_api_family(self, name, ENTRY, args, container)
        self.deployment = deployed.deployment
        self.service = deployed.service
        self.register_outputs({"url": ENTRY.url()})
