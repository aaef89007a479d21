"""synth/netpol.py on hand-written manifests: every expectation is a literal verdict from the
NetworkPolicy documentation (networking.k8s.io/v1), never recomputed with the evaluator."""

from __future__ import annotations

import re
from typing import Any

import pytest

from synth.mocks import Recording
from synth.netpol import Cluster, External, Pod, pods_of, render_matrix, selects
from tests.conftest import objects

Obj = dict[str, Any]
INTERNET, METADATA, PRIVATE = (
    External("internet", "8.8.8.8"),
    External("metadata", "169.254.169.254"),
    External("lan", "10.1.2.3"),
)


def workload(
    name: str, labels: dict[str, str], ports: list[Obj] | None = None, namespace: str = "app", kind: str = "Deployment"
) -> Obj:
    container = {"name": name, "image": "x", **({"ports": ports} if ports else {})}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [container]}}
    return {"kind": kind, "metadata": {"name": name, "namespace": namespace}, "spec": {"template": template}}


def namespace(name: str, **labels: str) -> Obj:
    return {"kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def policy(name: str, namespace: str = "app", **spec: Any) -> Obj:
    return {"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def port(name: str, number: int, protocol: str = "TCP") -> Obj:
    return {"name": name, "containerPort": number, "protocol": protocol}


DENY_BOTH = policy("deny", podSelector={}, policyTypes=["Ingress", "Egress"])
WEB = workload("web", {"role": "web"}, [port("http", 3000)])
DB = workload("db", {"role": "db"}, [port("pg", 5432)])
BASE = [namespace("app", team="a"), WEB, DB]


def cluster(*extra: Obj, base: list[Obj] = BASE) -> Cluster:
    return Cluster.from_objects([*base, *extra])


def test_no_policies_everything_is_open() -> None:
    c = cluster()
    web, db = c.pod("web"), c.pod("db")
    assert c.allowed(web, db, 5432)
    assert c.allowed(db, web, 3000)
    assert c.allowed(web, db, 1, "UDP")  # undeclared ports too: nothing filters
    assert c.allowed(web, METADATA, 80)
    assert c.allowed(INTERNET, db, 5432)


def test_default_deny_ingress_only_leaves_egress_open() -> None:
    c = cluster(policy("deny-in", podSelector={}, policyTypes=["Ingress"]))
    web, db = c.pod("web"), c.pod("db")
    assert not c.allowed(web, db, 5432)
    assert not c.allowed(INTERNET, web, 3000)
    assert c.allowed(web, INTERNET, 443)
    assert c.allowed(db, METADATA, 80)


def test_default_deny_both_directions() -> None:
    c = cluster(DENY_BOTH)
    web, db = c.pod("web"), c.pod("db")
    assert not c.allowed(web, db, 5432)
    assert not c.allowed(db, web, 3000)
    assert not c.allowed(web, INTERNET, 443)
    assert not c.allowed(INTERNET, web, 3000)
    assert c.explain(web, db, 5432) == "egress of web: denied\ningress of db: denied"


def test_allows_are_additive_and_need_both_ends() -> None:
    ingress = policy(
        "db-in",
        podSelector={"matchLabels": {"role": "db"}},
        ingress=[{"from": [{"podSelector": {"matchLabels": {"role": "web"}}}], "ports": [{"port": 5432}]}],
    )
    egress = policy(
        "web-out",
        podSelector={"matchLabels": {"role": "web"}},
        policyTypes=["Egress"],
        egress=[{"to": [{"podSelector": {"matchLabels": {"role": "db"}}}], "ports": [{"port": 5432}]}],
    )
    web, db = cluster().pod("web"), cluster().pod("db")
    assert not cluster(DENY_BOTH, ingress).allowed(web, db, 5432)  # web's egress still denied
    assert not cluster(DENY_BOTH, egress).allowed(web, db, 5432)  # db's ingress still denied
    both = cluster(DENY_BOTH, ingress, egress)
    assert both.allowed(web, db, 5432)
    assert not both.allowed(web, db, 5433)
    assert not both.allowed(db, web, 3000)
    assert both.explain(web, db, 5432) == "egress of web: app/web-out\ningress of db: app/db-in"
    # Without DENY_BOTH, web is governed only in egress and db only in ingress.
    assert cluster(ingress, egress).allowed(db, web, 3000)


PEERS_BASE = [
    namespace("app", team="a"),
    namespace("other", team="b"),
    namespace("third", team="b"),
    workload("db", {"role": "db"}, [port("pg", 5432)]),
    workload("client-a", {"role": "client"}),
    workload("client-b", {"role": "client"}, namespace="other"),
    workload("x-b", {"role": "x"}, namespace="other"),
    workload("client-c", {"role": "client"}, namespace="third"),
]
CLIENT = {"podSelector": {"matchLabels": {"role": "client"}}}
TEAM_B = {"namespaceSelector": {"matchLabels": {"team": "b"}}}


def reaching_db(*peers: Obj) -> set[str]:
    c = cluster(policy("db-in", podSelector={}, ingress=[{"from": list(peers)}]), base=PEERS_BASE)
    return {p.workload for p in c.pods if c.allowed(p, c.pod("db"), 5432)}


def test_pod_selector_namespace_selector_and_both() -> None:
    assert reaching_db(CLIENT) == {"client-a"}  # the policy's own namespace only
    assert reaching_db(TEAM_B) == {"client-b", "x-b", "client-c"}
    assert reaching_db({**TEAM_B, **CLIENT}) == {"client-b", "client-c"}  # one peer: AND
    assert reaching_db(TEAM_B, CLIENT) == {"client-a", "client-b", "x-b", "client-c"}  # two peers: OR
    assert reaching_db({"namespaceSelector": {}}) == {"db", "client-a", "client-b", "x-b", "client-c"}
    # The API server's implicit name label selects a namespace by name.
    by_name = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "third"}}}
    assert reaching_db(by_name) == {"client-c"}


