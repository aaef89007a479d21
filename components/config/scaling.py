"""``dify:autoscaling``: HorizontalPodAutoscalers for api, web, worker and sandbox, and KEDA for the
worker's Celery backlog.

Pure models (no Pulumi imports). ``scaling_problems`` holds the checks that need more than one key
(min ≤ max, never below ``replicas.<service>``, KEDA instead of the worker's CPU HPA).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from components.config.base import ConfigModel
from components.config.errors import problem
from components.config.types import Count, DnsLabel, Flag, StrictStr
from components.images.capacity import CELERY_QUEUES

if TYPE_CHECKING:
    from components.config.models import StackConfig

# The workloads an HPA may target. worker_beat is absent on purpose: a second beat enqueues every
# periodic task twice, so it stays exactly 1 (replicas.workerBeat only accepts 1).
ScaledService = Literal["api", "web", "worker", "sandbox"]
SCALED_SERVICES: tuple[ScaledService, ...] = ("api", "web", "worker", "sandbox")


def _queue(value: str) -> str:
    if value not in CELERY_QUEUES:
        raise ValueError("expected a Celery queue the worker consumes (api/docker/entrypoint.sh), e.g. dataset")
    return value


def _queues(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("expected at least one Celery queue")
    if len(set(value)) != len(value):
        raise ValueError("expected each queue once")
    return value


CeleryQueue = Annotated[StrictStr, AfterValidator(_queue)]


class HorizontalScaling(ConfigModel):
    """One HorizontalPodAutoscaler (autoscaling/v2). Utilisation is a percentage of the
    container's requests; an unset (null) metric is not used."""

    enabled: Flag = Field(default=False, description="Create the HPA; the Deployment then leaves replicas to it.")
    min_replicas: Count = Field(default=2, ge=1, le=100, description="Fewest pods the HPA keeps.")
    max_replicas: Count = Field(default=10, ge=1, le=100, description="Most pods the HPA may run.")
    cpu_utilization: Count | None = Field(
        default=70, ge=10, le=400, description="Target average CPU, % of requests (null: not a metric)."
    )
    memory_utilization: Count | None = Field(
        default=80, ge=10, le=400, description="Target average memory, % of requests (null: not a metric)."
    )
    scale_down_stabilization_seconds: Count = Field(
        default=300,
        ge=0,
        le=3600,
        description="How long load must stay low before pods are removed (behavior.scaleDown).",
    )


class KedaScaling(ConfigModel):
    """The worker scaled on the Celery backlog: a KEDA ScaledObject with one Redis list trigger
    per queue, summed, instead of the worker's CPU HPA. Needs KEDA ≥ 2.12 in the cluster."""

    enabled: Flag = Field(default=False, description="Scale the worker on queue depth with KEDA.")
    queues: Annotated[list[CeleryQueue], AfterValidator(_queues)] = Field(
        default_factory=lambda: list(CELERY_QUEUES),
        description="Celery queues whose summed length drives the worker (default: all it consumes).",
    )
    list_length: Count = Field(
        default=10, ge=1, le=100000, description="Queued tasks per worker pod before KEDA adds one."
    )
    min_replicas: Count = Field(default=2, ge=1, le=100, description="Fewest worker pods.")
    max_replicas: Count = Field(default=10, ge=1, le=100, description="Most worker pods.")
    polling_interval_seconds: Count = Field(default=15, ge=5, le=3600, description="How often KEDA reads the lists.")
    operator_namespace: DnsLabel = Field(
        default="keda", description="Namespace of KEDA's operator, admitted to the in-cluster Redis."
    )
    scale_down_stabilization_seconds: Count = Field(
        default=300, ge=0, le=3600, description="How long the backlog must stay low before pods are removed."
    )


class AutoscalingSettings(ConfigModel):
    api: HorizontalScaling = Field(default=HorizontalScaling(), description="The api's HPA.")
    web: HorizontalScaling = Field(default=HorizontalScaling(), description="The web's HPA.")
    worker: HorizontalScaling = Field(default=HorizontalScaling(), description="The worker's HPA (not with keda).")
    sandbox: HorizontalScaling = Field(default=HorizontalScaling(), description="The sandbox's HPA.")
    keda: KedaScaling = Field(default=KedaScaling(), description="Worker scaling on Celery queue depth.")

    def hpa(self, service: ScaledService) -> HorizontalScaling | None:
        """The service's HPA settings when one is created."""
        settings: HorizontalScaling = getattr(self, service)
        return settings if settings.enabled else None

    def max_pods(self, service: ScaledService, replicas: int) -> int:
        """The most pods the service can run: KEDA's or the HPA's maximum, else ``replicas``."""
        if service == "worker" and self.keda.enabled:
            return self.keda.max_replicas
        settings = self.hpa(service)
        return settings.max_replicas if settings else replicas

    def min_pods(self, service: ScaledService, replicas: int) -> int:
        if service == "worker" and self.keda.enabled:
            return self.keda.min_replicas
        settings = self.hpa(service)
        return settings.min_replicas if settings else replicas

    def autoscaled(self, service: ScaledService) -> bool:
        return self.hpa(service) is not None or (service == "worker" and self.keda.enabled)


def scaling_problems(config: StackConfig) -> list[str]:
    autoscaling = config.autoscaling
    problems: list[str] = []
    for service in SCALED_SERVICES:
        settings: HorizontalScaling = getattr(autoscaling, service)
        if not settings.enabled:
            continue
        where = ["autoscaling", service]
        if settings.cpu_utilization is None and settings.memory_utilization is None:
            problems.append(problem([*where, "cpuUtilization"], None, "a target when memoryUtilization is null too"))
        problems += _bounds(where, settings.min_replicas, settings.max_replicas)
        problems += _floor(where, service, settings.min_replicas, getattr(config.replicas, service))
    keda = autoscaling.keda
    if keda.enabled:
        if autoscaling.worker.enabled:
            problems.append(
                problem(
                    ["autoscaling", "worker", "enabled"],
                    True,
                    "false when autoscaling.keda.enabled is true: KEDA scales the worker on queue depth",
                )
            )
        problems += _bounds(["autoscaling", "keda"], keda.min_replicas, keda.max_replicas)
        problems += _floor(["autoscaling", "keda"], "worker", keda.min_replicas, config.replicas.worker)
    return problems


def _bounds(where: list[str], minimum: int, maximum: int) -> list[str]:
    if minimum > maximum:
        return [problem([*where, "minReplicas"], minimum, f"at most maxReplicas {maximum}")]
    return []


def _floor(where: list[str], service: ScaledService, minimum: int, replicas: int) -> list[str]:
    # The autoscaler replaces replicas.<service> (the four have one-word keys there); it must not
    # quietly lower that floor.
    if minimum < replicas:
        return [
            problem(
                [*where, "minReplicas"],
                minimum,
                f"at least replicas.{service} {replicas}: the autoscaler replaces that count and must not lower it",
            )
        ]
    return []
