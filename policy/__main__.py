"""Entry point the Pulumi CLI runs for `--policy-pack policy`: builds the pack, nothing else.

PolicyPack starts a gRPC server and never returns, so nothing may import this module; the
policies live in the importable package dify_policies (tests, synth/policy.py).
"""

from dify_policies import DESCRIPTION, PACK_NAME, POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
    description=DESCRIPTION,
)
