"""dify:app:WorkerBeat: the Celery beat scheduler, exactly one replica with ``Recreate``.

Creates: a Deployment (no Service). Two beats would enqueue every periodic task twice, so the
replica count is not configurable and updates stop the old pod before starting the new one.

The entrypoint runs ``celery -A app.celery beat`` without ``-s``, which writes its schedule
database into /app/api; we run the same command with the schedule in /tmp so the root
filesystem stays read-only.
"""

from __future__ import annotations

import dataclasses

import pulumi

from components.app.api_family import ApiFamilyArgs, api_container, deploy_api_family
from components.catalog import CATALOG
from components.kube import exec_probe

ENTRY = CATALOG["worker-beat"]
SCHEDULE = "/tmp/celerybeat-schedule"

# Beat has no health endpoint and is no worker, so `inspect ping` says nothing about it. It
# syncs its schedule file every few minutes (Scheduler.sync_every = 180 s): a file untouched
# for ten minutes means the scheduler loop is stuck.
SCHEDULE_FRESH = ["/bin/sh", "-c", 'test -n "$(find /tmp -maxdepth 1 -name "celerybeat-schedule*" -mmin -10)"']


class WorkerBeat(pulumi.ComponentResource):
    def __init__(self, name: str, args: ApiFamilyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:app:WorkerBeat", name, None, opts)
        level = args.ctx.config.app.log_level
        container = api_container(
            args.ctx,
            "beat",
            image=args.image,
            resources=args.resources,
            # Beat only enqueues; it never touches uploaded files.
            with_storage=False,
            command=["celery", "-A", "app.celery", "beat", "--loglevel", level, "-s", SCHEDULE],
            readiness=exec_probe(SCHEDULE_FRESH, period=60, timeout=10),
            liveness=exec_probe(SCHEDULE_FRESH, period=60, timeout=10, failures=3),
        )
        singleton = dataclasses.replace(args, replicas=1)
        deployed = deploy_api_family(self, name, ENTRY, singleton, container, strategy="Recreate", with_storage=False)
        self.deployment = deployed.deployment
        self.register_outputs({"deployment": self.deployment.metadata.name})
