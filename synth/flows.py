"""The reachability proof: rendered NetworkPolicies, evaluated, must open exactly the flow table.

``rendered_matrix`` evaluates the stack's policies (synth/netpol.py) over its pods plus the
cluster's own (DNS, the ingress controller) and three outside addresses; ``expected_matrix``
expands components/flows.py into the same (source, destination, port, protocol) rows. Any
difference is a problem: a policy that opens more than the table says, or a flow the table
promises that no policy opens.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from components.config.models import StackConfig
from components.flows import (
    DNS_PORTS,
    Anyone,
    Dns,
    IngressController,
    Internet,
    KedaOperator,
    Nodes,
    OperatorPrometheus,
    Peer,
    Pods,
    Port,
    VpcCidrs,
    deployed_services,
    flows,
)
from components.flows import Flow as TableFlow
from synth.netpol import DEFAULT_PROBE_PORTS, Cluster, External, Flow, Pod

COMPONENT = "app.kubernetes.io/component"
DNS_POD = "cluster-dns"
INGRESS_POD = "ingress-controller"
KEDA_POD = "keda-operator"
OPERATOR_PROMETHEUS_POD = "operator-prometheus"
# A public address, the cloud metadata service, and a LAN address (a model server, say).
EXTERNALS = (
    External("internet", "8.8.8.8"),
    External("metadata", "169.254.169.254"),
    External("private-lan", "10.1.2.3"),
)
# 6443 and 10250: the API server and kubelet ports monitoring opens towards node addresses.
PROBE_PORTS: tuple[tuple[int, str], ...] = (
    *DEFAULT_PROBE_PORTS,
    (6379, "TCP"),
    (8080, "TCP"),
    (6443, "TCP"),
    (10250, "TCP"),
)


def externals(config: StackConfig) -> tuple[External, ...]:
    """EXTERNALS, plus with dify:aws an address inside each VPC CIDR (where RDS and ElastiCache are)."""
    vpc = tuple(
        External(f"vpc-{i}", str(ipaddress.ip_network(cidr).network_address + 10))
        for i, cidr in enumerate(config.aws.vpc_cidrs if config.aws.enabled else ())
    )
    return EXTERNALS + vpc


def _environment(config: StackConfig) -> tuple[dict[str, dict[str, str]], list[Pod]]:
    settings = config.network_policy
    namespaces: dict[str, dict[str, str]] = {settings.dns_namespace: {}, settings.ingress_namespace: {}}
    pods = [
        Pod(
            DNS_POD, settings.dns_namespace, dict(settings.dns_pod_labels), {"dns": (53, "UDP"), "dns-tcp": (53, "TCP")}
        ),
        Pod(INGRESS_POD, settings.ingress_namespace, {"app": "ingress-controller"}, {"http": (80, "TCP")}),
    ]
    if config.monitoring.enabled and config.monitoring.mode == "operator":
        operator = config.monitoring.operator_namespace
        namespaces[operator] = {}
        pods.append(Pod(OPERATOR_PROMETHEUS_POD, operator, {"app.kubernetes.io/name": "prometheus"}, {}))
    if config.autoscaling.keda.enabled:
        keda = config.autoscaling.keda.operator_namespace
        namespaces[keda] = {}
        pods.append(Pod(KEDA_POD, keda, {"app": "keda-operator"}, {}))
    return namespaces, pods


def cluster(objects: Sequence[Mapping[str, Any]], config: StackConfig) -> Cluster:
    namespaces, pods = _environment(config)
    return Cluster.from_objects(objects, extra_namespaces=namespaces, extra_pods=pods)


def probe_ports(config: StackConfig) -> tuple[tuple[int, str], ...]:
    """PROBE_PORTS plus every numbered port of the stack's table (an external Elasticsearch's
    9243, say), so each promised flow is probed."""
    numbered = {p for flow in flows(config) for p in flow.ports if not isinstance(p, str)}
    return (*PROBE_PORTS, *sorted(numbered - set(PROBE_PORTS)))


def rendered_matrix(objects: Sequence[Mapping[str, Any]], config: StackConfig) -> set[Flow]:
    return cluster(objects, config).matrix(externals(config), probe_ports(config))


def _covered(ip: str, cidrs: Sequence[str]) -> bool:
    return any(ipaddress.ip_address(ip) in ipaddress.ip_network(cidr) for cidr in cidrs)


def expected_matrix(objects: Sequence[Mapping[str, Any]], config: StackConfig) -> set[Flow]:
    """The flow table as matrix rows, over the workloads this stack renders."""
    evaluated = cluster(objects, config)
    outside = (DNS_POD, INGRESS_POD, OPERATOR_PROMETHEUS_POD, KEDA_POD)
    ours = {pod.labels.get(COMPONENT): pod for pod in evaluated.pods if pod.workload not in outside}
    dns, ingress = evaluated.pod(DNS_POD), evaluated.pod(INGRESS_POD)
    outside_addresses = externals(config)

    def endpoints(peer: Peer, as_source: bool) -> list[Pod | External]:
        if isinstance(peer, Pods):
            return [ours[peer.key]] if peer.key in ours else []
        if isinstance(peer, Dns):
            return [dns]
        if isinstance(peer, IngressController):
            return [ingress]
        if isinstance(peer, Internet):
            allowed = config.ssrf_proxy.allow_private_ips if peer.private_allowed else []
            return [e for e in outside_addresses if e.name == "internet" or _covered(e.ip, allowed)]
        if isinstance(peer, Nodes):
            # Node addresses: anything but link-local (the metadata endpoint stays closed).
            return [e for e in outside_addresses if not ipaddress.ip_address(e.ip).is_link_local]
        if isinstance(peer, VpcCidrs):
            return [e for e in outside_addresses if _covered(e.ip, config.aws.vpc_cidrs)]
        if isinstance(peer, OperatorPrometheus):
            return [evaluated.pod(OPERATOR_PROMETHEUS_POD)]
        if isinstance(peer, KedaOperator):
            return [evaluated.pod(KEDA_POD)]
        if isinstance(peer, Anyone):
            # Our own pods reach the edge only where their egress says so (nowhere, today).
            others = [p for p in evaluated.pods if p.workload in (OPERATOR_PROMETHEUS_POD, KEDA_POD)]
            return [*outside_addresses, dns, ingress, *others] if as_source else []
        raise TypeError(peer)

    def ports(target: Pod | External, wanted: Sequence[Port]) -> set[tuple[int, str]]:
        if not wanted:
            return set(probe_ports(config)) | (set(target.ports.values()) if isinstance(target, Pod) else set())
        resolved = set()
        for port in wanted:
            if isinstance(port, str):
                assert isinstance(target, Pod), port
                resolved.add(target.ports[port])
            else:
                resolved.add(port)
        return resolved

    def name(endpoint: Pod | External) -> str:
        return endpoint.workload if isinstance(endpoint, Pod) else endpoint.name

    rows: set[Flow] = set()
    # Every pod of ours may query the cluster DNS (the generator adds that rule to each policy).
    table = [*flows(config), *(TableFlow(Pods(key), Dns(), DNS_PORTS, "dns") for key in deployed_services(config))]
    for flow in table:
        for src in endpoints(flow.source, True):
            for dst in endpoints(flow.target, False):
                rows |= {(name(src), name(dst), port, protocol) for port, protocol in ports(dst, flow.ports)}
    return rows


def check_flows(objects: Sequence[Mapping[str, Any]], config: StackConfig) -> list[str]:
    if not config.network_policy.enabled:
        return []
    problems = []
    rendered, expected = rendered_matrix(objects, config), expected_matrix(objects, config)
    problems += [f"open but not in the flow table: {s} → {d} {p}/{t}" for s, d, p, t in sorted(rendered - expected)]
    problems += [f"in the flow table but closed: {s} → {d} {p}/{t}" for s, d, p, t in sorted(expected - rendered)]
    return problems
