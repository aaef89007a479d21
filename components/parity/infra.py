"""Parity rows of the services compose configures through `environment:` alone: local_sandbox,
the two squid proxies, nginx and the data stores.

Ours: components/app/local_sandbox.py, components/net/ (squid and nginx configs rendered at deploy
time instead of upstream's entrypoint templating) and components/data/.
"""

from __future__ import annotations

from components.parity.api_family import GENERATED, SERVICE_NAMES
from components.parity.model import SAME, Differs, Rows, Unset, merge, rows

LOCAL_SANDBOX_ROWS: Rows = {
    "HTTP_PROXY": SERVICE_NAMES,
    "HTTPS_PROXY": SERVICE_NAMES,
    "NO_PROXY": SAME,
    "SHELLCTL_AUTH_TOKEN": Differs("generated per stack in a Secret; upstream's empty value means no auth"),
}

# Upstream's squid entrypoint templates squid.conf from these; we mount a squid.conf rendered at
# deploy time (components/net/squid_conf.py) and never run that entrypoint.
_SQUID_TEMPLATE = Unset("read by upstream's entrypoint templating only; our squid.conf is rendered at deploy time")
SSRF_PROXY_ROWS: Rows = {
    "HTTP_PORT": _SQUID_TEMPLATE,
    "COREDUMP_DIR": _SQUID_TEMPLATE,
    "SSRF_PROXY_ALLOW_PRIVATE_IPS": Unset("the rendered squid.conf takes its allow-lists from dify:ssrfProxy config"),
    "SSRF_PROXY_ALLOW_PRIVATE_DOMAINS": Unset(
        "the rendered squid.conf takes its allow-lists from dify:ssrfProxy config"
    ),
}
AGENT_SSRF_PROXY_ROWS: Rows = {"HTTP_PORT": _SQUID_TEMPLATE, "COREDUMP_DIR": _SQUID_TEMPLATE}

# The router mounts an nginx.conf rendered by components/net/nginx_conf.py (same body size and
# proxy timeouts as upstream's defaults); TLS and certbot belong to the Ingress, not the router.
_NGINX_TEMPLATE = Unset(
    "read by upstream's envsubst templates only; the router's nginx.conf is rendered at deploy time"
)
_TLS = Unset("TLS terminates at the Ingress (dify:ingress.tlsSecretName); the router serves plain HTTP")
NGINX_ROWS: Rows = merge(
    rows(
        _NGINX_TEMPLATE,
        "NGINX_SERVER_NAME",
        "NGINX_PORT",
        "NGINX_WORKER_PROCESSES",
        "NGINX_CLIENT_MAX_BODY_SIZE",
        "NGINX_KEEPALIVE_TIMEOUT",
        "NGINX_PROXY_READ_TIMEOUT",
        "NGINX_PROXY_SEND_TIMEOUT",
        "NGINX_SOCKET_IO_UPSTREAM",
    ),
    rows(_TLS, "NGINX_HTTPS_ENABLED", "NGINX_SSL_PORT", "NGINX_SSL_CERT_FILENAME", "NGINX_SSL_CERT_KEY_FILENAME"),
    rows(_TLS, "NGINX_SSL_PROTOCOLS", "NGINX_ENABLE_CERTBOT_CHALLENGE", "CERTBOT_DOMAIN"),
)

DB_POSTGRES_ROWS: Rows = {
    "POSTGRES_USER": SAME,
    "POSTGRES_DB": SAME,
    "PGDATA": SAME,
    "POSTGRES_PASSWORD": GENERATED,
}

REDIS_ROWS: Rows = {"REDISCLI_AUTH": GENERATED}

_ADMIN = Differs("one neutral user 'dify' owns the one API key; upstream names hello@dify.ai")
WEAVIATE_ROWS: Rows = merge(
    rows(SAME, "PERSISTENCE_DATA_PATH", "QUERY_DEFAULTS_LIMIT", "DEFAULT_VECTORIZER_MODULE", "CLUSTER_HOSTNAME"),
    rows(SAME, "AUTHENTICATION_APIKEY_ENABLED", "AUTHORIZATION_ADMINLIST_ENABLED"),
    rows(_ADMIN, "AUTHENTICATION_APIKEY_USERS", "AUTHORIZATION_ADMINLIST_USERS"),
    rows(Unset("Weaviate's default is off, as upstream's false"), "ENABLE_TOKENIZER_GSE"),
    rows(Unset("Weaviate's default is off, as upstream's false"), "ENABLE_TOKENIZER_KAGOME_JA"),
    rows(Unset("Weaviate's default is off, as upstream's false"), "ENABLE_TOKENIZER_KAGOME_KR"),
    {
        "AUTHENTICATION_APIKEY_ALLOWED_KEYS": GENERATED,
        "AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": Differs(
            "false: only the api key gets in (upstream's .env allows anyone)"
        ),
        "DISABLE_TELEMETRY": Differs("true: no usage telemetry from cluster pods"),
    },
)
