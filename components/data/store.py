"""What the in-cluster data stores share: their arguments and the StatefulSet they run as."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import Entry
from components.kube import ContainerSpec
from components.workload import Placement, StatefulArgs, StatefulDeployed, deploy_stateful

DATA_VOLUME = "data"


@dataclass(kw_only=True)
class StoreArgs(Placement):
    labels: Mapping[str, str]
    storage_size: str
    storage_class: str | None


def deploy_store(
    parent: pulumi.Resource,
    name: str,
    entry: Entry,
    args: StoreArgs,
    container: ContainerSpec,
    volumes: Sequence[k8s.core.v1.VolumeArgs] = (),
) -> StatefulDeployed:
    """One replica, one ReadWriteOnce claim mounted as ``data``, a ClusterIP Service."""
    return deploy_stateful(
        parent,
        name,
        StatefulArgs(
            entry=entry,
            namespace=args.namespace,
            instance=args.instance,
            container=container,
            data_volume=DATA_VOLUME,
            storage_size=args.storage_size,
            storage_class=args.storage_class,
            volumes=volumes,
        ),
    )
