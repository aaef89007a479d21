"""How many database connections and which Celery queues each Dify process has, traced upstream.

The connection budget (components/config/budget.py) and the KEDA queue scaler
(components/scaling/keda.py) read these; the numbers are upstream defaults we do not override
(SQLALCHEMY_MAX_OVERFLOW, the worker pool class) or values we set ourselves (DB_MAX_OPEN_CONNS).
"""

from __future__ import annotations

from components.images.model import Fact

_API = "dify@1.16.1 "
_DAEMON = "dify-plugin-daemon@0.6.3 "

# One SQLAlchemy engine per process (Flask-SQLAlchemy's ``db``; nothing else calls create_engine
# with our vector store), so a process holds at most pool_size + max_overflow connections.
SQLALCHEMY_POOL_SIZE_DEFAULT = 30
SQLALCHEMY_MAX_OVERFLOW = 10
POOL_FACT = Fact(
    _API + "api/configs/middleware/__init__.py:193-201 (SQLALCHEMY_POOL_SIZE 30, SQLALCHEMY_MAX_OVERFLOW 10); "
    "components/app/env.py sets only the pool size"
)

# The worker runs ``celery worker -P ${CELERY_WORKER_POOL:-${CELERY_WORKER_CLASS:-gevent}}`` and we
# set neither: a gevent pool, i.e. ONE process whose CELERY_WORKER_AMOUNT greenlets share one
# engine. (A prefork pool would hold one engine per child.)
WORKER_PROCESSES_PER_POD = 1
WORKER_POOL_FACT = Fact(_API + "api/docker/entrypoint.sh:31,63-66 (-P gevent unless CELERY_WORKER_POOL/CLASS)")

# flask upgrade-db → flask_migrate.upgrade(): alembic runs every revision on one connection.
MIGRATION_CONNECTIONS = 1
MIGRATION_FACT = Fact(_API + "api/commands/system.py:137-154 (flask_migrate.upgrade under a Redis lock)")

# gorm's database/sql pool: SetMaxOpenConns(DB_MAX_OPEN_CONNS), default 30; components/app/
# plugin_daemon.py sets the same 30 explicitly.
PLUGIN_DAEMON_MAX_OPEN_CONNS = 30
PLUGIN_DAEMON_POOL_FACT = Fact(
    _DAEMON + "internal/types/app/config.go:164 (DB_MAX_OPEN_CONNS default 30), internal/db/pg/pg.go:83-84"
)

# postgres_exporter (dify:monitoring) opens two database/sql handles, each SetMaxOpenConns(1).
POSTGRES_EXPORTER_CONNECTIONS = 2
POSTGRES_EXPORTER_FACT = Fact(
    "postgres_exporter@v0.20.1 collector/instance.go:58-59, exporter/server.go:79-80 (SetMaxOpenConns(1) each)"
)

# What a non-superuser can never use: Postgres keeps superuser_reserved_connections (default 3)
# for the DBA's emergency sessions, so the application's budget ends 3 below max_connections.
RESERVED_CONNECTIONS = 3

# The worker's -Q list for EDITION=SELF_HOSTED when CELERY_QUEUES is unset (we set neither
# CELERY_QUEUES nor CELERY_WORKER_QUEUES), in the entrypoint's order.
CELERY_QUEUES: tuple[str, ...] = (
    "api_token",
    "dataset",
    "dataset_summary",
    "priority_dataset",
    "priority_pipeline",
    "pipeline",
    "mail",
    "ops_trace",
    "app_deletion",
    "app_rbac",
    "plugin",
    "workflow_storage",
    "conversation",
    "workflow",
    "schedule_poller",
    "schedule_executor",
    "triggered_workflow_dispatcher",
    "trigger_refresh_publisher",
    "trigger_refresh_executor",
    "retention",
    "workflow_based_app_execution",
)
CELERY_QUEUES_FACT = Fact(_API + "api/docker/entrypoint.sh:35-41 (DEFAULT_QUEUES, community edition)")
