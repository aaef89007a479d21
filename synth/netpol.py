"""Kubernetes NetworkPolicy (networking.k8s.io/v1) semantics, evaluated offline over rendered manifests.

Issue 7 asks for a proof that the rendered policies open exactly the flow table: this module says,
for any source, destination, port and protocol, whether a conforming CNI lets the connection through.
It reads plain camelCase manifest dicts (as ``python -m synth`` writes them) and nothing else.

Semantics, as documented for networking.k8s.io/v1:
- Policies are allow-lists and additive. A pod that no policy of a direction selects is open in that
  direction; once one selects it, only what some selecting policy's rules admit gets through.
- ``policyTypes`` absent means Ingress, plus Egress when the policy has egress rules. A listed type
  with no rules denies that whole direction; rules of an unlisted type are ignored.
- An empty ``podSelector`` selects every pod of the policy's namespace (never another namespace's).
- A rule without ``from``/``to`` admits every peer; without ``ports``, every port.
- Peers: ``podSelector`` alone means pods of the policy's namespace; ``namespaceSelector`` alone, all
  pods of the matching namespaces; both, the matching pods of the matching namespaces (AND).
  ``ipBlock`` (minus ``except``) is matched against external IPs only: the docs scope it to
  cluster-external addresses and leave pod IPs implementation-defined, so pods never match it here.
  Some CNIs (Calico, Cilium) do match pod IPs, so a policy that relies on ipBlock to keep pods out
  should also ``except`` the cluster's pod and service ranges.
- Ports: protocol defaults to TCP; numeric ports, ``endPort`` ranges, and named ports, which resolve
  on the DESTINATION pod's container ports (also in egress rules) with the rule's protocol. A named
  port never matches an external destination.
- A connection is allowed iff the source's egress and the destination's ingress both allow it; for
  an external destination only egress counts, for an external source only ingress.
Not modelled: hostNetwork pods (policies do not apply to them, so they are rejected), Services
(policies see pod ports after DNAT), and the node's own traffic to its pods (always allowed).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Obj = Mapping[str, Any]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Flow = tuple[str, str, int, str]  # (source name, destination name, port, protocol)

NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace
PROTOCOLS = ("TCP", "UDP", "SCTP")
# Probes for external destinations (and extra probes on pods, to expose rules without ports):
# DNS, HTTP(S), and a database port an attacker would try on a private address.
DEFAULT_PROBE_PORTS: tuple[tuple[int, str], ...] = ((53, "UDP"), (53, "TCP"), (80, "TCP"), (443, "TCP"), (5432, "TCP"))
_TEMPLATED = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


@dataclass(frozen=True)
class Pod:
    """The pods of one workload: all replicas share labels and ports, so one stands for all.

    ``ports`` maps container port names to (number, protocol); an unnamed port is keyed
    ``#<number>/<protocol>``, which no valid port name (IANA_SVC_NAME) can equal. ``workload`` is the
    workload's name, and names the pod in ``Cluster.matrix``.
    """

    workload: str
    namespace: str
    labels: Mapping[str, str]
    ports: Mapping[str, tuple[int, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class External:
    """An address outside the cluster (the internet, a private host, the metadata endpoint)."""

    name: str
    ip: str


Endpoint = Pod | External


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """metav1.LabelSelector: matchLabels AND every matchExpression; an empty selector selects all."""
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        # The API server rejects these shapes; a policy we would evaluate differently must not pass.
        if (operator in ("In", "NotIn")) != bool(values):
            raise ValueError(f"matchExpression {expression}: {operator} {'needs' if not values else 'takes no'} values")
        if operator == "In":
            ok = key in labels and labels[key] in values
        elif operator == "NotIn":
            ok = labels.get(key) not in values
        elif operator == "Exists":
            ok = key in labels
        elif operator == "DoesNotExist":
            ok = key not in labels
        else:
            raise ValueError(f"matchExpression {expression}: unknown operator {operator!r}")
        if not ok:
            return False
    return True


@dataclass(frozen=True)
class _Peer:
    pod_selector: Mapping[str, Any] | None
    namespace_selector: Mapping[str, Any] | None
    cidr: IPNetwork | None = None
    excepts: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True)
class _Port:
    protocol: str
    port: int | str | None  # None: every port of the protocol; str: a named port
    end_port: int | None


@dataclass(frozen=True)
class _Rule:
    peers: tuple[_Peer, ...]  # empty: every peer
    ports: tuple[_Port, ...]  # empty: every port


@dataclass(frozen=True)
class _Policy:
    name: str
    namespace: str
    pod_selector: Mapping[str, Any]
    rules: Mapping[str, tuple[_Rule, ...]]  # "ingress"/"egress" -> rules, only for the policy's types


def _peer(spec: Obj, where: str) -> _Peer:
    block = spec.get("ipBlock")
    if block is not None:
        if "podSelector" in spec or "namespaceSelector" in spec:
            raise ValueError(f"{where}: ipBlock cannot be combined with selectors")
        cidr = ipaddress.ip_network(block["cidr"], strict=False)
        excepts = tuple(ipaddress.ip_network(e, strict=False) for e in block.get("except") or [])
        for e in excepts:
            if e.version != cidr.version or not e.subnet_of(cidr):  # type: ignore[arg-type]
                raise ValueError(f"{where}: except {e} is outside {cidr}")
        return _Peer(None, None, cidr, excepts)
    if "podSelector" not in spec and "namespaceSelector" not in spec:
        raise ValueError(f"{where}: a peer needs podSelector, namespaceSelector or ipBlock")
    return _Peer(spec.get("podSelector"), spec.get("namespaceSelector"))


def _port(spec: Obj, where: str) -> _Port:
    protocol = spec.get("protocol", "TCP")
    port, end_port = spec.get("port"), spec.get("endPort")
    if protocol not in PROTOCOLS:
        raise ValueError(f"{where}: unknown protocol {protocol!r}")
    if isinstance(port, str) and (port.isdigit() or not port):
        raise ValueError(f"{where}: port {port!r} is a string but not a port name")
    if end_port is not None and not (isinstance(port, int) and port <= end_port):
        raise ValueError(f"{where}: endPort {end_port} needs a numeric port ≤ it, got {port!r}")
    return _Port(protocol, port, end_port)


def _policy(obj: Obj) -> _Policy:
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    namespace = meta.get("namespace") or "default"
    where = f"NetworkPolicy {namespace}/{meta.get('name')}"
    types = spec.get("policyTypes") or ["Ingress", *(["Egress"] if spec.get("egress") else [])]
    rules: dict[str, tuple[_Rule, ...]] = {}
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        if direction.capitalize() not in types:
            continue  # rules of a direction the policy does not declare are ignored
        rules[direction] = tuple(
            _Rule(
                tuple(_peer(p, f"{where} {direction}[{i}]") for p in rule.get(peers_key) or []),
                tuple(_port(p, f"{where} {direction}[{i}]") for p in rule.get("ports") or []),
            )
            for i, rule in enumerate(spec.get(direction) or [])
        )
    if "podSelector" not in spec:
        raise ValueError(f"{where}: spec.podSelector is required (use {{}} for every pod)")
    return _Policy(str(meta.get("name")), namespace, spec["podSelector"], rules)


def _pod_template(obj: Obj) -> Obj | None:
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
    return spec.get("template") if kind in _TEMPLATED else None


def pods_of(objects: Iterable[Obj]) -> list[Pod]:
    """One Pod per workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob)."""
    pods = []
    for obj in objects:
        template = _pod_template(obj)
        if template is None:
            continue
        meta, spec = obj.get("metadata") or {}, template.get("spec") or {}
        if spec.get("hostNetwork"):
            raise ValueError(f"{obj['kind']} {meta.get('name')}: hostNetwork pods are outside NetworkPolicy")
        ports: dict[str, tuple[int, str]] = {}
        # Init containers listen on nothing once the pod is running: only app containers serve.
        for container in spec.get("containers") or []:
            for p in container.get("ports") or []:
                number, protocol = p["containerPort"], p.get("protocol", "TCP")
                ports[p.get("name") or f"#{number}/{protocol}"] = (number, protocol)
        labels = (template.get("metadata") or {}).get("labels") or {}
        pods.append(Pod(meta["name"], meta.get("namespace") or "default", dict(labels), ports))
    return pods


def _name(endpoint: Endpoint) -> str:
    return endpoint.workload if isinstance(endpoint, Pod) else endpoint.name


class Cluster:
    """Namespaces, pods and policies; answers reachability questions about them."""

    def __init__(
        self,
        namespaces: Mapping[str, Mapping[str, str]],
        pods: Sequence[Pod],
        policies: Iterable[Obj],
        extra_pods: Sequence[Pod] = (),
    ) -> None:
        self._namespaces = {name: {**labels, NAME_LABEL: name} for name, labels in namespaces.items()}
        self.pods: tuple[Pod, ...] = (*pods, *extra_pods)
        self._rendered_pods = {(p.workload, p.namespace) for p in pods}
        self._policies = [_policy(p) for p in policies]

    @classmethod
    def from_objects(
        cls,
        objects: Iterable[Obj],
        extra_namespaces: Mapping[str, Mapping[str, str]] | None = None,
        extra_pods: Sequence[Pod] = (),
    ) -> Cluster:
        """The rendered objects, plus namespaces and pods the stack does not create (kube-system's
        DNS, the ingress controller). Namespaces get their ``kubernetes.io/metadata.name`` label."""
        objects = list(objects)
        namespaces = {
            o["metadata"]["name"]: (o["metadata"].get("labels") or {}) for o in objects if o.get("kind") == "Namespace"
        }
        policies = [o for o in objects if o.get("kind") == "NetworkPolicy"]
        return cls({**namespaces, **(extra_namespaces or {})}, pods_of(objects), policies, extra_pods)

    def pod(self, workload: str) -> Pod:
        found = [p for p in self.pods if p.workload == workload]
        if len(found) != 1:
            raise KeyError(f"{len(found)} pods named {workload!r}")
        return found[0]

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        # A namespace we were not told about still carries its name label.
        return self._namespaces.get(namespace, {NAME_LABEL: namespace})

    def _peer_matches(self, peer: _Peer, policy_namespace: str, endpoint: Endpoint) -> bool:
        if peer.cidr is not None:
            if not isinstance(endpoint, External):
                return False  # pods never match ipBlock (see the module docstring)
            ip = ipaddress.ip_address(endpoint.ip)
            return ip in peer.cidr and not any(ip in e for e in peer.excepts)
        if not isinstance(endpoint, Pod):
            return False
        if peer.namespace_selector is None:
            in_namespace = endpoint.namespace == policy_namespace
        else:
            in_namespace = selects(peer.namespace_selector, self.namespace_labels(endpoint.namespace))
        return in_namespace and (peer.pod_selector is None or selects(peer.pod_selector, endpoint.labels))

    @staticmethod
    def _port_matches(rule: _Port, dst: Endpoint, port: int, protocol: str) -> bool:
        if rule.protocol != protocol:
            return False
        if rule.port is None:
            return True
        if isinstance(rule.port, str):
            return isinstance(dst, Pod) and dst.ports.get(rule.port) == (port, protocol)
        return rule.port <= port <= (rule.end_port or rule.port)

    def verdict(self, pod: Pod, direction: str, peer: Endpoint, dst: Endpoint, port: int, protocol: str) -> list[str]:
        """The policies that govern ``pod`` in ``direction`` ("ingress"/"egress") and admit the
        connection, as ``namespace/name``; ``["open"]`` when no policy of that direction selects it."""
        governing = [
            p
            for p in self._policies
            if p.namespace == pod.namespace and direction in p.rules and selects(p.pod_selector, pod.labels)
        ]
        if not governing:
            return ["open"]
        return [
            f"{p.namespace}/{p.name}"
            for p in governing
            if any(
                (not rule.peers or any(self._peer_matches(peer_rule, p.namespace, peer) for peer_rule in rule.peers))
                and (not rule.ports or any(self._port_matches(r, dst, port, protocol) for r in rule.ports))
                for rule in p.rules[direction]
            )
        ]

    def _verdicts(self, src: Endpoint, dst: Endpoint, port: int, protocol: str) -> list[tuple[str, list[str]]]:
        """(direction, admitting policies) for each end of the connection that is a pod."""
        if isinstance(src, External) and isinstance(dst, External):
            raise TypeError("at least one end of a connection must be a pod")
        protocol = protocol.upper()
        found = []
        if isinstance(src, Pod):
            found.append((f"egress of {src.workload}", self.verdict(src, "egress", dst, dst, port, protocol)))
        if isinstance(dst, Pod):
            found.append((f"ingress of {dst.workload}", self.verdict(dst, "ingress", src, dst, port, protocol)))
        return found

    def allowed(self, src: Endpoint, dst: Endpoint, port: int, protocol: str = "TCP") -> bool:
        """Whether a connection from ``src`` to ``dst`` on ``port``/``protocol`` gets through."""
        return all(admitted for _, admitted in self._verdicts(src, dst, port, protocol))

    def explain(self, src: Endpoint, dst: Endpoint, port: int, protocol: str = "TCP") -> str:
        """One line per direction naming what admits the connection, or ``denied``: for debugging."""
        return "\n".join(
            f"{d}: {', '.join(admitted) or 'denied'}" for d, admitted in self._verdicts(src, dst, port, protocol)
        )

    def matrix(
        self, externals: Sequence[External] = (), probe_ports: Iterable[tuple[int, str]] = DEFAULT_PROBE_PORTS
    ) -> set[Flow]:
        """Every open (source, destination, port, protocol) among pods and ``externals``.

        Pods (same workload included: replicas talk to each other) are probed on every port their
        containers declare and on ``probe_ports``, so a rule that opens more than the declared ports
        shows up; externals, as destinations, on ``probe_ports``; externals also act as sources.
        Pairs with no rendered pod on either side (extra pods, externals) describe the environment,
        not our policies, and are left out. Names must be unique across pods and externals."""
        endpoints: list[Endpoint] = [*self.pods, *externals]
        names = [_name(e) for e in endpoints]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"names used more than once: {', '.join(dupes)}")
        probes = {(port, protocol.upper()) for port, protocol in probe_ports}
        flows: set[Flow] = set()
        for src in endpoints:
            for dst in endpoints:
                if not (self._rendered(src) or self._rendered(dst)):
                    continue
                ports = probes | set(dst.ports.values()) if isinstance(dst, Pod) else probes
                flows.update(
                    (_name(src), _name(dst), port, protocol)
                    for port, protocol in ports
                    if self.allowed(src, dst, port, protocol)
                )
        return flows

    def _rendered(self, endpoint: Endpoint) -> bool:
        return isinstance(endpoint, Pod) and (endpoint.workload, endpoint.namespace) in self._rendered_pods


def render_matrix(flows: Iterable[Flow]) -> str:
    """A table, one row per (source, destination) with its open ports, sorted, for ``synth --flows``."""
    ports: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for src, dst, port, protocol in flows:
        ports[src, dst].append((port, protocol))
    rows = [("from", "to", "ports")] + [
        (src, dst, ", ".join(f"{port}/{protocol}" for port, protocol in sorted(set(ports[src, dst]))))
        for src, dst in sorted(ports)
    ]
    if len(rows) == 1:
        return "(no open flows)"
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}".rstrip() for a, b, c in rows)
