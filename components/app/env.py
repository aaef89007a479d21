"""Environment of the api-image family (api, api_websocket, worker, worker_beat, migration).

Pure functions: they return ``{NAME: value | SecretRef}`` maps that tests read directly. Every
value the contract marks required is set explicitly, because the code defaults point at
localhost (DB_HOST, REDIS_HOST, PLUGIN_DAEMON_URL) and the image defaults at 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from components.catalog import CATALOG
from components.config.models import StackConfig
from components.data.endpoints import DataStores, ObjectStoreEndpoint
from components.kube import EnvValue, SecretRef

Mode = Literal["api", "websocket", "worker", "beat", "migration"]

MARKETPLACE_URL = "https://marketplace.dify.ai"
STORAGE_PATH = "/app/api/storage"
# Upstream compose's value on api, worker and plugin_daemon alike: the api's own default (15 MB)
# would refuse packages between 15 and 50 MB that the daemon accepts.
PLUGIN_PACKAGE_MAX_BYTES = "52428800"


@dataclass(frozen=True)
class AppContext:
    """Everything the Dify workloads are wired to; built once by the platform."""

    config: StackConfig
    stores: DataStores
    credentials: Mapping[str, SecretRef]
    broker_url: SecretRef
    agent_redis_url: SecretRef | None


def _bool(value: bool) -> str:
    return "true" if value else "false"


def public_urls(config: StackConfig) -> dict[str, str]:
    url = config.public_url
    return {
        "CONSOLE_API_URL": url,
        "CONSOLE_WEB_URL": url,
        "SERVICE_API_URL": url,
        "APP_WEB_URL": url,
        "FILES_URL": url,
        # Plugin daemon and agents fetch files in-cluster; an empty value would win over the alias.
        "INTERNAL_FILES_URL": CATALOG["api"].url(),
        "TRIGGER_URL": url,
        "ENDPOINT_URL_TEMPLATE": f"{url}/e/{{hook_id}}",
    }


def storage_env(objects: ObjectStoreEndpoint | None) -> dict[str, EnvValue]:
    """Where Dify keeps files: the shared volume through OpenDAL's fs scheme, or S3 with the pod's
    IRSA role. With S3_USE_AWS_MANAGED_IAM a bare boto3.Session() finds the web-identity token and
    S3_ENDPOINT and the keys are ignored (api/extensions/storage/aws_s3_storage.py @ dify 1.16.1;
    the names: api/configs/middleware/storage/amazon_s3_storage_config.py)."""
    if objects is None:
        return {"STORAGE_TYPE": "opendal", "OPENDAL_SCHEME": "fs", "OPENDAL_FS_ROOT": "storage"}
    return {
        "STORAGE_TYPE": "s3",
        "S3_USE_AWS_MANAGED_IAM": "true",
        "S3_BUCKET_NAME": objects.bucket,
        "S3_REGION": objects.region,
    }


def _database(ctx: AppContext) -> dict[str, EnvValue]:
    pg = ctx.stores.postgres
    env: dict[str, EnvValue] = {
        "DB_TYPE": "postgresql",
        "DB_HOST": pg.host,  # a Service name on dev, an RDS Output on prod
        "DB_PORT": str(pg.port),
        "DB_USERNAME": pg.username,
        "DB_PASSWORD": pg.password,
        "DB_DATABASE": pg.database,
        "SQLALCHEMY_POOL_SIZE": str(ctx.config.app.sqlalchemy_pool_size),
        "SQLALCHEMY_POOL_PRE_PING": "true",
    }
    if pg.ssl_mode == "require":
        # api/worker have no DB_SSL_MODE; the libpq option travels in the URI query.
        env["DB_EXTRAS"] = "sslmode=require"
    return env


def _redis(ctx: AppContext) -> dict[str, EnvValue]:
    redis = ctx.stores.redis
    env: dict[str, EnvValue] = {
        "REDIS_HOST": redis.host,
        "REDIS_PORT": str(redis.port),
        "REDIS_USERNAME": redis.username,
        "REDIS_PASSWORD": redis.password,
        "REDIS_DB": "0",
        "REDIS_USE_SSL": _bool(redis.use_ssl),
        # Upstream compose's value (the code default is false): without TCP keepalive an idle
        # connection dropped by conntrack or a NAT fails only on its next use.
        "REDIS_KEEPALIVE": "true",
        "CELERY_BROKER_URL": ctx.broker_url,
        "CELERY_BACKEND": "redis",
    }
    if redis.use_ssl:
        # The code default CERT_NONE would accept any certificate (api/extensions/ext_redis.py
        # _get_ssl_configuration @ 1.16.1); Celery's broker_use_ssl reads the same setting once the
        # URL is rediss:// (ext_celery.py get_celery_ssl_options). The system CA store verifies
        # ElastiCache's Amazon-issued certificate, so no CA file is needed.
        env["REDIS_SSL_CERT_REQS"] = "CERT_REQUIRED"
    return env


def plugin_debugging_address(config: StackConfig) -> tuple[str, int]:
    """The host:port the api shows plugin developers for remote debugging.

    Port 5003 is on a ClusterIP Service only, unless ``pluginDebugging.expose`` publishes it: the
    default advertises localhost:5003, which is what `kubectl port-forward svc/dify-plugin-daemon
    5003` gives the developer (README), never a public host where nothing listens.
    """
    debugging = config.plugin_debugging
    container_port = CATALOG["plugin-daemon"].port("plugin-debug")
    if debugging.expose == "port-forward" or debugging.host is None:
        return "localhost", container_port
    return debugging.host, debugging.port or container_port


def _services(ctx: AppContext) -> dict[str, EnvValue]:
    vector = ctx.stores.vector
    creds = ctx.credentials
    debug_host, debug_port = plugin_debugging_address(ctx.config)
    env: dict[str, EnvValue] = {
        **storage_env(ctx.stores.objects),
        "VECTOR_STORE": vector.kind,
        "WEAVIATE_ENDPOINT": vector.endpoint,
        "WEAVIATE_GRPC_ENDPOINT": vector.grpc_endpoint,
        "WEAVIATE_API_KEY": vector.api_key,
        # The sandbox runs in its own namespace (Pod Security baseline): a qualified name.
        "CODE_EXECUTION_ENDPOINT": CATALOG["sandbox"].url(namespace=ctx.config.sandbox_namespace),
        "CODE_EXECUTION_API_KEY": creds["sandbox-api-key"],
        "SSRF_PROXY_HTTP_URL": CATALOG["ssrf-proxy"].url("proxy"),
        "SSRF_PROXY_HTTPS_URL": CATALOG["ssrf-proxy"].url("proxy"),
        "PLUGIN_DAEMON_URL": CATALOG["plugin-daemon"].url(),
        "PLUGIN_DAEMON_KEY": creds["plugin-daemon-key"],
        "INNER_API_KEY_FOR_PLUGIN": creds["inner-api-key"],
        "PLUGIN_MAX_PACKAGE_SIZE": PLUGIN_PACKAGE_MAX_BYTES,
        "PLUGIN_REMOTE_INSTALL_HOST": debug_host,
        "PLUGIN_REMOTE_INSTALL_PORT": str(debug_port),
        "MARKETPLACE_ENABLED": _bool(ctx.config.app.marketplace_enabled),
        "MARKETPLACE_API_URL": MARKETPLACE_URL,
        "ENABLE_COLLABORATION_MODE": _bool(ctx.config.features.collaboration),
    }
    if ctx.config.features.agent_v2:
        env["AGENT_BACKEND_BASE_URL"] = CATALOG["agent-backend"].url()
        env["AGENT_BACKEND_API_TOKEN"] = creds["agent-api-token"]
    return env


def _mail(ctx: AppContext) -> dict[str, EnvValue]:
    mail = ctx.config.mail
    creds = ctx.credentials
    env: dict[str, EnvValue] = {}
    if mail is not None:
        env["MAIL_TYPE"] = mail.type
        env["MAIL_DEFAULT_SEND_FROM"] = mail.default_send_from
        if mail.type == "smtp" and mail.smtp is not None:
            env |= {
                "SMTP_SERVER": mail.smtp.server,
                "SMTP_PORT": str(mail.smtp.port),
                "SMTP_USERNAME": mail.smtp.username,
                "SMTP_USE_TLS": _bool(mail.smtp.use_tls),
                "SMTP_OPPORTUNISTIC_TLS": _bool(mail.smtp.opportunistic_tls),
            }
            if "smtp-password" in creds:
                env["SMTP_PASSWORD"] = creds["smtp-password"]
        if mail.type == "resend":
            env["RESEND_API_KEY"] = creds["resend-api-key"]
        if mail.type == "sendgrid":
            env["SENDGRID_API_KEY"] = creds["sendgrid-api-key"]
    if "sentry-dsn" in creds:
        env["SENTRY_DSN"] = creds["sentry-dsn"]
    return env


def _process(ctx: AppContext, mode: Mode) -> dict[str, str]:
    app = ctx.config.app
    if mode == "api":
        return {
            "SERVER_WORKER_AMOUNT": str(app.server_worker_amount),
            "SERVER_WORKER_CLASS": "gevent",
            # Upstream's 10 lets ten long SSE streams fill a worker; see ApiServer's probes.
            "SERVER_WORKER_CONNECTIONS": str(app.server_worker_connections),
            "GUNICORN_TIMEOUT": "360",
        }
    if mode == "websocket":
        # Socket.IO needs the websocket-capable worker and one process (state lives in Redis).
        return {
            "SERVER_WORKER_AMOUNT": "1",
            "SERVER_WORKER_CLASS": "geventwebsocket.gunicorn.workers.GeventWebSocketWorker",
            "SERVER_WORKER_CONNECTIONS": "1000",
            "GUNICORN_TIMEOUT": "360",
        }
    if mode == "worker":
        return {"CELERY_WORKER_AMOUNT": str(app.celery_worker_amount), "MAX_TASKS_PER_CHILD": "50"}
    return {}


def otel_env(config: StackConfig, mode: Mode) -> dict[str, str]:
    """With monitoring on, the long-running processes push OpenTelemetry to the collector
    (dify@1.16.1 api/configs/observability/otel/otel_config.py; off by default upstream). The
    stable HTTP semantic conventions make the Flask instrumentor record
    http.server.request.duration in seconds with the route, which the latency alert reads."""
    if not config.monitoring.enabled or mode == "migration":
        return {}
    return {
        "ENABLE_OTEL": "true",
        "OTLP_BASE_ENDPOINT": CATALOG["otel-collector"].url("otlp-http", namespace=config.monitoring_namespace),
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http",
        "OTEL_SAMPLING_RATE": str(config.monitoring.otel_sampling_percent / 100),
        "OTEL_SEMCONV_STABILITY_OPT_IN": "http",
    }


def api_family_env(ctx: AppContext, mode: Mode) -> dict[str, EnvValue]:
    """The complete env of one api-image workload; only the migration Job migrates."""
    creds = ctx.credentials
    entry_mode = {"websocket": "api"}.get(mode, mode)
    env: dict[str, EnvValue] = {
        "MODE": entry_mode,
        # The entrypoint migrates only when this is "true", and MODE=migration without it
        # would fall through to gunicorn and never exit.
        "MIGRATION_ENABLED": _bool(mode == "migration"),
        "EDITION": "SELF_HOSTED",
        "DEPLOY_ENV": "PRODUCTION",
        "SECRET_KEY": creds["secret-key"],
        "INIT_PASSWORD": creds["init-password"],
        "LOG_LEVEL": ctx.config.app.log_level,
        "LOG_OUTPUT_FORMAT": ctx.config.app.log_output_format,
        "LOG_TZ": "UTC",
        "DIFY_BIND_ADDRESS": "0.0.0.0",
        "DIFY_PORT": str(CATALOG["api"].port()),
        # The router and the Ingress set X-Forwarded-*; Dify needs them for https URLs.
        "RESPECT_XFORWARD_HEADERS_ENABLED": "true",
        "WEB_API_CORS_ALLOW_ORIGINS": "*",
        "CONSOLE_CORS_ALLOW_ORIGINS": ctx.config.public_url,
        **public_urls(ctx.config),
    }
    env |= _database(ctx) | _redis(ctx) | _services(ctx) | _mail(ctx) | _process(ctx, mode)
    return env | otel_env(ctx.config, mode)