def test_match_expressions() -> None:
    labels = {"tier": "back", "env": "prod"}
    assert selects({}, labels)
    assert selects({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["back", "x"]}]}, labels)
    assert not selects({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}, labels)
    assert not selects({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["back"]}]}, labels)
    assert selects({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["eu"]}]}, labels)  # absent
    assert selects({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, labels)
    assert not selects({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}, labels)
    assert selects({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}, labels)
    assert not selects({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}, labels)
    # matchLabels and matchExpressions are ANDed.
    assert not selects(
        {"matchLabels": {"env": "dev"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]}, labels
    )
    with pytest.raises(ValueError, match="In needs values"):
        selects({"matchExpressions": [{"key": "env", "operator": "In"}]}, labels)
    not_team_a = {"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["a"]}]}}
    assert reaching_db(not_team_a) == {"client-b", "x-b", "client-c"}


NAMED = [
    namespace("app"),
    workload("client", {"role": "client"}, [port("http", 9999)]),
    workload("api", {"role": "api"}, [port("http", 8080)]),
    workload("web", {"role": "web"}, [port("http", 3000)]),
    workload("dns", {"role": "dns"}, [port("dns", 53, "UDP")]),
]


def test_named_port_resolves_on_the_destination_pod() -> None:
    out = policy(
        "client-out",
        podSelector={"matchLabels": {"role": "client"}},
        policyTypes=["Egress"],
        egress=[{"ports": [{"port": "http"}, {"port": "dns"}]}],
    )
    c = cluster(out, base=NAMED)
    client, api, web, dns = (c.pod(n) for n in ("client", "api", "web", "dns"))
    assert c.allowed(client, api, 8080)
    assert c.allowed(client, web, 3000)
    assert not c.allowed(client, api, 3000)  # web's "http", not api's
    assert not c.allowed(client, api, 9999)  # the source's own "http" does not count
    assert not c.allowed(client, INTERNET, 80)  # a named port never matches an external address
    assert not c.allowed(client, dns, 53, "UDP")  # "dns" is UDP, the rule's protocol defaults to TCP
    assert not c.allowed(client, dns, 53, "TCP")
    udp = cluster(
        policy(
            "udp",
            podSelector={"matchLabels": {"role": "client"}},
            policyTypes=["Egress"],
            egress=[{"ports": [{"port": "dns", "protocol": "UDP"}]}],
        ),
        base=NAMED,
    )
    assert udp.allowed(client, dns, 53, "UDP")
    assert not udp.allowed(client, dns, 53, "TCP")
    ingress = cluster(
        policy("api-in", podSelector={"matchLabels": {"role": "api"}}, ingress=[{"ports": [{"port": "http"}]}]),
        base=NAMED,
    )
    assert ingress.allowed(client, api, 8080)
    assert not ingress.allowed(client, api, 9999)


def test_numeric_ports_end_port_ranges_and_protocols() -> None:
    ports = [{"port": 5432}, {"port": 32000, "endPort": 32768}, {"port": 53, "protocol": "UDP"}, {"protocol": "SCTP"}]
    c = cluster(policy("db-in", podSelector={}, ingress=[{"ports": ports}]))
    web, db = c.pod("web"), c.pod("db")
    # fmt: off
    expected = {
        (5432, "TCP"): True, (5433, "TCP"): False, (5432, "UDP"): False,
        (31999, "TCP"): False, (32000, "TCP"): True, (32500, "TCP"): True, (32768, "TCP"): True, (32769, "TCP"): False,
        (53, "UDP"): True, (53, "TCP"): False, (7, "SCTP"): True, (9999, "sctp"): True,
    }
    # fmt: on
    assert {(p, proto): c.allowed(web, db, p, proto) for p, proto in expected} == expected
    with pytest.raises(ValueError, match="endPort 90 needs a numeric port"):
        cluster(policy("bad", podSelector={}, ingress=[{"ports": [{"port": "http", "endPort": 90}]}]))
    with pytest.raises(ValueError, match="unknown protocol 'ICMP'"):
        cluster(policy("bad", podSelector={}, ingress=[{"ports": [{"protocol": "ICMP"}]}]))


EGRESS_INTERNET = policy(
    "web-out",
    podSelector={"matchLabels": {"role": "web"}},
    policyTypes=["Egress"],
    egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "169.254.0.0/16"]}}]}],
)


