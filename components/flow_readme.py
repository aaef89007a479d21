"""The README's rendering of the flow table (components/flows.py): ``python -m components.flows``
rewrites the table between the flow-table markers, ``--check`` only compares."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from components.config.aws import AwsSettings
from components.config.logging import LoggingSettings
from components.config.models import StackConfig
from components.config.monitoring import MonitoringSettings
from components.flows import (
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
    flows,
)


def _describe(peer: Peer) -> str:
    if isinstance(peer, Pods):
        return peer.key
    if isinstance(peer, Internet):
        return "internet (+ allowPrivateIps)" if peer.private_allowed else "internet"
    return {
        Dns: "cluster DNS",
        IngressController: "ingress controller",
        Anyone: "anyone",
        Nodes: "node addresses",
        OperatorPrometheus: "operator's Prometheus",
        KedaOperator: "KEDA operator",
        VpcCidrs: "VPC private CIDRs",
    }[type(peer)]


def _ports_text(ports: tuple[Port, ...]) -> str:
    if not ports:
        return "any"
    return ", ".join(p if isinstance(p, str) else f"{p[0]}/{p[1]}" for p in ports)


def markdown_table(config: StackConfig) -> str:
    """The README's rendering of the table."""
    rows = ["| From | To | Port | Why |", "| --- | --- | --- | --- |"]
    rows += [
        f"| {_describe(f.source)} | {_describe(f.target)} | {_ports_text(f.ports)} | {f.reason} |"
        for f in flows(config)
    ]
    rows.append("| every pod | cluster DNS | 53/UDP, 53/TCP | Service names resolve through the cluster DNS |")
    return "\n".join(rows)


def main() -> None:
    readme = Path(__file__).resolve().parent.parent / "README.md"
    # Every feature on: monitoring (bundled), logging (bundled, one node) and the managed data
    # tier's flows (a stack has one or the other data tier; the table lists both, each row saying
    # which store it reaches).
    table = markdown_table(
        StackConfig(
            environment="dev",
            host="localhost:8080",
            monitoring=MonitoringSettings(enabled=True),
            aws=AwsSettings(enabled=True, vpc_cidrs=["10.0.0.0/16"]),
            logging=LoggingSettings(enabled=True),
        )
    )
    text = readme.read_text()
    updated = re.sub(
        r"(<!-- flow-table:start -->\n).*?(<!-- flow-table:end -->)",
        lambda m: f"{m.group(1)}{table}\n{m.group(2)}",
        text,
        flags=re.S,
    )
    if "--check" in sys.argv:
        sys.exit(0 if updated == text else 1)
    readme.write_text(updated)
    print(f"wrote {readme.name}")
