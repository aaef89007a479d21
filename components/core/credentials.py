"""dify:core:Credentials: generates every inventory secret and stores them in one K8s Secret.

Creates: one ``random.RandomPassword`` (or ``RandomId``) per inventory entry and one
``core/v1 Secret`` holding them plus the user-supplied secrets. Consumers get ``SecretRef`` s,
never values; values leave this component only as Pulumi secret Outputs (for composite URLs and
the init-password stack output).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.core.inventory import USER_SECRET_KEYS, Credential, enabled
from components.kube import SecretRef, object_meta


@dataclass
class CredentialsArgs:
    namespace: pulumi.Input[str]
    labels: Mapping[str, str]
    agent_v2: bool = True
    user_secrets: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    # Keys a workload in another namespace reads: a secretKeyRef cannot cross namespaces, so they
    # are copied into a Secret there (the same generated values: both sides still match).
    isolated_namespace: pulumi.Input[str] | None = None
    isolated_keys: tuple[str, ...] = ()


def _generate(parent: pulumi.Resource, name: str, credential: Credential) -> pulumi.Output[str]:
    opts = pulumi.ResourceOptions(parent=parent)
    if credential.generator == "id":
        generated_id = random.RandomId(f"{name}-{credential.key}", byte_length=32, opts=opts)
        return pulumi.Output.secret(generated_id.b64_url)
    # Alphanumeric only: values are embedded in redis:// URLs and shell-expanded args, where
    # punctuation would need escaping; length supplies the entropy instead.
    password = random.RandomPassword(
        f"{name}-{credential.key}",
        length=credential.length,
        special=False,
        min_lower=1,
        min_upper=1,
        min_numeric=1,
        opts=opts,
    )
    return password.result


class Credentials(pulumi.ComponentResource):
    secret: k8s.core.v1.Secret
    values: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: CredentialsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:core:Credentials", name, None, opts)
        self.values = {c.key: _generate(self, name, c) for c in enabled(args.agent_v2)}
        for config_key, value in args.user_secrets.items():
            # Only Dify's own; monitoring's and logging's user secrets go to their namespaces.
            if config_key in USER_SECRET_KEYS:
                self.values[USER_SECRET_KEYS[config_key]] = pulumi.Output.secret(value)
        self.secret = k8s.core.v1.Secret(
            f"{name}-secret",
            metadata=object_meta(None, args.namespace, args.labels),
            type="Opaque",
            string_data=self.values,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.isolated: dict[str, SecretRef] = {}
        if args.isolated_namespace is not None and args.isolated_keys:
            isolated = k8s.core.v1.Secret(
                f"{name}-isolated-secret",
                metadata=object_meta(None, args.isolated_namespace, args.labels),
                type="Opaque",
                string_data={key: self.values[key] for key in args.isolated_keys},
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.isolated = {key: SecretRef(isolated.metadata.name, key) for key in args.isolated_keys}
        self.register_outputs({"secret_name": self.secret.metadata.name})

    def ref(self, key: str) -> SecretRef:
        if key not in self.values:
            raise KeyError(f"credential {key!r} is not in the inventory for this stack")
        return SecretRef(self.secret.metadata.name, key)

    def has(self, key: str) -> bool:
        return key in self.values
