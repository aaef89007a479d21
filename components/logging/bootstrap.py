"""dify:logging:Bootstrap: the Job that prepares Elasticsearch (and Kibana) for the pipeline.

Creates: a ConfigMap with components/logging/bootstrap.sh and its request bodies (ILM policy,
index template, roles, data view: components/logging/settings.py) and a Job that runs the script
with the Elasticsearch image's bash and curl (no extra image to pin). Credentials arrive as
files from their Secrets. Every step is an upsert, so the Job is replaced, and simply runs again,
whenever its content changes.

It waits for Elasticsearch itself, and for Kibana inside the script: Kibana becomes ready only
after this Job has set ``kibana_system``'s password, so neither may wait for the other in Pulumi.
With an external cluster it creates only the ILM policy, the template and the two users' roles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import CATALOG, ServiceKey
from components.kube import EnvValue, empty_dir, mount, object_meta, pod_spec
from components.logging.context import ELASTIC, LoggingContext, config_volume, secret_volume
from components.logging.settings import (
    ILM_POLICY,
    READER_ROLE,
    READER_USER,
    TEMPLATE,
    WRITER_ROLE,
    WRITER_USER,
    bootstrap_files,
)
from components.logging.steps import STEP_ENV

core = k8s.core.v1
KEY: ServiceKey = "logging-bootstrap"
SCRIPT = Path(__file__).resolve().parent / "bootstrap.sh"
BODIES = "/bootstrap"
SECRETS = "/run/secrets"


@dataclass
class BootstrapArgs:
    ctx: LoggingContext
    elasticsearch_url: str
    # Purpose → Secret (components/logging/credentials.py): elastic, writer, reader, with the
    # bundled cluster kibana-system; ca, the CA to trust (the bundled cluster's or the external one's).
    secrets: Mapping[str, core.Secret]
    kibana_url: str | None = None
    # secrets["ca"] holds the CA the cluster's certificate chains to (key ca.crt).
    ca: bool = False
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)


def bootstrap_env(ctx: LoggingContext, es_url: str, kibana_url: str | None, ca: bool) -> dict[str, EnvValue]:
    external = ctx.config.logging.elasticsearch.external
    env: dict[str, EnvValue] = {
        "ES_URL": es_url,
        "ES_USER": external.username if external else "elastic",
        "ES_PASSWORD_FILE": f"{SECRETS}/elastic/password",
        "WRITER_PASSWORD_FILE": f"{SECRETS}/writer/password",
        "READER_PASSWORD_FILE": f"{SECRETS}/reader/password",
        "ILM_POLICY": ILM_POLICY,
        "TEMPLATE": TEMPLATE,
        "WRITER_ROLE": WRITER_ROLE,
        "WRITER_USER": WRITER_USER,
        "READER_ROLE": READER_ROLE,
        "READER_USER": READER_USER,
        STEP_ENV: "bootstrap",
        "BODIES": BODIES,
        "WORK": "/tmp",
    }
    if ca:
        env["ES_CA_FILE"] = f"{SECRETS}/ca/ca.crt"
    if kibana_url:
        env |= {"KIBANA_URL": kibana_url, "KIBANA_SYSTEM_PASSWORD_FILE": f"{SECRETS}/kibana-system/password"}
    return env


def index_replicas(ctx: LoggingContext) -> int:
    """A replica per shard where there is a second node to hold it (a single node would stay yellow)."""
    return 1 if ctx.external or ctx.config.logging.elasticsearch.replicas > 1 else 0


class Bootstrap(pulumi.ComponentResource):
    job: k8s.batch.v1.Job

    def __init__(self, name: str, args: BootstrapArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:logging:Bootstrap", name, None, opts)
        ctx = args.ctx
        object_labels = ctx.labels(KEY, "elasticsearch")
        files = {
            "bootstrap.sh": SCRIPT.read_text(),
            **bootstrap_files(ctx.config.logging.retention_days, index_replicas(ctx)),
        }
        config_map = ctx.config_map(self, f"{name}-files", KEY, "elasticsearch", files)
        container = ctx.container(
            KEY,
            "elasticsearch",
            ELASTIC,
            command=["bash", f"{BODIES}/bootstrap.sh"],
            env=bootstrap_env(ctx, args.elasticsearch_url, args.kibana_url, args.ca),
            mounts=[
                mount("files", BODIES, read_only=True),
                mount("tmp", "/tmp"),
                *(mount(purpose, f"{SECRETS}/{purpose}", read_only=True) for purpose in args.secrets),
            ],
        )
        volumes = [
            config_volume("files", config_map),
            empty_dir("tmp", "16Mi"),
            *(secret_volume(purpose, secret) for purpose, secret in args.secrets.items()),
        ]
        self.job = k8s.batch.v1.Job(
            f"{name}-job",
            # A fixed name (`kubectl -n <ns>-logging logs job/dify-logging-bootstrap`); a changed
            # spec replaces the Job, deleting the old one first.
            metadata=object_meta(CATALOG[KEY].name, ctx.logging, object_labels),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=6,
                active_deadline_seconds=1800,
                template=core.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=object_labels),
                    spec=pod_spec([container], ELASTIC, volumes=volumes, restart_policy="Never"),
                ),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(args.depends_on),
                replace_on_changes=["spec"],
                delete_before_replace=True,
                custom_timeouts=pulumi.CustomTimeouts(create="30m", update="30m"),
            ),
        )
        self.register_outputs({"job": self.job.metadata.name})
