"""The offline runner feeds the pack what the engine would, and the pack is well-formed.

Never imports policy/__main__.py: constructing PolicyPack starts a gRPC server that never returns.
"""

from __future__ import annotations

import inspect
import json
import re
import time
from pathlib import Path

import pulumi_aws
import pytest
from pulumi.runtime import rpc
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from components.core.inventory import INVENTORY
from policy.dify_policies import BY_NAME, POLICIES, aws
from policy.dify_policies.dify_contract import CREDENTIAL_PAIRS
from synth import policy
from synth.mocks import Recording
from tests.policy_fixtures import baseline, first, mutate, recording

CONFIG = Path(__file__).resolve().parent.parent / "policy" / "config"


def test_at_least_30_policies_each_with_name_description_severity_and_remediation() -> None:
    assert len(POLICIES) >= 30
    assert len(BY_NAME) == len(POLICIES)
    for p in POLICIES:
        assert isinstance(p, ResourceValidationPolicy | StackValidationPolicy)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", p.name), p.name
        assert p.description.endswith(".") and p.severity is not None and p.remediation_steps


def test_config_files_name_only_real_policies_and_valid_levels() -> None:
    for path in CONFIG.glob("*.json"):
        given = policy.parse_config_file(path)
        assert set(given) - {"all"} <= set(BY_NAME), path.name
        for level, _ in given.values():
            assert level in (None, "advisory", "mandatory")


def test_dev_downgrades_only_prod_only_policies() -> None:
    dev = policy.parse_config_file(CONFIG / "dev.json")
    advisory = {name for name, (level, _) in dev.items() if level == "advisory"}
    assert advisory == {
        "k8s-deployment-min-replicas", "k8s-stack-pdb", "k8s-hpa-min-replicas", "k8s-ingress-tls", "aws-rds-multi-az",
        "aws-rds-backup-retention", "aws-rds-deletion-protection", "aws-elasticache-failover", "aws-s3-versioning",
    }  # fmt: skip
    assert dev["all"][0] == policy.parse_config_file(CONFIG / "prod.json")["all"][0] == "mandatory"


def test_schema_defaults_are_applied_and_validated_like_the_cli(tmp_path: Path) -> None:
    # A lowered threshold applies; a wrong type is rejected as ReconcilePolicyPackConfig would.
    lowered = tmp_path / "c.json"
    lowered.write_text(json.dumps({"aws-rds-backup-retention": {"minDays": 2}}))
    change = mutate("db", lambda p: p.update(backupRetentionPeriod=3))
    assert not policy.run(recording(change), "prod", lowered).violations
    assert {v.policy for v in policy.run(recording(change), "prod").violations} == {"aws-rds-backup-retention"}
    lowered.write_text(json.dumps({"aws-rds-backup-retention": {"minDays": "seven"}}))
    with pytest.raises(ValueError, match="aws-rds-backup-retention"):
        policy.run(recording(baseline()), "prod", lowered)
    lowered.write_text(json.dumps({"all": "advisory", "aws-rds-encrypted": "disabled"}))
    change = mutate("db", lambda p: p.update(storageEncrypted=False, multiAz=False))
    assert {(v.policy, v.level) for v in policy.run(recording(change), "prod", lowered).violations} == {
        ("aws-rds-multi-az", "advisory")
    }


def test_policies_see_floats_unwrapped_secrets_and_unknowns() -> None:
    # Numbers arrive as floats; a secret-wrapped literal is still a literal; an unknown value makes
    # the policy report that it cannot run during preview (advisory), as the analyzer does.
    seen: list[object] = []
    original = BY_NAME["k8s-hpa-min-replicas"]._ResourceValidationPolicy__validate  # type: ignore[attr-defined]
    BY_NAME["k8s-hpa-min-replicas"]._ResourceValidationPolicy__validate = lambda a, r: (  # type: ignore[attr-defined]
        seen.append(a.props["spec"]["minReplicas"]) if a.resource_type.endswith("HorizontalPodAutoscaler") else None,
        original(a, r),
    )
    try:
        policy.run(recording(baseline()), "prod")
    finally:
        BY_NAME["k8s-hpa-min-replicas"]._ResourceValidationPolicy__validate = original  # type: ignore[attr-defined]
    assert seen == [2.0] and isinstance(seen[0], float)

    secret = mutate("web", lambda p: first(p)["env"].append({"name": "API_TOKEN", "value": rpc.wrap_rpc_secret("t")}))
    assert {v.policy for v in policy.run(recording(secret), "prod").violations} == {"k8s-workload-no-literal-secrets"}

    unknown = mutate("db", lambda p: p.update(storageEncrypted=UNKNOWN_STRING_VALUE))
    found = policy.run(recording(unknown), "prod").violations
    assert [(v.policy, v.level) for v in found] == [("aws-rds-encrypted", "advisory")]
    assert "can't run policy 'aws-rds-encrypted'" in found[0].message and "during preview" in found[0].message


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_fast_path_reports_what_the_servicer_itself_reports(stack: str, request: pytest.FixtureRequest) -> None:
    recorded: Recording = request.getfixturevalue(stack)
    config = policy.config_for(stack)
    assert policy.run(recorded, stack, config).violations == policy.run(recorded, stack, config, exact=True).violations


def test_cli_format_names_policy_resource_and_level() -> None:
    report = policy.run(recording(mutate("web", lambda p: p["spec"].update(replicas=1))), "prod")
    assert report.format().splitlines()[:4] == [
        "Policies:",
        "    ❌ dify@v0.1.0 (local: policy)",
        "        - [mandatory] [severity: medium]  k8s-deployment-min-replicas  (kubernetes:apps/v1:Deployment: web)",
        "          Every Deployment runs at least minReplicas pods, except named singletons.",
    ]


def test_prod_pack_run_is_fast(prod: Recording) -> None:
    policy.run(prod, "prod", policy.config_for("prod"))  # imports
    started = time.perf_counter()
    policy.run(prod, "prod", policy.config_for("prod"))
    # Target 0.5 s (measured ~0.35 s); the bound leaves room for a loaded CI machine.
    assert time.perf_counter() - started < 1.5


def test_credential_table_equals_the_inventory() -> None:
    assert {c.key: c.consumers for c in INVENTORY} == CREDENTIAL_PAIRS


def test_taggable_aws_types_take_tags_in_the_sdk() -> None:
    for token in aws.TAGGABLE:
        module, cls = token.split(":")[1].split("/")[0], token.rsplit(":", 1)[-1]
        resource = getattr(getattr(pulumi_aws, module), cls)
        assert f'"{token}"' in inspect.getsource(resource), token
        assert "tags" in inspect.signature(resource._internal_init).parameters, token
