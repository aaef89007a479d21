"""dify:scaling:Autoscaling: every autoscaler ``dify:autoscaling`` asks for, beside its Deployment.

Creates a HorizontalAutoscaler per enabled service (api, web, worker, sandbox) and, with
``autoscaling.keda.enabled``, the worker's QueueScaler instead of its HPA (config validation
rejects both at once). The Deployments themselves were created without ``replicas``
(``ServiceInputs.autoscaled``), so nothing else owns the count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.config.scaling import SCALED_SERVICES, AutoscalingSettings, ScaledService
from components.data.endpoints import RedisEndpoint
from components.kube import labels
from components.scaling.hpa import HorizontalAutoscaler, HorizontalAutoscalerArgs
from components.scaling.keda import QueueScaler, QueueScalerArgs
from components.versions import DifyRelease


@dataclass
class AutoscalingArgs:
    settings: AutoscalingSettings
    namespace: pulumi.Input[str]
    instance: str
    release: DifyRelease
    deployments: Mapping[ScaledService, k8s.apps.v1.Deployment]
    redis: RedisEndpoint


class Autoscaling(pulumi.ComponentResource):
    def __init__(self, name: str, args: AutoscalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:scaling:Autoscaling", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        self.autoscalers: dict[str, HorizontalAutoscaler] = {}
        for service in SCALED_SERVICES:
            hpa = settings.hpa(service)
            if hpa is None:
                continue
            version = args.release.sandbox if service == "sandbox" else args.release.dify
            self.autoscalers[service] = HorizontalAutoscaler(
                f"{name}-{service}",
                HorizontalAutoscalerArgs(
                    labels=labels(service, args.instance, version),
                    deployment=args.deployments[service],
                    settings=hpa,
                ),
                child,
            )
        self.queue_scaler = None
        if settings.keda.enabled:
            self.queue_scaler = QueueScaler(
                f"{name}-worker-queues",
                QueueScalerArgs(
                    namespace=args.namespace,
                    labels=labels("worker", args.instance, args.release.dify),
                    deployment=args.deployments["worker"],
                    redis=args.redis,
                    settings=settings.keda,
                ),
                child,
            )
        self.register_outputs({"autoscaled": sorted(self.autoscalers) + (["worker"] if self.queue_scaler else [])})
