"""Every object synth renders, applied to a real kube-apiserver (issue 6, stage 1).

Per stack: namespaces first, then every object by server-side apply, dry run then for real; zero
rejections and zero warnings, except PodSecurity warnings on pods that carry the written exception
annotation. Each pod template is then admitted as a Pod (no controller runs to make one): in its
own namespace (whatever level that enforces) it must pass; in a probe namespace that enforces
``restricted`` it must pass too unless it carries the written exception annotation. Finally every
object is read back and must still hold every field we set.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest

from components.kube import SECURITY_EXCEPTION_ANNOTATION
from tests.e2e.kube import Api, Obj, Result, differences, expected_stored, ident, pod_templates, render

pytestmark = pytest.mark.e2e
STACKS = ["dev", "prod"]
PSA = "pod-security.kubernetes.io"


@dataclass
class Applied:
    objects: list[Obj]
    synth_output: str
    dry_run: dict[str, Result] = field(default_factory=dict)
    real: dict[str, Result] = field(default_factory=dict)


def _excepted(obj: Obj) -> bool:
    """Whether the object's pods carry the written exception (then PodSecurity may warn)."""
    return any((meta.get("annotations") or {}).get(SECURITY_EXCEPTION_ANNOTATION) for meta, _ in pod_templates(obj))


def _problems(applied: Applied, results: dict[str, Result]) -> list[str]:
    by_name = {ident(o): o for o in applied.objects}
    out = [f"{name}: REJECTED ({r.status}) {r.message}" for name, r in results.items() if not r.ok]
    out += [
        f"{name}: WARNING {w}"
        for name, r in results.items()
        for w in r.warnings
        if not (w.startswith("would violate PodSecurity") and name in by_name and _excepted(by_name[name]))
    ]
    return out


@pytest.fixture(scope="module", params=STACKS)
def applied(request: pytest.FixtureRequest, api: Api, tmp_path_factory: pytest.TempPathFactory) -> Applied:
    stack: str = request.param
    objects, output = render(stack, tmp_path_factory.mktemp(f"render-{stack}"))
    run = Applied(objects, output)
    namespaces = [o for o in objects if o["kind"] == "Namespace"]
    for ns in namespaces:  # namespaced dry runs need their namespace to exist (NamespaceLifecycle)
        run.dry_run[ident(ns)] = run.real[ident(ns)] = api.apply(ns)
        # The controller-manager would create `default`; pods are only admitted if it exists.
        api.apply({"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": {"name": "default", "namespace": ns["metadata"]["name"]}})  # fmt: skip
    rest = [o for o in objects if o["kind"] != "Namespace"]
    for obj in rest:
        run.dry_run[ident(obj)] = api.apply(obj, dry_run=True)
    for obj in rest:
        run.real[ident(obj)] = api.apply(obj)
    return run


def test_stack_renders_namespaces_and_objects(applied: Applied) -> None:
    kinds = {o["kind"] for o in applied.objects}
    assert "Namespace" in kinds and "Deployment" in kinds, applied.synth_output


def test_server_side_dry_run_admits_every_object_without_warnings(applied: Applied) -> None:
    problems = _problems(applied, applied.dry_run)
    assert not problems, "\n".join(problems)


def test_apply_admits_every_object_without_warnings(applied: Applied) -> None:
    problems = _problems(applied, applied.real)
    assert not problems, "\n".join(problems)


def test_every_object_reads_back_with_the_fields_we_set(applied: Applied, api: Api) -> None:
    problems = []
    for obj in applied.objects:
        if not applied.real[ident(obj)].ok:
            continue  # reported by the apply test
        got = api.get(obj)
        want = expected_stored(obj)
        for part in ("metadata", "spec", "data", "type", "rules", "subjects", "roleRef"):
            if part in want:
                wanted = {k: want[part][k] for k in ("name", "namespace", "labels", "annotations")
                          if k in want[part]} if part == "metadata" else want[part]  # fmt: skip
                problems += [f"{ident(obj)}: {d}" for d in differences(wanted, got.get(part), part)]
    assert not problems, "\n".join(problems)


