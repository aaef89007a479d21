"""Parity rows of the api image: compose's api, api_websocket, worker and worker_beat.

Ours: components/app/env.py (``api_family_env``), one env builder for all four plus the migration
Job. Compose has no migration service (its api migrates at start), so the Job has no rows; it
shares the api's env apart from MODE/MIGRATION_ENABLED and the process settings.
Code defaults quoted below are those of api/configs/ at 1.16.1 and api/docker/entrypoint.sh.
"""

from __future__ import annotations

from components.parity.dotenv import API, not_read
from components.parity.model import SAME, Differs, Unset, merge, override, rows

SERVICE_NAMES = Differs("Kubernetes Service names (dify-<key>, components/catalog.py) replace compose hostnames")
GENERATED = Differs("generated per stack by pulumi-random, in a Secret; upstream ships a public development value")
PUBLIC_URL = Differs(
    "derived from the stack's public URL (dify:scheme://dify:host); upstream leaves it empty/localhost"
)
CODE_DEFAULT = Unset("the image's code default is upstream's value (api/configs @ 1.16.1)")
WORKER_ONLY = Unset("read by the entrypoint only in MODE=worker")
SERVER_ONLY = Unset("read by the entrypoint only in MODE=api (gunicorn)")
LOG_FILE_ONLY = Unset("read only when LOG_FILE is set, which we leave unset")

