"""``dify:logging``: defaults, the prod block, and one exact line per bad value (the same
contract as tests/test_config_errors.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.config import ConfigError, parse_config
from synth.harness import stack_config

BASELINE = {"dify:environment": "dev", "dify:host": "localhost:8080", "dify:scheme": "http"}
NODES = "1 (a single node) or 3 to 9 (two nodes cannot keep a master quorum)"
MEMORY = "a Kubernetes memory quantity such as 512Mi or 2Gi"
URL = "an https:// URL of the cluster such as https://logs.example.com:9243, without path or credentials"
DNS_LABEL = "a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters"
EXTERNAL = {"url": "https://logs.example.com"}

# fmt: off
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("enabled-word", {"logging": {"enabled": "yes"}},
     'dify:logging.enabled: "yes" is not allowed (expected true or false)'),
    ("retention-zero", {"logging": {"retentionDays": 0}},
     "dify:logging.retentionDays: 0 is not allowed (expected an integer ≥ 1)"),
    ("retention-ten-years-plus", {"logging": {"retentionDays": 3651}},
     "dify:logging.retentionDays: 3651 is not allowed (expected an integer ≤ 3650)"),
    ("retention-with-unit", {"logging": {"retentionDays": "7d"}},
     'dify:logging.retentionDays: "7d" is not allowed (expected an integer)'),
    ("two-nodes", {"logging": {"elasticsearch": {"replicas": 2}}},
     f"dify:logging.elasticsearch.replicas: 2 is not allowed (expected {NODES})"),
    ("ten-nodes", {"logging": {"elasticsearch": {"replicas": 10}}},
     f"dify:logging.elasticsearch.replicas: 10 is not allowed (expected {NODES})"),
    ("zero-nodes", {"logging": {"elasticsearch": {"replicas": 0}}},
     f"dify:logging.elasticsearch.replicas: 0 is not allowed (expected {NODES})"),
    ("nodes-bool", {"logging": {"elasticsearch": {"replicas": True}}},
     "dify:logging.elasticsearch.replicas: true is not allowed (expected an integer)"),
    ("storage-decimal-units", {"logging": {"elasticsearch": {"storageSize": "10GB"}}},
     f'dify:logging.elasticsearch.storageSize: "10GB" is not allowed (expected {MEMORY})'),
    ("queue-decimal-units", {"logging": {"logstash": {"queueSize": "2GB"}}},
     f'dify:logging.logstash.queueSize: "2GB" is not allowed (expected {MEMORY})'),
    ("debug-word", {"logging": {"logstash": {"debug": "on"}}},
     'dify:logging.logstash.debug: "on" is not allowed (expected true or false)'),
    ("external-plain-http", {"logging": {"elasticsearch": {"external": {"url": "http://logs.example.com:9200"}}}},
     f'dify:logging.elasticsearch.external.url: "http://logs.example.com:9200" is not allowed (expected {URL})'),
    ("external-with-path", {"logging": {"elasticsearch": {"external": {"url": "https://logs.example.com/es"}}}},
     f'dify:logging.elasticsearch.external.url: "https://logs.example.com/es" is not allowed (expected {URL})'),
    ("external-credentials-in-url",
     {"logging": {"elasticsearch": {"external": {"url": "https://elastic:pw@logs.example.com"}}}},
     f'dify:logging.elasticsearch.external.url: "https://elastic:pw@logs.example.com" is not allowed '
     f"(expected {URL})"),
    ("external-without-url", {"logging": {"elasticsearch": {"external": {}}}},
     "dify:logging.elasticsearch.external.url: is missing (expected it to be set)"),
    ("external-bad-user", {"logging": {"elasticsearch": {"external": {**EXTERNAL, "username": "a b"}}}},
     "dify:logging.elasticsearch.external.username: \"a b\" is not allowed "
     "(expected an Elasticsearch user name: letters, digits, '_', '.', '@' and '-')"),
    ("external-with-nodes", {"logging": {"elasticsearch": {"replicas": 3, "external": EXTERNAL}}},
     "dify:logging.elasticsearch.replicas: 3 is not allowed "
     "(expected unset when elasticsearch.external is set (no bundled cluster))"),
    ("external-without-password", {"logging": {"enabled": True, "elasticsearch": {"external": EXTERNAL}}},
     "dify:elasticsearchPassword: is missing (expected a secret when logging.elasticsearch.external is set)"),
    ("kibana-without-ingress", {"logging": {"kibana": {"expose": True}}},
     "dify:logging.kibana.expose: true is not allowed (expected false unless ingress.enabled is true)"),
    ("kibana-open-to-everyone",
     {"host": "dify.example.com", "ingress": {"enabled": True}, "logging": {"kibana": {"expose": True}}},
     "dify:logging.kibana.expose: true is not allowed "
     "(expected false unless edge.consoleAllowList names who may reach it)"),
    ("filebeat-no-namespaces", {"logging": {"filebeat": {"namespaces": []}}},
     "dify:logging.filebeat.namespaces: [] is not allowed (expected at least one namespace, or unset)"),
    ("filebeat-bad-namespace", {"logging": {"filebeat": {"namespaces": ["Dify"]}}},
     f'dify:logging.filebeat.namespaces[0]: "Dify" is not allowed (expected {DNS_LABEL})'),
    ("unknown-elasticsearch-key", {"logging": {"elasticsearch": {"heap": "1g"}}},
     "dify:logging.elasticsearch.heap: unknown key (expected one of: replicas, storageSize, external)"),
    ("unknown-logging-key", {"logging": {"retention": 7}},
     "dify:logging.retention: unknown key "
     "(expected one of: enabled, retentionDays, elasticsearch, kibana, logstash, filebeat)"),
    ("namespace-too-long-for-logging", {"namespace": "a" * 51, "logging": {"enabled": True}},
     f'dify:namespace: "{"a" * 51}" is not allowed '
     "(expected at most 50 characters with logging (it also names <namespace>-logging-host))"),
]
# fmt: on


def _raw(overrides: dict[str, Any]) -> dict[str, str]:
    return {**BASELINE, **{f"dify:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in overrides.items()}}


@pytest.mark.parametrize(("overrides", "expected"), [pytest.param(o, e, id=i) for i, o, e in CASES])
def test_bad_logging_config_reports_exactly_one_problem(overrides: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_raw(overrides), set())
    assert caught.value.problems == [expected]


def test_case_ids_are_unique() -> None:
    assert len({case[0] for case in CASES}) == len(CASES) == 25


def test_defaults_are_the_dev_size_and_off() -> None:
    logging = parse_config(BASELINE, set()).logging
    assert logging.enabled is False
    assert logging.retention_days == 7
    assert (logging.elasticsearch.replicas, logging.elasticsearch.storage_size) == (1, "10Gi")
    assert logging.elasticsearch.external is None
    assert (logging.kibana.expose, logging.logstash.debug, logging.logstash.queue_size) == (False, False, "2Gi")
    assert logging.filebeat.namespaces is None


def test_fifty_character_namespace_fits() -> None:
    config = parse_config(_raw({"namespace": "a" * 50, "logging": {"enabled": True}}), set())
    assert config.logging_host_namespace == "a" * 50 + "-logging-host"


def test_stacks_dev_off_prod_three_nodes_thirty_days() -> None:
    assert parse_config(*_stack("dev")).logging.enabled is False
    prod = parse_config(*_stack("prod")).logging
    assert (prod.enabled, prod.retention_days) == (True, 30)
    assert (prod.elasticsearch.replicas, prod.elasticsearch.storage_size) == (3, "50Gi")


def test_external_cluster_with_its_password_parses() -> None:
    raw = _raw({"logging": {"enabled": True, "elasticsearch": {"external": {"url": "https://logs.example.com:9243/"}}}})
    raw["dify:elasticsearchPassword"] = "ciphertext"
    config = parse_config(raw, {"dify:elasticsearchPassword"})
    assert config.logging.elasticsearch.external is not None
    assert config.logging.elasticsearch.external.url == "https://logs.example.com:9243"
    assert config.logging.elasticsearch.external.username == "elastic"


def test_external_password_in_plain_text_is_refused() -> None:
    raw = {**_raw({}), "dify:elasticsearchPassword": "hunter2"}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, set())
    assert caught.value.problems == [
        "dify:elasticsearchPassword: is stored in plain text "
        "(expected a secret: pulumi config set --secret elasticsearchPassword …)"
    ]


def _stack(stack: str) -> tuple[dict[str, str], set[str]]:
    config, secret_keys = stack_config(stack)
    return config, set(secret_keys)
