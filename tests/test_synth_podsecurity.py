"""synth.podsecurity: baseline always, restricted unless the pod carries a written exception."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components.kube import SECURITY_EXCEPTION_ANNOTATION
from synth.mocks import Recording
from synth.podsecurity import check_pod_security
from tests.conftest import objects
from tests.lookup import find

Obj = dict[str, Any]


def restricted_deployment() -> Obj:
    container = {
        "name": "app",
        "image": "example/app:1",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "runAsUser": 1001,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    return {
        "kind": "Deployment",
        "metadata": {"name": "app", "namespace": "dify"},
        "spec": {
            "template": {
                "metadata": {},
                "spec": {"containers": [container], "volumes": [{"name": "t", "emptyDir": {}}]},
            }
        },
    }


def pod(obj: Obj) -> Obj:
    spec: Obj = obj["spec"]["template"]["spec"]
    return spec


def ctx(obj: Obj) -> Obj:
    security: Obj = pod(obj)["containers"][0]["securityContext"]
    return security


CASES: dict[str, tuple[Callable[[Obj], object], str]] = {
    "host-network": (lambda o: pod(o).update(hostNetwork=True), "violates baseline: hostNetwork: true"),
    "host-path": (lambda o: pod(o)["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "volume h: hostPath"),
    "privileged": (lambda o: ctx(o).update(privileged=True), "violates baseline: container app: privileged"),
    "sys-admin": (lambda o: ctx(o)["capabilities"].update(add=["SYS_ADMIN"]), "container app: adds SYS_ADMIN"),
    "host-port": (lambda o: pod(o)["containers"][0].update(ports=[{"containerPort": 80, "hostPort": 80}]), "hostPort"),
    "escalation": (lambda o: ctx(o).pop("allowPrivilegeEscalation"), "allowPrivilegeEscalation not false"),
    "root": (
        lambda o: ctx(o).update(runAsUser=0),
        "violates restricted without a written exception: container app: runAsUser 0",
    ),
    "no-drop": (lambda o: ctx(o)["capabilities"].update(drop=[]), "does not drop ALL capabilities"),
    "chroot-cap": (lambda o: ctx(o)["capabilities"].update(add=["SYS_CHROOT"]), "container app: adds capabilities"),
    "unconfined": (lambda o: ctx(o).update(seccompProfile={"type": "Unconfined"}), "seccompProfile Unconfined"),
}


def test_restricted_pod_is_clean() -> None:
    assert check_pod_security([restricted_deployment()]) == []


@pytest.mark.parametrize(("mutate", "expected"), CASES.values(), ids=CASES.keys())
def test_each_violation_is_reported(mutate: Callable[[Obj], object], expected: str) -> None:
    obj = restricted_deployment()
    mutate(obj)
    problems = check_pod_security([obj])
    assert any(expected in p for p in problems), problems


def test_an_exception_waives_restricted_but_never_baseline() -> None:
    obj = restricted_deployment()
    obj["spec"]["template"]["metadata"]["annotations"] = {SECURITY_EXCEPTION_ANNOTATION: "needs root"}
    ctx(obj).update(runAsUser=0, runAsNonRoot=False)
    assert check_pod_security([obj]) == []
    ctx(obj).update(privileged=True)
    assert check_pod_security([obj]) == ["Deployment/dify/app: violates baseline: container app: privileged"]


def test_only_the_documented_workloads_carry_exceptions(dev: Recording) -> None:
    objs = objects(dev)
    excepted = {
        o["metadata"]["name"]
        for o in objs
        if SECURITY_EXCEPTION_ANNOTATION
        in (o.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations") or {})
    }
    # local_sandbox's exception is our stricter rule (a writable root); Pod Security restricted,
    # which its namespace enforces, does not require a read-only root.
    assert excepted == {"dify-sandbox", "dify-local-sandbox"}
    sandbox = copy.deepcopy(find(objs, "Deployment", "dify-sandbox"))
    del sandbox["spec"]["template"]["metadata"]["annotations"]
    assert "container sandbox: runAsUser 0" in " ".join(check_pod_security([sandbox]))
