"""The offline runner and the real analyzer report the same violations for the same broken stack.

A small program (a namespace without Pod Security labels and a Deployment with `:latest`, no
limits and no probes) goes through `pulumi preview --policy-pack policy --policy-pack-config
policy/config/dev.json` on the CLI built from Go modules (tools/pulumi, `make pulumi-tools`), and
through synth/policy.py; the `Policies:` blocks must list the same (level, policy, resource).
Runs with DIFY_E2E=1 when the built CLI exists; skipped otherwise (it starts the real engine).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from synth import policy
from synth.harness import run_program

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("DIFY_TOOLS_CACHE", Path.home() / ".cache" / "dify-pulumi-tools"))
BIN = next(iter(sorted(CACHE.glob("pulumi-v*/bin"))), None)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.environ.get("DIFY_E2E") != "1", reason="real-engine tier: DIFY_E2E=1 (make e2e)"),
    pytest.mark.skipif(BIN is None or not (BIN / "pulumi").exists(), reason="no Pulumi CLI built (make pulumi-tools)"),
]

PROGRAM = """
import pulumi_kubernetes as k8s

provider = k8s.Provider("render", render_yaml_to_directory="rendered")
opts = __import__("pulumi").ResourceOptions(provider=provider)
k8s.core.v1.Namespace("ns", metadata={"name": "broken"}, opts=opts)
k8s.apps.v1.Deployment("web", opts=opts, metadata={"name": "web", "namespace": "broken"}, spec={
    "replicas": 1,
    "selector": {"matchLabels": {"app": "web"}},
    "template": {"metadata": {"labels": {"app": "web"}},
                 "spec": {"containers": [{"name": "web", "image": "nginx:latest"}]}},
})
"""
LINE = re.compile(r"^\s+- \[(\w+)\](?: \[severity: \w+\])?\s+(\S+)(?:\s+\((\S+): (\S+)\))?$")


def _entries(text: str) -> set[tuple[str, ...]]:
    return {m.groups() for line in text.splitlines() if (m := LINE.match(line))}


def _details(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.startswith(" " * 10) and line.strip()}


def test_offline_runner_and_cli_report_the_same_violations(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "__main__.py").write_text(PROGRAM)
    (project / "Pulumi.yaml").write_text("name: dify\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n")
    (project / "venv").symlink_to(ROOT / ".venv")
    pack = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", pack, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    (pack / "venv").symlink_to(ROOT / ".venv")
    (tmp_path / "state").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env |= {
        "PATH": f"{BIN}:{env.get('PATH', '')}",
        "PULUMI_HOME": str(BIN.parent / "home"),  # type: ignore[union-attr]
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "e2e-only",
        "PULUMI_SKIP_UPDATE_CHECK": "1",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }

    def pulumi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pulumi", *args, "--non-interactive", "--color=never"],
            cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    assert pulumi("stack", "init", "dev", "--secrets-provider", "passphrase").returncode == 0
    config = ROOT / "policy" / "config" / "dev.json"
    cli = pulumi("preview", "--policy-pack", str(pack), "--policy-pack-config", str(config))
    cli_entries = _entries(cli.stdout)
    assert cli_entries, cli.stdout + cli.stderr

    offline = policy.run(run_program({}, stack="dev", program=project / "__main__.py"), "dev", config)
    assert _entries(offline.format()) == cli_entries
    # The messages too: every detail line under a violation (description, then what was found).
    assert _details(offline.format()) == _details(cli.stdout.split("Diagnostics:")[0])
    assert cli.returncode != 0  # a mandatory violation fails the preview, as synth fails