_API_ROWS = merge(
    rows(
        SAME,
        "MODE",
        "DEPLOY_ENV",
        "DIFY_BIND_ADDRESS",
        "DIFY_PORT",
        "SERVER_WORKER_AMOUNT",
        "SERVER_WORKER_CLASS",
        "GUNICORN_TIMEOUT",
        "LOG_LEVEL",
        "LOG_TZ",
        "DB_TYPE",
        "DB_PORT",
        "DB_USERNAME",
        "DB_DATABASE",
        "REDIS_PORT",
        "REDIS_USERNAME",
        "REDIS_DB",
        "REDIS_USE_SSL",
        "CELERY_BACKEND",
        "STORAGE_TYPE",
        "OPENDAL_SCHEME",
        "OPENDAL_FS_ROOT",
        "VECTOR_STORE",
        "WEB_API_CORS_ALLOW_ORIGINS",
        "MARKETPLACE_ENABLED",
        "MARKETPLACE_API_URL",
        "ENABLE_COLLABORATION_MODE",
        "PLUGIN_REMOTE_INSTALL_PORT",
        # localhost:5003 is what `kubectl port-forward` gives (dify:pluginDebugging's default).
        "PLUGIN_REMOTE_INSTALL_HOST",
        "PLUGIN_MAX_PACKAGE_SIZE",
    ),
    rows(
        SERVICE_NAMES,
        "DB_HOST",
        "REDIS_HOST",
        "WEAVIATE_ENDPOINT",
        "WEAVIATE_GRPC_ENDPOINT",
        "CODE_EXECUTION_ENDPOINT",
        "PLUGIN_DAEMON_URL",
        "SSRF_PROXY_HTTP_URL",
        "SSRF_PROXY_HTTPS_URL",
        "AGENT_BACKEND_BASE_URL",
    ),
    rows(
        GENERATED,
        "DB_PASSWORD",
        "REDIS_PASSWORD",
        "WEAVIATE_API_KEY",
        "CODE_EXECUTION_API_KEY",
        "PLUGIN_DAEMON_KEY",
        "INNER_API_KEY_FOR_PLUGIN",
        "AGENT_BACKEND_API_TOKEN",
    ),
    rows(PUBLIC_URL, "CONSOLE_API_URL", "CONSOLE_WEB_URL", "SERVICE_API_URL", "APP_WEB_URL", "FILES_URL"),
    rows(PUBLIC_URL, "TRIGGER_URL", "ENDPOINT_URL_TEMPLATE"),
    {
        "SECRET_KEY": Differs(
            "generated per stack in a Secret; upstream's empty value makes Dify write one to storage"
        ),
        "INIT_PASSWORD": Differs("generated per stack in a Secret, so the first /install is gated (upstream: no gate)"),
        "CELERY_BROKER_URL": Differs("built from the generated Redis password and the Redis Service, in a Secret"),
        "INTERNAL_FILES_URL": Differs("the api Service, so in-cluster readers fetch files directly (upstream: empty)"),
        "CONSOLE_CORS_ALLOW_ORIGINS": Differs("the console API accepts only its own public origin, not *"),
        "LOG_OUTPUT_FORMAT": Differs("json by default (dify:app.logOutputFormat) so cluster log pipelines parse it"),
        "MIGRATION_ENABLED": Differs("false: only the migration Job migrates, before any api-image pod starts"),
        "SQLALCHEMY_POOL_SIZE": Differs(
            "dify:app.sqlalchemyPoolSize, upstream's 30 by default; the connection budget may ask for less"
        ),
        "SQLALCHEMY_POOL_PRE_PING": Differs("true: a pooled connection dropped while idle is replaced before use"),
        "SERVER_WORKER_CONNECTIONS": Differs(
            "50 (dify:app.serverWorkerConnections): upstream's 10 lets 10 SSE streams fill a worker"
        ),
        "SERVER_CONSOLE_API_URL": Unset("the api reads it only as the fallback of INTERNAL_FILES_URL, which we set"),
        "LANG": Unset("the image's ENV sets en_US.UTF-8 (api/Dockerfile); upstream's C.UTF-8 is UTF-8 too"),
        "LC_ALL": Unset("the image's ENV sets en_US.UTF-8 (api/Dockerfile); upstream's C.UTF-8 is UTF-8 too"),
        "PYTHONIOENCODING": Unset("the image's ENV already sets utf-8 (api/Dockerfile)"),
        "LOG_FILE": Unset(
            "logs go to stdout for the kubelet; the root filesystem is read-only (upstream also writes a file)"
        ),
        "LOG_FILE_MAX_SIZE": LOG_FILE_ONLY,
        "LOG_FILE_BACKUP_COUNT": LOG_FILE_ONLY,
        "LOG_DATEFORMAT": Unset("read only by the text log format; json (our default) stamps ISO times itself"),
        "FLASK_DEBUG": Unset("read only by the flask CLI (`flask upgrade-db`); unset is off, as upstream's false"),
        "SENTRY_DSN": Unset("upstream's value is empty; set from a Secret only when dify:sentryDsn is configured"),
        "REDIS_KEEPALIVE": SAME,
    },
    rows(WORKER_ONLY, "CELERY_WORKER_AMOUNT", "CELERY_WORKER_CLASS", "CELERY_AUTO_SCALE"),
    rows(WORKER_ONLY, "CELERY_MAX_WORKERS", "CELERY_MIN_WORKERS"),
    rows(
        CODE_DEFAULT,
        "DEBUG",
        "ENABLE_REQUEST_LOGGING",
        "CHECK_UPDATE_URL",
        "ENABLE_LEARN_APP",
        "FILES_ACCESS_TIMEOUT",
        "COOKIE_DOMAIN",
        "INDEXING_MAX_SEGMENTATION_TOKENS_LENGTH",
        "VECTOR_INDEX_NAME_PREFIX",
        "WEAVIATE_TOKENIZATION",
        "SENTRY_TRACES_SAMPLE_RATE",
        "SENTRY_PROFILES_SAMPLE_RATE",
        "SQLALCHEMY_MAX_OVERFLOW",
        "SQLALCHEMY_POOL_RECYCLE",
        "SQLALCHEMY_ECHO",
        "SQLALCHEMY_POOL_USE_LIFO",
        "SQLALCHEMY_POOL_TIMEOUT",
        "SQLALCHEMY_POOL_RESET_ON_RETURN",
        "REDIS_SSL_CERT_REQS",
        "REDIS_SSL_CA_CERTS",
        "REDIS_SSL_CERTFILE",
        "REDIS_SSL_KEYFILE",
        "REDIS_KEY_PREFIX",
        "REDIS_MAX_CONNECTIONS",
        "REDIS_RETRY_RETRIES",
        "REDIS_RETRY_BACKOFF_BASE",
        "REDIS_RETRY_BACKOFF_CAP",
        "REDIS_SOCKET_TIMEOUT",
        "REDIS_SOCKET_CONNECT_TIMEOUT",
        "REDIS_HEALTH_CHECK_INTERVAL",
        "REDIS_KEEPALIVE_IDLE",
        "REDIS_KEEPALIVE_INTERVAL",
        "REDIS_KEEPALIVE_COUNT",
        "CELERY_TASK_ANNOTATIONS",
        "EVENT_BUS_REDIS_URL",
        "EVENT_BUS_REDIS_CHANNEL_TYPE",
        "EVENT_BUS_REDIS_USE_CLUSTERS",
        "CODE_EXECUTION_SSL_VERIFY",
        "CODE_EXECUTION_POOL_MAX_CONNECTIONS",
        "CODE_EXECUTION_POOL_MAX_KEEPALIVE_CONNECTIONS",
        "CODE_EXECUTION_POOL_KEEPALIVE_EXPIRY",
        "CODE_EXECUTION_CONNECT_TIMEOUT",
        "CODE_EXECUTION_READ_TIMEOUT",
        "CODE_EXECUTION_WRITE_TIMEOUT",
        "SSRF_DEFAULT_TIME_OUT",
        "SSRF_DEFAULT_CONNECT_TIME_OUT",
        "SSRF_DEFAULT_READ_TIME_OUT",
        "SSRF_DEFAULT_WRITE_TIME_OUT",
        "SSRF_POOL_MAX_CONNECTIONS",
        "SSRF_POOL_MAX_KEEPALIVE_CONNECTIONS",
        "SSRF_POOL_KEEPALIVE_EXPIRY",
        "PLUGIN_MODEL_SCHEMA_CACHE_TTL",
        "PLUGIN_DAEMON_TIMEOUT",
        "AGENT_BACKEND_STREAM_READ_TIMEOUT_SECONDS",
        "AGENT_BACKEND_STREAM_MAX_RECONNECTS",
        "AGENT_BACKEND_RUN_TIMEOUT_SECONDS",
    ),
)
API_ROWS = merge(_API_ROWS, not_read(API, _API_ROWS))

