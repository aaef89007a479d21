"""The explicit AWS provider of the prod stack: the region from config, default tags on every
AWS resource, and none at all when ``dify:aws.enabled`` is false (the dev stack, and the real
engine's e2e tier, run without the aws plugin)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.config.models import StackConfig

PROJECT = "dify"


def default_tags(config: StackConfig) -> dict[str, str]:
    return {
        "project": PROJECT,
        "stack": pulumi.get_stack(),
        "environment": config.environment,
        "managed-by": "pulumi",
    }


def aws_provider(config: StackConfig) -> aws.Provider | None:
    if not config.aws.enabled:
        return None
    return aws.Provider(
        "aws",
        region=config.aws.region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=default_tags(config)),
    )
