"""Render a stack with synth and apply it to a real API server the way the Pulumi provider does.

pulumi-kubernetes 4.x applies with server-side apply, so this does too: PATCH
``application/apply-patch+yaml`` with a field manager, first ``dryRun=All``, then for real. The
raw call (not DynamicClient.server_side_apply) keeps the HTTP ``Warning`` headers, which is
where PodSecurity's ``warn`` level and deprecations arrive.
"""

from __future__ import annotations

import base64
import contextlib
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.dynamic import DynamicClient

from tests.e2e.cluster import ROOT

Obj = dict[str, Any]
FIELD_MANAGER = "dify-e2e"
# Namespaces before what lives in them; config and storage before the pods that reference them.
KIND_ORDER = [
    "Namespace", "ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service",
    "PodDisruptionBudget", "StatefulSet", "Deployment", "Job", "CronJob", "Ingress",
]  # fmt: skip
_WARNING = re.compile(r'\d{3} \S+ "((?:[^"\\]|\\.)*)"')


def render(stack: str, out: Path) -> tuple[list[Obj], str]:
    """Every object synth renders for the stack, with real (mock-generated) secret values.

    --show-secrets writes values instead of ``<secret:sha256:…>`` tokens (not valid base64 and
    not what the provider would send); ``out`` is a temp dir, never the repo. synth's own exit
    code 1 (an offline check failed) does not stop the apply: the real server's verdict is the
    point here. Returns the objects and synth's output.
    """
    run = subprocess.run(
        [sys.executable, "-m", "synth", stack, "--out", str(out), "--show-secrets", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode not in (0, 1):
        raise RuntimeError(f"synth {stack} exited {run.returncode}:\n{run.stdout}\n{run.stderr}")
    objs = [
        doc
        for path in sorted((out / "manifests").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    objs.sort(key=lambda o: rank.get(o["kind"], len(rank)))
    return objs, run.stdout + run.stderr


def ident(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj['kind']}/{ns}{meta.get('name')}"


@dataclass
class Result:
    ok: bool
    status: int
    warnings: list[str] = field(default_factory=list)
    message: str = ""


class Api:
    def __init__(self, kubeconfig: Path) -> None:
        self.client = k8s_config.new_client_from_config(config_file=str(kubeconfig))
        self.dynamic = DynamicClient(self.client)

    def _path(self, obj: Obj) -> str:
        resource = self.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        meta = obj["metadata"]
        return str(resource.path(name=meta["name"], namespace=meta.get("namespace") if resource.namespaced else None))

    def apply(self, obj: Obj, *, dry_run: bool = False) -> Result:
        query = [("fieldManager", FIELD_MANAGER), ("force", "true")]
        if dry_run:
            query.append(("dryRun", "All"))
        return self._call("PATCH", self._path(obj), obj, query, "application/apply-patch+yaml")

    def create(self, obj: Obj, *, dry_run: bool = False) -> Result:
        """POST to the collection (for probes that must be new objects, e.g. a Pod)."""
        path = self._path(obj).rsplit("/", 1)[0]
        return self._call("POST", path, obj, [("dryRun", "All")] if dry_run else [], "application/json")

    def _call(self, method: str, path: str, body: Obj, query: list[tuple[str, str]], content_type: str) -> Result:
        try:
            response, status, headers = self.client.call_api(
                path, method, query_params=query, body=body, auth_settings=["BearerToken"],
                header_params={"Content-Type": content_type, "Accept": "application/json"},
                _preload_content=False, _return_http_data_only=False,
            )  # fmt: skip
            response.read()
            return Result(True, status, _warnings(headers))
        except k8s.ApiException as error:
            message = error.body.decode() if isinstance(error.body, bytes) else str(error.body)
            with contextlib.suppress(yaml.YAMLError, AttributeError):  # a Status object carries the message
                message = yaml.safe_load(message).get("message", message)
            return Result(False, int(error.status or 0), _warnings(error.headers), message)

    def get(self, obj: Obj) -> Obj:
        resource = self.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        meta = obj["metadata"]
        got: Obj = resource.get(name=meta["name"], namespace=meta.get("namespace")).to_dict()
        return got


def _warnings(headers: Any) -> list[str]:
    if not headers:
        return []
    values = headers.getlist("Warning") if hasattr(headers, "getlist") else [headers.get("Warning") or ""]
    return [m.replace('\\"', '"') for value in values for m in _WARNING.findall(value)]


def expected_stored(obj: Obj) -> Obj:
    """What we sent, in the form the server stores: Secret stringData becomes base64 data."""
    if obj.get("kind") != "Secret" or "stringData" not in obj:
        return obj
    out = {k: v for k, v in obj.items() if k != "stringData"}
    data = dict(out.get("data") or {})
    data.update({k: base64.b64encode(str(v).encode()).decode() for k, v in obj["stringData"].items()})
    out["data"] = data
    return out


def differences(want: Any, got: Any, path: str = "") -> list[str]:
    """Where ``got`` does not contain ``want``: dicts by key (extra server defaults are fine),
    lists element by element (same length). Empty values we send may come back omitted."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [] if not want and got is None else [f"{path}: sent a map, got {got!r}"]
        out = []
        for key, value in want.items():
            if key not in got or got[key] is None:
                if value in ("", [], {}, None, False):
                    continue  # omitempty on the server side: not a change of meaning
                out.append(f"{path}.{key}: sent {value!r}, missing on read")
            else:
                out += differences(value, got[key], f"{path}.{key}")
        return out
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{path}: sent {len(want)} items, got {got!r}"]
        return [d for i, (w, g) in enumerate(zip(want, got, strict=True)) for d in differences(w, g, f"{path}[{i}]")]
    if want != got:
        return [f"{path}: sent {want!r}, server has {got!r}"]
    return []


def pod_templates(obj: Obj) -> list[tuple[Obj, Obj]]:
    """(pod metadata, pod spec) of each pod the object's controller would create; a StatefulSet's
    claim templates become the PVC volumes the controller adds (else the Pod is invalid)."""
    spec = obj.get("spec") or {}
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    if obj["kind"] not in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"):
        return []
    template = spec["template"]
    pod = dict(template.get("spec") or {})
    if obj["kind"] == "StatefulSet":
        claims = [
            {"name": c["metadata"]["name"],
             "persistentVolumeClaim": {"claimName": f"{c['metadata']['name']}-{obj['metadata']['name']}-0"}}
            for c in spec.get("volumeClaimTemplates") or []
        ]  # fmt: skip
        pod["volumes"] = [*(pod.get("volumes") or []), *claims]
    return [(template.get("metadata") or {}, pod)]
