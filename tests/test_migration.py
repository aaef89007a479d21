"""The migration Job proves its work: it runs the rendered script against a fake ``flask``.

Outputs mimic Flask-Migrate 4.1.0 / Alembic 1.17.2 as traced at dify 1.16.1: ``flask db heads``
prints ``<rev> (head)`` per script head, ``flask db current`` prints the database's revisions with
`` (head)`` when one is a head, Alembic's INFO logging goes to stderr, and ``flask upgrade-db``
exits 0 with "Database migration skipped" when another pod holds ``db_upgrade_lock``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from synth.mocks import Recording
from tests.conftest import objects
from tests.lookup import env, find, kinds

HEAD = "6f5a9c2d8e1b"  # the single head of api/migrations at 1.16.1
OLD = "1787fbae959a"


def _job_script(dev: Recording) -> list[str]:
    job = next(j for j in kinds(objects(dev), "Job"))
    command: list[str] = job["spec"]["template"]["spec"]["containers"][0]["command"]
    return command


def _fake_flask(tmp_path: Path, *, upgrade: str, heads: list[str], current: list[str]) -> dict[str, str]:
    fake = tmp_path / "flask"
    fake.write_text(
        "#!/bin/bash\n"
        'case "$*" in\n'
        f'  "upgrade-db") {upgrade} ;;\n'
        '  "db heads") echo "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl." >&2; '
        + "".join(f'echo "{h} (head)"; ' for h in heads)
        + ";;\n"
        '  "db current") echo "INFO  [alembic.runtime.migration] Will assume transactional DDL." >&2; '
        + "".join(f'echo "{c}"; ' for c in current)
        + "true ;;\n"
        "  *) exit 64 ;;\n"
        "esac\n"
    )
    fake.chmod(0o755)
    return {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}


MIGRATED = 'echo "Database migration successful!"'
SKIPPED = 'echo "Database migration skipped"'
FAILED = "exit 1"


@pytest.mark.parametrize(
    ("upgrade", "heads", "current", "exit_code"),
    [
        (MIGRATED, [HEAD], [f"{HEAD} (head)"], 0),
        # Lock held by a dead retry's predecessor: exit 0 upstream, but the database is behind.
        (SKIPPED, [HEAD], [OLD], 1),
        (SKIPPED, [HEAD], [f"{HEAD} (head)"], 0),
        (FAILED, [HEAD], [f"{HEAD} (head)"], 1),
        # Empty, unstamped database: `flask db current` prints nothing.
        (MIGRATED, [HEAD], [], 1),
        # Two heads (an unmerged branch) must both be current.
        (MIGRATED, [HEAD, OLD], [f"{HEAD} (head)"], 1),
        (MIGRATED, [HEAD, OLD], [f"{OLD} (head)", f"{HEAD} (head)"], 0),
        # `flask db heads` found nothing (broken image): never pass.
        (MIGRATED, [], [], 1),
    ],
)
def test_migration_job_fails_unless_the_database_is_at_the_heads(
    dev: Recording, tmp_path: Path, upgrade: str, heads: list[str], current: list[str], exit_code: int
) -> None:
    command = _job_script(dev)
    assert command[:2] == ["/bin/bash", "-c"]
    environment = _fake_flask(tmp_path, upgrade=upgrade, heads=heads, current=current)
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == exit_code, result.stderr


def test_migration_job_is_the_only_migrating_workload(dev: Recording) -> None:
    objs = objects(dev)
    job = next(j for j in kinds(objs, "Job"))
    assert job["metadata"]["name"] == "dify-migrate-1-16-1"
    assert (env(objs, job)["MODE"], env(objs, job)["MIGRATION_ENABLED"]) == ("migration", "true")
    for name in ("dify-api", "dify-api-websocket", "dify-worker", "dify-worker-beat"):
        assert env(objs, find(objs, "Deployment", name))["MIGRATION_ENABLED"] == "false", name
