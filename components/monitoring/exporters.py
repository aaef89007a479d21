"""dify:monitoring:PostgresExporter, RedisExporter and BlackboxExporter: the data stores' and the
endpoints' view, each one small Deployment that Prometheus discovers by pod.

- PostgresExporter (postgres_exporter v0.20.1): DATA_SOURCE_URI/USER/PASS, the password from
  the monitoring namespace's copy of the Dify database Secret; pg_stat_activity, pg_settings.
  With dify:aws both exporters read RDS and ElastiCache over TLS instead of the in-cluster stores.
- RedisExporter (redis_exporter v1.88.0): REDIS_ADDR and REDIS_PASSWORD; the Celery queues as
  single keys of the broker's database 1 (their list lengths: ``redis_key_size``).
- BlackboxExporter (v0.28.0): the HTTP modules of the health probes, behind a Service that
  Prometheus's probe jobs dial.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import CATALOG
from components.core.connections import BROKER_DB
from components.data.endpoints import DataStores
from components.images.capacity import CELERY_QUEUES
from components.kube import SecurityProfile, http_probe, mount, tcp_probe
from components.monitoring.context import ContextArgs, MonitoringContext, run
from components.monitoring.prometheus import dumps

core = k8s.core.v1
NOBODY = SecurityProfile(run_as_user=65534, run_as_group=65534)


BLACKBOX_MODULES = {
    "modules": {
        "http_2xx": {"prober": "http", "timeout": "5s", "http": {"preferred_ip_protocol": "ip4"}},
        "http_2xx_3xx": {
            "prober": "http",
            "timeout": "5s",
            "http": {
                "preferred_ip_protocol": "ip4",
                "follow_redirects": False,
                "valid_status_codes": [200, 301, 302, 303, 307, 308],
            },
        },
    }
}


def _managed(ctx: MonitoringContext) -> DataStores | None:
    """The stores when they are RDS and ElastiCache (dify:aws), else None (in-cluster Services)."""
    return ctx.stores if ctx.config.aws.enabled else None


def postgres_source(ctx: MonitoringContext) -> tuple[pulumi.Input[str], str]:
    """DATA_SOURCE_URI and the user: the in-cluster Service without TLS, or RDS, which refuses
    plain connections (rds.force_ssl), with sslmode=require (lib/pq, postgres_exporter's driver)."""
    stores = _managed(ctx)
    if stores is None:
        address = CATALOG["postgres"].address("postgres", namespace=ctx.names.dify)
        return f"{address}/{ctx.database}?sslmode=disable", ctx.db_user
    pg = stores.postgres
    uri = pulumi.Output.concat(pg.host, ":", str(pg.port), "/", pg.database, "?sslmode=require")
    return uri, pg.username


def redis_address(ctx: MonitoringContext) -> pulumi.Input[str]:
    """REDIS_ADDR: rediss:// for ElastiCache (transit encryption required); the image carries the
    CA bundle (redis_exporter v1.88.0 Dockerfile copies /etc/ssl/certs) and verifies by default."""
    stores = _managed(ctx)
    if stores is None:
        return f"redis://{CATALOG['redis'].address('redis', namespace=ctx.names.dify)}"
    redis = stores.redis
    return pulumi.Output.concat("rediss://" if redis.use_ssl else "redis://", redis.host, ":", str(redis.port))


class PostgresExporter(pulumi.ComponentResource):
    def __init__(self, name: str, args: ContextArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:monitoring:PostgresExporter", name, None, opts)
        ctx = args.ctx
        assert ctx.db_password is not None
        uri, user = postgres_source(ctx)
        container = ctx.container(
            "postgres-exporter",
            "postgres_exporter",
            NOBODY,
            env={"DATA_SOURCE_URI": uri, "DATA_SOURCE_USER": user, "DATA_SOURCE_PASS": ctx.db_password},
            readiness=tcp_probe("metrics"),
            liveness=tcp_probe("metrics", period=20),
        )
        run(self, name, ctx, container)
        self.register_outputs({})


class RedisExporter(pulumi.ComponentResource):
    def __init__(self, name: str, args: ContextArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:monitoring:RedisExporter", name, None, opts)
        ctx = args.ctx
        assert ctx.redis_password is not None
        container = ctx.container(
            "redis-exporter",
            "redis_exporter",
            # The image's own uid (redis_exporter Dockerfile USER 59000:59000).
            SecurityProfile(run_as_user=59000, run_as_group=59000),
            env={
                "REDIS_ADDR": redis_address(ctx),
                "REDIS_PASSWORD": ctx.redis_password,
                "REDIS_EXPORTER_CHECK_SINGLE_KEYS": ",".join(f"db{BROKER_DB}={q}" for q in CELERY_QUEUES),
            },
            readiness=http_probe("/health", "metrics"),
            liveness=http_probe("/health", "metrics", period=20),
        )
        run(self, name, ctx, container)
        self.register_outputs({})


class BlackboxExporter(pulumi.ComponentResource):
    def __init__(self, name: str, args: ContextArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:monitoring:BlackboxExporter", name, None, opts)
        ctx = args.ctx
        config = ctx.config_map(
            self, f"{name}-config", "blackbox-exporter", "blackbox_exporter", {"config.yml": dumps(BLACKBOX_MODULES)}
        )
        container = ctx.container(
            "blackbox-exporter",
            "blackbox_exporter",
            NOBODY,
            args=["--config.file=/etc/blackbox_exporter/config.yml"],
            readiness=http_probe("/-/healthy"),
            liveness=http_probe("/-/healthy", period=20),
            mounts=[mount("config", "/etc/blackbox_exporter", read_only=True)],
        )
        volume = core.VolumeArgs(name="config", config_map=core.ConfigMapVolumeSourceArgs(name=config.metadata.name))
        run(self, name, ctx, container, expose=True, volumes=[volume])
        self.register_outputs({})
