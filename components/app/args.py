"""The argument shape shared by the Dify services outside the api family."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi

from components.app.env import AppContext
from components.catalog import Resources


@dataclass
class AppServiceArgs:
    ctx: AppContext
    namespace: pulumi.Input[str]
    instance: str
    image: str
    replicas: int
    resources: Resources
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
