"""Read rendered objects the way a kubelet would: find workloads, resolve env references."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def find(objs: list[Obj], kind: str, name: str) -> Obj:
    matches = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def kinds(objs: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objs if o["kind"] == kind]


def pod_spec(obj: Obj) -> Obj:
    spec: Obj = obj["spec"]["template"]["spec"]
    return spec


def container(obj: Obj, name: str | None = None) -> Obj:
    containers = pod_spec(obj)["containers"]
    if name is None:
        assert len(containers) == 1
        return containers[0]  # type: ignore[no-any-return]
    return next(c for c in containers if c["name"] == name)  # type: ignore[no-any-return]


def _secret_data(objs: list[Obj], namespace: str, name: str) -> dict[str, str]:
    secret = next(
        o
        for o in objs
        if o["kind"] == "Secret" and o["metadata"]["name"] == name and o["metadata"]["namespace"] == namespace
    )
    return {**secret.get("data", {}), **secret.get("stringData", {})}


def env(objs: list[Obj], workload: Obj, container_name: str | None = None) -> dict[str, str]:
    """The env a container really gets: literal values, and Secret/ConfigMap keys resolved."""
    namespace = workload["metadata"]["namespace"]
    resolved: dict[str, str] = {}
    for var in container(workload, container_name).get("env", []):
        if "value" in var:
            resolved[var["name"]] = var["value"]
            continue
        source = var["valueFrom"]
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            resolved[var["name"]] = _secret_data(objs, namespace, ref["name"])[ref["key"]]
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            config_map = next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == ref["name"])
            resolved[var["name"]] = config_map["data"][ref["key"]]
    return resolved


def workloads(objs: list[Obj]) -> list[Obj]:
    return [o for o in objs if o["kind"] in ("Deployment", "StatefulSet", "Job")]
