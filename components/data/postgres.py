"""dify:data:Postgres: a single-replica Postgres 15 StatefulSet for stacks without RDS.

Creates: a ConfigMap with an init script (creates the plugin daemon's ``dify_plugin`` database),
a StatefulSet with one PVC, and a ClusterIP Service. Exposes a ``PostgresEndpoint``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import CATALOG
from components.data.endpoints import PostgresEndpoint
from components.data.store import StoreArgs, deploy_store
from components.kube import ContainerSpec, SecretRef, SecurityProfile, empty_dir, exec_probe, mount, object_meta

ENTRY = CATALOG["postgres"]
USERNAME = "postgres"
DATABASE = "dify"
PLUGIN_DATABASE = "dify_plugin"
DATA_PATH = "/var/lib/postgresql/data"

# The alpine image's postgres user; the entrypoint skips chown/su-exec when started as it.
SECURITY = SecurityProfile(run_as_user=70, run_as_group=70, fs_group=70)

# Runs once, on an empty data directory, as the superuser the entrypoint creates.
INIT_SQL = f"CREATE DATABASE {PLUGIN_DATABASE};\n"


@dataclass(kw_only=True)
class PostgresArgs(StoreArgs):
    password: SecretRef
    max_connections: int = 200


class Postgres(pulumi.ComponentResource):
    endpoint: PostgresEndpoint

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:data:Postgres", name, None, opts)
        init = k8s.core.v1.ConfigMap(
            f"{name}-init",
            metadata=object_meta(None, args.namespace, args.labels),
            data={"10-dify-plugin-database.sql": INIT_SQL},
            opts=pulumi.ResourceOptions(parent=self),
        )
        ready = exec_probe(["pg_isready", "-h", "127.0.0.1", "-U", USERNAME, "-d", DATABASE], period=10, timeout=5)
        container = ContainerSpec(
            name="postgres",
            image=args.image,
            resources=args.resources,
            security=SECURITY,
            ports=ENTRY.ports,
            args=[
                "postgres",
                "-c",
                f"max_connections={args.max_connections}",
                "-c",
                "shared_buffers=128MB",
                "-c",
                "work_mem=4MB",
                "-c",
                "maintenance_work_mem=64MB",
                "-c",
                "effective_cache_size=1GB",
            ],
            env={
                "POSTGRES_USER": USERNAME,
                "POSTGRES_PASSWORD": args.password,
                "POSTGRES_DB": DATABASE,
                # A subdirectory: the volume root (lost+found, group-writable via fsGroup) fails
                # initdb's ownership and 0700 checks.
                "PGDATA": f"{DATA_PATH}/pgdata",
            },
            readiness=ready,
            liveness=exec_probe(["pg_isready", "-h", "127.0.0.1", "-U", USERNAME], period=20, timeout=5, failures=6),
            mounts=[
                mount("data", DATA_PATH),
                mount("run", "/var/run/postgresql"),
                mount("tmp", "/tmp"),
                mount("init", "/docker-entrypoint-initdb.d", read_only=True),
            ],
        )
        volumes = [
            empty_dir("run", "16Mi"),
            empty_dir("tmp", "256Mi"),
            k8s.core.v1.VolumeArgs(
                name="init", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=init.metadata.name)
            ),
        ]
        deployed = deploy_store(self, name, ENTRY, args, container, volumes)
        self.stateful_set = deployed.stateful_set
        self.endpoint = PostgresEndpoint(
            host=ENTRY.name,
            port=ENTRY.port("postgres"),
            username=USERNAME,
            password=args.password,
            database=DATABASE,
            plugin_database=PLUGIN_DATABASE,
        )
        self.register_outputs({"host": ENTRY.name, "stateful_set": self.stateful_set.metadata.name})