def test_ip_block_with_except() -> None:
    c = cluster(EGRESS_INTERNET)
    web = c.pod("web")
    assert c.allowed(web, INTERNET, 443)
    assert c.allowed(web, External("rfc1918-b", "172.16.0.1"), 443)  # not excepted
    assert not c.allowed(web, METADATA, 80)
    assert not c.allowed(web, PRIVATE, 5432)
    assert not c.allowed(web, External("v6", "2001:db8::1"), 443)  # an IPv4 block does not cover IPv6
    with pytest.raises(ValueError, match=re.escape("except 192.168.0.0/16 is outside 10.0.0.0/8")):
        cluster(
            policy(
                "bad",
                podSelector={},
                ingress=[{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}}]}],
            )
        )


def test_ip_block_never_matches_pods() -> None:
    c = cluster(EGRESS_INTERNET)
    assert not c.allowed(c.pod("web"), c.pod("db"), 5432)  # db's ingress is open: web's egress denies
    ingress = cluster(
        policy(
            "db-in",
            podSelector={"matchLabels": {"role": "db"}},
            ingress=[{"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}],
        )
    )
    assert ingress.allowed(External("partner", "203.0.113.7"), ingress.pod("db"), 5432)
    assert not ingress.allowed(External("someone", "198.51.100.1"), ingress.pod("db"), 5432)
    assert not ingress.allowed(ingress.pod("web"), ingress.pod("db"), 5432)


def test_policy_types_default_from_the_rules_present() -> None:
    web_only = {"matchLabels": {"role": "web"}}
    c = cluster()
    web, db = c.pod("web"), c.pod("db")
    # Egress rules and no policyTypes: both types, and no ingress rule, so ingress is denied.
    egress_rules = cluster(policy("p", podSelector=web_only, egress=[{"ports": [{"port": 5432}]}]))
    assert egress_rules.allowed(web, db, 5432)
    assert not egress_rules.allowed(web, INTERNET, 443)
    assert not egress_rules.allowed(db, web, 3000)
    # Ingress rules only: egress stays open.
    ingress_rules = cluster(policy("p", podSelector=web_only, ingress=[{"ports": [{"port": 3000}]}]))
    assert ingress_rules.allowed(db, web, 3000)
    assert ingress_rules.allowed(web, METADATA, 80)
    # An empty egress list is "no egress rules": Ingress only.
    empty = cluster(policy("p", podSelector=web_only, egress=[]))
    assert empty.allowed(web, INTERNET, 443)
    assert not empty.allowed(db, web, 3000)
    # Rules of an undeclared type are ignored; `{}` admits everything.
    ignored = cluster(
        policy("p", podSelector=web_only, policyTypes=["Egress"], egress=[{}], ingress=[{"ports": [{"port": 1}]}])
    )
    assert ignored.allowed(db, web, 3000)
    assert ignored.allowed(web, METADATA, 80)
    assert cluster(policy("p", podSelector=web_only, ingress=[{"from": [], "ports": []}])).allowed(INTERNET, web, 3000)


def test_a_policy_selects_only_pods_of_its_own_namespace() -> None:
    base = [*BASE, namespace("other"), workload("peer", {"role": "web"}, [port("http", 3000)], namespace="other")]
    c = cluster(policy("deny", "other", podSelector={}, policyTypes=["Ingress", "Egress"]), base=base)
    web, db, peer = c.pod("web"), c.pod("db"), c.pod("peer")
    assert c.allowed(web, db, 5432)
    assert c.allowed(db, web, 3000)
    assert not c.allowed(web, peer, 3000)
    assert not c.allowed(peer, web, 3000)


def test_pods_from_workloads_with_several_containers() -> None:
    sts = workload("cache", {"role": "cache"}, [port("redis", 6379)], kind="StatefulSet")
    spec = sts["spec"]["template"]["spec"]
    spec["containers"].append({"name": "exporter", "ports": [port("metrics", 9121), {"containerPort": 7000}]})
    spec["initContainers"] = [{"name": "init", "ports": [port("setup", 1234)]}]
    job = {
        "kind": "Job",
        "metadata": {"name": "once"},
        "spec": {"template": {"metadata": {}, "spec": {"containers": []}}},
    }
    assert pods_of([sts, job, namespace("app")]) == [
        Pod(
            "cache",
            "app",
            {"role": "cache"},
            {"redis": (6379, "TCP"), "metrics": (9121, "TCP"), "#7000/TCP": (7000, "TCP")},
        ),
        Pod("once", "default", {}, {}),
    ]
    c = cluster(
        sts,
        policy("cache-in", podSelector={"matchLabels": {"role": "cache"}}, ingress=[{"ports": [{"port": "metrics"}]}]),
    )
    assert c.allowed(c.pod("web"), c.pod("cache"), 9121)
    assert not c.allowed(c.pod("web"), c.pod("cache"), 6379)
    assert c.matrix(probe_ports=()) == {
        ("web", "cache", 9121, "TCP"),
        ("db", "cache", 9121, "TCP"),
        ("cache", "cache", 9121, "TCP"),
        ("web", "web", 3000, "TCP"),
        ("web", "db", 5432, "TCP"),
        ("db", "web", 3000, "TCP"),
        ("db", "db", 5432, "TCP"),
        ("cache", "web", 3000, "TCP"),
        ("cache", "db", 5432, "TCP"),
    }
    host = workload("agent", {}, kind="DaemonSet")
    host["spec"]["template"]["spec"]["hostNetwork"] = True
    with pytest.raises(ValueError, match="DaemonSet agent: hostNetwork pods are outside NetworkPolicy"):
        pods_of([host])


KUBE_DNS = Pod("kube-dns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": (53, "UDP"), "dns-tcp": (53, "TCP")})
INGRESS_NGINX = Pod("ingress-nginx", "ingress-nginx", {"app": "ingress"}, {})
DNS_EGRESS = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ],
    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
}


