"""Constrained scalar types for the stack config.

Every validator raises ``ValueError("expected …")``: the error formatter turns that text into the
"(expected …)" part of the one-line message, so the wording here is what a user reads.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DOMAIN_SUFFIX = re.compile(r"^\.?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_CPU = re.compile(r"^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$")
_MEMORY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_REGISTRY = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9._-]+)*$")
_K8S_VERSION = re.compile(r"^1\.(2[5-9]|3[0-7])$")

_MEMORY_FACTORS = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def _strict_str(value: object) -> object:
    # Pulumi hands top-level values over as strings, but a JSON number where a name belongs
    # (e.g. namespace: 5) is a mistake worth reporting, not coercing.
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _strict_int(value: object) -> object:
    # JSON true would otherwise become 1 replica without a word.
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    return value


def _strict_bool(value: object) -> object:
    # Pulumi passes top-level booleans as "true"/"false"; anything looser ("yes", 1) is a typo.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise ValueError("expected true or false")


def _cpu_input(value: object) -> object:
    # `pulumi config set --path …cpu 2` stores a number, and Kubernetes accepts cpu: 2 too.
    if isinstance(value, bool):
        raise ValueError("expected a Kubernetes CPU quantity such as 250m or 1.5")
    if isinstance(value, int | float):
        return f"{value:g}"
    return value


def _version_input(value: object) -> object:
    # Unquoted YAML 1.33 arrives as a float (and 1.40 as 1.4): ask for quotes.
    if not isinstance(value, str):
        raise ValueError('expected a quoted minor version such as "1.33"')
    return value


_DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _dns_subdomain(value: str) -> str:
    if not _DNS_SUBDOMAIN.fullmatch(value):
        raise ValueError("expected a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'")
    return value


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.fullmatch(value):
        raise ValueError("expected a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters")
    return value


def _environment(value: str) -> str:
    if len(value) > 20 or not _DNS_LABEL.fullmatch(value):
        raise ValueError("expected a short lower-case name such as dev, staging or prod, at most 20 characters")
    return value


def _host(value: str) -> str:
    name, colon, port = value.partition(":")
    if not _HOSTNAME.fullmatch(name):
        raise ValueError("expected a lower-case DNS host name, optionally with :port")
    if colon and (not port.isdigit() or not 1 <= int(port) <= 65535):
        raise ValueError("expected a lower-case DNS host name, optionally with :port")
    return value


def _cpu(value: str) -> str:
    if not _CPU.fullmatch(value) or cpu_millis(value) == 0:
        raise ValueError("expected a Kubernetes CPU quantity such as 250m or 1.5")
    return value


def _memory(value: str) -> str:
    if not _MEMORY.fullmatch(value) or memory_bytes(value) == 0:
        raise ValueError("expected a Kubernetes memory quantity such as 512Mi or 2Gi")
    return value


def _image_tag(value: str) -> str:
    if value == "latest" or not _IMAGE_TAG.fullmatch(value):
        raise ValueError("expected a pinned image tag such as 1.16.1, never latest")
    return value


def _registry(value: str) -> str:
    if not _REGISTRY.fullmatch(value):
        raise ValueError("expected a registry host with optional path, e.g. registry.example.com/mirror")
    return value


def _k8s_version(value: str) -> str:
    if not _K8S_VERSION.fullmatch(value):
        raise ValueError("expected a Kubernetes minor version from 1.25 to 1.37, e.g. 1.33")
    return value


def _cidr(value: str) -> str:
    # ipaddress accepts IPv6 scope ids ("fe80::%eth0"), which may carry any text into squid.conf.
    if "%" in value or any(c.isspace() for c in value):
        raise ValueError("expected a CIDR block such as 10.0.0.0/8 or 192.168.1.10/32")
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        raise ValueError("expected a CIDR block such as 10.0.0.0/8 or 192.168.1.10/32") from None


def _domain_suffix(value: str) -> str:
    if not _DOMAIN_SUFFIX.fullmatch(value):
        raise ValueError("expected a domain or suffix such as .svc.cluster.local or models.internal")
    return value


def _email(value: str) -> str:
    local, at, domain = value.rpartition("<")[2].rstrip(">").partition("@")
    if not at or not local or not _HOSTNAME.fullmatch(domain.lower()):
        raise ValueError("expected an e-mail address such as Dify <no-reply@example.com>")
    return value


def _singleton(value: int) -> int:
    if value != 1:
        raise ValueError("expected exactly 1: celery beat is a singleton; two would enqueue every periodic task twice")
    return value


def cpu_millis(quantity: str) -> int:
    if quantity.endswith("m"):
        return int(quantity[:-1])
    return round(float(quantity) * 1000)


def memory_bytes(quantity: str) -> int:
    match = re.fullmatch(r"^([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)$", quantity)
    if not match:
        raise ValueError(quantity)
    return int(float(match.group(1)) * _MEMORY_FACTORS[match.group(2)])


Singleton = Annotated[int, BeforeValidator(_strict_int), AfterValidator(_singleton)]
Count = Annotated[int, BeforeValidator(_strict_int)]
Flag = Annotated[bool, BeforeValidator(_strict_bool)]
DnsSubdomain = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_dns_subdomain)]
StrictStr = Annotated[str, BeforeValidator(_strict_str)]
DnsLabel = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_dns_label)]
EnvironmentName = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_environment)]
Host = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_host)]
CpuQuantity = Annotated[str, BeforeValidator(_strict_str), BeforeValidator(_cpu_input), AfterValidator(_cpu)]
MemoryQuantity = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_memory)]
ImageTag = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_image_tag)]
Registry = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_registry)]
KubernetesVersion = Annotated[str, BeforeValidator(_version_input), AfterValidator(_k8s_version)]
Cidr = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_cidr)]
DomainSuffix = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_domain_suffix)]
EmailAddress = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_email)]

# Edge (router and Ingress) settings.
_REQUEST_RATE = re.compile(r"^[1-9][0-9]{0,5}r/[sm]$")
_BODY_SIZE = re.compile(r"^[1-9][0-9]{0,5}[kKmMgG]?$")
# CSP host-source / scheme-source / keyword: nothing that could end the header or the nginx string.
_FRAME_SOURCE = re.compile(
    r"^('self'|'none'|\*|[a-z][a-z0-9+.-]*:|([a-z][a-z0-9+.-]*://)?(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:([0-9]{1,5}|\*))?)$"
)


def _request_rate(value: str) -> str:
    if not _REQUEST_RATE.fullmatch(value):
        raise ValueError("expected a request rate above zero such as 20r/s or 600r/m")
    return value


def _body_size(value: str) -> str:
    if not _BODY_SIZE.fullmatch(value):
        raise ValueError("expected an nginx size above zero such as 100M, 512k or 1g")
    return value


def _frame_source(value: str) -> str:
    if not _FRAME_SOURCE.fullmatch(value):
        raise ValueError("expected a CSP frame-ancestors source such as 'self' or https://intranet.example.com")
    return value


RequestRate = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_request_rate)]
BodySize = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_body_size)]
FrameSource = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_frame_source)]


# Monitoring settings.
_PROM_DURATION = re.compile(r"^[1-9][0-9]{0,4}[hdwy]$")
# Prometheus's --storage.tsdb.retention.size units (B, KB, MB, GB, TB, PB, EB).
_PROM_SIZE = re.compile(r"^[1-9][0-9]{0,5}(KB|MB|GB|TB)$")


_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


def _label_key(value: str) -> str:
    if not _LABEL_KEY.fullmatch(value):
        raise ValueError("expected a Kubernetes label key such as grafana_dashboard")
    return value


def _prom_duration(value: str) -> str:
    if not _PROM_DURATION.fullmatch(value):
        raise ValueError("expected a Prometheus retention such as 15d, 12h or 2w")
    return value


def _prom_size(value: str) -> str:
    if not _PROM_SIZE.fullmatch(value):
        raise ValueError("expected a Prometheus size such as 8GB or 500MB")
    return value


PromDuration = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_prom_duration)]
PromSize = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_prom_size)]
LabelKey = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_label_key)]
