"""``dify:ingress.tls``: who terminates TLS for the Ingress.

- ``secret`` (default): a certificate the user put in ``ingress.tlsSecretName`` (no TLS without one);
- ``cert-manager``: cert-manager's ingress-shim issues it into ``ingress.tlsSecretName`` from
  ``clusterIssuer``;
- ``alb``: the AWS Load Balancer Controller terminates TLS on an ALB with an ACM certificate.

Pure models; ``ingress_tls_problems`` checks what needs more than one key.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from components.config.base import ConfigModel
from components.config.errors import key_path, problem
from components.config.types import StrictStr

if TYPE_CHECKING:
    from components.config.models import StackConfig

_ACM_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:acm:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:certificate/[0-9a-f-]{36}$")
_WAF_ACL_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:wafv2:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]{1,128}/[0-9a-f-]{36}$"
)
_ISSUER = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
ALB_CLASS = "alb"


def _acm_arn(value: str) -> str:
    if not _ACM_ARN.fullmatch(value):
        raise ValueError(
            "expected an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/<uuid>"
        )
    return value


def _waf_acl_arn(value: str) -> str:
    if not _WAF_ACL_ARN.fullmatch(value):
        raise ValueError(
            "expected a regional WAFv2 web ACL ARN such as "
            "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/<name>/<uuid>"
        )
    return value


def _issuer(value: str) -> str:
    if not _ISSUER.fullmatch(value):
        raise ValueError("expected a ClusterIssuer name such as letsencrypt-prod")
    return value


AcmArn = Annotated[StrictStr, AfterValidator(_acm_arn)]
IssuerName = Annotated[StrictStr, AfterValidator(_issuer)]
WafAclArn = Annotated[StrictStr, AfterValidator(_waf_acl_arn)]


class IngressTls(ConfigModel):
    mode: Literal["secret", "cert-manager", "alb"] = Field(
        default="secret",
        description="secret: a certificate already in ingress.tlsSecretName; cert-manager: issued into it "
        "by cert-manager; alb: an AWS ALB terminates TLS with an ACM certificate.",
    )
    cluster_issuer: IssuerName | None = Field(
        default=None, description="cert-manager ClusterIssuer (cert-manager.io/cluster-issuer), with mode cert-manager."
    )
    certificate_arn: AcmArn | None = Field(default=None, description="ACM certificate ARN, with mode alb.")
    waf_acl_arn: WafAclArn | None = Field(
        default=None,
        description="AWS WAF web ACL on the ALB (with mode alb): where rate limits and allow-lists go, "
        "since the router's and ingress-nginx's do not apply.",
    )


WHERE = ["ingress", "tls"]


def ingress_tls_problems(config: StackConfig) -> list[str]:
    ingress = config.ingress
    tls = ingress.tls
    if not ingress.enabled:
        return []
    problems: list[str] = []
    # With tlsSecretName set, the loader already asks for https.
    if tls.mode != "secret" and config.scheme != "https" and ingress.tls_secret_name is None:
        problems.append(problem(["scheme"], config.scheme, f'"https" when ingress.tls.mode is {tls.mode}'))
    if tls.mode != "cert-manager" and tls.cluster_issuer is not None:
        problems.append(problem([*WHERE, "clusterIssuer"], tls.cluster_issuer, "unset unless mode is cert-manager"))
    if tls.mode != "alb" and tls.certificate_arn is not None:
        problems.append(problem([*WHERE, "certificateArn"], tls.certificate_arn, "unset unless mode is alb"))
    if tls.mode != "alb" and tls.waf_acl_arn is not None:
        problems.append(problem([*WHERE, "wafAclArn"], tls.waf_acl_arn, "unset unless mode is alb"))
    if tls.mode == "cert-manager":
        problems += _cert_manager_problems(config)
    if tls.mode == "alb":
        problems += _alb_problems(config)
    return problems


def _cert_manager_problems(config: StackConfig) -> list[str]:
    problems = []
    if config.ingress.tls.cluster_issuer is None:
        problems.append(f"{key_path([*WHERE, 'clusterIssuer'])}: is missing (expected it when mode is cert-manager)")
    if config.ingress.tls_secret_name is None:
        problems.append(
            f"{key_path(['ingress', 'tlsSecretName'])}: is missing "
            "(expected the Secret cert-manager writes the certificate to when ingress.tls.mode is cert-manager)"
        )
    return problems


def _alb_problems(config: StackConfig) -> list[str]:
    ingress = config.ingress
    problems = []
    if not config.aws.enabled:
        # With target-type ip the ALB dials the pods from the VPC: the NetworkPolicies admit the
        # VPC's CIDRs (aws.vpcCidrs) on the backends' ports.
        problems.append(problem([*WHERE, "mode"], "alb", "cert-manager or secret unless aws.enabled is true"))
    if ingress.tls.certificate_arn is None:
        problems.append(f"{key_path([*WHERE, 'certificateArn'])}: is missing (expected it when mode is alb)")
    if ingress.class_name not in (None, ALB_CLASS):
        problems.append(
            problem(["ingress", "className"], ingress.class_name, 'unset or "alb" when ingress.tls.mode is alb')
        )
    if ingress.tls_secret_name is not None:
        problems.append(
            problem(
                ["ingress", "tlsSecretName"],
                ingress.tls_secret_name,
                "unset when ingress.tls.mode is alb (ACM holds the certificate)",
            )
        )
    if config.edge.console_allow_list:
        # An ALB's inbound CIDRs apply to every path, not to /console/api alone.
        problems.append(
            problem(
                ["edge", "consoleAllowList"],
                config.edge.console_allow_list,
                "empty when ingress.tls.mode is alb: an ALB cannot limit one path by source address",
            )
        )
    return problems
