"""Parity rows of web, sandbox, plugin_daemon and agent_backend: the services that, like the api
family, also receive all of .env (their unread names are filled in by ``dotenv.not_read``).

Ours: components/app/web.py, sandbox.py, plugin_daemon.py, agent_backend.py. Defaults quoted are
those of web/env.ts and web/docker/entrypoint.sh (1.16.1), dify-sandbox 0.2.15
internal/static/config.go, dify-plugin-daemon 0.6.3 internal/types/app/config.go and dify-agent's
ServerSettings.
"""

from __future__ import annotations

from components.parity.api_family import GENERATED, PUBLIC_URL, SERVICE_NAMES
from components.parity.dotenv import AGENT, DAEMON, SANDBOX, WEB, not_read
from components.parity.model import SAME, Differs, Rows, Unset, merge, rows

# web/docker/entrypoint.sh exports NEXT_PUBLIC_X=${X}: unset gives "", and web/env.ts
# (emptyStringAsUndefined) then applies its schema default, which is upstream's value here.
WEB_DEFAULT = Unset("unset, the entrypoint exports an empty value and web/env.ts's default is upstream's")
EMPTY_UPSTREAM = Unset("upstream's value is empty; unset reads the same")

_WEB = merge(
    rows(SAME, "DEPLOY_ENV", "TEXT_GENERATION_TIMEOUT_MS", "MARKETPLACE_API_URL", "MARKETPLACE_URL"),
    rows(SAME, "NEXT_PUBLIC_ENABLE_AGENT_V2"),
    rows(PUBLIC_URL, "CONSOLE_API_URL", "APP_API_URL"),
    {
        "SERVER_CONSOLE_API_URL": SERVICE_NAMES,
        "NEXT_PUBLIC_SOCKET_URL": Differs(
            "ws(s)://<dify:host>, the public Socket.IO address; upstream: ws://localhost"
        ),
        "NEXT_TELEMETRY_DISABLED": Differs("1: no Next.js telemetry from cluster pods"),
        "EXPERIMENTAL_ENABLE_VINEXT": Unset(
            "the entrypoint starts the Next server unless it is 'true', as upstream's false"
        ),
        "ENABLE_WEBSITE_JINAREADER": Unset("the entrypoint's default is upstream's true"),
        "ENABLE_WEBSITE_FIRECRAWL": Unset("the entrypoint's default is upstream's true"),
        "ENABLE_WEBSITE_WATERCRAWL": Unset("the entrypoint's default is upstream's true"),
        "CONSOLE_WEB_URL": Unset("upstream's value is empty; it is only NEXT_PUBLIC_WEB_PREFIX's fallback"),
    },
    rows(
        WEB_DEFAULT,
        "WORKFLOW_GENERATION_TIMEOUT_MS",
        "ALLOW_EMBED",
        "ALLOW_UNSAFE_DATA_SCHEME",
        "TOP_K_MAX_VALUE",
        "INDEXING_MAX_SEGMENTATION_TOKENS_LENGTH",
        "LOOP_NODE_MAX_COUNT",
        "MAX_TOOLS_NUM",
        "MAX_PARALLEL_LIMIT",
        "MAX_ITERATIONS_NUM",
        "MAX_TREE_DEPTH",
        "NEXT_PUBLIC_BATCH_CONCURRENCY",
        "NEXT_PUBLIC_ENABLE_SINGLE_DOLLAR_LATEX",
        "NEXT_PUBLIC_ENABLE_FEATURE_PREVIEW",
    ),
    rows(EMPTY_UPSTREAM, "AMPLITUDE_API_KEY", "COOKIEYES_SITE_KEY", "CSP_WHITELIST", "NEXT_PUBLIC_COOKIE_DOMAIN"),
    rows(EMPTY_UPSTREAM, "SENTRY_DSN"),
)
WEB_ROWS = merge(_WEB, not_read(WEB, _WEB))

_SANDBOX = merge(
    rows(SAME, "GIN_MODE", "WORKER_TIMEOUT", "ENABLE_NETWORK", "SANDBOX_PORT"),
    rows(SERVICE_NAMES, "HTTP_PROXY", "HTTPS_PROXY"),
    {
        "API_KEY": GENERATED,
        "PIP_MIRROR_URL": EMPTY_UPSTREAM,
        "DEBUG": SAME,
    },
)
SANDBOX_ROWS = merge(_SANDBOX, not_read(SANDBOX, _SANDBOX))

