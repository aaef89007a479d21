"""Bad-config corpus for dify:autoscaling, dify:ingress.tls and the connection budget: every case
produces exactly one, exactly-worded problem line (the strings are frozen verbatim)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.config import ConfigError, parse_config
from components.config.budget import connection_budget
from synth.harness import stack_config

BASELINE: dict[str, str] = {"dify:environment": "dev", "dify:host": "localhost:8080", "dify:scheme": "http"}
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
WAF = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/dify/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
QUEUE = "a Celery queue the worker consumes (api/docker/entrypoint.sh), e.g. dataset"
FLOOR = "the autoscaler replaces that count and must not lower it"
# A small pool keeps the cases that scale out inside the in-cluster budget (197 connections).
SMALL_POOL = {"dify:app": json.dumps({"sqlalchemyPoolSize": 5})}


def obj(value: Any) -> str:
    return json.dumps(value)


def scaling(**settings: Any) -> dict[str, str]:
    return {"dify:autoscaling": obj(settings), **SMALL_POOL}


def tls(host: str = "dify.example.com", scheme: str = "https", **ingress: Any) -> dict[str, str]:
    return {"dify:host": host, "dify:scheme": scheme, "dify:ingress": obj({"enabled": True, **ingress})}


# fmt: off
CASES: list[tuple[str, dict[str, str], str]] = [
    ("hpa-min-above-max", scaling(api={"enabled": True, "minReplicas": 5, "maxReplicas": 3}),
     "dify:autoscaling.api.minReplicas: 5 is not allowed (expected at most maxReplicas 3)"),
    ("hpa-min-below-replicas",
     {**scaling(web={"enabled": True, "minReplicas": 2}), "dify:replicas": obj({"web": 3})},
     f"dify:autoscaling.web.minReplicas: 2 is not allowed (expected at least replicas.web 3: {FLOOR})"),
    ("hpa-max-zero", scaling(sandbox={"enabled": True, "maxReplicas": 0}),
     "dify:autoscaling.sandbox.maxReplicas: 0 is not allowed (expected an integer ≥ 1)"),
    ("hpa-cpu-too-low", scaling(api={"enabled": True, "cpuUtilization": 5}),
     "dify:autoscaling.api.cpuUtilization: 5 is not allowed (expected an integer ≥ 10)"),
    ("hpa-no-metric", scaling(worker={"enabled": True, "cpuUtilization": None, "memoryUtilization": None}),
     "dify:autoscaling.worker.cpuUtilization: null is not allowed "
     "(expected a target when memoryUtilization is null too)"),
    ("hpa-stabilization-too-long", scaling(api={"enabled": True, "scaleDownStabilizationSeconds": 7200}),
     "dify:autoscaling.api.scaleDownStabilizationSeconds: 7200 is not allowed (expected an integer ≤ 3600)"),
    ("hpa-for-beat", scaling(workerBeat={"enabled": True}),
     "dify:autoscaling.workerBeat: unknown key (expected one of: api, web, worker, sandbox, keda)"),
    ("hpa-enabled-word", scaling(api={"enabled": "yes"}),
     'dify:autoscaling.api.enabled: "yes" is not allowed (expected true or false)'),
    ("keda-and-worker-hpa", scaling(worker={"enabled": True}, keda={"enabled": True}),
     "dify:autoscaling.worker.enabled: true is not allowed "
     "(expected false when autoscaling.keda.enabled is true: KEDA scales the worker on queue depth)"),
    ("keda-operator-namespace", scaling(keda={"operatorNamespace": "KEDA"}),
     'dify:autoscaling.keda.operatorNamespace: "KEDA" is not allowed '
     "(expected a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters)"),
    ("keda-unknown-queue", scaling(keda={"queues": ["dataset", "celery"]}),
     f'dify:autoscaling.keda.queues[1]: "celery" is not allowed (expected {QUEUE})'),
    ("keda-no-queue", scaling(keda={"queues": []}),
     "dify:autoscaling.keda.queues: [] is not allowed (expected at least one Celery queue)"),
    ("keda-queue-twice", scaling(keda={"queues": ["mail", "mail"]}),
     'dify:autoscaling.keda.queues: ["mail", "mail"] is not allowed (expected each queue once)'),
    ("keda-min-above-max", scaling(keda={"enabled": True, "minReplicas": 4, "maxReplicas": 3}),
     "dify:autoscaling.keda.minReplicas: 4 is not allowed (expected at most maxReplicas 3)"),
    ("keda-min-below-replicas",
     {**scaling(keda={"enabled": True, "minReplicas": 1}), "dify:replicas": obj({"worker": 2})},
     f"dify:autoscaling.keda.minReplicas: 1 is not allowed (expected at least replicas.worker 2: {FLOOR})"),
    ("keda-list-length-zero", scaling(keda={"listLength": 0}),
     "dify:autoscaling.keda.listLength: 0 is not allowed (expected an integer ≥ 1)"),
    ("tls-unknown-mode", tls(tls={"mode": "letsencrypt"}),
     'dify:ingress.tls.mode: "letsencrypt" is not allowed (expected "secret", "cert-manager" or "alb")'),
    ("cert-manager-without-issuer", tls(tlsSecretName="dify-tls", tls={"mode": "cert-manager"}),
     "dify:ingress.tls.clusterIssuer: is missing (expected it when mode is cert-manager)"),
    ("cert-manager-without-secret", tls(tls={"mode": "cert-manager", "clusterIssuer": "letsencrypt-prod"}),
     "dify:ingress.tlsSecretName: is missing (expected the Secret cert-manager writes the certificate to "
     "when ingress.tls.mode is cert-manager)"),
    ("cert-manager-over-http",
     tls(scheme="http", tlsSecretName="dify-tls", tls={"mode": "cert-manager", "clusterIssuer": "le"}),
     'dify:scheme: "http" is not allowed (expected "https" when ingress.tlsSecretName is set)'),
    ("issuer-bad-name", tls(tlsSecretName="dify-tls", tls={"mode": "cert-manager", "clusterIssuer": "Lets Encrypt"}),
     'dify:ingress.tls.clusterIssuer: "Lets Encrypt" is not allowed '
     "(expected a ClusterIssuer name such as letsencrypt-prod)"),
    ("issuer-without-cert-manager", tls(tlsSecretName="dify-tls", tls={"clusterIssuer": "letsencrypt-prod"}),
     'dify:ingress.tls.clusterIssuer: "letsencrypt-prod" is not allowed (expected unset unless mode is cert-manager)'),
    ("alb-arn-of-iam", tls(tls={"mode": "alb", "certificateArn": "arn:aws:iam::123456789012:server-certificate/x"}),
     'dify:ingress.tls.certificateArn: "arn:aws:iam::123456789012:server-certificate/x" is not allowed '
     "(expected an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/<uuid>)"),
    ("alb-without-aws", tls(tls={"mode": "alb", "certificateArn": ARN}),
     'dify:ingress.tls.mode: "alb" is not allowed (expected cert-manager or secret unless aws.enabled is true)'),
    ("waf-arn-of-a-global-acl", tls(tlsSecretName="dify-tls", tls={"wafAclArn": WAF.replace("regional", "global")}),
     'dify:ingress.tls.wafAclArn: "' + WAF.replace("regional", "global")[:76] + '... is not allowed (expected a '
     "regional WAFv2 web ACL ARN such as arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/<name>/<uuid>)"),
    ("waf-without-alb", tls(tlsSecretName="dify-tls", tls={"wafAclArn": WAF}),
     f'dify:ingress.tls.wafAclArn: "{WAF[:76]}... is not allowed (expected unset unless mode is alb)'),
    ("arn-without-alb", tls(tlsSecretName="dify-tls", tls={"certificateArn": ARN}),
     f'dify:ingress.tls.certificateArn: "{ARN[:76]}... is not allowed (expected unset unless mode is alb)'),
]
# fmt: on


@pytest.mark.parametrize(("overrides", "expected"), [pytest.param(o, e, id=i) for i, o, e in CASES])
def test_bad_value_gives_exactly_its_line(overrides: dict[str, str], expected: str) -> None:
    raw = {key: value for key, value in {**BASELINE, **overrides}.items() if value is not None}
    with pytest.raises(ConfigError) as raised:
        parse_config(raw, set())
    assert raised.value.problems == [expected]


def _prod(**overrides: Any) -> dict[str, str]:
    raw, _ = stack_config("prod")
    for key, value in overrides.items():
        raw[f"dify:{key}"] = json.dumps(value)
    return raw


# prod's dify:aws, where ALB mode and ElastiCache live (Pulumi.prod.yaml).
@pytest.mark.parametrize(
    ("ingress", "edge", "expected"),
    [
        (
            {"enabled": True, "className": "nginx", "tls": {"mode": "alb", "certificateArn": ARN}},
            {},
            'dify:ingress.className: "nginx" is not allowed (expected unset or "alb" when ingress.tls.mode is alb)',
        ),
        (
            {"enabled": True, "tlsSecretName": "dify-tls", "tls": {"mode": "alb", "certificateArn": ARN}},
            {},
            'dify:ingress.tlsSecretName: "dify-tls" is not allowed '
            "(expected unset when ingress.tls.mode is alb (ACM holds the certificate))",
        ),
        (
            {"enabled": True, "tls": {"mode": "alb"}},
            {},
            "dify:ingress.tls.certificateArn: is missing (expected it when mode is alb)",
        ),
        (
            {"enabled": True, "tls": {"mode": "alb", "certificateArn": ARN}},
            {"scheme": "http"},
            'dify:scheme: "http" is not allowed (expected "https" when ingress.tls.mode is alb)',
        ),
        (
            {"enabled": True, "tls": {"mode": "alb", "certificateArn": ARN}},
            {"consoleAllowList": ["10.0.0.0/8"]},
            'dify:edge.consoleAllowList: ["10.0.0.0/8"] is not allowed '
            "(expected empty when ingress.tls.mode is alb: an ALB cannot limit one path by source address)",
        ),
    ],
)
def test_alb_mode_rules(ingress: dict[str, Any], edge: dict[str, Any], expected: str) -> None:
    # A copy: popping from the parameter itself empties it for the next session in this process
    # (mutmut runs the suite twice in one, stats then clean, and the second saw no scheme).
    edge = dict(edge)
    scheme = edge.pop("scheme", None)
    raw = _prod(ingress=ingress, **({"edge": edge} if edge else {}))
    if scheme:
        raw["dify:scheme"] = scheme
    with pytest.raises(ConfigError) as raised:
        parse_config(raw, set(stack_config("prod")[1]))
    assert raised.value.problems == [expected]


# minReplicas = maxReplicas is a fixed size, not an error ("at most maxReplicas", found by mutmut:
# components.config.scaling.x__bounds__mutmut_1, `>` → `>=`).
@pytest.mark.parametrize(
    ("settings", "service", "pods"),
    [
        ({"api": {"enabled": True, "minReplicas": 3, "maxReplicas": 3}}, "api", 3),
        ({"keda": {"enabled": True, "minReplicas": 2, "maxReplicas": 2}}, "worker", 2),
    ],
    ids=["hpa", "keda"],
)
def test_min_equal_to_max_is_allowed(settings: dict[str, Any], service: str, pods: int) -> None:
    config = parse_config({**BASELINE, **scaling(**settings)}, set())
    assert config.autoscaling.min_pods(service, 1) == pods  # type: ignore[arg-type]
    assert config.autoscaling.max_pods(service, 1) == pods  # type: ignore[arg-type]


def test_worker_beat_has_no_autoscaling_and_stays_one() -> None:
    config = parse_config(BASELINE, set())
    assert "worker_beat" not in type(config.autoscaling).model_fields
    assert config.replicas.worker_beat == 1


# The connection budget: (api pods × gunicorn workers + websocket + worker + beat) × (pool + 10
# overflow) + migration 1 + plugin daemon pods × 30, against max_connections − 3.


def test_dev_defaults_fit_the_in_cluster_postgres() -> None:
    # (1×1 + 1 + 1 + 1) × (30 + 10) + 1 + 1×30 = 191 ≤ 200 − 3
    budget = connection_budget(parse_config(BASELINE, set()))
    assert (budget.total, budget.available) == (191, 197)


def test_prod_fits_its_rds_instance_at_every_maximum() -> None:
    # (10×1 + 2 + 10 + 1) × (20 + 10) + 1 + 2×30 + postgres exporter 2 (prod runs monitoring) = 753;
    # db.m6g.large's estimate 793 − 3
    raw, secrets = stack_config("prod")
    budget = connection_budget(parse_config(raw, set(secrets)))
    assert (budget.total, budget.available) == (753, 790)


def test_budget_rejects_with_the_arithmetic() -> None:
    raw = {**BASELINE, "dify:replicas": obj({"api": 2, "worker": 2})}
    with pytest.raises(ConfigError) as raised:
        parse_config(raw, set())
    assert raised.value.problems == [
        "dify:app.sqlalchemyPoolSize: 30 is not allowed (expected a pool the database can serve at every "
        "autoscaler maximum: (api 2×1 + apiWebsocket 1 + worker 2 + workerBeat 1) × 40 + migration 1 "
        "+ pluginDaemon 1×30 = 271 > 197 (max_connections 200 − 3 reserved))"
    ]


def test_budget_counts_hpa_maxima_gunicorn_workers_and_keda_not_replicas() -> None:
    raw = {
        **BASELINE,
        "dify:app": obj({"sqlalchemyPoolSize": 1, "serverWorkerAmount": 2}),
        "dify:autoscaling": obj(
            {"api": {"enabled": True, "minReplicas": 2, "maxReplicas": 3}, "keda": {"enabled": True, "maxReplicas": 4}}
        ),
    }
    budget = connection_budget(parse_config(raw, set()))
    # (3×2 + 1 + 4 + 1) × (1 + 10) + 1 + 1×30 = 163
    assert (budget.api_pods, budget.gunicorn_workers, budget.worker_pods, budget.total) == (3, 2, 4, 163)


def test_budget_leaves_out_websocket_without_collaboration() -> None:
    raw = {**BASELINE, "dify:features": obj({"collaboration": False})}
    # (1 + 1 + 1) × 40 + 1 + 30 = 151
    assert connection_budget(parse_config(raw, set())).total == 151


def test_budget_reads_the_rds_parameter_group_override() -> None:
    raw = _prod(aws={**json.loads(stack_config("prod")[0]["dify:aws"]), "rds": {"maxConnections": 700}})
    with pytest.raises(ConfigError) as raised:
        parse_config(raw, set(stack_config("prod")[1]))
    assert raised.value.problems == [
        "dify:app.sqlalchemyPoolSize: 20 is not allowed (expected a pool the database can serve at every "
        "autoscaler maximum: (api 10×1 + apiWebsocket 2 + worker 10 + workerBeat 1) × 30 + migration 1 "
        "+ pluginDaemon 2×30 + postgresExporter 2 = 753 > 697 (max_connections 700 − 3 reserved))"
    ]


def test_budget_waits_for_other_problems() -> None:
    # An over-budget config with another mistake reports the mistake alone.
    raw = {**BASELINE, "dify:replicas": obj({"api": 5}), "dify:namespace": "x" * 60}
    with pytest.raises(ConfigError) as raised:
        parse_config(raw, set())
    assert raised.value.problems == [
        'dify:namespace: "' + "x" * 60 + '" is not allowed (expected at most 55 characters (it also names '
        "<namespace>-sandbox))"
    ]


def test_budget_counts_the_postgres_exporter_with_monitoring() -> None:
    raw = {**BASELINE, "dify:monitoring": obj({"enabled": True})}
    # 191 + postgres_exporter's two single-connection handles = 193 ≤ 197
    assert connection_budget(parse_config(raw, set())).total == 193
    with pytest.raises(ConfigError) as raised:
        parse_config({**raw, "dify:replicas": obj({"api": 3})}, set())
    assert raised.value.problems == [
        "dify:app.sqlalchemyPoolSize: 30 is not allowed (expected a pool the database can serve at every "
        "autoscaler maximum: (api 3×1 + apiWebsocket 1 + worker 1 + workerBeat 1) × 40 + migration 1 "
        "+ pluginDaemon 1×30 + postgresExporter 2 = 273 > 197 (max_connections 200 − 3 reserved))"
    ]
