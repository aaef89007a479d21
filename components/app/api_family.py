"""What the api-image workloads share: identity, shared storage, the container builder.

api, api_websocket, worker, worker_beat and the migration Job all run langgenius/dify-api;
this module keeps their common pod pieces in one place so the five components differ only in
mode, probes and replicas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from components.app.env import STORAGE_PATH, AppContext, Mode, api_family_env
from components.catalog import Entry, Port, Resources
from components.kube import (
    ContainerSpec,
    SecurityProfile,
    WorkloadIdentity,
    empty_dir,
    http_probe,
    mount,
    startup,
    tcp_probe,
)
from components.workload import Deployed, ServiceInputs, WorkloadArgs, deploy

core = k8s.core.v1
meta = k8s.meta.v1

# api/Dockerfile: USER dify, uid/gid 1001. Writes go to the storage volume and /tmp only.
SECURITY = SecurityProfile(run_as_user=1001, run_as_group=1001, fs_group=1001)

STORAGE_VOLUME = "app-storage"
SCRATCH_STORAGE_VOLUME = "storage-root"
# Pods that mount the shared app storage carry this label; with a ReadWriteOnce claim they must
# all land on one node, which pod affinity on it enforces.
STORAGE_GROUP_LABEL = {"dify-pulumi/storage-group": "app-storage"}


def storage_volume(claim_name: pulumi.Input[str]) -> core.VolumeArgs:
    return core.VolumeArgs(
        name=STORAGE_VOLUME,
        persistent_volume_claim=core.PersistentVolumeClaimVolumeSourceArgs(claim_name=claim_name),
    )


def storage_affinity(access_mode: str) -> core.AffinityArgs | None:
    """Co-locate the storage sharers when the claim is ReadWriteOnce; RWX needs nothing."""
    if access_mode == "ReadWriteMany":
        return None
    # A pod may satisfy a required affinity term with itself, so the first sharer schedules
    # anywhere and the rest follow it to the same node.
    return core.AffinityArgs(
        pod_affinity=core.PodAffinityArgs(
            required_during_scheduling_ignored_during_execution=[
                core.PodAffinityTermArgs(
                    label_selector=meta.LabelSelectorArgs(match_labels=STORAGE_GROUP_LABEL),
                    topology_key="kubernetes.io/hostname",
                )
            ]
        )
    )


def api_container(
    ctx: AppContext,
    mode: Mode,
    *,
    image: str,
    resources: Resources,
    ports: Sequence[Port] = (),
    with_storage: bool = True,
    readiness: core.ProbeArgs | None = None,
    liveness: core.ProbeArgs | None = None,
    startup: core.ProbeArgs | None = None,
    command: Sequence[str] | None = None,
) -> ContainerSpec:
    # Every api-image process runs create_app() (the entrypoint's `flask upgrade-db` and
    # `celery -A app.celery` included), whose storage extension mkdirs the OpenDAL fs root at
    # start: the root must be writable in every mode. Processes that serve files get the shared
    # claim; the others (migration, beat) only need the mkdir to succeed, so a scratch emptyDir.
    # On S3 nothing is written there (OpenDAL is not even loaded): every mode gets the scratch dir.
    shared = with_storage and ctx.stores.objects is None
    mounts = [mount("tmp", "/tmp"), mount(STORAGE_VOLUME if shared else SCRATCH_STORAGE_VOLUME, STORAGE_PATH)]
    return ContainerSpec(
        name={"websocket": "api-websocket", "beat": "worker-beat"}.get(mode, mode),
        image=image,
        resources=resources,
        security=SECURITY,
        ports=ports,
        env=api_family_env(ctx, mode),
        command=command,
        readiness=readiness,
        liveness=liveness,
        startup=startup,
        mounts=mounts,
    )


def storage_identity(ctx: AppContext) -> WorkloadIdentity | None:
    """The IRSA ServiceAccount when files are on S3: every api-image process builds the storage
    client at start (ext_storage.init_app → AwsS3Storage.__init__ runs head_bucket, dify 1.16.1),
    so beat and the migration Job need the identity as much as the api does."""
    objects = ctx.stores.objects
    return objects.service_account if objects is not None else None


def api_volumes(claim_name: pulumi.Input[str] | None, tmp_size: str = "1Gi") -> list[core.VolumeArgs]:
    """/tmp, plus the storage root: the shared claim, or without one the scratch emptyDir."""
    # Document extraction and uploads stage files in /tmp, hence the larger default.
    volumes = [empty_dir("tmp", tmp_size)]
    if claim_name is not None:
        volumes.append(storage_volume(claim_name))
    else:
        volumes.append(empty_dir(SCRATCH_STORAGE_VOLUME, "64Mi"))
    return volumes


@dataclass(kw_only=True)
class ApiFamilyArgs(ServiceInputs):
    """Arguments every long-running api-image component takes; ``depends_on`` holds the
    migration Job (and the data stores): nothing serves before the schema is current."""

    ctx: AppContext
    # None when Dify's files are on S3 (stores.objects): no claim, no co-location.
    storage_claim: pulumi.Input[str] | None
    storage_access_mode: str


def deploy_api_family(
    parent: pulumi.Resource,
    name: str,
    entry: Entry,
    args: ApiFamilyArgs,
    container: ContainerSpec,
    *,
    strategy: Literal["RollingUpdate", "Recreate"] = "RollingUpdate",
    with_storage: bool = True,
) -> Deployed:
    shared = with_storage and args.storage_claim is not None and args.ctx.stores.objects is None
    return deploy(
        parent,
        name,
        WorkloadArgs.of(
            entry,
            args,
            [container],
            volumes=api_volumes(args.storage_claim if shared else None),
            strategy=strategy,
            affinity=storage_affinity(args.storage_access_mode) if shared else None,
            extra_labels=STORAGE_GROUP_LABEL if shared else {},
            service_account=storage_identity(args.ctx),
        ),
    )


class ApiServer(pulumi.ComponentResource):
    """An HTTP server of the api image (api or api_websocket): /health probes, Service, PDB."""

    def __init__(
        self,
        token: str,
        name: str,
        entry: Entry,
        mode: Mode,
        args: ApiFamilyArgs,
        opts: pulumi.ResourceOptions | None,
        *,
        with_storage: bool = True,
    ) -> None:
        super().__init__(token, name, None, opts)
        # The Flask app serves /health in both modes (the Socket.IO server wraps it). A gevent
        # worker serves at most SERVER_WORKER_CONNECTIONS requests at once and each SSE stream
        # holds one for its whole run, so /health can queue behind long streams on a busy pod.
        # Readiness may say so (the pod leaves the endpoints until a slot frees), but liveness
        # must not restart a pod for being busy: it checks the listener over TCP, which the
        # kernel's backlog accepts even when every greenlet is taken. A wedged worker is gunicorn's
        # to kill (its arbiter restarts a worker whose heartbeat stops for GUNICORN_TIMEOUT).
        ready = http_probe("/health", period=10, timeout=5)
        container = api_container(
            args.ctx,
            mode,
            image=args.image,
            resources=args.resources,
            ports=entry.ports,
            with_storage=with_storage,
            readiness=ready,
            liveness=tcp_probe("http", period=20, timeout=5, failures=3),
            # Imports and extension init take tens of seconds on a cold node.
            startup=startup(ready, budget_seconds=300),
        )
        deployed = deploy_api_family(self, name, entry, args, container, with_storage=with_storage)
        self.deployment = deployed.deployment
        self.service = deployed.service
        self.register_outputs({"url": entry.url()})
