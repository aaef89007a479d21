"""The credential inventory: every secret Dify needs, one entry per purpose.

Each entry is generated once (pulumi-random, kept in state so it never drifts) and stored under
its ``key`` in one Kubernetes Secret. Both sides of every pair that must match (contract §2.6)
reference the same key, so a mismatch cannot be expressed. No value is ever reused for a second
purpose, unlike the public defaults the Helm charts and the CDK samples ship.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Feature = Literal["core", "agent_v2"]


@dataclass(frozen=True)
class Credential:
    key: str
    purpose: str
    # Who reads it, as "<service>:<ENV_NAME>"; the tests check both sides of every pair.
    consumers: tuple[str, ...]
    length: int = 48
    # "id" = 32 random bytes as unpadded base64url, the format agent_backend derives its JWE key from.
    generator: Literal["password", "id"] = "password"
    feature: Feature = "core"


API_FAMILY = ("api", "api-websocket", "worker", "worker-beat", "migration")


def _family(env: str) -> tuple[str, ...]:
    return tuple(f"{service}:{env}" for service in API_FAMILY)


INVENTORY: tuple[Credential, ...] = (
    Credential("secret-key", "Flask session signing and token encryption", _family("SECRET_KEY"), length=64),
    Credential("init-password", "Gates the first /install of the console", _family("INIT_PASSWORD"), length=24),
    Credential(
        "db-password",
        "Postgres password of the Dify role",
        (*_family("DB_PASSWORD"), "plugin-daemon:DB_PASSWORD", "postgres:POSTGRES_PASSWORD"),
        length=32,
    ),
    Credential(
        "redis-password",
        "Redis AUTH password",
        (*_family("REDIS_PASSWORD"), "plugin-daemon:REDIS_PASSWORD", "redis:REDIS_PASSWORD"),
        length=32,
    ),
    Credential(
        "weaviate-api-key",
        "Weaviate API key (anonymous access is off)",
        (*_family("WEAVIATE_API_KEY"), "weaviate:AUTHENTICATION_APIKEY_ALLOWED_KEYS"),
        length=40,
    ),
    Credential(
        "sandbox-api-key",
        "api → sandbox code execution",
        (*_family("CODE_EXECUTION_API_KEY"), "sandbox:API_KEY"),
        length=40,
    ),
    Credential(
        "plugin-daemon-key",
        "api/agent → plugin daemon",
        (
            *_family("PLUGIN_DAEMON_KEY"),
            "plugin-daemon:SERVER_KEY",
            "agent-backend:DIFY_AGENT_PLUGIN_DAEMON_API_KEY",
        ),
    ),
    Credential(
        "inner-api-key",
        "plugin daemon/agent → api /inner/api",
        (
            *_family("INNER_API_KEY_FOR_PLUGIN"),
            "plugin-daemon:DIFY_INNER_API_KEY",
            "agent-backend:DIFY_AGENT_INNER_API_KEY",
        ),
    ),
    Credential(
        "agent-api-token",
        "api → agent_backend runs",
        (*_family("AGENT_BACKEND_API_TOKEN"), "agent-backend:DIFY_AGENT_API_TOKEN"),
        feature="agent_v2",
    ),
    Credential(
        "agent-server-secret-key",
        "agent_backend JWE key derivation",
        ("agent-backend:DIFY_AGENT_SERVER_SECRET_KEY",),
        generator="id",
        feature="agent_v2",
    ),
    Credential(
        "local-sandbox-auth-token",
        "agent_backend → local_sandbox",
        ("agent-backend:DIFY_AGENT_SHELLCTL_AUTH_TOKEN", "local-sandbox:SHELLCTL_AUTH_TOKEN"),
        feature="agent_v2",
    ),
)

# Values a user supplies with `pulumi config set --secret`; stored beside the generated ones.
USER_SECRET_KEYS: dict[str, str] = {
    "smtpPassword": "smtp-password",
    "resendApiKey": "resend-api-key",
    "sendgridApiKey": "sendgrid-api-key",
    "sentryDsn": "sentry-dsn",
}


def enabled(agent_v2: bool) -> tuple[Credential, ...]:
    return tuple(c for c in INVENTORY if c.feature == "core" or agent_v2)


def by_key(key: str) -> Credential:
    return next(c for c in INVENTORY if c.key == key)
