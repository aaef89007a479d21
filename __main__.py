"""Dify 1.16.1 on Kubernetes: validate the stack config, build the platform, export."""

import pulumi

from components.config import load_settings
from components.platform import Platform, PlatformArgs
from components.provider import kubernetes_provider

settings = load_settings()
provider = kubernetes_provider(settings.config)
dify = Platform("dify", PlatformArgs(settings), pulumi.ResourceOptions(providers=[provider]))

pulumi.export("url", dify.url)
pulumi.export("namespace", dify.namespace_name)
pulumi.export("port_forward", dify.port_forward_command())
pulumi.export("init_password", dify.init_password)
