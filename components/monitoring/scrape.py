"""prometheus.yml as Python data: one scrape job per source of components/monitoring/metrics.py.

Discovery is Kubernetes pod discovery limited to our namespaces (so the RBAC is a Role per
namespace, not cluster-wide pod access), selecting pods by their component label and container
port name. Every pod job keeps ``namespace``, ``pod``, ``container``, ``service`` (and ``node``)
labels. Jobs whose series describe *other* objects (kube-state-metrics, the collector's Dify
series) honour the exposed labels, so ``namespace``/``pod`` stay those of the object described.
Only fields Prometheus 2.42 (Debian's promtool) and 3.x both accept are used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.catalog import CATALOG, ServiceKey

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
RULES_DIR = "/etc/prometheus/rules"
COMPONENT_LABEL = "__meta_kubernetes_pod_label_app_kubernetes_io_component"


@dataclass(frozen=True)
class Namespaces:
    dify: str
    sandbox: str
    monitoring: str
    host: str


@dataclass(frozen=True)
class Probe:
    """A blackbox HTTP probe: ``name`` becomes the ``probe`` label the alerts use."""

    name: str
    url: str
    module: str = "http_2xx"


def probes(ns: Namespaces) -> list[Probe]:
    """The health endpoints of components/images.py, through each workload's Service."""
    return [
        Probe("api", f"{CATALOG['api'].url(namespace=ns.dify)}/health"),
        Probe("sandbox", f"{CATALOG['sandbox'].url(namespace=ns.sandbox)}/health"),
        Probe("plugin-daemon", f"{CATALOG['plugin-daemon'].url(namespace=ns.dify)}/health/check"),
        # web answers / with a redirect to the sign-in page.
        Probe("web", f"{CATALOG['web'].url(namespace=ns.dify)}/", "http_2xx_3xx"),
    ]


def _pod_job(
    job: str,
    namespace: str,
    key: ServiceKey,
    port: str,
    *,
    path: str = "/metrics",
    honor_labels: bool = False,
    keep: str | None = None,
) -> dict[str, Any]:
    relabel: list[dict[str, Any]] = [
        {"source_labels": [COMPONENT_LABEL], "regex": key, "action": "keep"},
        {"source_labels": ["__meta_kubernetes_pod_container_port_name"], "regex": port, "action": "keep"},
        {"source_labels": ["__meta_kubernetes_pod_phase"], "regex": "Pending|Succeeded|Failed", "action": "drop"},
        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
        {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
        {"target_label": "service", "replacement": CATALOG[key].name},
    ]
    config: dict[str, Any] = {
        "job_name": job,
        "metrics_path": path,
        "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [namespace]}}],
        "relabel_configs": relabel,
    }
    if honor_labels:
        config["honor_labels"] = True
    if keep:
        config["metric_relabel_configs"] = [{"source_labels": ["__name__"], "regex": keep, "action": "keep"}]
    return config


def _kubelet_job(job: str, path: str, keep: str) -> dict[str, Any]:
    """Kubelets on every node (needs nodes list/watch and nodes/metrics get). Their serving
    certificates are often self-signed, hence insecure_skip_verify, as the upstream chart does."""
    return {
        "job_name": job,
        "scheme": "https",
        "metrics_path": path,
        "kubernetes_sd_configs": [{"role": "node"}],
        "tls_config": {"ca_file": f"{SA_DIR}/ca.crt", "insecure_skip_verify": True},
        "authorization": {"credentials_file": f"{SA_DIR}/token"},
        "relabel_configs": [{"source_labels": ["__meta_kubernetes_node_name"], "target_label": "node"}],
        # Only what the rules and dashboards read: cAdvisor alone exposes thousands of series.
        "metric_relabel_configs": [{"source_labels": ["__name__"], "regex": keep, "action": "keep"}],
    }


def _blackbox_job(ns: Namespaces) -> list[dict[str, Any]]:
    exporter = CATALOG["blackbox-exporter"].address(namespace=ns.monitoring)
    jobs = []
    for module in sorted({p.module for p in probes(ns)}):
        jobs.append(
            {
                "job_name": "blackbox" if module == "http_2xx" else f"blackbox-{module}",
                "metrics_path": "/probe",
                "params": {"module": [module]},
                "static_configs": [
                    {"targets": [p.url], "labels": {"probe": p.name}} for p in probes(ns) if p.module == module
                ],
                "relabel_configs": [
                    {"source_labels": ["__address__"], "target_label": "__param_target"},
                    {"source_labels": ["__param_target"], "target_label": "instance"},
                    {"target_label": "__address__", "replacement": exporter},
                ],
            }
        )
    return jobs


def prometheus_config(
    ns: Namespaces, external_labels: Mapping[str, str], interval: str = "30s", *, postgres: bool = True
) -> dict[str, Any]:
    """The whole prometheus.yml; ``postgres`` is False when no in-cluster Postgres is scraped."""
    mon = ns.monitoring
    jobs: list[dict[str, Any]] = [
        {"job_name": "prometheus", "static_configs": [{"targets": ["localhost:9090"]}]},
        _pod_job("alertmanager", mon, "alertmanager", "http"),
        _pod_job("plugin-daemon", ns.dify, "plugin-daemon", "http", path="/metrics/"),
        _pod_job("dify-otel", mon, "otel-collector", "metrics", honor_labels=True),
        _pod_job("kube-state-metrics", mon, "kube-state-metrics", "http", honor_labels=True),
        _pod_job("redis-exporter", mon, "redis-exporter", "metrics"),
        _pod_job("node-exporter", ns.host, "node-exporter", "metrics"),
        *_blackbox_job(ns),
        _kubelet_job(
            "kubernetes-cadvisor",
            "/metrics/cadvisor",
            "container_cpu_usage_seconds_total|container_memory_working_set_bytes",
        ),
        _kubelet_job("kubernetes-kubelet", "/metrics", "kubelet_volume_stats_(used|capacity)_bytes"),
    ]
    if postgres:
        jobs.insert(5, _pod_job("postgres-exporter", mon, "postgres-exporter", "metrics"))
    return {
        "global": {
            "scrape_interval": interval,
            "evaluation_interval": interval,
            "external_labels": dict(external_labels),
        },
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [CATALOG["alertmanager"].address(namespace=mon)]}]}]
        },
        "rule_files": [f"{RULES_DIR}/*.yml"],
        "scrape_configs": jobs,
    }


def discovered_namespaces(ns: Namespaces) -> Sequence[str]:
    """Where pod discovery looks: the namespaces the Roles must cover, no more."""
    return sorted({ns.dify, ns.monitoring, ns.host})
