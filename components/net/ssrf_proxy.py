"""dify:net:SsrfProxy: the squid forward proxy that api, worker, sandbox and plugin daemon egress through.

Creates: an auto-named ConfigMap holding one rendered squid.conf, a Deployment running squid on it,
a ClusterIP Service ``dify-ssrf-proxy:3128`` (and a PodDisruptionBudget from two replicas up).
Private, loopback, link-local (cloud metadata) and CGNAT destinations are denied unless listed in
``allow_private_ips`` / ``allow_private_domains``.

Deviations from upstream's compose service, and why they are safe:

* No entrypoint script. Upstream's rewrites files under /etc/squid, regenerates a snakeoil TLS key
  and tails log files, all as root. Pulumi renders the final squid.conf instead
  (``components.net.squid_conf``), so squid is started directly; the policy is identical.
* Not root. The image's ``proxy`` user (uid/gid 13, the one squid would drop to) runs squid from
  the start; nothing it does needs a privilege: it binds 3128 and dials out. Root filesystem is
  read-only, all capabilities dropped. Traced (strace, squid 5.7, an unprivileged uid) with this
  config, squid -N writes only its pid file and working directory (/tmp, an emptyDir), three small
  shared-memory segments in /dev/shm (the runtime's per-pod tmpfs, writable under a read-only root)
  and stdout/stderr; /var/log/squid and /var/run/squid are untouched. /var/spool/squid, the
  compiled-in swap directory, still gets a small emptyDir in case the image's squid 6 differs.
* The ConfigMap is auto-named, so a policy change is a new ConfigMap and a rolling restart rather
  than an in-place edit that running squids would never reload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import CATALOG, Entry
from components.kube import ContainerSpec, SecurityProfile, empty_dir, mount, object_meta, tcp_probe
from components.net.squid_conf import (
    CONFIG_DIR,
    CONFIG_FILE,
    CONFIG_PATH,
    SHUTDOWN_LIFETIME_SECONDS,
    render_ssrf_proxy_conf,
)
from components.workload import Deployed, ServiceInputs, WorkloadArgs, deploy

core = k8s.core.v1

ENTRY = CATALOG["ssrf-proxy"]
PORT_NAME = "proxy"

# The image's ``proxy`` user (Debian/Ubuntu base-passwd: proxy:x:13:13).
SECURITY = SecurityProfile(run_as_user=13, run_as_group=13, fs_group=13)


@dataclass
class ProxyDeployment:
    config_map: k8s.core.v1.ConfigMap
    deployed: Deployed

    @property
    def service(self) -> k8s.core.v1.Service:
        # deploy() always exposes an entry with ports; a proxy without a Service is a bug.
        if self.deployed.service is None:
            raise RuntimeError("squid proxy deployed without a Service")
        return self.deployed.service


@dataclass(kw_only=True)
class SquidArgs(ServiceInputs):
    labels: Mapping[str, str]


def deploy_squid(
    parent: pulumi.Resource,
    name: str,
    *,
    entry: Entry,
    squid_conf: str,
    args: SquidArgs,
) -> ProxyDeployment:
    """ConfigMap + non-root squid Deployment + Service for one rendered squid.conf (both proxies)."""
    config_map = core.ConfigMap(
        f"{name}-config",
        metadata=object_meta(None, args.namespace, args.labels),
        data={CONFIG_FILE: squid_conf},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    container = ContainerSpec(
        name="squid",
        image=args.image,
        resources=args.resources,
        security=SECURITY,
        ports=entry.ports,
        # -N: stay in the foreground as PID 1, no daemon fork and no SMP kids.
        command=["/usr/sbin/squid", "-N", "-f", CONFIG_PATH],
        readiness=tcp_probe(PORT_NAME, period=10),
        liveness=tcp_probe(PORT_NAME, period=20, failures=3),
        mounts=[
            mount("config", CONFIG_DIR, read_only=True),
            mount("tmp", "/tmp"),
            mount("spool", "/var/spool/squid"),
        ],
    )
    deployed = deploy(
        parent,
        name,
        WorkloadArgs.of(
            entry,
            args,
            [container],
            volumes=[
                core.VolumeArgs(
                    name="config", config_map=core.ConfigMapVolumeSourceArgs(name=config_map.metadata.name)
                ),
                empty_dir("tmp", "64Mi"),
                empty_dir("spool", "16Mi"),
            ],
            # squid keeps serving open connections for shutdown_lifetime after SIGTERM; without the
            # margin the kubelet's SIGKILL would race its clean exit.
            termination_grace_period_seconds=SHUTDOWN_LIFETIME_SECONDS + 10,
        ),
    )
    return ProxyDeployment(config_map=config_map, deployed=deployed)


@dataclass(kw_only=True)
class SsrfProxyArgs(SquidArgs):
    allow_private_ips: Sequence[str] = field(default_factory=list)
    allow_private_domains: Sequence[str] = field(default_factory=list)


class SquidProxy(pulumi.ComponentResource):
    """What both proxies are: one rendered squid.conf run by non-root squid behind a Service."""

    service: k8s.core.v1.Service
    config_map: k8s.core.v1.ConfigMap
    url: str

    def __init__(
        self, token: str, name: str, entry: Entry, args: SquidArgs, squid_conf: str, opts: pulumi.ResourceOptions | None
    ) -> None:
        super().__init__(token, name, None, opts)
        proxy = deploy_squid(
            self,
            name,
            entry=entry,
            squid_conf=squid_conf,
            args=args,
        )
        self.config_map = proxy.config_map
        self.service = proxy.service
        self.deployment = proxy.deployed.deployment
        self.url = entry.url(PORT_NAME)
        self.register_outputs(
            {"url": self.url, "service": self.service.metadata.name, "config_map": self.config_map.metadata.name}
        )


class SsrfProxy(SquidProxy):
    def __init__(self, name: str, args: SsrfProxyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Rendered (and validated) before any resource exists: a bad CIDR fails the preview cleanly.
        squid_conf = render_ssrf_proxy_conf(
            port=ENTRY.port(PORT_NAME),
            allow_private_ips=args.allow_private_ips,
            allow_private_domains=args.allow_private_domains,
        )
        super().__init__("dify:net:SsrfProxy", name, ENTRY, args, squid_conf, opts)
