"""dify:logging:TransportCertificates: the CA and one certificate per Elasticsearch node for the
transport layer of a multi-node cluster (security on requires TLS between nodes).

pulumi-tls generates the keys (ECDSA P-256) and signs them; the CA's key stays in the Pulumi
state only. The Secret holds ``ca.crt`` and ``<pod>.crt``/``<pod>.key`` per node, which
elasticsearch.yml selects with ``${HOSTNAME}`` (components/logging/settings.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls

from components.kube import object_meta

ALGORITHM = "ECDSA"
CURVE = "P256"
# Ten years: transport certificates are internal, and an expired one splits the cluster; rotate
# by replacing the resources (pulumi up --replace) well before.
VALIDITY_HOURS = 24 * 365 * 10


@dataclass
class TransportCertificatesArgs:
    namespace: pulumi.Input[str]
    namespace_name: str
    labels: Mapping[str, str]
    pods: Sequence[str]
    headless_service: str


class TransportCertificates(pulumi.ComponentResource):
    secret: k8s.core.v1.Secret

    def __init__(self, name: str, args: TransportCertificatesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:logging:TransportCertificates", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm=ALGORITHM, ecdsa_curve=CURVE, opts=child)
        ca = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=ca_key.private_key_pem,
            is_ca_certificate=True,
            validity_period_hours=VALIDITY_HOURS,
            allowed_uses=["cert_signing", "crl_signing"],
            subject=tls.SelfSignedCertSubjectArgs(common_name="dify-logs transport CA", organization="dify"),
            opts=child,
        )
        data: dict[str, pulumi.Input[str]] = {"ca.crt": ca.cert_pem}
        domain = f"{args.headless_service}.{args.namespace_name}.svc"
        for pod in args.pods:
            key = tls.PrivateKey(f"{name}-{pod}-key", algorithm=ALGORITHM, ecdsa_curve=CURVE, opts=child)
            request = tls.CertRequest(
                f"{name}-{pod}-request",
                private_key_pem=key.private_key_pem,
                subject=tls.CertRequestSubjectArgs(common_name=pod, organization="dify"),
                dns_names=[pod, f"{pod}.{args.headless_service}", f"{pod}.{domain}"],
                opts=child,
            )
            cert = tls.LocallySignedCert(
                f"{name}-{pod}",
                cert_request_pem=request.cert_request_pem,
                ca_private_key_pem=ca_key.private_key_pem,
                ca_cert_pem=ca.cert_pem,
                validity_period_hours=VALIDITY_HOURS,
                allowed_uses=["digital_signature", "key_encipherment", "server_auth", "client_auth"],
                opts=child,
            )
            data[f"{pod}.crt"] = cert.cert_pem
            # PKCS#8: the key format every Elasticsearch release reads, whatever the algorithm.
            data[f"{pod}.key"] = key.private_key_pem_pkcs8
        self.secret = k8s.core.v1.Secret(
            f"{name}-secret",
            metadata=object_meta(None, args.namespace, args.labels),
            string_data=data,
            opts=child,
        )
        self.register_outputs({"secret": self.secret.metadata.name})
