"""dify:app:Api: the Dify REST API (gunicorn + gevent, MODE=api) on port 5001.

Creates: a Deployment (probes on ``/health``), a ClusterIP Service, and a PDB when replicas ≥ 2.
It never migrates (MIGRATION_ENABLED=false) and starts only after the migration Job.
"""

from __future__ import annotations

import pulumi

from components.app.api_family import ApiFamilyArgs, ApiServer
from components.catalog import CATALOG

ENTRY = CATALOG["api"]


class Api(ApiServer):
    def __init__(self, name: str, args: ApiFamilyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:app:Api", name, ENTRY, "api", args, opts)
