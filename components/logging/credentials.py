"""dify:logging:Credentials: one generated password (or key set) per purpose, each in its own
Secret in the logging namespace, so every consumer mounts exactly the credential it uses.

- ``elastic``: the bundled cluster's superuser (Elasticsearch reads ELASTIC_PASSWORD_FILE at its
  first start; the bootstrap Job uses it); with an external cluster, the user's
  ``elasticsearchPassword`` copied here instead (and ``elasticsearchCaCert`` as ``external-ca``).
- ``kibana-system``: Kibana's login, set by the bootstrap Job (Kibana 8 refuses ``elastic``).
- ``writer``: Logstash's user, which may only create documents in dify-logs-*.
- ``reader``: Grafana's read-only user for the Elasticsearch data source.
- ``kibana-keys``: the three encryption keys Kibana needs to survive restarts (saved objects,
  reporting, session cookies); without them every restart invalidates sessions and alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.kube import object_meta
from components.logging.context import LoggingContext

core = k8s.core.v1
KIBANA_KEYS = ("security", "saved-objects", "reporting")


@dataclass
class CredentialsArgs:
    ctx: LoggingContext
    labels: Mapping[str, str]
    # The user's secrets for an external cluster (components/config/loader.py USER_SECRETS).
    user_secrets: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)


class Credentials(pulumi.ComponentResource):
    secrets: dict[str, core.Secret]
    values: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: CredentialsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:logging:Credentials", name, None, opts)
        ctx = args.ctx
        self._ctx, self._labels, self._prefix = ctx, args.labels, name
        self.secrets, self.values = {}, {}
        if ctx.external:
            self._secret("elastic", {"password": args.user_secrets["elasticsearchPassword"]})
            if "elasticsearchCaCert" in args.user_secrets:
                # Its own Secret: Logstash mounts the CA and must not be handed the admin password.
                self._secret("external-ca", {"ca.crt": args.user_secrets["elasticsearchCaCert"]})
        else:
            self._password("elastic")
            self._password("kibana-system")
            self._secret("kibana-keys", {key: self._generate(f"kibana-{key}-key", 48) for key in KIBANA_KEYS})
        self._password("writer")
        self._password("reader")
        self.register_outputs({"secrets": {purpose: s.metadata.name for purpose, s in self.secrets.items()}})

    def _generate(self, purpose: str, length: int = 32) -> pulumi.Output[str]:
        # Alphanumeric: the bootstrap script puts passwords into JSON without escaping.
        password = random.RandomPassword(
            f"{self._prefix}-{purpose}", length=length, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        return pulumi.Output.secret(password.result)

    def _password(self, purpose: str) -> None:
        self.values[purpose] = self._generate(purpose)
        self._secret(purpose, {"password": self.values[purpose]})

    def _secret(self, purpose: str, data: Mapping[str, pulumi.Input[str]]) -> None:
        self.secrets[purpose] = core.Secret(
            f"{self._prefix}-{purpose}",
            metadata=object_meta(None, self._ctx.logging, self._labels),
            string_data=dict(data),
            opts=pulumi.ResourceOptions(parent=self),
        )