# Object-store settings the daemon reads only when PLUGIN_STORAGE_TYPE selects that store.
_PLUGIN_STORES = (
    "PLUGIN_STORAGE_OSS_BUCKET",
    "S3_USE_AWS_MANAGED_IAM",
    "S3_USE_AWS",
    "S3_ENDPOINT",
    "S3_USE_PATH_STYLE",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "AWS_REGION",
    "AZURE_BLOB_STORAGE_CONNECTION_STRING",
    "AZURE_BLOB_STORAGE_CONTAINER_NAME",
    "TENCENT_COS_SECRET_KEY",
    "TENCENT_COS_SECRET_ID",
    "TENCENT_COS_REGION",
    "ALIYUN_OSS_REGION",
    "ALIYUN_OSS_ENDPOINT",
    "ALIYUN_OSS_ACCESS_KEY_ID",
    "ALIYUN_OSS_ACCESS_KEY_SECRET",
    "ALIYUN_OSS_AUTH_VERSION",
    "ALIYUN_OSS_PATH",
    "VOLCENGINE_TOS_ENDPOINT",
    "VOLCENGINE_TOS_ACCESS_KEY",
    "VOLCENGINE_TOS_SECRET_KEY",
    "VOLCENGINE_TOS_REGION",
)
DAEMON_DEFAULT = Unset("the daemon's envconfig default is upstream's value (internal/types/app/config.go @ 0.6.3)")

_DAEMON = merge(
    rows(
        SAME,
        "DB_TYPE",
        "DB_PORT",
        "DB_USERNAME",
        "DB_DATABASE",
        "DB_SSL_MODE",
        "REDIS_PORT",
        "REDIS_USERNAME",
        "REDIS_DB",
        "REDIS_USE_SSL",
        "SERVER_PORT",
        "MAX_PLUGIN_PACKAGE_SIZE",
        "PLUGIN_REMOTE_INSTALLING_HOST",
        "PLUGIN_REMOTE_INSTALLING_PORT",
        "PLUGIN_WORKING_PATH",
        "FORCE_VERIFYING_SIGNATURE",
        "PYTHON_ENV_INIT_TIMEOUT",
        "PLUGIN_MAX_EXECUTION_TIMEOUT",
        "PLUGIN_STORAGE_TYPE",
        "PLUGIN_STORAGE_LOCAL_ROOT",
        "PLUGIN_INSTALLED_PATH",
        "PLUGIN_PACKAGE_CACHE_PATH",
        "PLUGIN_MEDIA_CACHE_PATH",
    ),
    rows(SERVICE_NAMES, "DB_HOST", "REDIS_HOST", "DIFY_INNER_API_URL"),
    rows(GENERATED, "DB_PASSWORD", "REDIS_PASSWORD", "SERVER_KEY", "DIFY_INNER_API_KEY"),
    rows(Unset("PLUGIN_STORAGE_TYPE is local; object-store settings are read only when selected"), *_PLUGIN_STORES),
    rows(DAEMON_DEFAULT, "LOG_LEVEL", "PLUGIN_STDIO_BUFFER_SIZE", "PLUGIN_STDIO_MAX_BUFFER_SIZE"),
    rows(DAEMON_DEFAULT, "REDIS_SSL_CERT_REQS", "REDIS_SSL_CA_CERTS", "PPROF_ENABLED", "SENTRY_ENABLED"),
    {
        "LOG_FILE": Unset("logs go to stdout for the kubelet (upstream also writes /app/logs/server.log)"),
        "LOG_OUTPUT_FORMAT": Differs("dify:app.logOutputFormat (json by default), like the api's: one log schema"),
        "PIP_MIRROR_URL": EMPTY_UPSTREAM,
        "SENTRY_DSN": Unset("read only with SENTRY_ENABLED, which is false as upstream"),
        # Upstream's .env sets an empty prefix; ours keeps the daemon's default in the Redis
        # db it shares with the api, where its keys are then visibly the daemon's.
        "REDIS_KEY_PREFIX": Unset("the daemon's default prefix 'plugin_daemon' (upstream sets it empty)"),
    },
)
PLUGIN_DAEMON_ROWS = merge(_DAEMON, not_read(DAEMON, _DAEMON))

_AGENT = merge(
    rows(SAME, "DIFY_AGENT_REDIS_PREFIX", "DIFY_AGENT_SHUTDOWN_GRACE_SECONDS", "DIFY_AGENT_RUN_RETENTION_SECONDS"),
    rows(SERVICE_NAMES, "DIFY_AGENT_PLUGIN_DAEMON_URL", "DIFY_AGENT_INNER_API_URL", "DIFY_AGENT_SHELLCTL_ENTRYPOINT"),
    rows(SERVICE_NAMES, "DIFY_AGENT_STUB_API_BASE_URL"),
    rows(GENERATED, "DIFY_AGENT_API_TOKEN", "DIFY_AGENT_PLUGIN_DAEMON_API_KEY", "DIFY_AGENT_INNER_API_KEY"),
    rows(GENERATED, "DIFY_AGENT_SERVER_SECRET_KEY"),
    {
        "DIFY_AGENT_REDIS_URL": Differs("built from the generated Redis password and the Redis Service, in a Secret"),
        "DIFY_AGENT_SHELLCTL_AUTH_TOKEN": Differs(
            "generated per stack in a Secret; upstream's empty value means no auth"
        ),
    },
)
AGENT_BACKEND_ROWS: Rows = merge(_AGENT, not_read(AGENT, _AGENT))
