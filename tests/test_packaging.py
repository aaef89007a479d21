"""README's first command, `make synth`, installs requirements.txt only: everything synth and the
program import must come from it, not from requirements-dev.txt (issue #5, defect 10: synth
imported jsonschema through kubernetes-validate, which only the test requirements installed)."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = {"components", "synth", "policy", "tests", "tools"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9_.-]+)", line)
        if match and not line.lstrip().startswith(("#", "-")):
            names.add(_norm(match.group(1)))
    return names


def _closure(roots: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" not in requirement:
                todo.append(_norm(re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)))  # type: ignore[union-attr]
    return seen


def _imports(*folders: str) -> set[str]:
    modules = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            modules |= set(re.findall(r"^\s*(?:import|from) ([A-Za-z_][A-Za-z0-9_]*)", path.read_text(), re.M))
    modules |= set(
        re.findall(r"^\s*(?:import|from) ([A-Za-z_][A-Za-z0-9_]*)", (ROOT / "__main__.py").read_text(), re.M)
    )
    return {m for m in modules if m not in sys.stdlib_module_names and m not in FIRST_PARTY}


def test_synth_and_the_program_need_only_requirements_txt() -> None:
    runtime = _closure(_requirements(ROOT / "requirements.txt"))
    owners = metadata.packages_distributions()
    missing = {
        module: sorted(owners.get(module, ["not installed"]))
        for module in sorted(_imports("components", "synth"))
        if not {_norm(d) for d in owners.get(module, [])} & runtime
    }
    assert missing == {}


def test_schema_validator_is_a_runtime_requirement() -> None:
    assert "kubernetes-validate" in _requirements(ROOT / "requirements.txt")
    assert "kubernetes-validate" not in _requirements(ROOT / "requirements-dev.txt")


def test_ci_runs_the_readme_commands_in_readme_order() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    order = ["make synth\n", "make test\n", "make e2e"]
    assert [readme.index(c.strip()) for c in order] == sorted(readme.index(c.strip()) for c in order)
    ci_lines = [line.split("#")[0].strip() for line in ci.splitlines()]
    positions = [ci_lines.index(c.strip()) for c in order]
    assert positions == sorted(positions)
