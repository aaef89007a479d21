"""dify:core:Platform: the whole Dify 1.16.1 stack in one namespace.

Creates, in dependency order: the Namespace (Pod Security: baseline enforced, restricted
audited), Credentials, the data stores (in-cluster Postgres/Redis/Weaviate behind the
``DataStores`` interface), Connections, SharedStorage, the migration Job, then every Dify service,
the SSRF proxies, the nginx router and the optional Ingress. All api-image workloads depend on
the migration Job.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_kubernetes.apps.v1 import Deployment

from components.app.agent_backend import AgentBackend
from components.app.api import Api
from components.app.api_family import ApiFamilyArgs
from components.app.api_websocket import ApiWebsocket
from components.app.args import AppServiceArgs
from components.app.env import AppContext
from components.app.local_sandbox import LocalSandbox
from components.app.migration import Migration, MigrationArgs
from components.app.plugin_daemon import PluginDaemon, PluginDaemonArgs
from components.app.sandbox import Sandbox
from components.app.storage import SharedStorage, SharedStorageArgs
from components.app.web import Web
from components.app.worker import Worker
from components.app.worker_beat import WorkerBeat
from components.aws.tier import DataTier, DataTierArgs
from components.catalog import CATALOG, PREFIX, ROUTER_SERVICE_PORT, Resources, ServiceKey
from components.config.loader import StackSettings
from components.config.models import StackConfig
from components.config.resources import effective_resources
from components.config.scaling import SCALED_SERVICES, ScaledService
from components.core.connections import Connections, ConnectionsArgs
from components.core.credentials import Credentials, CredentialsArgs
from components.core.namespaces import namespace
from components.data.endpoints import DataStores
from components.data.postgres import Postgres, PostgresArgs
from components.data.redis import Redis, RedisArgs
from components.data.weaviate import Weaviate, WeaviateArgs
from components.flows import deployed_services, flows
from components.kube import labels
from components.logging.platform import Logging, logging_args, logging_namespaces, logging_placement
from components.monitoring.platform import Monitoring, monitoring_args, monitoring_namespaces, monitoring_placement
from components.net.agent_ssrf_proxy import AgentSsrfProxy, AgentSsrfProxyArgs
from components.net.ingress import Ingress, IngressArgs
from components.net.network_policies import NetworkPolicies, NetworkPoliciesArgs, Selectors
from components.net.router import Router, RouterArgs
from components.net.ssrf_proxy import SsrfProxy, SsrfProxyArgs
from components.scaling.autoscaling import Autoscaling, AutoscalingArgs
from components.versions import DifyRelease, ImageKey, image


def resources_for(config: StackConfig, key: ServiceKey) -> Resources:
    """Catalogue defaults with the stack's ``dify:resources.<service>`` override applied."""
    return effective_resources(config, CATALOG[key].config_key)


@dataclass
class PlatformArgs:
    settings: StackSettings


