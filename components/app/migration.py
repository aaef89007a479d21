"""dify:app:Migration: the one gated schema migration, a Job running the api image with
MODE=migration.

Creates: a ``batch/v1`` Job named after the Dify version. pulumi-kubernetes waits for a Job to
complete, and every api-image Deployment depends on this component, so nothing serves on an old
schema and no two Deployments race for the upstream ``db_upgrade_lock``.
A version bump changes the name, so the Job is replaced and runs again; other spec changes also
replace it (Job templates are immutable). The Job fails unless the database ends at the migration
heads (``MIGRATE_AND_VERIFY``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.app.api_family import SECURITY, api_container, api_volumes, storage_identity
from components.app.env import AppContext
from components.catalog import CATALOG, PREFIX, Resources
from components.kube import labels, object_meta, pod_spec
from components.versions import image_tag

ENTRY = CATALOG["migration"]

# `flask upgrade-db` takes the Redis lock `db_upgrade_lock` without waiting and, when another
# holder has it, prints "Database migration skipped" and exits 0 (api/commands/system.py @ 1.16.1).
# A retry of this Job after an OOM kill or eviction meets the dead pod's lock (TTL 60 s) and would
# "succeed" without migrating, letting every Deployment roll onto the old schema. So the Job
# proves its work: the revisions `flask db current` marks "(head)" must be exactly the script
# heads, else it fails and the Job retries. `flask db …` builds the slim migrations app (no Redis,
# no storage; api/app.py is_db_command), and Alembic logs go to stderr, so stdout holds only
# "<rev> (head)" lines. This replaces the entrypoint, whose only other work is exporting
# LANG/LC_ALL (already set by the image) and PYTHONIOENCODING.
MIGRATE_AND_VERIFY = """set -euo pipefail
export PYTHONIOENCODING=utf-8
flask upgrade-db
heads=$(flask db heads | grep -oE '^[^ ]+ [(]head[)]' | sort || true)
current=$(flask db current | grep -oE '^[^ ]+ [(]head[)]' | sort || true)
if [ -z "$heads" ] || [ "$heads" != "$current" ]; then
  echo "migration: database is at '${current:-no revision}', expected heads '${heads}'" >&2
  exit 1
fi
echo "migration: database at ${heads}"
"""


def job_name(image: str) -> str:
    return f"{PREFIX}-migrate-{image_tag(image).replace('.', '-').replace('_', '-').lower()}"[:63]


@dataclass
class MigrationArgs:
    ctx: AppContext
    namespace: pulumi.Input[str]
    instance: str
    image: str
    resources: Resources
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    extra_labels: Mapping[str, str] = field(default_factory=dict)


class Migration(pulumi.ComponentResource):
    job: k8s.batch.v1.Job

    def __init__(self, name: str, args: MigrationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:app:Migration", name, None, opts)
        version = image_tag(args.image)
        object_labels = labels(ENTRY.key, args.instance, version)
        container = api_container(
            args.ctx,
            "migration",
            image=args.image,
            resources=args.resources,
            with_storage=False,
            command=["/bin/bash", "-c", MIGRATE_AND_VERIFY],
        )
        self.job = k8s.batch.v1.Job(
            f"{name}-job",
            metadata=object_meta(job_name(args.image), args.namespace, object_labels),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=4,
                active_deadline_seconds=1800,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=object_labels),
                    spec=pod_spec(
                        [container],
                        SECURITY,
                        volumes=api_volumes(None),
                        restart_policy="Never",
                        service_account=storage_identity(args.ctx),
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(args.depends_on),
                replace_on_changes=["spec"],
                delete_before_replace=True,
                # The provider awaits completion for 10 minutes by default; allow the Job's own
                # deadline, since a large upgrade's migrations can take longer.
                custom_timeouts=pulumi.CustomTimeouts(create="30m", update="30m"),
            ),
        )
        self.register_outputs({"job": self.job.metadata.name})
