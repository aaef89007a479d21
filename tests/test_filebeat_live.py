"""The Filebeat config we deploy, run by a real Filebeat.

``filebeat test config`` on ``filebeat_config()`` (it checks the beat and output settings only:
an unknown parser or processor still says "Config OK"); then a live run of the same config (it
exits at once on an unknown parser) over container log files in the CRI format kubelet writes
(``<RFC3339Nano> <stream> <P|F> <line>``) whose lines are what Dify 1.16.1 prints with
LOG_OUTPUT_FORMAT=json
(api/core/logging/structured_formatter.py: ts, severity, service, caller, message, trace_id,
span_id, identity, attributes, stack_trace). Only the output (a file instead of Logstash), the
data path and the scan interval are changed for the run.

The paths are the real ones: kubelet's /var/log/containers/<pod>_<namespace>_<container>-<id>.log
and the logs_path matcher only extracts the container id under that exact prefix
(filebeat/processor/add_kubernetes_metadata/matchers.go), so Filebeat runs in a private mount
namespace with a temp dir bound over /var/log (root; ``unshare`` from util-linux).

Filebeat is built from its Go module (``make logging-tools``); the tests skip without it, and
fail instead under DIFY_REQUIRE_TOOLS=1 (CI). The Kubernetes metadata test also needs the e2e
tier's kube-apiserver + etcd and runs under ``make e2e`` (DIFY_E2E=1).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.logging.filebeat_config import filebeat_config

CACHE = Path(os.environ.get("DIFY_TOOLS_CACHE", Path.home() / ".cache" / "dify-pulumi-tools"))
BUILT = {"filebeat": CACHE / "filebeat-58af1537830b" / "filebeat"}
NAMESPACES = ["dify", "dify-plugins"]
LOGSTASH = ["dify-logstash.dify-logging.svc:5044"]
NODE = "node-a"
CID = "4f6b0c6d1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4"
OTHER_CID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
API_LOG = f"dify-api-7d9f8b6c5-x2x4z_dify_api-{CID}.log"
FOREIGN_LOG = f"coredns-5d78c9869d-abcde_kube-system_coredns-{OTHER_CID}.log"

# Dify 1.16.1's StructuredJSONFormatter output: orjson, compact, keys in this order.
STARTUP = (
    '{"ts":"2026-12-01T10:15:30.120Z","severity":"INFO","service":"langgenius/dify",'
    '"caller":"app_factory.py:62","message":"Dify API started"}'
)
REQUEST = (
    '{"ts":"2026-12-01T10:15:31.457Z","severity":"WARN","service":"langgenius/dify","caller":"completion.py:118",'
    '"message":"model rate limited, retrying","trace_id":"9c1d3a3e0c9b5f2a8e4d7b6a1f0e2c3d",'
    '"span_id":"3f2a1b0c9d8e7f60","identity":{"tenant_id":"6a0e7c1e-2b1f-4c55-9a4e-3f1b2c3d4e5f",'
    '"user_id":"0b7d2f4a-9c3e-4a1b-8d2e-5f6a7b8c9d0e","user_type":"account"},"attributes":{"attempt":2}}'
)
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/app/api/services/app_generate_service.py", line 91, in generate\n'
    "ValueError: quota exceeded\n"
)
ERROR = json.dumps(
    {
        "ts": "2026-12-01T10:15:32.001Z",
        "severity": "ERROR",
        "service": "langgenius/dify",
        "caller": "app_generate_service.py:95",
        "message": "generate failed",
        "trace_id": "9c1d3a3e0c9b5f2a8e4d7b6a1f0e2c3d",
        "stack_trace": TRACEBACK + "x" * 1500,
    },
    separators=(",", ":"),
)
# gunicorn's own lines go to stderr as text.
GUNICORN = "[2026-12-01 10:15:29 +0000] [1] [INFO] Listening at: http://0.0.0.0:5001 (1)"
SPLIT = 700  # containerd splits lines over 16 KiB into P(artial) records; so do we, at a smaller size


def cri_lines() -> str:
    return (
        f"2026-12-01T10:15:29.998877665Z stderr F {GUNICORN}\n"
        f"2026-12-01T10:15:30.123456789Z stdout F {STARTUP}\n"
        f"2026-12-01T10:15:31.458000001Z stdout F {REQUEST}\n"
        f"2026-12-01T10:15:32.002000000Z stdout P {ERROR[:SPLIT]}\n"
        f"2026-12-01T10:15:32.002000500Z stdout F {ERROR[SPLIT:]}\n"
    )


def filebeat() -> str:
    if BUILT["filebeat"].exists():
        return str(BUILT["filebeat"])
    if os.environ.get("DIFY_REQUIRE_TOOLS") == "1":
        pytest.fail("filebeat is required (DIFY_REQUIRE_TOOLS=1) but not installed")
    pytest.skip("filebeat not installed (make logging-tools)")


def isolated() -> None:
    """The live runs bind a temp dir over /var/log in a private mount namespace."""
    if os.geteuid() == 0 and shutil.which("unshare"):
        return
    if os.environ.get("DIFY_REQUIRE_TOOLS") == "1":
        pytest.fail("the live Filebeat run needs root and unshare (DIFY_REQUIRE_TOOLS=1)")
    pytest.skip("the live Filebeat run needs root and unshare")


def write_config(path: Path, config: dict[str, Any]) -> Path:
    # Filebeat's strict.perms refuses a config others can write: 0600 like the image's own.
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path


def run(binary: str, *argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "NODE_NAME": NODE}
    return subprocess.run([binary, *argv], env=env, capture_output=True, text=True, timeout=120, check=False)


def common_flags(tmp: Path) -> list[str]:
    return ["--path.home", str(tmp), "--path.data", str(tmp / "data"), "--path.logs", str(tmp / "logs")]


@pytest.fixture
def rendered() -> dict[str, Any]:
    return filebeat_config(namespaces=NAMESPACES, logstash_hosts=LOGSTASH)


def test_filebeat_accepts_the_rendered_config(rendered: dict[str, Any], tmp_path: Path) -> None:
    binary = filebeat()
    config = write_config(tmp_path / "filebeat.yml", rendered)
    result = run(binary, "test", "config", "-c", str(config), *common_flags(tmp_path), home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "Config OK"


def test_filebeat_rejects_a_broken_config(rendered: dict[str, Any], tmp_path: Path) -> None:
    # Proves `test config` reads what we give it: the same config with a non-boolean loadbalance.
    binary = filebeat()
    broken = {**rendered, "output.logstash": {"hosts": LOGSTASH, "loadbalance": "sometimes"}}
    config = write_config(tmp_path / "filebeat.yml", broken)
    result = run(binary, "test", "config", "-c", str(config), *common_flags(tmp_path), home=tmp_path)
    assert result.returncode == 1
    assert "can not convert 'string' into 'bool' accessing 'output.logstash.loadbalance'" in result.stderr


def live_config(rendered: dict[str, Any], out: Path, kubeconfig: Path | None) -> dict[str, Any]:
    config = json.loads(json.dumps(rendered))
    del config["output.logstash"]
    config["output.file"] = {"path": str(out), "filename": "events"}
    config["http.enabled"] = False
    (stream,) = config["filebeat.inputs"]
    stream["prospector.scanner.check_interval"] = "1s"
    (processor,) = stream["processors"]
    if kubeconfig is not None:
        processor["add_kubernetes_metadata"]["kube_config"] = str(kubeconfig)
    return config


class LiveFilebeat:
    """Filebeat in a private mount namespace where ``root/log`` is /var/log."""

    def __init__(self, tmp: Path, config: dict[str, Any]) -> None:
        self.tmp = tmp
        self.containers = tmp / "root" / "log" / "containers"
        self.containers.mkdir(parents=True)
        self.out = tmp / "out"
        self.stderr = tmp / "filebeat.stderr"
        self.config = write_config(tmp / "filebeat.yml", config)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, binary: str) -> None:
        script = 'mount --bind "$1" /var/log && shift && exec "$@"'
        unshare = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"]
        argv = [*unshare, str(self.tmp / "root" / "log"), binary, "-c", str(self.config), *common_flags(self.tmp)]
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.tmp), "NODE_NAME": NODE}
        with self.stderr.open("wb") as err:
            self.process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err)

    def drop(self, name: str, content: str) -> None:
        # Whole files appear at once (rename), as a rotated kubelet log would: the scanner's
        # fingerprint identity ignores files shorter than its 64 bytes, so never catch one half written.
        staging = self.containers.parent / (name + ".tmp")
        staging.write_text(content)
        staging.rename(self.containers / name)

    def append(self, name: str, content: str) -> None:
        with (self.containers / name).open("a") as log:
            log.write(content)

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")

    def events(self, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for f in sorted(self.out.glob("events*")) for line in f.read_text().splitlines() if line]
            if len(lines) >= count or time.monotonic() > deadline:
                return [json.loads(line) for line in lines]
            assert self.process is not None and self.process.poll() is None, self.log()[-3000:]
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Callable[[dict[str, Any]], LiveFilebeat]]:
    started: list[LiveFilebeat] = []

    def make(config: dict[str, Any]) -> LiveFilebeat:
        started.append(LiveFilebeat(tmp_path, config))
        return started[-1]

    yield make
    for running in started:
        running.stop()


def by_stream_and_time(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: e["@timestamp"])


def assert_dify_events(events: list[dict[str, Any]]) -> None:
    assert len(events) == 4, [e.get("message") for e in events]
    gunicorn, startup, request, error = by_stream_and_time(events)
    path = f"/var/log/containers/{API_LOG}"
    for event in events:
        assert event["log"]["file"]["path"] == path
        assert event["input"]["type"] == "filestream"
    # The container parser: the CRI timestamp (to the millisecond) and stream, the line itself.
    assert (gunicorn["@timestamp"], gunicorn["stream"], gunicorn["message"]) == (
        "2026-12-01T10:15:29.998Z",
        "stderr",
        GUNICORN,
    )
    assert (startup["@timestamp"], startup["stream"]) == ("2026-12-01T10:15:30.123Z", "stdout")
    assert json.loads(startup["message"]) == {
        "ts": "2026-12-01T10:15:30.120Z",
        "severity": "INFO",
        "service": "langgenius/dify",
        "caller": "app_factory.py:62",
        "message": "Dify API started",
    }
    decoded = json.loads(request["message"])
    assert decoded["severity"] == "WARN"
    assert decoded["trace_id"] == "9c1d3a3e0c9b5f2a8e4d7b6a1f0e2c3d"
    assert decoded["span_id"] == "3f2a1b0c9d8e7f60"
    assert decoded["identity"] == {
        "tenant_id": "6a0e7c1e-2b1f-4c55-9a4e-3f1b2c3d4e5f",
        "user_id": "0b7d2f4a-9c3e-4a1b-8d2e-5f6a7b8c9d0e",
        "user_type": "account",
    }
    assert decoded["attributes"] == {"attempt": 2}
    # The P + F records are one event again: the whole JSON line, the traceback intact.
    assert error["@timestamp"] == "2026-12-01T10:15:32.002Z"
    assert error["message"] == ERROR
    failure = json.loads(error["message"])
    assert (failure["severity"], failure["trace_id"]) == ("ERROR", "9c1d3a3e0c9b5f2a8e4d7b6a1f0e2c3d")
    assert failure["stack_trace"].startswith(TRACEBACK)


def test_live_run_decodes_dify_json_lines_of_the_collected_namespaces_only(
    rendered: dict[str, Any], live: Callable[[dict[str, Any]], LiveFilebeat], tmp_path: Path
) -> None:
    binary = filebeat()
    isolated()
    running = live(live_config(rendered, tmp_path / "out", kubeconfig=None))
    running.drop(API_LOG, cri_lines())
    # Other content: identical first 1024 bytes would share a fingerprint and be skipped anyway.
    running.drop(FOREIGN_LOG, cri_lines().replace("2026-12-01T10:15", "2026-12-01T10:16"))
    running.start(binary)
    events = running.events(4)
    # Give a wrongly collected kube-system file time to show up before judging.
    time.sleep(3)
    events = running.events(4, timeout=0)
    assert_dify_events(events)
    # No API server here: the processor finds no cluster and adds nothing.
    assert not any("kubernetes" in event for event in events)


# A migration Job that fails at once: one short line, far under Filebeat's default 1024-byte
# fingerprint (which would never read it), over the 64 bytes filebeat_config() sets.
SHORT_LOG = "dify-migrate-1-16-1-x7k2p_dify_migrate-" + "b" * 64 + ".log"
SHORT_LINE = (
    '2026-12-01T10:20:00.000000001Z stderr F {"ts": "2026-12-01T10:20:00.000Z", "severity": "ERROR", '
    '"service": "dify-api", "message": "upgrade-db failed"}\n'
)


def test_live_run_ships_a_short_log_of_a_pod_that_died_at_once(
    rendered: dict[str, Any], live: Callable[[dict[str, Any]], LiveFilebeat], tmp_path: Path
) -> None:
    assert 64 < len(SHORT_LINE.encode()) < 1024
    binary = filebeat()
    isolated()
    running = live(live_config(rendered, tmp_path / "out", kubeconfig=None))
    running.drop(SHORT_LOG, SHORT_LINE)
    running.start(binary)
    (event,) = running.events(1)
    assert json.loads(event["message"])["message"] == "upgrade-db failed"
    assert event["stream"] == "stderr"


POD = "dify-api-7d9f8b6c5-x2x4z"
# gunicorn's start-up on stderr: more than the 1024 bytes a fingerprint needs before the file is read.
WARMUP_LINES = 12
WARMUP = "".join(
    f"2026-12-01T10:14:00.{n:09d}Z stderr F [2026-12-01 10:14:00 +0000] [{n}] [INFO] Booting worker with pid: {n}\n"
    for n in range(1, WARMUP_LINES + 1)
)
LABELS = {"app.kubernetes.io/name": "dify-api", "app.kubernetes.io/component": "api"}


def _seed_pod(kubeconfig: Path) -> None:
    """The Pod kubelet would run, as the API server would show it: bound to NODE, its container
    running with the id in the log file's name. Nothing schedules or runs it here, so the status
    is written directly (the status subresource, like kubelet)."""
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    api.create_namespace({"metadata": {"name": "dify", "labels": {"team": "platform"}}})
    # No controller-manager runs: the ServiceAccount admission needs the account to exist.
    api.create_namespaced_service_account("dify", {"metadata": {"name": "default"}})
    image = "docker.io/langgenius/dify-api:1.16.1"
    spec = {"nodeName": NODE, "containers": [{"name": "api", "image": image}]}
    api.create_namespaced_pod("dify", {"metadata": {"name": POD, "labels": LABELS}, "spec": spec})
    started = "2026-12-01T10:15:00Z"
    status = {
        "phase": "Running",
        "podIP": "10.244.1.17",
        "containerStatuses": [
            {
                "name": "api",
                "image": image,
                "imageID": image,
                "containerID": f"containerd://{CID}",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": started}},
            }
        ],
    }
    api.patch_namespaced_pod_status(POD, "dify", {"status": status})


@pytest.mark.e2e
@pytest.mark.skipif(os.environ.get("DIFY_E2E") != "1", reason="needs kube-apiserver + etcd: DIFY_E2E=1 (make e2e)")
def test_live_run_adds_kubernetes_metadata_from_a_real_api_server(
    rendered: dict[str, Any], live: Callable[[dict[str, Any]], LiveFilebeat], tmp_path: Path
) -> None:
    from tests.e2e.cluster import Cluster

    binary = filebeat()
    isolated()
    with Cluster.start() as cluster:
        _seed_pod(cluster.kubeconfig)
        running = live(live_config(rendered, tmp_path / "out", kubeconfig=cluster.kubeconfig))
        running.drop(API_LOG, WARMUP)
        running.start(binary)
        # Filebeat builds the processor when it opens the file and marks it ready before its pod
        # watcher's first list returns: lines read in between go out without metadata (a real
        # start-up gap of every new file). Append probe lines until one comes back enriched,
        # then the Dify lines.
        deadline = time.monotonic() + 60
        for probe in range(1, 10_000):
            running.append(API_LOG, f"2026-12-01T10:14:{probe % 60:02d}.000000000Z stderr F probe {probe}\n")
            enriched = [e for e in running.events(WARMUP_LINES + probe, timeout=2) if "kubernetes" in e]
            if enriched or time.monotonic() > deadline:
                break
        assert enriched, running.log()[-3000:]
        running.append(API_LOG, cri_lines())
        deadline = time.monotonic() + 60
        while len(dify := [e for e in running.events(0, timeout=0) if e["@timestamp"] >= "2026-12-01T10:15"]) < 4:
            assert time.monotonic() < deadline, running.log()[-3000:]
            time.sleep(0.2)
        events = dify
        running.stop()
    assert_dify_events(events)
    for event in events:
        kube = event["kubernetes"]
        assert kube["pod"]["name"] == POD
        assert kube["namespace"] == "dify"
        # The API server labels every namespace with its name; Filebeat de-dots label keys.
        assert kube["namespace_labels"] == {"team": "platform", "kubernetes_io/metadata_name": "dify"}
        assert kube["node"]["name"] == NODE
        assert kube["container"]["name"] == "api"
        assert kube["labels"] == {"app_kubernetes_io/name": "dify-api", "app_kubernetes_io/component": "api"}
        assert event["container"]["id"] == CID
        assert event["container"]["runtime"] == "containerd"
        assert event["container"]["image"]["name"] == "docker.io/langgenius/dify-api:1.16.1"
