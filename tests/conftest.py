"""Shared fixtures: the synth harness runs the real program under the recording mocks.

Stack runs are cached per session (a run costs ~0.8 s); tests that need another config call
``synth_with`` with overrides, which runs the program afresh on a new event loop.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from synth.harness import run_stack
from synth.mocks import Recording
from synth.render import kubernetes_objects
from tests.validator_baseline import Obj, baseline


@functools.cache
def _cached(stack: str, overrides: str) -> Recording:
    return run_stack(stack, json.loads(overrides))


def synth_with(stack: str = "dev", **overrides: Any) -> Recording:
    return _cached(stack, json.dumps(overrides, sort_keys=True))


@pytest.fixture(scope="session")
def dev() -> Recording:
    return synth_with("dev")


@pytest.fixture(scope="session")
def prod() -> Recording:
    return synth_with("prod")


def objects(recording: Recording, *, show_secrets: bool = True) -> list[dict[str, Any]]:
    return [obj for docs in kubernetes_objects(recording, show_secrets=show_secrets).values() for obj in docs]


@pytest.fixture
def objs() -> list[Obj]:
    """A fresh copy of the validators' compliant baseline."""
    return baseline()
