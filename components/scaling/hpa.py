"""dify:scaling:HorizontalAutoscaler: an autoscaling/v2 HorizontalPodAutoscaler for one Deployment.

Creates: the HPA, named like its Deployment, on CPU and/or memory utilisation (percent of the
container's requests, so every target has requests: components/catalog.py gives them), with a
scale-down stabilisation window so that a dip between bursts of SSE streams does not remove pods
that the next burst needs. Scale-up keeps the Kubernetes defaults (no window, doubling allowed).
The Deployment carries no ``replicas`` while an autoscaler owns it (components/workload.py).
Needs metrics-server (EKS: the metrics-server add-on) for the resource metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.config.scaling import HorizontalScaling

autoscaling = k8s.autoscaling.v2


@dataclass
class HorizontalAutoscalerArgs:
    labels: Mapping[str, str]
    deployment: k8s.apps.v1.Deployment
    settings: HorizontalScaling


def metrics(settings: HorizontalScaling) -> list[autoscaling.MetricSpecArgs]:
    targets = (("cpu", settings.cpu_utilization), ("memory", settings.memory_utilization))
    return [
        autoscaling.MetricSpecArgs(
            type="Resource",
            resource=autoscaling.ResourceMetricSourceArgs(
                name=name, target=autoscaling.MetricTargetArgs(type="Utilization", average_utilization=percent)
            ),
        )
        for name, percent in targets
        if percent is not None
    ]


def scale_down(stabilization_seconds: int) -> autoscaling.HPAScalingRulesArgs:
    # At most one pod a minute once the window has passed: a long SSE stream on a removed pod is
    # cut, so shrink slowly.
    return autoscaling.HPAScalingRulesArgs(
        stabilization_window_seconds=stabilization_seconds,
        select_policy="Min",
        policies=[autoscaling.HPAScalingPolicyArgs(type="Pods", value=1, period_seconds=60)],
    )


class HorizontalAutoscaler(pulumi.ComponentResource):
    def __init__(self, name: str, args: HorizontalAutoscalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:scaling:HorizontalAutoscaler", name, None, opts)
        settings = args.settings
        target = args.deployment.metadata.name
        self.hpa = autoscaling.HorizontalPodAutoscaler(
            f"{name}-hpa",
            # Beside its Deployment (the sandbox's is in <namespace>-sandbox), named like it.
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=target, namespace=args.deployment.metadata.namespace, labels=dict(args.labels)
            ),
            spec=autoscaling.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=autoscaling.CrossVersionObjectReferenceArgs(
                    api_version="apps/v1", kind="Deployment", name=target
                ),
                min_replicas=settings.min_replicas,
                max_replicas=settings.max_replicas,
                metrics=metrics(settings),
                behavior=autoscaling.HorizontalPodAutoscalerBehaviorArgs(
                    scale_down=scale_down(settings.scale_down_stabilization_seconds)
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"name": self.hpa.metadata.name})
