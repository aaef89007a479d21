"""The dify policy pack's policies, importable without starting anything.

``policy/__main__.py`` hands ``POLICIES`` to ``PolicyPack`` (which starts a gRPC server and never
returns); tests and ``synth/policy.py`` import this package instead.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from . import aws, aws_stack, dify_contract, k8s_objects, k8s_stack, k8s_workload
from ._base import DEFAULTS

PACK_NAME = "dify"
DESCRIPTION = "Guards Dify stacks: hardened workloads, network isolation, the credential contract and AWS data stores."

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    *k8s_workload.POLICIES,
    *k8s_objects.POLICIES,
    *k8s_stack.POLICIES,
    *dify_contract.POLICIES,
    *aws.POLICIES,
    *aws_stack.POLICIES,
]

BY_NAME = {p.name: p for p in POLICIES}

__all__ = ["BY_NAME", "DEFAULTS", "DESCRIPTION", "PACK_NAME", "POLICIES"]
