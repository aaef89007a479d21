"""The shape of an image runtime contract: facts, each with the upstream file it comes from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

When = Literal["start", "serving"]


@dataclass(frozen=True)
class Fact:
    source: str
    verified: bool = True
    # Why the source does not settle it (unverified), or what the fact depends on.
    note: str = ""


@dataclass(frozen=True)
class Write:
    """A path the process writes. ``path`` is absolute, relative to WORKDIR, or ``${VAR:-default}``
    (resolved from the container's env); ``flag`` names a command-line option that moves it."""

    path: str
    when: When
    fact: Fact
    flag: str | None = None


@dataclass(frozen=True)
class Listen:
    port: int
    fact: Fact
    env: str | None = None  # the env var that sets the port, when one does


@dataclass(frozen=True)
class Mode:
    writes: tuple[Write, ...] = ()
    listens: tuple[Listen, ...] = ()
    health: tuple[str, ...] = ()  # HTTP paths that answer 200 when healthy
    health_fact: Fact | None = None


@dataclass(frozen=True)
class ImageContract:
    uid: int  # the uid the server process runs as upstream (after any entrypoint step-down)
    uid_fact: Fact
    workdir: str
    workdir_fact: Fact
    modes: Mapping[str, Mode]
    capabilities: tuple[str, ...] = ()
    capabilities_fact: Fact | None = None
    # The image leaves the uid to the operator (no USER, nothing uid-specific): any non-root uid
    # that can write the mode's paths works, so ours differing from ``uid`` is no discrepancy.
    any_uid: bool = False
    # Env var whose value selects the mode; images without one run their single mode "default".
    mode_env: str | None = None
    unverified: tuple[str, ...] = field(default_factory=tuple)