# Compose sets these in the api's own `environment:` only; the other services get .env alone.
_API_ONLY = ("SENTRY_DSN", "SENTRY_TRACES_SAMPLE_RATE", "SENTRY_PROFILES_SAMPLE_RATE")
_API_ONLY_PLUGIN = ("PLUGIN_REMOTE_INSTALL_HOST", "PLUGIN_REMOTE_INSTALL_PORT", "PLUGIN_DAEMON_TIMEOUT")
_API_ONLY_KEYS = ("INNER_API_KEY_FOR_PLUGIN", "AGENT_BACKEND_API_TOKEN")

API_WEBSOCKET_ROWS = override(
    API_ROWS,
    {"SERVER_WORKER_CONNECTIONS": SAME},
    drop=(*_API_ONLY, *_API_ONLY_PLUGIN, *_API_ONLY_KEYS),
)

WORKER_ROWS = override(
    API_ROWS,
    {
        "SERVER_WORKER_AMOUNT": SERVER_ONLY,
        "SERVER_WORKER_CLASS": SERVER_ONLY,
        "SERVER_WORKER_CONNECTIONS": SERVER_ONLY,
        "GUNICORN_TIMEOUT": SERVER_ONLY,
        "CELERY_WORKER_AMOUNT": SAME,
        "CELERY_WORKER_CLASS": Unset("the entrypoint's default for an empty value is upstream's: the gevent pool"),
        "CELERY_AUTO_SCALE": Unset("the entrypoint's default is upstream's false: fixed concurrency"),
        "CELERY_MAX_WORKERS": Unset("read only with CELERY_AUTO_SCALE=true"),
        "CELERY_MIN_WORKERS": Unset("read only with CELERY_AUTO_SCALE=true"),
    },
    drop=_API_ONLY_PLUGIN,
)

# Beat runs `celery beat` as its command (components/app/worker_beat.py), so no entrypoint
# variable is read at all.
_BEAT_NO_ENTRYPOINT = Unset("beat's command bypasses the entrypoint, the only reader")
WORKER_BEAT_ROWS = override(
    API_ROWS,
    {
        "SERVER_WORKER_AMOUNT": _BEAT_NO_ENTRYPOINT,
        "SERVER_WORKER_CLASS": _BEAT_NO_ENTRYPOINT,
        "SERVER_WORKER_CONNECTIONS": _BEAT_NO_ENTRYPOINT,
        "GUNICORN_TIMEOUT": _BEAT_NO_ENTRYPOINT,
        "CELERY_WORKER_AMOUNT": _BEAT_NO_ENTRYPOINT,
        "CELERY_WORKER_CLASS": _BEAT_NO_ENTRYPOINT,
        "CELERY_AUTO_SCALE": _BEAT_NO_ENTRYPOINT,
        "CELERY_MAX_WORKERS": _BEAT_NO_ENTRYPOINT,
        "CELERY_MIN_WORKERS": _BEAT_NO_ENTRYPOINT,
    },
    drop=(*_API_ONLY, *_API_ONLY_PLUGIN, *_API_ONLY_KEYS),
)
