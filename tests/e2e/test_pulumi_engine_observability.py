"""The real Pulumi engine on the dev stack with observability on (issue 6, stage 2, continued).

test_pulumi_engine.py runs the dev stack as shipped (monitoring and logging off). Here the same
harness (tests/e2e/engine.py) runs it twice more, each time its own stack in its own namespaces:

- ``monitoring``: bundled monitoring on (Prometheus, Alertmanager, Grafana, the exporters; only
  kubernetes and random resources);
- ``logging``: monitoring and logging on: the Elastic Stack, whose CA and certificates are
  pulumi-tls resources, so the tls provider plugin (tools/pulumi/tls, bridged from the Terraform
  tls provider) takes part too.

Each: ``preview`` and ``up`` under the policy pack (dev enforcement), a second ``preview`` and
``up`` with no changes, ``destroy``. No kubelet runs; the footprint of these components is
irrelevant here. Both stacks are dev, so both create the same cluster-scoped names
(``dify-dev-prometheus``, ``dify-dev-filebeat``): pytest finishes (destroys) one parameter's
stack before it starts the next.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.e2e.cluster import Cluster
from tests.e2e.engine import Engine, deploy, dev_config, missing_on_server, resources, stack_engine
from tests.e2e.kube import Api

pytestmark = pytest.mark.e2e

MONITORING = {"enabled": True, "mode": "bundled"}


@dataclass(frozen=True)
class Variant:
    stack: str
    namespace: str
    overrides: dict[str, Any]
    # Types that only this variant's components create: their presence proves the area ran.
    expected_types: tuple[str, ...]
    # Exactly the pulumi-tls resources the checkpoint holds, by type.
    tls: dict[str, int] = field(default_factory=dict)


VARIANTS = {
    "monitoring": Variant(
        stack="e2e-monitoring",
        namespace="dify-obs-mon",
        overrides={"monitoring": MONITORING},
        expected_types=("dify:monitoring:Prometheus", "dify:monitoring:Grafana"),
    ),
    "logging": Variant(
        stack="e2e-logging",
        namespace="dify-obs-log",
        overrides={"monitoring": MONITORING, "logging": {"enabled": True}},
        expected_types=("dify:monitoring:Prometheus", "dify:logging:Elasticsearch", "dify:logging:Filebeat"),
        # One Elasticsearch node (dev), so no transport certificates: the CA (key, self-signed
        # certificate) and the HTTP certificate (key, request, signed certificate).
        tls={
            "tls:index/privateKey:PrivateKey": 2,
            "tls:index/selfSignedCert:SelfSignedCert": 1,
            "tls:index/certRequest:CertRequest": 1,
            "tls:index/locallySignedCert:LocallySignedCert": 1,
        },
    ),
}
# The bundled Elasticsearch's client Service (its HTTP certificate's subject).
ELASTICSEARCH = "dify-elasticsearch"


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> Variant:
    return VARIANTS[request.param]


@pytest.fixture(scope="module")
def engine(variant: Variant, cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    config = dev_config(cluster, variant.namespace, **variant.overrides)
    with stack_engine(tmp_path_factory.mktemp(f"pulumi-{variant.stack}"), variant.stack, config) as eng:
        yield eng


@pytest.fixture(scope="module")
def deployed(engine: Engine) -> dict[str, Any]:
    return deploy(engine)


def test_up_creates_every_object_on_the_server(variant: Variant, deployed: dict[str, Any], api: Api) -> None:
    types = {r["type"] for r in resources(deployed)}
    missing_types = [t for t in variant.expected_types if t not in types]
    assert not missing_types, sorted(types)
    assert not missing_on_server(deployed, api)


def test_tls_provider_signed_the_elasticsearch_certificates(
    variant: Variant, deployed: dict[str, Any], api: Api
) -> None:
    tls = Counter(r["type"] for r in resources(deployed) if r["type"].startswith("tls:index/"))
    assert dict(tls) == variant.tls
    if not variant.tls:  # monitoring alone creates no pulumi-tls resources
        return
    # What reached the server is a chain the tls provider really built: the HTTP certificate is
    # signed by the CA, names the Service in the logging namespace, and matches its key.
    data = _certificates_secret(deployed, api)
    assert sorted(data) == ["ca.crt", "http.crt", "http.key"]
    ca = x509.load_pem_x509_certificate(data["ca.crt"])
    http = x509.load_pem_x509_certificate(data["http.crt"])
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert http.issuer == ca.subject
    http.verify_directly_issued_by(ca)
    # validity_period_hours 87600 (ten years) passed through the bridge to the Terraform provider.
    assert http.not_valid_after_utc - http.not_valid_before_utc == timedelta(hours=87600)
    logging_ns = f"{variant.namespace}-logging"
    names = http.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert names == [ELASTICSEARCH, f"{ELASTICSEARCH}.{logging_ns}", f"{ELASTICSEARCH}.{logging_ns}.svc", "localhost"]
    key = serialization.load_pem_private_key(data["http.key"], password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert key.public_key() == http.public_key()


def _certificates_secret(checkpoint: dict[str, Any], api: Api) -> dict[str, bytes]:
    """The `certs` Secret (components/logging/certificates.py) as the server stores it."""
    secrets = [
        r["outputs"]["metadata"]
        for r in resources(checkpoint)
        if r["urn"].endswith("-secret")
        and "dify:logging:Certificates$kubernetes:core/v1:Secret::" in r["urn"]
        and "-ca-secret" not in r["urn"]
    ]
    assert len(secrets) == 1, secrets
    ref = {"apiVersion": "v1", "kind": "Secret", "metadata": {k: secrets[0][k] for k in ("name", "namespace")}}
    return {k: base64.b64decode(v) for k, v in api.get(ref)["data"].items()}


def test_second_run_has_no_changes(engine: Engine, deployed: dict[str, Any]) -> None:
    result = engine.run("preview", "--expect-no-changes", "--diff", check=False)
    assert result.returncode == 0, f"a second run wants changes:\n{result.stdout}\n{result.stderr}"
    again = engine.run("up", "--yes", "--skip-preview", "--expect-no-changes", *engine.policy_pack(), check=False)
    assert again.returncode == 0, f"a second up changed something:\n{again.stdout}\n{again.stderr}"


def test_destroy_removes_everything(engine: Engine, deployed: dict[str, Any]) -> None:
    engine.run("destroy", "--yes", "--skip-preview")
    assert [r for r in resources(engine.export()) if not r["type"].startswith("pulumi:")] == []
