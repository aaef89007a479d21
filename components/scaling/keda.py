"""dify:scaling:QueueScaler: the worker scaled on its Celery backlog by KEDA (keda.sh/v1alpha1).

CPU says little about a Celery backlog: a worker waiting on an LLM is idle while its queue grows.
Creates (checked by ``check_keda_objects``, since no Kubernetes schema covers CRDs):

- a Secret ``dify-worker-keda`` with the Redis password and whether to speak TLS, both taken
  out of the RedisEndpoint that the worker's broker URL is built from;
- a TriggerAuthentication reading ``password`` and ``tls`` (and ``username`` when Redis has one)
  out of that one Secret: KEDA's Redis scaler takes TLS as an auth parameter, so the transport
  and the credential cannot drift apart;
- a ScaledObject on the worker Deployment with one ``redis`` (list) trigger per Celery queue on
  the broker's database, summed by ``advanced.scalingModifiers`` (KEDA ≥ 2.12): the HPA KEDA
  creates would otherwise take the busiest single queue, and 21 queues each just under the
  target would never add a pod.

KEDA creates the HPA itself (``keda-hpa-dify-worker``), so the worker has no HPA of ours and no
``replicas`` (components/workload.py). Celery's Redis transport keeps a queue as a list under the
queue's own name (priority 0, the only one Dify sends), which is what LLEN counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import CATALOG
from components.config.scaling import KedaScaling
from components.core.connections import BROKER_DB
from components.data.endpoints import RedisEndpoint
from components.kube import object_meta

API_VERSION = "keda.sh/v1alpha1"
SECRET_NAME = f"{CATALOG['worker'].name}-keda"
AUTH_NAME = f"{CATALOG['worker'].name}-redis"
# What each kind must have; KEDA's CRDs require no more of what we set.
REQUIRED: Mapping[str, Sequence[str]] = {
    "ScaledObject": ("scaleTargetRef", "triggers", "minReplicaCount", "maxReplicaCount"),
    "TriggerAuthentication": ("secretTargetRef",),
}
TRIGGER_METADATA = ("address", "listName", "listLength", "databaseIndex")


@dataclass
class QueueScalerArgs:
    namespace: pulumi.Input[str]
    labels: Mapping[str, str]
    deployment: k8s.apps.v1.Deployment
    redis: RedisEndpoint
    settings: KedaScaling


def _check_scaled_object(where: str, spec: Mapping[str, Any], auths: set[str], targets: set[str]) -> list[str]:
    problems = []
    target = spec.get("scaleTargetRef") or {}
    if target.get("kind", "Deployment") != "Deployment" or target.get("name") not in targets:
        problems.append(f"{where}: scaleTargetRef names no Deployment in its namespace")
    if int(spec.get("minReplicaCount", 0)) > int(spec.get("maxReplicaCount", 0)):
        problems.append(f"{where}: minReplicaCount above maxReplicaCount")
    names = []
    for trigger in spec.get("triggers") or []:
        names.append(trigger.get("name"))
        metadata = trigger.get("metadata") or {}
        if trigger.get("type") != "redis":
            problems.append(f"{where}: trigger {trigger.get('name')} is not a redis list trigger")
        problems += [
            f"{where}: trigger {trigger.get('name')} has no {key}" for key in TRIGGER_METADATA if key not in metadata
        ]
        # KEDA parses every metadata value from a string; a number fails the CRD's validation.
        problems += [
            f"{where}: metadata {key} is not a string" for key, v in metadata.items() if not isinstance(v, str)
        ]
        if (trigger.get("authenticationRef") or {}).get("name") not in auths:
            problems.append(f"{where}: trigger {trigger.get('name')} references no TriggerAuthentication")
    formula = ((spec.get("advanced") or {}).get("scalingModifiers") or {}).get("formula", "")
    if sorted(part.strip() for part in formula.split("+")) != sorted(names):
        problems.append(f"{where}: scalingModifiers.formula does not sum exactly the triggers")
    return problems


def check_keda_objects(objects: Sequence[Mapping[str, Any]]) -> list[str]:
    """Our own schema and reference check of the keda.sh objects we render."""
    problems: list[str] = []
    by_ns: dict[tuple[str, str], set[str]] = {}
    for obj in objects:
        key = (str(obj.get("kind")), str((obj.get("metadata") or {}).get("namespace")))
        by_ns.setdefault(key, set()).add(str((obj.get("metadata") or {}).get("name")))
    for obj in objects:
        if obj.get("apiVersion") != API_VERSION:
            continue
        meta = obj.get("metadata") or {}
        kind, ns = str(obj.get("kind")), str(meta.get("namespace"))
        where = f"{kind}/{meta.get('name')}"
        required = REQUIRED.get(kind)
        if required is None:
            problems.append(f"{where}: kind not rendered by components/scaling/keda.py")
            continue
        spec = obj.get("spec") or {}
        problems += [f"{where}: spec.{field} is missing" for field in required if spec.get(field) in (None, [], {})]
        if kind == "TriggerAuthentication":
            secrets = by_ns.get(("Secret", ns), set())
            for ref in spec.get("secretTargetRef") or []:
                if ref.get("name") not in secrets or not ref.get("key") or not ref.get("parameter"):
                    problems.append(f"{where}: secretTargetRef {ref.get('parameter')} names no Secret key here")
        else:
            auths = by_ns.get(("TriggerAuthentication", ns), set())
            problems += _check_scaled_object(where, spec, auths, by_ns.get(("Deployment", ns), set()))
    return problems


class QueueScaler(pulumi.ComponentResource):
    def __init__(self, name: str, args: QueueScalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:scaling:QueueScaler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings, redis = args.settings, args.redis
        data: dict[str, pulumi.Input[str]] = {
            "password": redis.password_value,
            "tls": "enable" if redis.use_ssl else "disable",
        }
        if redis.username:
            data["username"] = redis.username
        secret = k8s.core.v1.Secret(
            f"{name}-secret",
            metadata=object_meta(SECRET_NAME, args.namespace, args.labels),
            type="Opaque",
            string_data=data,
            opts=child,
        )
        auth = k8s.apiextensions.CustomResource(
            f"{name}-trigger-auth",
            api_version=API_VERSION,
            kind="TriggerAuthentication",
            metadata=object_meta(AUTH_NAME, args.namespace, args.labels),
            spec={
                "secretTargetRef": [
                    {"parameter": key, "name": secret.metadata.name, "key": key} for key in sorted(data)
                ]
            },
            opts=child,
        )
        # KEDA's operator resolves names from its own namespace: qualify an in-cluster Service.
        address = pulumi.Output.all(redis.host, args.namespace).apply(
            lambda parts: f"{parts[0] if '.' in parts[0] else f'{parts[0]}.{parts[1]}.svc'}:{redis.port}"
        )
        target = args.deployment.metadata.name
        self.scaled_object = k8s.apiextensions.CustomResource(
            f"{name}-scaled-object",
            api_version=API_VERSION,
            kind="ScaledObject",
            metadata=object_meta(CATALOG["worker"].name, args.namespace, args.labels),
            spec={
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                "minReplicaCount": settings.min_replicas,
                "maxReplicaCount": settings.max_replicas,
                "pollingInterval": settings.polling_interval_seconds,
                "advanced": {
                    "horizontalPodAutoscalerConfig": {
                        "behavior": {
                            "scaleDown": {
                                "stabilizationWindowSeconds": settings.scale_down_stabilization_seconds,
                                "selectPolicy": "Min",
                                "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                            }
                        }
                    },
                    "scalingModifiers": {
                        "formula": " + ".join(settings.queues),
                        "target": str(settings.list_length),
                        "metricType": "AverageValue",
                    },
                },
                "triggers": [
                    {
                        "type": "redis",
                        "name": queue,
                        "metadata": {
                            "address": address,
                            "listName": queue,
                            "listLength": str(settings.list_length),
                            "databaseIndex": str(BROKER_DB),
                        },
                        "authenticationRef": {"name": AUTH_NAME},
                    }
                    for queue in settings.queues
                ],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[auth]),
        )
        self.register_outputs({"name": CATALOG["worker"].name})
