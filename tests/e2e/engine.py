"""The real Pulumi engine over a temp copy of the project (shared by the test_pulumi_engine* files).

The built tier (tools/pulumi/build.sh: CLI, our Python language host, the providers installed as
plugins in a PULUMI_HOME of the tools cache, so nothing is downloaded), a local backend (file://,
in the temp dir) and a passphrase secrets provider. Each test module runs its own stack in its
own namespaces: the apply tier and the other engine modules share the one API server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.cluster import Cluster
from tests.e2e.kube import Api

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "e2e-only"
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt", "components")
# Generous: a cold `up` starts the providers and creates every object of the stack.
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
    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        result = subprocess.run(
            ["pulumi", *args, "--non-interactive", "--color=never"],
            check=False, cwd=self.project, env=self.env, capture_output=True, text=True, timeout=STEP_TIMEOUT,
        )  # fmt: skip
        took = time.monotonic() - started
        self.seconds[args[0]] = self.seconds.get(args[0], 0.0) + took
        self.log.append(f"$ pulumi {' '.join(args)}  ({took:.1f}s, exit {result.returncode})")
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def export(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "export", "--show-secrets").stdout)

    def policy_pack(self) -> list[str]:
        """Our CrossGuard pack, run by the real analyzer (through our language host's RunPlugin)
        with the dev enforcement config, as users run it: a mandatory violation fails the command."""
        pack = self.project.parent / "policy"
        if not pack.exists():
            shutil.copytree(ROOT / "policy", pack, ignore=shutil.ignore_patterns("__pycache__", "venv"))
            (pack / "venv").symlink_to(ROOT / ".venv")
        return ["--policy-pack", str(pack), "--policy-pack-config", str(ROOT / "policy" / "config" / "dev.json")]


def dev_config(cluster: Cluster, namespace: str, **overrides: Any) -> dict[str, Any]:
    """Pulumi.dev.yaml against the local server in ``namespace`` (its own: the apply tier leaves the
    dev stack's objects, with other field managers and auto-name suffixes, in `dify` on the same
    server, and server-side apply would conflict), no readiness awaited (no kubelet runs, no pod
    ever starts), plus ``overrides`` as `dify:<key>` values."""
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    config["config"]["dify:kubernetes"] = {"kubeconfig": str(cluster.kubeconfig), "skipAwait": True}
    config["config"]["dify:namespace"] = namespace
    config["config"] |= {f"dify:{key}": value for key, value in overrides.items()}
    return config


@contextmanager
def stack_engine(work: Path, stack: str, config: dict[str, Any]) -> Iterator[Engine]:
    """A temp copy of the project in ``work`` with stack ``stack`` initialised from ``config``;
    destroyed and removed on exit even when a step failed half-way."""
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
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
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
    eng.run("stack", "init", stack, "--secrets-provider", "passphrase")
    try:
        yield eng
    finally:
        # The cluster goes with the session, but the next module's stack shares the server.
        eng.run("destroy", "--yes", "--skip-preview", check=False)
        eng.run("stack", "rm", stack, "--yes", "--force", check=False)
        print("\n".join(eng.log))


def deploy(engine: Engine) -> dict[str, Any]:
    """preview, then up, both under the policy pack: the checkpoint after the first update."""
    engine.run("preview", "--diff", *engine.policy_pack())
    engine.run("up", "--yes", "--skip-preview", *engine.policy_pack())
    checkpoint = engine.export()
    engine.log.append(f"{len(resources(checkpoint))} resources in the checkpoint after the first up")
    return checkpoint


def resources(checkpoint: dict[str, Any]) -> list[dict[str, Any]]:
    return checkpoint["deployment"].get("resources", [])


def missing_on_server(checkpoint: dict[str, Any], api: Api) -> list[str]:
    """Every Kubernetes object the engine recorded that cannot be read back from the server."""
    missing = []
    for r in resources(checkpoint):
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
    return missing
