"""Descriptions of the config keys whose pydantic Field has none, keyed by parent path.

Data for components/config/reference.py: a Field description wins, and a note for a key that has
one, or for a key the models no longer have, is an error there.
"""

_AGENT = "; runs only when features.agentV2 is true."
_KEPT = "; an unset amount keeps the built-in default (components/catalog.py)."
_SIZE = "Storage request of the volume's PersistentVolumeClaim."
_NOTE_TREE: dict[str, dict[str, str]] = {
    "replicas": {
        "api": "Pods of api (console and service API).",
        "apiWebsocket": "Pods of api_websocket; runs only when features.collaboration is true.",
        "worker": "Pods of the Celery worker (background tasks).",
        "workerBeat": "Pods of the Celery beat scheduler; always one.",
        "web": "Pods of web (the Next.js front end).",
        "sandbox": "Pods of dify-sandbox, the code-node executor.",
        "pluginDaemon": (
            "Pods of the plugin daemon; more than 1 needs ReadWriteMany pluginStorage or dify:aws (plugins on S3)."
        ),
        "agentBackend": "Pods of the Agent v2 run server" + _AGENT,
        "localSandbox": "Pods of the Agent v2 shell workspace" + _AGENT,
        "ssrfProxy": "Pods of the squid SSRF proxy that api, worker and sandbox egress goes through.",
        "agentSsrfProxy": "Pods of local_sandbox's squid egress proxy" + _AGENT,
        "router": "Pods of the in-namespace nginx router (Service dify-router).",
    },
    "resources": {"<service>": "Requests/limits override for one service."},
    "resources.<service>": {"requests": "Resource requests" + _KEPT, "limits": "Resource limits" + _KEPT},
    "resources.<service>.requests": {
        "cpu": "CPU request; must not exceed limits.cpu when both are set here.",
        "memory": "Memory request; must not exceed limits.memory when both are set here.",
    },
    "resources.<service>.limits": {"cpu": "CPU limit.", "memory": "Memory limit."},
    "ingress": {
        "enabled": "Create an Ingress that routes straight to the services (needs an ingress "
        "controller); host must then have no :port.",
        "className": "IngressClass of the Ingress; unset uses the cluster's default IngressClass.",
        "tlsSecretName": "Secret holding the TLS certificate for host; requires scheme https.",
        "annotations": "Extra Ingress annotations; they override the built-in ingress-nginx ones "
        "(100m bodies, one-hour timeouts, no buffering).",
    },
    "router": {"serviceType": "Type of the dify-router Service (port 80)."},
    "edge": {
        "securityHeaders": "Send X-Content-Type-Options, Referrer-Policy, the frame policy and (https only) HSTS "
        "on every router response; on the Ingress only with ingressSnippets.",
        "referrerPolicy": "Referrer-Policy header value.",
        "frameAncestors": "CSP frame-ancestors sources for every page except Dify's embeddable web apps "
        "(/chat, /chatbot, /completion, /workflow, /webapp-signin); empty sends none.",
        "webAppFrameAncestors": "frame-ancestors sources for the embeddable web apps; empty (the default) lets any "
        "site embed them, as Dify's embed feature needs.",
        "hstsMaxAge": "Strict-Transport-Security max-age in seconds, sent only when scheme is https; 0 sends none.",
        "rateLimit": "Per-client request budgets (HTTP 429 beyond them); web pages, /socket.io/ and health "
        "checks are never limited.",
        "consoleAllowList": "CIDRs allowed to reach /console/api; empty allows everyone, otherwise others get 403.",
        "trustedProxies": "CIDRs of proxies in front of the router whose X-Forwarded-For names the client "
        "(for rate limits and the allow-list).",
        "maxBodySize": "Largest request body (uploads), as NGINX_CLIENT_MAX_BODY_SIZE.",
        "ingressSnippets": "Put the security headers and limit_req_status 429 in configuration-snippet "
        "annotations (the controller must allow snippets).",
        "ingressSplit": "One Ingress per budget (dify, dify-console, dify-app-api, dify-public-api) so each "
        "path group gets its own rate-limit zone.",
    },
    "edge.rateLimit": {
        "enabled": "Apply the per-client request budgets.",
        "console": "Budget shared by /console/api, /api, /files and /openapi.",
        "publicApi": "Budget of the public API: /v1, /mcp, /triggers and plugin endpoints /e/.",
    },
    **{
        f"edge.rateLimit.{budget}": {
            "rate": "Sustained requests per client: Nr/s or Nr/m.",
            "burst": "Requests a client may send at once above the rate before getting 429.",
        }
        for budget in ("console", "publicApi")
    },
    "networkPolicy": {
        "enabled": "Default-deny in both directions plus one NetworkPolicy per workload from the flow table.",
        "dnsNamespace": "Namespace of the cluster DNS pods every pod may query on port 53.",
        "dnsPodLabels": "Labels of the cluster DNS pods (kube-dns and CoreDNS both carry k8s-app: kube-dns).",
        "ingressNamespace": "Namespace of the ingress controller allowed to reach web, api, websocket, plugin daemon.",
    },
    "pluginDebugging": {
        "expose": (
            "How plugin developers reach the daemon's remote-debugging port 5003: port-forward "
            "(advertised as localhost:5003), or a LoadBalancer/NodePort Service dify-plugin-debug."
        ),
        "host": "Address debugging clients dial (the load balancer's or a node's); required unless port-forward.",
        "port": "Port clients dial: the LoadBalancer port (default 5003) or the nodePort (30000-32767, required).",
    },
    "persistence": {
        "appStorage": "Volume shared by api, api_websocket and worker (uploads and the keys that "
        "encrypt provider credentials): back it up.",
        "pluginStorage": "Volume of the plugin daemon (installed plugins).",
        "postgres": "Volume of the in-cluster PostgreSQL.",
        "redis": "Volume of the in-cluster Redis.",
        "weaviate": "Volume of the in-cluster Weaviate.",
    },
    "persistence.appStorage": {
        "size": _SIZE,
        "accessMode": "ReadWriteOnce pins api, api_websocket and worker to one node; ReadWriteMany "
        "(EFS, NFS) lets them spread.",
    },
    "persistence.pluginStorage": {
        "size": _SIZE,
        "accessMode": "ReadWriteOnce allows one plugin daemon, updated with Recreate; ReadWriteMany "
        "allows more replicas.",
    },
    **{f"persistence.{v}": {"size": _SIZE} for v in ("postgres", "redis", "weaviate")},
    "mail": {
        "type": "Mail provider (MAIL_TYPE): smtp needs mail.smtp, resend and sendgrid their API key secret.",
        "defaultSendFrom": "Sender of outgoing mail (MAIL_DEFAULT_SEND_FROM).",
        "smtp": "SMTP server settings; required when mail.type is smtp.",
    },
    "mail.smtp": {
        "server": "SMTP server host name.",
        "port": "SMTP server port (465 for implicit TLS, 587 with opportunisticTls).",
        "username": "SMTP user; empty sends without logging in. When set, smtpPassword is required.",
        "useTls": "Use TLS. Without opportunisticTls this is implicit TLS (SMTPS, usually port 465).",
        "opportunisticTls": "With useTls, connect in plain text, then STARTTLS (usually port 587).",
    },
    "app": {
        "logLevel": "LOG_LEVEL of the api-image services.",
        "logOutputFormat": "LOG_OUTPUT_FORMAT of the api-image services; json suits log pipelines.",
        "serverWorkerAmount": "Gunicorn worker processes per api pod (SERVER_WORKER_AMOUNT).",
        "serverWorkerConnections": (
            "Concurrent requests per gevent worker (SERVER_WORKER_CONNECTIONS); each streaming response holds one."
        ),
        "celeryWorkerAmount": "Celery concurrency per worker pod (CELERY_WORKER_AMOUNT).",
        "marketplaceEnabled": "Offer plugins from the Dify Marketplace (MARKETPLACE_ENABLED).",
        "sqlalchemyPoolSize": "Database connection pool size per process (SQLALCHEMY_POOL_SIZE).",
    },
}
NOTES = {f"{parent}.{key}": text for parent, notes in _NOTE_TREE.items() for key, text in notes.items()}