def _probe_pod(obj: Obj, meta: Obj, spec: Obj, namespace: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{obj['metadata']['name']}-probe"[:63],
            "namespace": namespace,
            "labels": meta.get("labels") or {},
            "annotations": meta.get("annotations") or {},
        },
        "spec": copy.deepcopy(spec),
    }


def test_every_pod_template_is_admitted_as_a_pod_in_its_namespace(applied: Applied, api: Api) -> None:
    problems = []
    for obj in applied.objects:
        for meta, spec in pod_templates(obj):
            r = api.create(_probe_pod(obj, meta, spec, obj["metadata"]["namespace"]), dry_run=True)
            problems += [f"{ident(obj)} pod: REJECTED ({r.status}) {r.message}"] * (not r.ok)
            problems += [f"{ident(obj)} pod: WARNING {w}" for w in r.warnings]
    assert not problems, "\n".join(problems)


def test_pods_meet_restricted_unless_they_carry_a_written_exception(applied: Applied, api: Api) -> None:
    # A namespace outside the stack (no rendered name ends like this) that enforces restricted.
    namespace = next(o["metadata"]["name"] for o in applied.objects if o["kind"] == "Namespace")
    probe = f"{namespace}-restricted-probe"
    labels = {f"{PSA}/enforce": "restricted", f"{PSA}/warn": "restricted"}
    api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": probe, "labels": labels}})
    # The probe pods keep their serviceAccountName (monitoring's Prometheus, kube-state-metrics).
    accounts = {"default"} | {
        spec["serviceAccountName"]
        for obj in applied.objects
        for _, spec in pod_templates(obj)
        if spec.get("serviceAccountName")
    }
    for account in sorted(accounts):
        api.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": account, "namespace": probe}})
    problems = []
    for obj in applied.objects:
        for meta, spec in pod_templates(obj):
            r = api.create(_probe_pod(obj, meta, spec, probe), dry_run=True)
            exception = (meta.get("annotations") or {}).get(SECURITY_EXCEPTION_ANNOTATION)
            if not r.ok and not exception:
                problems.append(f"{ident(obj)}: denied under restricted without a written exception: {r.message}")
    assert not problems, "\n".join(problems)


# --- negative cases: the server really checks what schema validation cannot -------------------


def _pod(namespace: str, **container: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "negative-probe", "namespace": namespace},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36", **container}]},
    }


@pytest.fixture(scope="module")
def our_namespace(applied: Applied) -> str:
    return next(o["metadata"]["name"] for o in applied.objects if o["kind"] == "Namespace")


def test_privileged_pod_is_denied_by_pod_security(api: Api, our_namespace: str) -> None:
    r = api.create(_pod(our_namespace, securityContext={"privileged": True}), dry_run=True)
    assert not r.ok and r.status == 403, r
    # baseline or restricted, whichever the namespace enforces: both forbid privileged.
    assert "violates PodSecurity" in r.message and "privileged" in r.message, r.message


def test_invalid_label_value_is_rejected(api: Api, our_namespace: str) -> None:
    meta = {"name": "negative-probe", "namespace": our_namespace, "labels": {"app": "not ok!"}}
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
    r = api.apply(bad, dry_run=True)
    assert not r.ok and r.status == 422 and "metadata.labels" in r.message, r


def test_volume_mount_of_a_missing_volume_is_rejected(api: Api, our_namespace: str) -> None:
    r = api.create(_pod(our_namespace, volumeMounts=[{"name": "nope", "mountPath": "/x"}]), dry_run=True)
    assert not r.ok and r.status == 422 and "volumeMounts[0].name" in r.message, r


def test_duplicate_container_port_names_are_rejected(api: Api, our_namespace: str) -> None:
    ports = [{"name": "http", "containerPort": 80}, {"name": "http", "containerPort": 81}]
    r = api.create(_pod(our_namespace, ports=ports), dry_run=True)
    assert not r.ok and r.status == 422 and "ports[1].name" in r.message, r
