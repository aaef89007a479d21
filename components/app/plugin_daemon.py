"""dify:app:PluginDaemon: dify-plugin-daemon (the 0.6.3-local build paired with api 1.16.1).

Creates: its own PersistentVolumeClaim (plugins, packages, per-plugin venvs and the uv cache
under /app/storage), a Deployment, a ClusterIP Service (5002 API, 5003 remote debugging) and a
PDB when replicas ≥ 2. It migrates its own database ``dify_plugin`` at every start (image CMD).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.app.args import AppServiceArgs
from components.app.env import PLUGIN_PACKAGE_MAX_BYTES
from components.catalog import CATALOG, PREFIX
from components.kube import (
    SKIP_AWAIT,
    ContainerSpec,
    EnvValue,
    SecurityProfile,
    empty_dir,
    http_probe,
    labels,
    mount,
    object_meta,
    selector,
    startup,
)
from components.versions import image_tag
from components.workload import WorkloadArgs, deploy

ENTRY = CATALOG["plugin-daemon"]
DEBUG_SERVICE_NAME = f"{PREFIX}-plugin-debug"
STORAGE_ROOT = "/app/storage"

# The image has no USER, so it would run as root, but nothing in the daemon needs root or a
# capability (plugin-daemon 0.6.3: no setuid, chown or chroot; plugins run as the daemon's own
# uid), so it runs as uid 1000 under Pod Security restricted. What it writes is on mounts: the
# plugin storage and working path (the claim, group-owned through fsGroup), /tmp, and $HOME, where
# `uv venv` keeps its own caches (it inherits the daemon's environment). The pre-downloaded
# tiktoken encodings in /app/.tiktoken are only read.
SECURITY = SecurityProfile(run_as_user=1000, run_as_group=1000, fs_group=1000)
HOME = "/home/plugin-daemon"


@dataclass(kw_only=True)
class PluginDaemonArgs(AppServiceArgs):
    storage_size: str = "10Gi"
    storage_access_mode: str = "ReadWriteOnce"
    storage_class: str | None = None


def plugin_daemon_env(args: AppServiceArgs) -> dict[str, EnvValue]:
    stores = args.ctx.stores
    creds = args.ctx.credentials
    pg, redis = stores.postgres, stores.redis
    return {
        "DB_TYPE": "postgresql",
        "DB_HOST": pg.host,
        "DB_PORT": str(pg.port),
        "DB_USERNAME": pg.username,
        "DB_PASSWORD": pg.password,
        "DB_DATABASE": pg.plugin_database,
        "DB_SSL_MODE": pg.ssl_mode,
        "DB_MAX_OPEN_CONNS": "30",
        "REDIS_HOST": redis.host,
        "REDIS_PORT": str(redis.port),
        "REDIS_USERNAME": redis.username,
        "REDIS_PASSWORD": redis.password,
        "REDIS_DB": "0",
        # No REDIS_SSL_CERT_REQS: unset, the daemon verifies the server against the system CAs,
        # while CERT_REQUIRED would also demand a REDIS_SSL_CA_CERTS file (RedisTLSConfig,
        # internal/types/app/config.go @ 0.6.3).
        "REDIS_USE_SSL": "true" if redis.use_ssl else "false",
        "SERVER_PORT": str(ENTRY.port()),
        "SERVER_KEY": creds["plugin-daemon-key"],
        "DIFY_INNER_API_URL": CATALOG["api"].url(),
        "DIFY_INNER_API_KEY": creds["inner-api-key"],
        "PLUGIN_REMOTE_INSTALLING_HOST": "0.0.0.0",
        "PLUGIN_REMOTE_INSTALLING_PORT": str(ENTRY.port("plugin-debug")),
        "PLUGIN_WORKING_PATH": f"{STORAGE_ROOT}/cwd",
        **plugin_storage_env(args),
        "PLUGIN_INSTALLED_PATH": "plugin",
        "PLUGIN_PACKAGE_CACHE_PATH": "plugin_packages",
        "PLUGIN_MEDIA_CACHE_PATH": "assets",
        "MAX_PLUGIN_PACKAGE_SIZE": PLUGIN_PACKAGE_MAX_BYTES,
        "PYTHON_ENV_INIT_TIMEOUT": "120",
        "PLUGIN_MAX_EXECUTION_TIMEOUT": "600",
        "FORCE_VERIFYING_SIGNATURE": "true",
        "PROMETHEUS_ENABLED": "true",
        # The daemon's own default is text (internal/types/app/config.go @ 0.6.3); JSON gives its
        # lines the api's schema (ts, severity, trace_id: pkg/utils/log/handler.go), so one
        # request's log lines from both join in the log store.
        "LOG_OUTPUT_FORMAT": args.ctx.config.app.log_output_format,
        # Default true: at every start the daemon times pypi.org against two mirrors in China and
        # silently installs plugin dependencies from the fastest (cmd/server/main.go @ 0.6.3).
        "PIP_MIRROR_AUTO_DETECT": "false",
        # uid 1000 may have no passwd entry: tools find their home through the environment.
        "HOME": HOME,
    }


def plugin_storage_env(args: AppServiceArgs) -> dict[str, EnvValue]:
    """Packages and installed plugins on the claim, or in S3 with the pod's IRSA role. The
    daemon's S3 names are its own (internal/types/app/config.go @ 0.6.3: PLUGIN_STORAGE_OSS_BUCKET,
    S3_USE_AWS, S3_USE_AWS_MANAGED_IAM, S3_USE_PATH_STYLE, AWS_REGION), and its path-style default
    (true) suits MinIO, not AWS. The type aws_s3 and the IAM path are dify-cloud-kit's (v0.1.3, the
    daemon's go.mod): oss/oss.go OSS_TYPE_S3, oss/s3/s3.go config.LoadDefaultConfig, which reads
    the web-identity token the EKS webhook injects."""
    objects = args.ctx.stores.objects
    if objects is None:
        return {"PLUGIN_STORAGE_TYPE": "local", "PLUGIN_STORAGE_LOCAL_ROOT": STORAGE_ROOT}
    return {
        "PLUGIN_STORAGE_TYPE": "aws_s3",
        "PLUGIN_STORAGE_OSS_BUCKET": objects.bucket,
        "S3_USE_AWS": "true",
        "S3_USE_AWS_MANAGED_IAM": "true",
        "S3_USE_PATH_STYLE": "false",
        "AWS_REGION": objects.region,
    }


class PluginDaemon(pulumi.ComponentResource):
    def __init__(self, name: str, args: PluginDaemonArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:app:PluginDaemon", name, None, opts)
        version = image_tag(args.image)
        objects = args.ctx.stores.objects
        storage = self._storage_volume(name, args, labels(ENTRY.key, args.instance, version))
        ready = http_probe("/health/check", period=10)
        container = ContainerSpec(
            name="plugin-daemon",
            image=args.image,
            resources=args.resources,
            security=SECURITY,
            ports=ENTRY.ports,
            env=plugin_daemon_env(args),
            readiness=ready,
            liveness=http_probe("/health/check", period=20, failures=6),
            startup=startup(ready, budget_seconds=300),
            mounts=[mount("storage", STORAGE_ROOT), mount("tmp", "/tmp"), mount("home", HOME)],
        )
        shared_rwo = objects is None and args.storage_access_mode == "ReadWriteOnce"
        deployed = deploy(
            self,
            name,
            WorkloadArgs.of(
                ENTRY,
                args,
                [container],
                volumes=[storage, empty_dir("tmp", "1Gi"), empty_dir("home", "2Gi")],
                # Two daemons on one RWO working directory race on plugin venvs; stop first.
                strategy="Recreate" if shared_rwo else "RollingUpdate",
                service_account=objects.service_account if objects is not None else None,
            ),
        )
        self.deployment = deployed.deployment
        self.service = deployed.service
        self.debug_service = self._debug_service(name, args, labels(ENTRY.key, args.instance, version))
        self.register_outputs({"url": ENTRY.url()})

    def _storage_volume(
        self, name: str, args: PluginDaemonArgs, object_labels: dict[str, str]
    ) -> k8s.core.v1.VolumeArgs:
        """/app/storage: the claim, or on S3 a per-pod working directory. There the daemon keeps
        only what it rebuilds from the bucket at start (extracted plugins and their venvs), so
        replicas need no shared volume (the plugin packages themselves are in S3)."""
        if args.ctx.stores.objects is not None:
            return empty_dir("storage", args.storage_size)
        claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-pvc",
            metadata=object_meta(f"{ENTRY.name}-storage", args.namespace, object_labels, SKIP_AWAIT),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=[args.storage_access_mode],
                storage_class_name=args.storage_class,
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": args.storage_size}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return k8s.core.v1.VolumeArgs(
            name="storage",
            persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(claim_name=claim.metadata.name),
        )

    def _debug_service(
        self, name: str, args: PluginDaemonArgs, object_labels: dict[str, str]
    ) -> k8s.core.v1.Service | None:
        """Publishes only the remote-debugging port, when ``pluginDebugging.expose`` asks for it."""
        debugging = args.ctx.config.plugin_debugging
        if debugging.expose == "port-forward":
            return None
        node_port = debugging.port if debugging.expose == "NodePort" else None
        return k8s.core.v1.Service(
            f"{name}-debug-service",
            metadata=object_meta(DEBUG_SERVICE_NAME, args.namespace, object_labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                type=debugging.expose,
                selector=selector(ENTRY.key, args.instance),
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="plugin-debug",
                        port=debugging.port if node_port is None and debugging.port else ENTRY.port("plugin-debug"),
                        node_port=node_port,
                        target_port="plugin-debug",
                        protocol="TCP",
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
