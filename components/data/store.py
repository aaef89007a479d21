"""What the in-cluster data stores share: their arguments and the StatefulSet they run as."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import Entry, Resources
from components.kube import ContainerSpec
from components.versions import image_tag
from components.workload import StatefulArgs, StatefulDeployed, deploy_stateful

DATA_VOLUME = "data"


@dataclass(kw_only=True)
class StoreArgs:
    namespace: pulumi.Input[str]
    instance: str
    labels: Mapping[str, str]
    image: str
    storage_size: str
    storage_class: str | None
    resources: Resources


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
            version=image_tag(args.image),
            container=container,
            security=container.security,
            data_volume=DATA_VOLUME,
            storage_size=args.storage_size,
            storage_class=args.storage_class,
            volumes=volumes,
        ),
    )