class Platform(pulumi.ComponentResource):
    url: str
    namespace_name: pulumi.Output[str]
    init_password: pulumi.Output[str]
    data_tier: DataTier | None = None

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:core:Platform", name, None, opts)
        config = args.settings.config
        self._config = config
        self._instance = f"{PREFIX}-{config.environment}"
        release = DifyRelease(config.versions.dify, config.versions.sandbox, config.versions.plugin_daemon)
        self._release = release
        self._scaled: dict[ScaledService, Deployment] = {}
        child = pulumi.ResourceOptions(parent=self)
        common = labels("platform", self._instance, release.dify)

        version = config.kubernetes.version
        main = namespace(f"{name}-namespace", config.namespace, common, "restricted", version, child)
        isolated = namespace(f"{name}-sandbox-namespace", config.sandbox_namespace, common, "baseline", version, child)
        # Every object takes its namespace from these Outputs, which order it after the Namespace.
        ns = main.metadata.name
        self._ns = ns
        self._sandbox_ns = isolated.metadata.name
        self._monitoring_ns = monitoring_namespaces(config, common, child)
        self._logging_ns = logging_namespaces(config, common, child)
        in_ns = child
        if config.network_policy.enabled:
            # First, so that no pod ever runs unconfined; the policies only select by label.
            self._network_policies(in_ns)

        credentials = Credentials(
            "credentials",
            CredentialsArgs(
                ns,
                common,
                config.features.agent_v2,
                args.settings.secrets,
                isolated_namespace=self._sandbox_ns,
                isolated_keys=("sandbox-api-key",),
            ),
            in_ns,
        )
        stores, ready = self._data_stores(credentials, in_ns)
        connections = Connections(
            "connections", ConnectionsArgs(ns, common, stores.redis, config.features.agent_v2), in_ns
        )
        # On S3 (dify:aws) no volume is shared: Dify's files live in the bucket.
        storage = None
        if stores.objects is None:
            storage = SharedStorage(
                "storage",
                SharedStorageArgs(
                    ns,
                    common,
                    config.persistence.app_storage.size,
                    config.persistence.app_storage.access_mode,
                    config.persistence.storage_class,
                ),
                in_ns,
            )
        refs = {key: credentials.ref(key) for key in credentials.values}
        ctx = AppContext(config, stores, refs, connections.broker_url, connections.agent_redis_url)
        self._sandbox_ctx = dataclasses.replace(ctx, credentials={**refs, **credentials.isolated})

        migration = Migration(
            "migration",
            MigrationArgs(ctx, ns, self._instance, self._image("api"), resources_for(config, "migration"), ready),
            in_ns,
        )
        upstreams = self._deploy_api_family(ctx, storage, [migration, *ready], in_ns)
        upstreams += self._deploy_services(ctx, ready, in_ns)
        Autoscaling(
            "autoscaling",
            AutoscalingArgs(config.autoscaling, ns, self._instance, release, self._scaled, stores.redis),
            in_ns,
        )
        self._deploy_network(ns, upstreams, in_ns)

        logs = None
        if config.logging.enabled:
            logs = Logging(
                "logging",
                logging_args(
                    config,
                    self._instance,
                    {config.namespace: ns, config.sandbox_namespace: self._sandbox_ns, **self._logging_ns},
                    args.settings,
                ),
                in_ns,
            )
        if config.monitoring.enabled:
            Monitoring(
                "monitoring",
                monitoring_args(
                    config,
                    self._instance,
                    self._ns,
                    self._sandbox_ns,
                    self._monitoring_ns,
                    credentials,
                    args.settings,
                    stores,
                    logs=logs.datasource if logs is not None else None,
                ),
                in_ns,
            )

        self.url = config.public_url
        self.namespace_name = ns
        self.init_password = pulumi.Output.secret(credentials.values["init-password"])
        self.register_outputs({"url": self.url, "namespace": ns, "init_password": self.init_password})

    def _image(self, key: ImageKey) -> str:
        return image(key, self._release, self._config.image_registry)

    def _placement(self, key: ServiceKey, image_key: ImageKey) -> dict[str, Any]:
        """The Placement fields every component's args start with (workload.Placement)."""
        return {
            "namespace": self._ns,
            "instance": self._instance,
            "image": self._image(image_key),
            "resources": resources_for(self._config, key),
        }

    def _count(self, key: ServiceKey, replicas: int) -> dict[str, Any]:
        """``replicas``/``autoscaled`` of a workload: an autoscaled one starts from its minimum."""
        scaling = self._config.autoscaling
        if key not in SCALED_SERVICES:
            return {"replicas": replicas}
        return {"replicas": scaling.min_pods(key, replicas), "autoscaled": scaling.autoscaled(key)}

    def _data_stores(
        self, credentials: Credentials, opts: pulumi.ResourceOptions
    ) -> tuple[DataStores, list[pulumi.Resource]]:
        config = self._config
        persistence = config.persistence
        common = labels("data", self._instance, self._release.dify)

        def store(key: ServiceKey, image_key: ImageKey, size: str) -> dict[str, Any]:
            placement = self._placement(key, image_key)
            return {**placement, "labels": common, "storage_size": size, "storage_class": persistence.storage_class}

        weaviate = Weaviate(
            "weaviate",
            WeaviateArgs(
                **store("weaviate", "weaviate", persistence.weaviate.size), api_key=credentials.ref("weaviate-api-key")
            ),
            opts,
        )
        if config.aws.enabled:
            tier = self.data_tier = DataTier("aws", DataTierArgs(config, self._ns, common, credentials), opts)
            ready: list[pulumi.Resource] = [*tier.ready, weaviate]
            return DataStores(tier.postgres, tier.redis, weaviate.endpoint, ready, tier.objects), ready
        postgres = Postgres(
            "postgres",
            PostgresArgs(
                **store("postgres", "postgres", persistence.postgres.size), password=credentials.ref("db-password")
            ),
            opts,
        )
        redis = Redis(
            "redis",
            RedisArgs(
                **store("redis", "redis", persistence.redis.size),
                password=credentials.ref("redis-password"),
                password_value=credentials.values["redis-password"],
            ),
            opts,
        )
        ready = [postgres, redis, weaviate]
        return DataStores(postgres.endpoint, redis.endpoint, weaviate.endpoint, ready), ready

    def _deploy_api_family(
        self,
        ctx: AppContext,
        storage: SharedStorage | None,
        after: list[pulumi.Resource],
        opts: pulumi.ResourceOptions,
    ) -> list[pulumi.Resource]:
        config = self._config
        replicas = config.replicas

        def family(key: ServiceKey, count: int) -> ApiFamilyArgs:
            return ApiFamilyArgs(
                **self._placement(key, "api"),
                **self._count(key, count),
                depends_on=after,
                ctx=ctx,
                storage_claim=storage.claim_name if storage else None,
                storage_access_mode=config.persistence.app_storage.access_mode,
            )

        api = Api("api", family("api", replicas.api), opts)
        self._scaled["api"] = api.deployment
        served = [api.service]
        if config.features.collaboration:
            served.append(ApiWebsocket("api-websocket", family("api-websocket", replicas.api_websocket), opts).service)
        self._scaled["worker"] = Worker("worker", family("worker", replicas.worker), opts).deployment
        WorkerBeat("worker-beat", family("worker-beat", 1), opts)
        return [s for s in served if s is not None]

    def _deploy_services(
        self, ctx: AppContext, ready: list[pulumi.Resource], opts: pulumi.ResourceOptions
    ) -> list[pulumi.Resource]:
        config = self._config
        replicas = config.replicas

        def service(key: ServiceKey, image_key: ImageKey, count: int) -> AppServiceArgs:
            return AppServiceArgs(**self._placement(key, image_key), **self._count(key, count), ctx=ctx)

        web = Web("web", service("web", "web", replicas.web), opts)
        self._scaled["web"] = web.deployment
        self._scaled["sandbox"] = Sandbox(
            "sandbox",
            AppServiceArgs(
                **{**self._placement("sandbox", "sandbox"), "namespace": self._sandbox_ns},
                **self._count("sandbox", replicas.sandbox),
                ctx=self._sandbox_ctx,
            ),
            opts,
        ).deployment
        plugin_daemon = PluginDaemon(
            "plugin-daemon",
            PluginDaemonArgs(
                **self._placement("plugin-daemon", "plugin_daemon"),
                replicas=replicas.plugin_daemon,
                ctx=ctx,
                # It migrates its own database at start, so the data stores must be up.
                depends_on=ready,
                storage_size=config.persistence.plugin_storage.size,
                storage_access_mode=config.persistence.plugin_storage.access_mode,
                storage_class=config.persistence.storage_class,
            ),
            opts,
        )
        if config.features.agent_v2:
            AgentBackend("agent-backend", service("agent-backend", "agent_backend", replicas.agent_backend), opts)
            LocalSandbox("local-sandbox", service("local-sandbox", "local_sandbox", replicas.local_sandbox), opts)
        return [s for s in (web.service, plugin_daemon.service) if s is not None]

    def _deploy_network(
        self, ns: pulumi.Output[str], upstreams: list[pulumi.Resource], opts: pulumi.ResourceOptions
    ) -> None:
        config = self._config
        common = labels("network", self._instance, self._release.dify)
        SsrfProxy(
            "ssrf-proxy",
            SsrfProxyArgs(
                **self._placement("ssrf-proxy", "squid"),
                replicas=config.replicas.ssrf_proxy,
                labels=common,
                allow_private_ips=config.ssrf_proxy.allow_private_ips,
                allow_private_domains=config.ssrf_proxy.allow_private_domains,
            ),
            opts,
        )
        if config.features.agent_v2:
            AgentSsrfProxy(
                "agent-ssrf-proxy",
                AgentSsrfProxyArgs(
                    **self._placement("agent-ssrf-proxy", "squid"),
                    replicas=config.replicas.agent_ssrf_proxy,
                    labels=common,
                ),
                opts,
            )
        Router(
            "router",
            RouterArgs(
                **self._placement("router", "nginx"),
                replicas=config.replicas.router,
                depends_on=upstreams,
                labels=common,
                service_type=config.router.service_type,
                collaboration=config.features.collaboration,
                public_url=config.public_url,
                edge=config.edge,
            ),
            opts,
        )
        if config.ingress.enabled:
            Ingress(
                "ingress",
                IngressArgs(
                    ns,
                    common,
                    config.host,
                    config.ingress.class_name,
                    config.ingress.tls_secret_name,
                    dict(config.ingress.annotations),
                    config.features.collaboration,
                    edge=config.edge,
                    public_url=config.public_url,
                    tls=config.ingress.tls,
                    alb_group=self._instance,
                ),
                opts,
            )

    def _network_policies(self, opts: pulumi.ResourceOptions) -> None:
        config = self._config
        settings = config.network_policy
        NetworkPolicies(
            "network-policies",
            NetworkPoliciesArgs(
                namespaces={
                    config.namespace: self._ns,
                    config.sandbox_namespace: self._sandbox_ns,
                    **self._monitoring_ns,
                    **self._logging_ns,
                },
                placement={
                    "sandbox": config.sandbox_namespace,
                    **monitoring_placement(config),
                    **logging_placement(config),
                },
                default_namespace=config.namespace,
                instance=self._instance,
                labels=labels("network", self._instance, self._release.dify),
                flows=flows(config),
                deployed=deployed_services(config),
                selectors=Selectors(
                    settings.dns_namespace,
                    settings.dns_pod_labels,
                    settings.ingress_namespace,
                    config.monitoring.operator_namespace,
                    config.autoscaling.keda.operator_namespace,
                ),
                allow_private_ips=config.ssrf_proxy.allow_private_ips,
                vpc_cidrs=config.aws.vpc_cidrs,
            ),
            opts,
        )

    def port_forward_command(self) -> str:
        return (
            f"kubectl -n {self._config.namespace} port-forward svc/{CATALOG['router'].name} 8080:{ROUTER_SERVICE_PORT}"
        )
