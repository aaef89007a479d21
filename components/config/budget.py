"""The Postgres connection budget: what every Dify process can hold at once, at the autoscalers'
maxima, against the server's max_connections.

Per process the api image holds one SQLAlchemy engine of ``sqlalchemyPoolSize`` +
``SQLALCHEMY_MAX_OVERFLOW`` (10) connections: each gunicorn worker of every api pod, each
api_websocket pod (one worker), each worker pod (one gevent process), the one beat. The migration
Job uses one connection, each plugin daemon pod at most ``DB_MAX_OPEN_CONNS`` (30), and with
``dify:monitoring`` the postgres exporter two.
components/images/capacity.py traces each number. A config that can open more than the server
admits (less the superuser-reserved slots) fails on its first busy hour, so it is rejected here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.config.errors import problem
from components.images.capacity import (
    MIGRATION_CONNECTIONS,
    PLUGIN_DAEMON_MAX_OPEN_CONNS,
    POSTGRES_EXPORTER_CONNECTIONS,
    RESERVED_CONNECTIONS,
    SQLALCHEMY_MAX_OVERFLOW,
    WORKER_PROCESSES_PER_POD,
)

if TYPE_CHECKING:
    from components.config.models import StackConfig

# The in-cluster Postgres's max_connections (components/data/postgres.py passes it as
# ``-c max_connections``); tests/test_budget.py checks the rendered argument equals it.
IN_CLUSTER_MAX_CONNECTIONS = 200


@dataclass(frozen=True)
class Budget:
    api_pods: int
    gunicorn_workers: int
    websocket_pods: int
    worker_pods: int
    per_process: int
    plugin_daemon_pods: int
    max_connections: int
    # dify:monitoring's postgres_exporter, when it runs.
    exporter_connections: int = 0

    @property
    def processes(self) -> int:
        return self.api_pods * self.gunicorn_workers + self.websocket_pods + self.worker_pods + 1

    @property
    def total(self) -> int:
        return (
            self.processes * self.per_process
            + MIGRATION_CONNECTIONS
            + self.plugin_daemon_pods * PLUGIN_DAEMON_MAX_OPEN_CONNS
            + self.exporter_connections
        )

    @property
    def available(self) -> int:
        return self.max_connections - RESERVED_CONNECTIONS

    def arithmetic(self) -> str:
        return (
            f"(api {self.api_pods}×{self.gunicorn_workers} + apiWebsocket {self.websocket_pods} "
            f"+ worker {self.worker_pods} + workerBeat 1) × {self.per_process} + migration {MIGRATION_CONNECTIONS} "
            f"+ pluginDaemon {self.plugin_daemon_pods}×{PLUGIN_DAEMON_MAX_OPEN_CONNS}"
            f"{f' + postgresExporter {self.exporter_connections}' if self.exporter_connections else ''} = {self.total} "
            f"> {self.available} (max_connections {self.max_connections} − {RESERVED_CONNECTIONS} reserved)"
        )


def database_max_connections(config: StackConfig) -> int:
    if config.aws.enabled:
        return config.aws.rds.max_connections
    return IN_CLUSTER_MAX_CONNECTIONS


def connection_budget(config: StackConfig) -> Budget:
    scaling, replicas = config.autoscaling, config.replicas
    return Budget(
        api_pods=scaling.max_pods("api", replicas.api),
        gunicorn_workers=config.app.server_worker_amount,
        websocket_pods=replicas.api_websocket if config.features.collaboration else 0,
        worker_pods=scaling.max_pods("worker", replicas.worker) * WORKER_PROCESSES_PER_POD,
        per_process=config.app.sqlalchemy_pool_size + SQLALCHEMY_MAX_OVERFLOW,
        plugin_daemon_pods=replicas.plugin_daemon,
        max_connections=database_max_connections(config),
        exporter_connections=POSTGRES_EXPORTER_CONNECTIONS if config.monitoring.enabled else 0,
    )


def budget_problems(config: StackConfig) -> list[str]:
    budget = connection_budget(config)
    if budget.total <= budget.available:
        return []
    return [
        problem(
            ["app", "sqlalchemyPoolSize"],
            config.app.sqlalchemy_pool_size,
            f"a pool the database can serve at every autoscaler maximum: {budget.arithmetic()}",
        )
    ]
