"""dify:app:Worker: the Celery worker (MODE=worker) on the entrypoint's default queue list.

Creates: a Deployment without a Service (nothing connects to a worker) and a PDB when
replicas ≥ 2. Its probes ping *this* worker through the broker (``-d celery@$HOSTNAME``); a plain
``inspect ping`` succeeds if any worker answers.
"""

from __future__ import annotations

import pulumi

from components.app.api_family import ApiFamilyArgs, api_container, deploy_api_family
from components.catalog import CATALOG
from components.kube import exec_probe

ENTRY = CATALOG["worker"]

# celery_healthcheck.py (api @ 1.16.1) builds a bare Celery app without importing Flask, so the
# check costs one short Python process, not a full app boot.
PING = [
    "/bin/bash",
    "-c",
    'celery -A celery_healthcheck.celery inspect ping -d "celery@${HOSTNAME}" --timeout 10 >/dev/null',
]


class Worker(pulumi.ComponentResource):
    def __init__(self, name: str, args: ApiFamilyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:app:Worker", name, None, opts)
        container = api_container(
            args.ctx,
            "worker",
            image=args.image,
            resources=args.resources,
            readiness=exec_probe(PING, period=60, timeout=30),
            liveness=exec_probe(PING, period=120, timeout=30, failures=3),
        )
        deployed = deploy_api_family(self, name, ENTRY, args, container)
        self.deployment = deployed.deployment
        self.register_outputs({"deployment": self.deployment.metadata.name})
