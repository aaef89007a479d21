"""Reads every ``dify:*`` key, validates it, and hands the program a typed ``StackSettings``.

Validation happens before any resource is registered, so a bad value never leaves half a stack.
Secrets a user supplies (mail passwords, DSNs) are read as Pulumi secret Outputs and never enter
the pydantic model: the model is plain data that tests print and compare.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime.config as runtime_config
from pydantic import BaseModel, ValidationError

from components.config.aws import aws_problems
from components.config.budget import budget_problems
from components.config.errors import NAMESPACE, ConfigError, format_validation_error, key_path, problem
from components.config.ingress_tls import ingress_tls_problems
from components.config.logging import logging_problems
from components.config.models import StackConfig
from components.config.resources import effective_resources
from components.config.scaling import scaling_problems
from components.config.types import cpu_millis, memory_bytes


@dataclass(frozen=True)
class UserSecret:
    key: str
    description: str


# Credentials that only the user can supply. Everything Dify generates itself is in
# components/core/inventory.py; these come from `pulumi config set --secret`.
USER_SECRETS: tuple[UserSecret, ...] = (
    UserSecret("smtpPassword", "SMTP password, used when mail.type is smtp."),
    UserSecret("resendApiKey", "Resend API key, required when mail.type is resend."),
    UserSecret("sendgridApiKey", "SendGrid API key, required when mail.type is sendgrid."),
    UserSecret("sentryDsn", "Sentry DSN for api and worker errors (optional)."),
    UserSecret(
        "alertmanagerReceiverUrl", "Webhook or Slack URL alerts go to, when monitoring.alertmanager.receiver is set."
    ),
    UserSecret(
        "elasticsearchPassword",
        "Password of logging.elasticsearch.external.username, required with an external cluster.",
    ),
    UserSecret("elasticsearchCaCert", "PEM CA of an external cluster whose certificate no public CA signs (optional)."),
)
_USER_SECRET_KEYS = {s.key for s in USER_SECRETS}


@dataclass(frozen=True)
class StackSettings:
    """The validated config plus the user-supplied secrets as Pulumi secret Outputs."""

    config: StackConfig
    secrets: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)


def _structured_keys() -> set[str]:
    keys = set()
    for name, info in StackConfig.model_fields.items():
        annotation = info.annotation
        options = typing.get_args(annotation) or (annotation,)
        if any(
            typing.get_origin(o) in (dict, list) or (isinstance(o, type) and issubclass(o, BaseModel)) for o in options
        ):
            keys.add(info.alias or name)
    return keys


_STRUCTURED = _structured_keys()
_UNDECODABLE = object()


def _decode(key: str, value: Any, problems: list[str]) -> Any:
    # Pulumi passes top-level values as strings and objects as JSON text.
    if key in _STRUCTURED and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            problems.append(problem([key], value, "a JSON object; set it with --path or as YAML"))
            return _UNDECODABLE
    return value


def _resource_problems(config: StackConfig) -> list[str]:
    problems = []
    for service, override in config.resources.items():
        effective = effective_resources(config, service)
        pairs = (
            (
                "cpu",
                override.requests.cpu,
                override.limits.cpu,
                effective.requests.cpu,
                effective.limits.cpu,
                cpu_millis,
            ),
            (
                "memory",
                override.requests.memory,
                override.limits.memory,
                effective.requests.memory,
                effective.limits.memory,
                memory_bytes,
            ),
        )
        for name, own_request, own_limit, request, limit, measure in pairs:
            if measure(request) <= measure(limit):
                continue
            # Name the key the user set; a default on the other side is said to be one.
            if own_request:
                origin = "" if own_limit else " (the default)"
                problems.append(
                    problem(["resources", service, "requests", name], request, f"at most limits.{name} {limit}{origin}")
                )
            else:
                problems.append(
                    problem(
                        ["resources", service, "limits", name],
                        limit,
                        f"at least requests.{name} {request} (the default)",
                    )
                )
    return problems


def _plugin_debugging_problems(config: StackConfig) -> list[str]:
    debugging = config.plugin_debugging
    if debugging.expose == "port-forward":
        if debugging.host is not None:
            return [problem(["pluginDebugging", "host"], debugging.host, "unset when expose is port-forward")]
        if debugging.port is not None:
            return [problem(["pluginDebugging", "port"], debugging.port, "unset when expose is port-forward")]
        return []
    problems = []
    if debugging.host is None:
        problems.append(
            f"{key_path(['pluginDebugging', 'host'])}: is missing "
            f"(expected the address clients dial when expose is {debugging.expose})"
        )
    if debugging.expose == "NodePort" and (debugging.port is None or not 30000 <= debugging.port <= 32767):
        problems.append(
            problem(
                ["pluginDebugging", "port"], debugging.port, "a nodePort from 30000 to 32767 when expose is NodePort"
            )
            if debugging.port is not None
            else f"{key_path(['pluginDebugging', 'port'])}: is missing "
            "(expected a nodePort from 30000 to 32767 when expose is NodePort)"
        )
    return problems


def _semantic_problems(config: StackConfig, secret_keys: set[str]) -> list[str]:
    problems = _resource_problems(config)
    if config.ingress.enabled and ":" in config.host:
        problems.append(problem(["host"], config.host, "a host without :port when ingress.enabled is true"))
    if config.ingress.tls_secret_name and config.scheme != "https":
        problems.append(problem(["scheme"], config.scheme, '"https" when ingress.tlsSecretName is set'))
    shared_plugin_storage = config.persistence.plugin_storage.access_mode == "ReadWriteMany"
    if config.replicas.plugin_daemon > 1 and not shared_plugin_storage and not config.aws.enabled:
        # Daemons sharing one working directory race on plugin venvs (dify-helm #207); on S3 each
        # daemon has a working directory of its own.
        problems.append(
            problem(
                ["replicas", "pluginDaemon"],
                config.replicas.plugin_daemon,
                "1 unless persistence.pluginStorage.accessMode is ReadWriteMany",
            )
        )
    problems += _plugin_debugging_problems(config)
    problems += aws_problems(config.aws)
    problems += scaling_problems(config)
    problems += ingress_tls_problems(config)
    if len(config.sandbox_namespace) > 63:
        # The sandbox's namespace is "<namespace>-sandbox", itself a DNS-1123 label.
        problems.append(
            problem(["namespace"], config.namespace, "at most 55 characters (it also names <namespace>-sandbox)")
        )
    if config.logging.enabled and len(config.logging_host_namespace) > 63:
        problems.append(
            problem(
                ["namespace"],
                config.namespace,
                "at most 50 characters with logging (it also names <namespace>-logging-host)",
            )
        )
    problems += logging_problems(
        config.logging,
        ingress_enabled=config.ingress.enabled,
        allow_list=list(config.edge.console_allow_list),
        secret_keys=secret_keys,
    )
    mail = config.mail
    if mail is not None:
        if mail.type == "smtp" and mail.smtp is None:
            problems.append(f"{key_path(['mail', 'smtp'])}: is missing (expected it to be set when mail.type is smtp)")
        if mail.type == "smtp" and mail.smtp and mail.smtp.username and "smtpPassword" not in secret_keys:
            problems.append(
                f"{key_path(['smtpPassword'])}: is missing (expected a secret when mail.smtp.username is set)"
            )
        needed = {"resend": "resendApiKey", "sendgrid": "sendgridApiKey"}.get(mail.type)
        if needed and needed not in secret_keys:
            problems.append(f"{key_path([needed])}: is missing (expected a secret when mail.type is {mail.type})")
    # Last: the budget needs every maximum and the server's max_connections settled first.
    return problems or budget_problems(config)


def parse_config(raw: Mapping[str, Any], secret_keys: set[str]) -> StackConfig:
    """Validate the ``dify:``-namespaced part of a stack's config; raises ConfigError."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    present_secrets: set[str] = set()
    for full_key, value in sorted(raw.items()):
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        if key in _USER_SECRET_KEYS:
            if full_key not in secret_keys:
                problems.append(
                    f"{full_key}: is stored in plain text (expected a secret: pulumi config set --secret {key} …)"
                )
            present_secrets.add(key)
            continue
        decoded = _decode(key, value, problems)
        if decoded is not _UNDECODABLE:
            values[key] = decoded
    try:
        config = StackConfig.model_validate(values)
    except ValidationError as exc:
        user_keys = [secret.key for secret in USER_SECRETS]
        raise ConfigError(problems + format_validation_error(StackConfig, exc, user_keys)) from None
    problems += _semantic_problems(config, present_secrets)
    if problems:
        raise ConfigError(problems)
    return config


def _runtime_config() -> tuple[dict[str, Any], set[str]]:
    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = {k for k in raw if runtime_config.is_config_secret(k)}
    secret_keys |= set(runtime_config.get_config_secret_keys_env())
    return raw, secret_keys


def load_settings() -> StackSettings:
    """Read and validate the running stack's config (call before creating any resource)."""
    raw, secret_keys = _runtime_config()
    config = parse_config(raw, secret_keys)
    reader = pulumi.Config(NAMESPACE)
    secrets: dict[str, pulumi.Output[str]] = {}
    for secret in USER_SECRETS:
        value = reader.get_secret(secret.key)
        if value is not None:
            secrets[secret.key] = value
    return StackSettings(config=config, secrets=secrets)
