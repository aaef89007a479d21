"""dify:logging:Certificates: the bundled Elasticsearch's CA, its HTTP certificate and, with
several nodes, one transport certificate per node.

pulumi-tls generates the keys (ECDSA P-256) and signs them; the CA's key stays in the Pulumi
state only. Two Secrets: ``certs`` for Elasticsearch (``ca.crt``, ``http.crt``/``http.key``, and
``<pod>.crt``/``<pod>.key`` per node, which elasticsearch.yml selects with ``${HOSTNAME}``:
components/logging/settings.py), and ``ca`` with the CA alone for the clients (Kibana, Logstash,
the bootstrap Job), which must trust it and nothing more.
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
# Ten years: internal certificates, and an expired one takes the cluster down; rotate by replacing
# the resources (pulumi up --replace) well before.
VALIDITY_HOURS = 24 * 365 * 10


@dataclass
class CertificatesArgs:
    namespace: pulumi.Input[str]
    namespace_name: str
    labels: Mapping[str, str]
    # The client Service's name (the HTTP certificate's subject) and the nodes' pod names.
    service: str
    headless_service: str
    pods: Sequence[str]
    transport: bool


class Certificates(pulumi.ComponentResource):
    secret: k8s.core.v1.Secret
    ca_secret: k8s.core.v1.Secret
    ca_pem: pulumi.Output[str]

    def __init__(self, name: str, args: CertificatesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:logging:Certificates", name, None, opts)
        self._child = pulumi.ResourceOptions(parent=self)
        self._prefix = name
        self._ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm=ALGORITHM, ecdsa_curve=CURVE, opts=self._child)
        ca = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=self._ca_key.private_key_pem,
            is_ca_certificate=True,
            validity_period_hours=VALIDITY_HOURS,
            allowed_uses=["cert_signing", "crl_signing"],
            subject=tls.SelfSignedCertSubjectArgs(common_name="dify-logs CA", organization="dify"),
            opts=self._child,
        )
        self._ca = ca
        self.ca_pem = ca.cert_pem
        domain = f"{args.namespace_name}.svc"
        # Clients dial the Service by its short or namespaced name; the probes dial localhost.
        http_names = [args.service, f"{args.service}.{args.namespace_name}", f"{args.service}.{domain}", "localhost"]
        data: dict[str, pulumi.Input[str]] = {"ca.crt": ca.cert_pem}
        data["http.crt"], data["http.key"] = self._signed("http", args.service, http_names, ["server_auth"])
        if args.transport:
            for pod in args.pods:
                names = [pod, f"{pod}.{args.headless_service}", f"{pod}.{args.headless_service}.{domain}"]
                data[f"{pod}.crt"], data[f"{pod}.key"] = self._signed(pod, pod, names, ["server_auth", "client_auth"])
        self.secret = k8s.core.v1.Secret(
            f"{name}-secret",
            metadata=object_meta(None, args.namespace, args.labels),
            string_data=data,
            opts=self._child,
        )
        self.ca_secret = k8s.core.v1.Secret(
            f"{name}-ca-secret",
            metadata=object_meta(None, args.namespace, args.labels),
            string_data={"ca.crt": ca.cert_pem},
            opts=self._child,
        )
        self.register_outputs({"secret": self.secret.metadata.name, "ca": self.ca_secret.metadata.name})

    def _signed(
        self, label: str, common_name: str, dns_names: Sequence[str], uses: Sequence[str]
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        key = tls.PrivateKey(f"{self._prefix}-{label}-key", algorithm=ALGORITHM, ecdsa_curve=CURVE, opts=self._child)
        request = tls.CertRequest(
            f"{self._prefix}-{label}-request",
            private_key_pem=key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=common_name, organization="dify"),
            dns_names=list(dns_names),
            opts=self._child,
        )
        cert = tls.LocallySignedCert(
            f"{self._prefix}-{label}",
            cert_request_pem=request.cert_request_pem,
            ca_private_key_pem=self._ca_key.private_key_pem,
            ca_cert_pem=self._ca.cert_pem,
            validity_period_hours=VALIDITY_HOURS,
            allowed_uses=["digital_signature", "key_encipherment", *uses],
            opts=self._child,
        )
        # PKCS#8: the key format every Elasticsearch release reads, whatever the algorithm.
        return cert.cert_pem, key.private_key_pem_pkcs8
