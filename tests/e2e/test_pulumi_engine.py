"""The real Pulumi engine against the local kube-apiserver (issue 6, stage 2).

The dev stack's config, in a temp copy of the project as stack ``e2e``, through the real CLI, our
Python language host and the real kubernetes and random providers (tools/pulumi/build.sh builds
them from Go modules and installs the providers into a PULUMI_HOME in the tools cache, so nothing
is downloaded): ``preview``, ``up``, a second ``preview --expect-no-changes``, ``destroy``.

Local backend (file://, in the temp dir) with a passphrase secrets provider. No kubelet runs, so
no pod ever starts: the provider must not await readiness, which ``dify:kubernetes.skipAwait`` asks
for (a stack transform annotates every Kubernetes object).
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

from tests.e2e.cluster import Cluster
from tests.e2e.kube import Api

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STACK = "e2e"
PASSPHRASE = "e2e-only"
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt", "components")
# Generous: a cold `up` starts two providers and creates every object of the dev stack.
STEP_TIMEOUT = float(os.environ.get("DIFY_E2E_PULUMI_TIMEOUT", "900"))


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
    config["config"]["dify:kubernetes"] = {"kubeconfig": str(cluster.kubeconfig), "skipAwait": True}
    # Its own namespaces: the apply tier leaves the dev stack's objects (other field managers,
    # other auto-name suffixes) in `dify` on the same server, and server-side apply would conflict.
    config["config"]["dify:namespace"] = "dify-engine"
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


def _policy_pack(engine: Engine) -> list[str]:
    """Our CrossGuard pack, run by the real analyzer (through our language host's RunPlugin) with
    the dev enforcement config, as users run it: a mandatory violation fails the command."""
    pack = engine.project.parent / "policy"
    if not pack.exists():
        shutil.copytree(ROOT / "policy", pack, ignore=shutil.ignore_patterns("__pycache__", "venv"))
        (pack / "venv").symlink_to(ROOT / ".venv")
    return ["--policy-pack", str(pack), "--policy-pack-config", str(ROOT / "policy" / "config" / "dev.json")]


@pytest.fixture(scope="module")
def deployed(engine: Engine) -> dict[str, Any]:
    """preview, then up, both under the policy pack: the checkpoint after the first update."""
    engine.run("preview", "--diff", *_policy_pack(engine))
    engine.run("up", "--yes", "--skip-preview", *_policy_pack(engine))
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
    # And a second real update, as a user's next `pulumi up`, changes nothing either.
    again = engine.run("up", "--yes", "--skip-preview", "--expect-no-changes", *_policy_pack(engine), check=False)
    assert again.returncode == 0, f"a second up changed something:\n{again.stdout}\n{again.stderr}"


def test_destroy_removes_everything(engine: Engine, deployed: dict[str, Any]) -> None:
    engine.run("destroy", "--yes", "--skip-preview")
    assert [r for r in _resources(engine.export()) if not r["type"].startswith("pulumi:")] == []
