"""alertmanager.yml as Python data: one receiver from config, grouping, inhibition.

The receiver's URL is a credential (a Slack or chat webhook URL lets anyone post), so the whole
file lives in a Secret, rendered from the Pulumi secret ``alertmanagerReceiverUrl``. Inhibition:
a critical alert silences warnings of the same alertname and namespace, the API being down
silences its error-rate and latency alerts, and a data store being down silences its symptoms.
Written in the ``matchers`` syntax amtool 0.25 (Debian) and Alertmanager 0.34 both accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

Receiver = Literal["none", "webhook", "slack"]
RECEIVER_NAME = "dify"


def _receiver(kind: Receiver, url: str | None, slack_channel: str | None) -> dict[str, Any]:
    receiver: dict[str, Any] = {"name": RECEIVER_NAME}
    if kind == "webhook":
        receiver["webhook_configs"] = [{"url": url, "send_resolved": True}]
    elif kind == "slack":
        slack: dict[str, Any] = {"api_url": url, "send_resolved": True}
        if slack_channel:
            slack["channel"] = slack_channel
        receiver["slack_configs"] = [slack]
    return receiver


def alertmanager_config(
    kind: Receiver, url: str | None, group_by: Sequence[str], slack_channel: str | None = None
) -> dict[str, Any]:
    if kind != "none" and not url:
        raise ValueError(f"receiver {kind} needs a URL (the secret alertmanagerReceiverUrl)")
    return {
        "route": {
            "receiver": RECEIVER_NAME,
            "group_by": list(group_by),
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["alertname", "namespace"],
            },
            {
                "source_matchers": ['alertname="DifyAPIDown"'],
                "target_matchers": ['alertname=~"DifyHighErrorRate|DifyHighLatency"'],
                "equal": ["namespace"],
            },
            {
                "source_matchers": ['alertname="DifyDataStoreDown"'],
                "target_matchers": ['alertname=~"DifyDatabaseConnectionHigh|DifyRedisMemoryNearMax"'],
            },
        ],
        "receivers": [_receiver(kind, url, slack_channel)],
    }
