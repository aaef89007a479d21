"""The real Pulumi engine against the local kube-apiserver (issue 6, stage 2).

The dev stack's config, in a temp copy of the project as stack ``e2e``, through the real CLI, our
Python language host and the real kubernetes and random providers (tools/pulumi/build.sh builds
them from Go modules and installs the providers into a PULUMI_HOME in the tools cache, so nothing
is downloaded): ``preview``, ``up``, a second ``preview --expect-no-changes``, ``destroy``.

Local backend (file://, in the temp dir) with a passphrase secrets provider. No kubelet runs, so
no pod ever starts: the provider must not await readiness. ``dify:kubernetes.skipAwait`` asks for
that when the config model has it; until then a wrapper entry point in the temp copy adds the
``pulumi.com/skipAwait`` annotation to every Kubernetes resource through a stack transform.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config.models import KubernetesSettings
from tests.e2e.cluster import Cluster
from tests.e2e.kube import Api

# Opt-in (DIFY_E2E_ENGINE=1) until the stack passes it and CI can afford the cold tools build
# (~1 h on 2 cores, tools/pulumi/README.md): the first run found a config default the program
# rejects and PVCs whose deletion needs a controller-manager.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.environ.get("DIFY_E2E_ENGINE") != "1", reason="set DIFY_E2E_ENGINE=1"),
]

ROOT = Path(__file__).resolve().parents[2]
STACK = "e2e"
PASSPHRASE = "e2e-only"
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt", "components")
# Generous: a cold `up` starts two providers and creates every object of the dev stack.
STEP_TIMEOUT = float(os.environ.get("DIFY_E2E_PULUMI_TIMEOUT", "900"))

# The stand-in for dify:kubernetes.skipAwait: runs the real program after registering a stack
# transform that annotates every kubernetes:* resource (not the provider, not components): no
# readiness wait, and background deletion (no controller-manager runs to finish a foreground one).
SKIP_AWAIT_MAIN = """\
import os
import runpy
import sys

import pulumi

# Run as a file (not the project directory): the project's packages need their path entry.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _skip_await(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    if not args.type_.startswith("kubernetes:") or args.type_.startswith("pulumi:providers:"):
        return None
    props = dict(args.props)
    metadata = dict(props.get("metadata") or {})
    annotations = dict(metadata.get("annotations") or {})
    annotations["pulumi.com/skipAwait"] = "true"
    # Foreground deletion waits for the garbage collector, which no controller-manager runs here.
    annotations["pulumi.com/deletionPropagationPolicy"] = "background"
    metadata["annotations"] = annotations
    props["metadata"] = metadata
    return pulumi.ResourceTransformResult(props, args.opts)


pulumi.runtime.register_resource_transform(_skip_await)
runpy.run_path("__main__.py", run_name="__main__")
"""


def engine_env() -> dict[str, str]:
    """PATH and PULUMI_HOME for the built tier (tools/pulumi/build.sh builds it if missing)."""
    out = subprocess.run(
        [str(ROOT / "tools" / "pulumi" / "build.sh"), "all"], check=True, capture_output=True, text=True
    ).stdout
    env: dict[str, str] = {}
    for line in out.splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value.strip('"').replace("$PATH", os.environ.get("PATH", ""))
    return env


@dataclass
class Engine:
    project: Path
    env: dict[str, str]
    log: list[str] = field(default_factory=list)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        result = subprocess.run(
            ["pulumi", *args, "--non-interactive", "--color=never"],
            check=False, cwd=self.project, env=self.env, capture_output=True, text=True, timeout=STEP_TIMEOUT,
        )  # fmt: skip
        self.log.append(f"$ pulumi {' '.join(args)}  ({time.monotonic() - started:.1f}s, exit {result.returncode})")
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def export(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "export", "--show-secrets").stdout)


def _stack_config(cluster: Cluster) -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    kubernetes: dict[str, Any] = {"kubeconfig": str(cluster.kubeconfig)}
    if "skip_await" in KubernetesSettings.model_fields:
        kubernetes["skipAwait"] = True
    config["config"]["dify:kubernetes"] = kubernetes
    return config


@pytest.fixture(scope="module")
def engine(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    work = tmp_path_factory.mktemp("pulumi-engine")
    project = work / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    # Pulumi.yaml's `virtualenv: .venv` is relative to the project: the repo's, shared.
    (project / ".venv").symlink_to(ROOT / ".venv")
    if "skip_await" not in KubernetesSettings.model_fields:
        (project / "e2e_main.py").write_text(SKIP_AWAIT_MAIN)
        spec = yaml.safe_load((project / "Pulumi.yaml").read_text())
        spec["main"] = "e2e_main.py"
        (project / "Pulumi.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (project / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(_stack_config(cluster), sort_keys=False))
    (work / "state").mkdir()

    env = {key: value for key, value in os.environ.items() if not key.startswith(("PULUMI_", "KUBECONFIG"))}
    env |= engine_env()
    env |= {
        "PULUMI_BACKEND_URL": f"file://{work / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "1",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
    }
    eng = Engine(project, env)
    eng.run("stack", "init", STACK, "--secrets-provider", "passphrase")
    try:
        yield eng
    finally:
        # Leave nothing behind even when a step failed half-way; the cluster goes with the session.
        eng.run("destroy", "--yes", "--skip-preview", check=False)
        eng.run("stack", "rm", STACK, "--yes", "--force", check=False)
        print("\n".join(eng.log))


@pytest.fixture(scope="module")
def deployed(engine: Engine) -> dict[str, Any]:
    """preview, then up: the stack's checkpoint after the first real update."""
    engine.run("preview", "--diff")
    engine.run("up", "--yes", "--skip-preview")
    return engine.export()


def _resources(checkpoint: dict[str, Any]) -> list[dict[str, Any]]:
    return checkpoint["deployment"].get("resources", [])


def test_up_creates_every_object_on_the_server(deployed: dict[str, Any], api: Api) -> None:
    resources = _resources(deployed)
    kinds = {r["type"] for r in resources}
    assert "kubernetes:apps/v1:Deployment" in kinds
    assert "random:index/randomPassword:RandomPassword" in kinds
    # Every Kubernetes object the engine recorded is really on the server.
    missing = []
    for r in resources:
        if not r["type"].startswith("kubernetes:"):
            continue
        outputs = r.get("outputs", {})
        meta = outputs.get("metadata", {})
        ref = {"apiVersion": outputs.get("apiVersion"), "kind": outputs.get("kind"),
               "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace")}}  # fmt: skip
        try:
            api.get(ref)
        except Exception as error:  # any failure to read it back is the finding
            missing.append(f"{r['urn']}: {error}")
    assert not missing


def test_second_run_has_no_changes(engine: Engine, deployed: dict[str, Any]) -> None:
    result = engine.run("preview", "--expect-no-changes", "--diff", check=False)
    assert result.returncode == 0, f"a second run wants changes:\n{result.stdout}\n{result.stderr}"


def test_destroy_removes_everything(engine: Engine, deployed: dict[str, Any]) -> None:
    engine.run("destroy", "--yes", "--skip-preview")
    assert [r for r in _resources(engine.export()) if not r["type"].startswith("pulumi:")] == []
