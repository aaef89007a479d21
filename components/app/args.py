"""The shape shared by the Dify services outside the api family, and their common component.

Each service module describes its container (env, probes, identity, writable paths); the
``AppService`` base turns that into the Deployment, Service and PDB, so the wiring exists once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from components.app.env import AppContext
from components.catalog import Entry
from components.kube import ContainerSpec
from components.workload import ServiceInputs, WorkloadArgs, deploy


@dataclass(kw_only=True)
class AppServiceArgs(ServiceInputs):
    ctx: AppContext


class AppService(pulumi.ComponentResource):
    """One Dify service: a Deployment of ``container``, its Service, and a PDB from 2 replicas."""

    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service | None

    def __init__(
        self,
        token: str,
        name: str,
        entry: Entry,
        args: AppServiceArgs,
        container: ContainerSpec,
        volumes: Sequence[k8s.core.v1.VolumeArgs],
        opts: pulumi.ResourceOptions | None,
        *,
        strategy: Literal["RollingUpdate", "Recreate"] = "RollingUpdate",
        termination_grace_period_seconds: int = 30,
    ) -> None:
        super().__init__(token, name, None, opts)
        deployed = deploy(
            self,
            name,
            WorkloadArgs.of(
                entry,
                args,
                [container],
                volumes=volumes,
                strategy=strategy,
                termination_grace_period_seconds=termination_grace_period_seconds,
            ),
        )
        self.deployment = deployed.deployment
        self.service = deployed.service
        self.register_outputs({"url": entry.url(), "deployment": self.deployment.metadata.name})
