"""dify:net:NetworkPolicies: default-deny in both directions, then exactly the flow table.

Creates, in the stack's namespace: ``dify-default-deny`` (every pod, Ingress and Egress, no rule)
and one ``dify-<workload>`` policy per deployed workload whose rules are that workload's rows of
the flow table (components/flows.py), plus DNS egress for every pod. Policies are additive, so
the union of the per-workload allows is the whole reachability of the stack: the test in
tests/test_flows.py evaluates the rendered policies and compares the matrix with the table.

Without it every pod can reach every pod and 169.254.169.254: a Code node could open a socket to
Postgres or the cloud metadata service, and the proxy variables would be advisory only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import PREFIX, ServiceKey
from components.flows import (
    DNS_PORTS,
    Anyone,
    Dns,
    Flow,
    IngressController,
    Internet,
    KedaOperator,
    Nodes,
    OperatorPrometheus,
    Peer,
    Pods,
    Port,
    VpcCidrs,
)
from components.kube import object_meta, selector
from components.net.squid_conf import PRIVATE_NETWORKS

networking = k8s.networking.v1
meta = k8s.meta.v1

NAMESPACE_LABEL = "kubernetes.io/metadata.name"
DEFAULT_DENY = f"{PREFIX}-default-deny"
NODE_BLOCKS = (("0.0.0.0/0", "169.254.0.0/16"), ("::/0", "fe80::/10"))


@dataclass(frozen=True)
class Selectors:
    """Where the peers that are not our pods live (``dify:networkPolicy``)."""

    dns_namespace: str
    dns_pod_labels: Mapping[str, str]
    ingress_namespace: str
    # The operator's Prometheus (monitoring.mode operator), when one scrapes us.
    operator_namespace: str = "monitoring"
    # KEDA's operator (autoscaling.keda), when it reads the in-cluster Redis.
    keda_namespace: str = "keda"


@dataclass
class NetworkPoliciesArgs:
    # Namespace name → its Output (for ordering); every namespace gets a default-deny.
    namespaces: Mapping[str, pulumi.Input[str]]
    # Workloads that run outside ``default_namespace``.
    placement: Mapping[ServiceKey, str]
    default_namespace: str
    instance: str
    labels: Mapping[str, str]
    flows: Sequence[Flow]
    deployed: Collection[ServiceKey]
    selectors: Selectors
    allow_private_ips: Sequence[str] = ()
    # dify:aws.vpcCidrs: where the managed data stores live.
    vpc_cidrs: Sequence[str] = ()

    def namespace_of(self, key: ServiceKey) -> str:
        return self.placement.get(key, self.default_namespace)


def internet_blocks(private_allowed: Sequence[str] = ()) -> list[networking.IPBlockArgs]:
    """0.0.0.0/0 and ::/0 minus every non-public range (PRIVATE_NETWORKS, the same list the
    SSRF proxy denies), plus each allow-listed private CIDR as a block of its own."""
    blocks = []
    for everything in ("0.0.0.0/0", "::/0"):
        version = ipaddress.ip_network(everything).version
        excepted = [
            net for net in PRIVATE_NETWORKS if ipaddress.ip_network(net).version == version and net != everything
        ]
        blocks.append(networking.IPBlockArgs(cidr=everything, except_=excepted))
    blocks += [networking.IPBlockArgs(cidr=cidr) for cidr in private_allowed]
    return blocks


def _peers(peer: Peer, args: NetworkPoliciesArgs) -> list[networking.NetworkPolicyPeerArgs] | None:
    """The NetworkPolicy peers for ``peer``; None means "any source or destination"."""
    if isinstance(peer, Pods):
        # Always qualified by namespace: the sandbox lives in a namespace of its own.
        return [
            networking.NetworkPolicyPeerArgs(
                namespace_selector=meta.LabelSelectorArgs(match_labels={NAMESPACE_LABEL: args.namespace_of(peer.key)}),
                pod_selector=meta.LabelSelectorArgs(match_labels=selector(peer.key, args.instance)),
            )
        ]
    if isinstance(peer, Dns):
        return [
            networking.NetworkPolicyPeerArgs(
                namespace_selector=meta.LabelSelectorArgs(match_labels={NAMESPACE_LABEL: args.selectors.dns_namespace}),
                pod_selector=meta.LabelSelectorArgs(match_labels=dict(args.selectors.dns_pod_labels)),
            )
        ]
    if isinstance(peer, IngressController):
        return [
            networking.NetworkPolicyPeerArgs(
                namespace_selector=meta.LabelSelectorArgs(
                    match_labels={NAMESPACE_LABEL: args.selectors.ingress_namespace}
                )
            )
        ]
    if isinstance(peer, Internet):
        private = args.allow_private_ips if peer.private_allowed else ()
        return [networking.NetworkPolicyPeerArgs(ip_block=block) for block in internet_blocks(private)]
    if isinstance(peer, Nodes):
        # Node addresses are not known in advance; everything but link-local (no cloud metadata
        # endpoint), and the flow's ports narrow it to the API server and kubelet ports.
        return [
            networking.NetworkPolicyPeerArgs(ip_block=networking.IPBlockArgs(cidr=cidr, except_=[local]))
            for cidr, local in NODE_BLOCKS
        ]
    if isinstance(peer, OperatorPrometheus):
        return [
            networking.NetworkPolicyPeerArgs(
                namespace_selector=meta.LabelSelectorArgs(
                    match_labels={NAMESPACE_LABEL: args.selectors.operator_namespace}
                ),
                pod_selector=meta.LabelSelectorArgs(match_labels={"app.kubernetes.io/name": "prometheus"}),
            )
        ]
    if isinstance(peer, KedaOperator):
        # The whole namespace: KEDA's charts label the operator pod differently across releases,
        # and the namespace holds KEDA alone.
        return [
            networking.NetworkPolicyPeerArgs(
                namespace_selector=meta.LabelSelectorArgs(match_labels={NAMESPACE_LABEL: args.selectors.keda_namespace})
            )
        ]
    if isinstance(peer, VpcCidrs):
        return [networking.NetworkPolicyPeerArgs(ip_block=networking.IPBlockArgs(cidr=cidr)) for cidr in args.vpc_cidrs]
    if isinstance(peer, Anyone):
        return None
    raise TypeError(f"unknown peer {peer!r}")


def _ports(ports: Sequence[Port]) -> list[networking.NetworkPolicyPortArgs] | None:
    if not ports:
        return None
    return [
        networking.NetworkPolicyPortArgs(port=p, protocol="TCP")
        if isinstance(p, str)
        else networking.NetworkPolicyPortArgs(port=p[0], protocol=p[1])
        for p in ports
    ]


def _present(peer: Peer, deployed: Collection[ServiceKey]) -> bool:
    return not isinstance(peer, Pods) or peer.key in deployed


class NetworkPolicies(pulumi.ComponentResource):
    def __init__(self, name: str, args: NetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:net:NetworkPolicies", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        flows = [f for f in args.flows if _present(f.source, args.deployed) and _present(f.target, args.deployed)]
        self.policies = [
            networking.NetworkPolicy(
                f"{name}-default-deny" + ("" if namespace_name == args.default_namespace else f"-{namespace_name}"),
                metadata=object_meta(DEFAULT_DENY, namespace, args.labels),
                spec=networking.NetworkPolicySpecArgs(
                    pod_selector=meta.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]
                ),
                opts=child,
            )
            for namespace_name, namespace in args.namespaces.items()
        ]
        for key in sorted(args.deployed):
            ingress = [
                networking.NetworkPolicyIngressRuleArgs(from_=_peers(f.source, args), ports=_ports(f.ports))
                for f in flows
                if f.target == Pods(key)
            ]
            egress = [
                # DNS_REASON: every pod resolves Service names through the cluster DNS.
                networking.NetworkPolicyEgressRuleArgs(to=_peers(Dns(), args), ports=_ports(DNS_PORTS)),
                *(
                    networking.NetworkPolicyEgressRuleArgs(to=_peers(f.target, args), ports=_ports(f.ports))
                    for f in flows
                    if f.source == Pods(key)
                ),
            ]
            self.policies.append(
                networking.NetworkPolicy(
                    f"{name}-{key}",
                    metadata=object_meta(f"{PREFIX}-{key}", args.namespaces[args.namespace_of(key)], args.labels),
                    spec=networking.NetworkPolicySpecArgs(
                        pod_selector=meta.LabelSelectorArgs(match_labels=selector(key, args.instance)),
                        policy_types=["Ingress", "Egress"],
                        ingress=ingress or None,
                        egress=egress,
                    ),
                    opts=child,
                )
            )
        self.register_outputs({"policies": [p.metadata.name for p in self.policies]})
