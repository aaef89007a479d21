"""Shared pieces of every policy: the constructor with the metadata the issue asks for, config
access with schema defaults, pod-template walking, allow-lists and secret-like names.

Validators read ``props`` as the engine sends them: camelCase keys, numbers as floats, secrets
unwrapped, everything behind ``unknown_checking_proxy`` (so plain ``.get`` chains raise
``UnknownValueError`` on a value unknown during preview, which the analyzer reports as advisory).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

Props = Mapping[str, Any]
MANDATORY = EnforcementLevel.MANDATORY

# The pod-bearing Kubernetes kinds and where their pod template sits.
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
# Kinds whose containers run until stopped; Jobs and CronJobs run to completion (no probes).
LONG_RUNNING_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"}

# The pod annotation a workload's builder writes when it cannot meet restricted (components/kube.py).
EXCEPTION_ANNOTATION = "dify-pulumi/security-exception"


def is_k8s(resource_type: str, *kinds: str) -> bool:
    """``kubernetes:<group>/<version>:<Kind>`` for one of ``kinds`` (any group and version)."""
    return resource_type.startswith("kubernetes:") and resource_type.rsplit(":", 1)[-1] in kinds


def kind_of(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1] if resource_type.startswith("kubernetes:") else ""


def schema(properties: Mapping[str, Any], required: Sequence[str] = ()) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties=dict(properties), required=list(required) or None)


def config(args: ResourceValidationArgs | StackValidationArgs, policy: str, key: str) -> Any:
    """The configured value, else the schema default: the CLI fills defaults in (ReconcilePolicyPackConfig)
    but a direct call of a validator, in tests or a foreign harness, may not."""
    value = (args.get_config() or {}).get(key)
    if value is None:
        value = DEFAULTS.get(policy, {}).get(key)
    return value


DEFAULTS: dict[str, dict[str, Any]] = {}


def resource_policy(
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    validate: Callable[[ResourceValidationArgs, Callable[..., None]], None],
    config_schema: Mapping[str, Any] | None = None,
) -> ResourceValidationPolicy:
    """Mandatory unless a policy-config file says otherwise (policy/config/<stack>.json)."""
    return _policy(ResourceValidationPolicy, name, description, severity, remediation, validate, config_schema)


def stack_policy(
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    validate: Callable[[StackValidationArgs, Callable[..., None]], None],
    config_schema: Mapping[str, Any] | None = None,
) -> StackValidationPolicy:
    return _policy(StackValidationPolicy, name, description, severity, remediation, validate, config_schema)


def _policy(
    cls: Any, name: str, description: str, severity: Severity, remediation: str, validate: Any, config_schema: Any
) -> Any:
    _remember_defaults(name, config_schema)
    return cls(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=MANDATORY,
        severity=severity,
        remediation_steps=remediation,
        config_schema=schema(config_schema) if config_schema else None,
    )


def _remember_defaults(name: str, config_schema: Mapping[str, Any] | None) -> None:
    DEFAULTS[name] = {k: v["default"] for k, v in (config_schema or {}).items() if "default" in v}


# ---- allow-lists -------------------------------------------------------------------------------

# Every exception is an object naming the workload, its namespace (a glob) and the reason; the
# reason is required so an allow-list entry is a written decision, never a blanket skip.
ALLOW_ENTRY = {
    "type": "object",
    "properties": {
        "workload": {"type": "string", "description": "metadata.name of the workload (glob)"},
        "namespace": {"type": "string", "description": "namespace of the workload (glob)"},
        "containers": {"type": "array", "items": {"type": "string"}, "description": "containers covered (default all)"},
        "capabilities": {"type": "array", "items": {"type": "string"}},
        "reason": {"type": "string", "minLength": 10},
    },
    "required": ["workload", "namespace", "reason"],
}


def allow_list_schema(description: str, default: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "array", "items": ALLOW_ENTRY, "default": default, "description": description}


def allowed(
    entries: Sequence[Mapping[str, Any]], namespace: str, workload: str, container: str
) -> Mapping[str, Any] | None:
    for entry in entries or ():
        if not fnmatch.fnmatchcase(workload, entry["workload"]):
            continue
        if not fnmatch.fnmatchcase(namespace, entry["namespace"]):
            continue
        if entry.get("containers") and container not in entry["containers"]:
            continue
        return entry
    return None


# ---- pods --------------------------------------------------------------------------------------


class Pod:
    """One pod template of a workload object (props as sent by the engine)."""

    def __init__(self, kind: str, obj: Props, meta: Props, spec: Props) -> None:
        self.kind = kind
        self.obj = obj
        self.meta = meta
        self.spec = spec
        obj_meta = obj.get("metadata") or {}
        self.name = str(obj_meta.get("name") or "")
        self.namespace = str(obj_meta.get("namespace") or "")

    @property
    def where(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    @property
    def has_written_exception(self) -> bool:
        return bool(str((self.meta.get("annotations") or {}).get(EXCEPTION_ANNOTATION) or "").strip())

    def containers(self, *, init: bool = True) -> Iterator[tuple[str, Props]]:
        """(role, container) for init containers (role "init") and app containers ("app")."""
        if init:
            for c in self.spec.get("initContainers") or []:
                yield "init", c
        for c in self.spec.get("containers") or []:
            yield "app", c

    def container_context(self, container: Props, key: str) -> Any:
        """A securityContext field as Kubernetes resolves it: the container's, else the pod's."""
        value = (container.get("securityContext") or {}).get(key)
        if value is None:
            value = (self.spec.get("securityContext") or {}).get(key)
        return value


def pod_of(kind: str, props: Props) -> Pod | None:
    spec = props.get("spec") or {}
    if kind == "Pod":
        return Pod(kind, props, props.get("metadata") or {}, spec)
    if kind == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    elif kind in WORKLOAD_KINDS:
        template = spec.get("template") or {}
    else:
        return None
    return Pod(kind, props, template.get("metadata") or {}, template.get("spec") or {})


def pod_validator(check: Callable[[Pod, Any, Callable[..., None]], None]) -> Callable[..., None]:
    """Runs ``check`` on the pod template of any pod-bearing Kubernetes object."""

    def validate(args: ResourceValidationArgs, report: Callable[..., None]) -> None:
        pod = pod_of(kind_of(args.resource_type), args.props)
        if pod is not None:
            check(pod, args, report)

    return validate


def image_ref(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest); a registry port (host:5000/x) is not a tag."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    last = image.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        image, tag = image.rsplit(":", 1)
    return image, tag, digest


# ---- secrets -----------------------------------------------------------------------------------

# The last `_` word of a name that holds a credential: DB_PASSWORD, SECRET_KEY, SENTRY_DSN,
# AUTHENTICATION_APIKEY_ALLOWED_KEYS. Words elsewhere in the name do not count
# (AUTHENTICATION_APIKEY_ENABLED is a flag, REDIS_USE_SSL a switch).
SECRET_WORDS = {"PASSWORD", "PASSWD", "PASS", "SECRET", "KEY", "KEYS", "APIKEY", "TOKEN", "DSN", "CREDENTIALS"}
# scheme://user:password@host (a broker or database URL with its password inside).
CREDENTIAL_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@", re.I)


def secret_like_name(name: str) -> bool:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name.upper()) if w]
    return bool(words) and words[-1] in SECRET_WORDS


def has_credentials(value: str) -> bool:
    return bool(CREDENTIAL_URL.search(value))


def labels_match(selector: Props | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) against a label set; {} selects all."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), list(expr.get("values") or [])
        present = key in labels
        if (op == "In" and (not present or labels[key] not in values)) or (
            op == "NotIn" and present and labels[key] in values
        ):
            return False
        if (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True
