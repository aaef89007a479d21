"""Typed stack config: models, error formatting and the loader."""

from components.config.errors import ConfigError
from components.config.loader import USER_SECRETS, StackSettings, load_settings, parse_config
from components.config.models import StackConfig

__all__ = ["USER_SECRETS", "ConfigError", "StackConfig", "StackSettings", "load_settings", "parse_config"]
