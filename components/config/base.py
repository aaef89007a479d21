"""The base every config model derives from: camelCase keys, unknown keys rejected, immutable.

Kept apart from models.py so that area modules (scaling.py, aws.py, …) can define their models
without importing the StackConfig that composes them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ConfigModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )
