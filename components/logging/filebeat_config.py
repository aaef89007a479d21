"""filebeat.yml for the DaemonSet: Dify's container logs, shipped to Logstash.

A stable interface: tools/logging and tests/test_filebeat_live.py run the real Filebeat on the
dict this returns (``filebeat test config`` and a live run over sample log lines), and the
DaemonSet's ConfigMap dumps the same dict with PyYAML.

- ``filestream`` with the ``container`` parser: the ``container`` input is deprecated since 7.16
  (and off by default in 9.0), the filestream parser decodes the CRI and docker JSON formats.
- Only the listed namespaces' files are read at all: kubelet names each file in
  /var/log/containers ``<pod>_<namespace>_<container>-<id>.log``, so the glob does the selection
  and Filebeat never opens (nor ships) another tenant's logs.
- /var/log/containers holds symlinks into /var/log/pods, so the scanner follows symlinks and
  identifies files by fingerprint (inode numbers change across the symlink).
- ``add_kubernetes_metadata`` matches on the log path, so pod, namespace, container and labels
  come from the API (the minimal RBAC of components/logging/filebeat.py) for every event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CONTAINER_LOGS = "/var/log/containers"
# The DaemonSet mounts the node's Filebeat registry here (hostPath), so a restarted pod resumes
# where it stopped instead of re-shipping every file.
DATA_PATH = "/usr/share/filebeat/data"
INPUT_ID = "dify-container-logs"
# Filebeat's own HTTP endpoint (GET / answers with the beat's info): the kubelet's probes dial the
# pod IP, so it binds every interface; the namespace's default-deny NetworkPolicy keeps peers out.
HTTP_PORT = 5066


def container_log_paths(namespaces: Sequence[str]) -> list[str]:
    return [f"{CONTAINER_LOGS}/*_{namespace}_*.log" for namespace in namespaces]


def filebeat_config(*, namespaces: Sequence[str], logstash_hosts: Sequence[str]) -> dict[str, Any]:
    """The content of filebeat.yml. ``namespaces``: whose container logs are collected;
    ``logstash_hosts``: ``host:port`` of Logstash's beats input."""
    if not namespaces:
        raise ValueError("filebeat needs at least one namespace to collect")
    if not logstash_hosts:
        raise ValueError("filebeat needs at least one Logstash host")
    return {
        "filebeat.inputs": [
            {
                "type": "filestream",
                "id": INPUT_ID,
                "paths": container_log_paths(namespaces),
                "parsers": [{"container": {"stream": "all", "format": "auto"}}],
                "prospector.scanner.symlinks": True,
                "prospector.scanner.fingerprint.enabled": True,
                # The fingerprint is the file's first bytes, and a file shorter than it is never
                # read: at the default 1024 a container that logs one short error line and dies
                # (a failed migration) would ship nothing. 64 bytes (the minimum) still hold the
                # first CRI line's nanosecond timestamp and stream, unique per file.
                "prospector.scanner.fingerprint.length": 64,
                "file_identity.fingerprint": None,
                "processors": [
                    {
                        "add_kubernetes_metadata": {
                            "host": "${NODE_NAME}",
                            "matchers": [{"logs_path": {"logs_path": f"{CONTAINER_LOGS}/"}}],
                            # Pod, namespace and node metadata only (the defaults since 8.10.4,
                            # stated so the RBAC of components/logging/filebeat.py is exactly
                            # pods, namespaces and nodes): no ReplicaSet or Job lookups.
                            "add_resource_metadata": {"deployment": False, "cronjob": False},
                        }
                    }
                ],
            }
        ],
        "path.data": DATA_PATH,
        "output.logstash": {"hosts": list(logstash_hosts)},
        "http.enabled": True,
        "http.host": "0.0.0.0",
        "http.port": HTTP_PORT,
        # Filebeat's own log goes to stderr (the container log), never to files in the image.
        "logging.to_stderr": True,
        "logging.to_files": False,
        "logging.level": "info",
    }
