"""Monitoring: Prometheus, Alertmanager, Grafana, the exporters and the OpenTelemetry Collector.

Pure data modules (no Pulumi): ``metrics`` (what each source produces), ``rules`` (alerts),
``scrape`` (prometheus.yml), ``alerting`` (alertmanager.yml), ``dashboards``, ``collector``
(the collector's config). One ComponentResource per remaining module, composed by ``stack``.
"""
