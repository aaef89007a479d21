"""What every logging component is handed (where things run, what they are called) and the
builders they share: the Elastic images' config-copy init container and a StatefulSet with claims."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.area import AreaContext
from components.catalog import CATALOG, ServiceKey
from components.config.models import StackConfig
from components.config.resources import effective_resources
from components.kube import (
    ContainerSpec,
    SecurityProfile,
    empty_dir,
    mount,
)
from components.logging.steps import COPY_TARGET, STEP_ENV
from components.versions import ImageKey
from components.workload import StatefulArgs, deploy_stateful

core = k8s.core.v1
apps = k8s.apps.v1
meta = k8s.meta.v1

# The Elastic images run as elasticsearch/logstash/kibana, uid 1000 with gid 0 (their Dockerfiles);
# fsGroup 1000 makes the claims writable for it.
ELASTIC = SecurityProfile(run_as_user=1000, run_as_group=0, fs_group=1000)


@dataclass(frozen=True)
class LoggingNames:
    dify: str
    sandbox: str
    logging: str
    host: str
    monitoring: str | None = None


@dataclass(frozen=True)
class LoggingContext(AreaContext):
    config: StackConfig
    names: LoggingNames
    # Namespace name → its Output (objects take their namespace from these, ordering them after it).
    namespaces: Mapping[str, pulumi.Input[str]]
    instance: str

    @property
    def logging(self) -> pulumi.Input[str]:
        return self.namespaces[self.names.logging]

    @property
    def host(self) -> pulumi.Input[str]:
        return self.namespaces[self.names.host]

    @property
    def external(self) -> bool:
        return self.config.logging.elasticsearch.external is not None

    def memory_limit(self, key: ServiceKey) -> str:
        return effective_resources(self.config, CATALOG[key].config_key).limits.memory

    @property
    def home(self) -> pulumi.Input[str]:
        return self.logging


def copy_config(
    ctx: LoggingContext, key: ServiceKey, image_key: ImageKey, home: str, files: Mapping[str, str]
) -> ContainerSpec:
    """An init container that copies the image's config/ into the ``config`` emptyDir, then lays
    our files (the ``settings`` ConfigMap) over it: the Elastic programs write into config/ at start
    (Elasticsearch its keystore, Logstash's env2yaml its logstash.yml), which a read-only root
    filesystem would refuse, and an emptyDir mounted there would hide the image's jvm.options.
    ``files``: settings file → its path under config/."""
    steps = [f"cp -a {home}/config/. {COPY_TARGET}/"]
    for source, target in files.items():
        steps.append(f"mkdir -p $(dirname {COPY_TARGET}/{target}) && cp /mnt/settings/{source} {COPY_TARGET}/{target}")
    return ContainerSpec(
        name="copy-config",
        image=ctx.image(image_key),
        resources=effective_resources(ctx.config, CATALOG[key].config_key),
        security=ELASTIC,
        command=["bash", "-c", " && ".join(steps)],
        # Names this step's mode (components/logging/steps.py).
        env={STEP_ENV: "copy-config"},
        mounts=[mount("config", COPY_TARGET), mount("settings", "/mnt/settings", read_only=True)],
    )


@dataclass(kw_only=True)
class ElasticNode:
    """Elasticsearch or Logstash: a claimed StatefulSet of an Elastic image whose config/ is an
    emptyDir filled by ``copy_config`` with the image's files and ours."""

    key: ServiceKey
    image_key: ImageKey
    home: str
    # Our files: name → (content, path under config/).
    settings: Mapping[str, tuple[str, str]]
    # The main container without the mounts every node has (config, data, logs, /tmp).
    container: ContainerSpec
    volumes: Sequence[core.VolumeArgs] = ()
    storage_size: str
    replicas: int = 1


def elastic_node(parent: pulumi.Resource, name: str, ctx: LoggingContext, node: ElasticNode) -> None:
    settings = ctx.config_map(
        parent, f"{name}-settings", node.key, node.image_key, {f: c for f, (c, _) in node.settings.items()}
    )
    standard = [
        mount("config", f"{node.home}/config"),
        mount("data", f"{node.home}/data"),
        # GC logs (Elasticsearch's jvm.options) and anything else the JVM writes beside them.
        mount("logs", f"{node.home}/logs"),
        mount("tmp", "/tmp"),
    ]
    deploy_stateful(
        parent,
        name,
        StatefulArgs(
            entry=CATALOG[node.key],
            namespace=ctx.logging,
            instance=ctx.instance,
            container=dataclasses.replace(node.container, mounts=[*standard, *node.container.mounts]),
            init_containers=[
                copy_config(ctx, node.key, node.image_key, node.home, {f: t for f, (_, t) in node.settings.items()})
            ],
            volumes=[
                config_volume("settings", settings),
                empty_dir("config", "64Mi"),
                empty_dir("logs", "256Mi"),
                empty_dir("tmp", "256Mi"),
                *node.volumes,
            ],
            data_volume="data",
            storage_size=node.storage_size,
            storage_class=ctx.config.persistence.storage_class,
            replicas=node.replicas,
            termination_grace_period_seconds=120,
            peer_discovery=True,
        ),
    )


def secret_volume(name: str, secret: core.Secret, items: Mapping[str, str] | None = None) -> core.VolumeArgs:
    return core.VolumeArgs(
        name=name,
        secret=core.SecretVolumeSourceArgs(
            secret_name=secret.metadata.name,
            items=[core.KeyToPathArgs(key=k, path=p) for k, p in items.items()] if items else None,
        ),
    )


def config_volume(name: str, config_map: core.ConfigMap) -> core.VolumeArgs:
    return core.VolumeArgs(name=name, config_map=core.ConfigMapVolumeSourceArgs(name=config_map.metadata.name))
