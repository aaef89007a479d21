"""The three verdicts a parity row can carry, and helpers to write rows in groups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Same:
    """We render exactly upstream's value."""


@dataclass(frozen=True)
class Differs:
    """We set the variable, to another value or from a Secret; ``reason`` says why (one line)."""

    reason: str
    # True where the difference looks like a gap rather than a choice: worth following upstream.
    suspect: bool = False


@dataclass(frozen=True)
class Unset:
    """We deliberately leave the variable out; ``reason`` says why (one line)."""

    reason: str
    suspect: bool = False


Verdict = Same | Differs | Unset
Rows = dict[str, Verdict]

SAME = Same()


def rows(verdict: Verdict, *names: str) -> Rows:
    return dict.fromkeys(names, verdict)


def merge(*parts: Mapping[str, Verdict]) -> Rows:
    """Join row groups; a name decided twice is a mistake in the table, not an override."""
    merged: Rows = {}
    for part in parts:
        twice = sorted(set(merged) & set(part))
        if twice:
            raise ValueError(f"parity rows decided twice: {', '.join(twice)}")
        merged |= part
    return merged


def override(base: Mapping[str, Verdict], changes: Mapping[str, Verdict], drop: Iterable[str] = ()) -> Rows:
    """A sibling service's rows: ``base`` with some verdicts replaced and some names removed."""
    unknown = sorted(set(changes) - set(base))
    if unknown:
        raise ValueError(f"override of names the base does not have: {', '.join(unknown)}")
    dropped = set(drop)
    return {name: changes.get(name, verdict) for name, verdict in base.items() if name not in dropped}
