"""Dify 1.16.1 on Kubernetes: validate the stack config, build the platform, export."""

import pulumi

from components.aws.provider import aws_provider
from components.config import load_settings
from components.platform import Platform, PlatformArgs
from components.protection import protection
from components.provider import kubernetes_provider

settings = load_settings()
config = settings.config
providers: list[pulumi.ProviderResource] = [kubernetes_provider(config)]
aws = aws_provider(config)
if aws is not None:
    providers.append(aws)
dify = Platform(
    "dify",
    PlatformArgs(settings),
    pulumi.ResourceOptions.merge(pulumi.ResourceOptions(providers=providers), protection(config.protect)),
)

pulumi.export("url", dify.url)
pulumi.export("namespace", dify.namespace_name)
pulumi.export("port_forward", dify.port_forward_command())
pulumi.export("init_password", dify.init_password)
if dify.data_tier is not None:
    for key, value in dify.data_tier.outputs().items():
        pulumi.export(key, value)
