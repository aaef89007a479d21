"""Shared fixtures: the synth harness runs the real program under the recording mocks.

Stack runs are cached per session (a run costs ~0.8 s); tests that need another config call
``synth_with`` with overrides, which runs the program afresh on a new event loop.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

import pytest

from synth.harness import run_stack
from synth.mocks import Recording
from synth.render import kubernetes_objects
from tests.validator_baseline import Obj, baseline


# `make mutation`: mutmut 3 runs each mutant in a child forked from the process that already ran the
# suite unmutated, and names the active mutant in MUTANT_UNDER_TEST. The mutant is part of the cache
# key, so a child renders its own recording instead of reusing the unmutated one.
def _mutant_under_test() -> str:
    return os.environ.get("MUTANT_UNDER_TEST", "")


# In mutmut's "stats" pass, a test is mapped to the functions called while it runs; a recording
# cached by an earlier test hides those calls. Every test is credited with the calls made by the
# synth runs so far (an over-approximation: a mutant runs a few more tests, none is missed).
_STATS_HITS: set[str] = set()


def _mutmut_hits() -> set[str]:
    from mutmut.state import state

    return state()._stats


@functools.cache
def _cached(stack: str, overrides: str, mutant: str) -> Recording:
    recording = run_stack(stack, json.loads(overrides))
    if mutant == "stats":
        _STATS_HITS.update(_mutmut_hits())
    return recording


def synth_with(stack: str = "dev", **overrides: Any) -> Recording:
    return _cached(stack, json.dumps(overrides, sort_keys=True), _mutant_under_test())


@pytest.fixture(autouse=True)
def _credit_cached_synth_runs() -> None:
    if _mutant_under_test() == "stats":
        _mutmut_hits().update(_STATS_HITS)


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