def test_matrix_with_extra_namespaces_pods_and_externals() -> None:
    policies = [
        DENY_BOTH,
        policy(
            "web",
            podSelector={"matchLabels": {"role": "web"}},
            ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"edge": "true"}}}], "ports": [{"port": "http"}]}],
            egress=[{"to": [{"podSelector": {"matchLabels": {"role": "db"}}}], "ports": [{"port": 5432}]}, DNS_EGRESS],
        ),
        policy(
            "db",
            podSelector={"matchLabels": {"role": "db"}},
            ingress=[{"from": [{"podSelector": {"matchLabels": {"role": "web"}}}], "ports": [{"port": "pg"}]}],
        ),
    ]
    c = Cluster.from_objects(
        [*BASE, *policies],
        extra_namespaces={"kube-system": {}, "ingress-nginx": {"edge": "true"}},
        extra_pods=[KUBE_DNS, INGRESS_NGINX],
    )
    assert c.namespace_labels("ingress-nginx") == {"edge": "true", "kubernetes.io/metadata.name": "ingress-nginx"}
    assert c.namespace_labels("app") == {"team": "a", "kubernetes.io/metadata.name": "app"}
    flows = c.matrix([INTERNET, METADATA, PRIVATE])
    # Nothing between kube-dns, ingress-nginx and externals: those pairs are not the stack's.
    assert flows == {
        ("ingress-nginx", "web", 3000, "TCP"),
        ("web", "db", 5432, "TCP"),
        ("web", "kube-dns", 53, "UDP"),
        ("web", "kube-dns", 53, "TCP"),
    }
    assert render_matrix(flows) == (
        "from           to        ports\n"
        "ingress-nginx  web       3000/TCP\n"
        "web            db        5432/TCP\n"
        "web            kube-dns  53/TCP, 53/UDP"
    )
    assert render_matrix(set()) == "(no open flows)"
    with pytest.raises(ValueError, match="names used more than once: web"):
        c.matrix([External("web", "1.1.1.1")])
    with pytest.raises(TypeError, match="at least one end"):
        c.allowed(INTERNET, METADATA, 80)


def test_rendered_stack_pods(dev: Recording) -> None:
    # Workload facts the flow table will rely on; the ports come from the image runtime contract.
    pods = {p.workload: p for p in pods_of(objects(dev))}
    assert pods["dify-weaviate"].ports == {"http": (8080, "TCP"), "grpc": (50051, "TCP")}
    assert pods["dify-plugin-daemon"].ports == {"http": (5002, "TCP"), "plugin-debug": (5003, "TCP")}
    assert pods["dify-worker"].ports == {}
    assert pods["dify-sandbox"].namespace == "dify-sandbox"
    assert pods["dify-sandbox"].labels["app.kubernetes.io/component"] == "sandbox"
