"""Logging: Elasticsearch, the bootstrap Job, Logstash, Kibana and Filebeat (``dify:logging``).

Pure data modules (no Pulumi): ``filebeat_config`` (filebeat.yml), ``settings`` (elasticsearch.yml
and friends), ``bootstrap_script`` (what the bootstrap Job runs). One ComponentResource per
remaining module, composed by ``stack``.
"""
