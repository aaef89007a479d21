"""The edge, live: the rendered router config run by a real nginx on loopback in front of stub
upstreams. Only 127.0.0.1 is ever dialled; every request loop is bounded and every process and
thread is stopped at the end."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from components.net.nginx_conf import render_nginx_conf
from components.routing import routes
from tests.test_edge import edge
from tests.test_router_conf import NAMESPACE_READY, _unavailable, nginx_in_namespace

# --- live loopback nginx -----------------------------------------------------------------------


@dataclass
class Stub:
    """An upstream that answers 200 with JSON naming itself and echoing the request headers."""

    name: str
    server: ThreadingHTTPServer = field(init=False)
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        name = self.name

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = json.dumps({"upstream": name, "path": self.path, "headers": dict(self.headers)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                # A competing copy: the router must hide it and send exactly its own.
                self.send_header("X-Content-Type-Options", "upstream-value")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Router:
    port: int

    def get(
        self, path: str, *, client: str | None = None, method: str = "GET", body: bytes | None = None
    ) -> tuple[int, http.client.HTTPMessage, dict[str, Any]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        headers = {"Host": "dify.example.com", "Connection": "close"}
        if client:
            headers["X-Forwarded-For"] = client  # honoured: 127.0.0.1 is a trusted proxy below
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        payload = json.loads(raw) if response.getheader("Content-Type") == "application/json" else {}
        return response.status, response.headers, payload

    def statuses(self, path: str, count: int, client: str | None = None) -> list[int]:
        return [self.get(path, client=client)[0] for _ in range(count)]


LIVE_EDGE = {
    # 1r/m: no budget refills during the few seconds the test runs, so counts are exact.
    "rateLimit": {"console": {"rate": "1r/m", "burst": 2}, "publicApi": {"rate": "1r/m", "burst": 4}},
    "consoleAllowList": ["10.9.9.0/24"],
    "trustedProxies": ["127.0.0.1/32"],
    "maxBodySize": "1k",
}


def _live_conf(stubs: dict[str, Stub], port: int) -> str:
    """The rendered config, listening on a loopback port and proxying to the stubs (addresses only)."""
    conf = render_nginx_conf(routes(), public_url="https://dify.example.com", edge=edge(**LIVE_EDGE))
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    for name, stub in stubs.items():
        conf = re.sub(rf"proxy_pass http://{name}:\d+;", f"proxy_pass http://127.0.0.1:{stub.port};", conf)
    assert "proxy_pass http://dify" not in conf and f"listen 127.0.0.1:{port};" in conf
    return conf


def _wait_until_serving(process: subprocess.Popen[bytes], router: Router, errors: Path) -> None:
    for _ in range(100):  # at most ~10 s
        if process.poll() is not None:
            output = errors.read_text()
            if NAMESPACE_READY not in output:
                _unavailable(f"cannot set up a private mount namespace: {output.strip()}")
            pytest.fail(f"nginx exited: {output}")
        try:
            if router.get("/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("nginx did not answer /healthz within 10 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def live_router(tmp_path: Path) -> Iterator[Router]:
    stubs = {name: Stub(name) for name in ("dify-api", "dify-api-websocket", "dify-plugin-daemon", "dify-web")}
    port = _free_port()
    process: subprocess.Popen[bytes] | None = None
    try:
        argv = nginx_in_namespace(_live_conf(stubs, port), tmp_path, directives="daemon off;")
        if argv is None:
            pytest.skip("nginx unavailable")
        errors = tmp_path / "nginx.err"
        with (tmp_path / "nginx.out").open("wb") as log, errors.open("wb") as err:
            # unshare and sh exec into nginx, so this pid is the nginx master.
            process = subprocess.Popen(argv, stdout=log, stderr=err)
        router = Router(port)
        _wait_until_serving(process, router, errors)
        yield router
    finally:
        if process is not None:
            _stop(process)
        for stub in stubs.values():
            stub.stop()
    # Everything is gone: nginx exited, nothing listens on its port, the stub threads have ended.
    assert process is not None and process.returncode is not None
    with socket.socket() as probe, pytest.raises(OSError):
        probe.settimeout(2)
        probe.connect(("127.0.0.1", port))
    assert not any(stub.thread.is_alive() for stub in stubs.values())


def test_live_router_enforces_the_edge(live_router: Router) -> None:
    router = live_router
    # Health checks are never limited.
    assert router.statuses("/healthz", 30) == [200] * 30

    # The console budget: 1 + burst 2, then 429, per client; a fresh client has its own budget.
    assert router.statuses("/console/api/apps", 8, client="10.9.9.10") == [200, 200, 200] + [429] * 5
    assert router.statuses("/api/meta", 2, client="10.9.9.10") == [429, 429]  # /api shares the budget
    assert router.get("/console/api/apps", client="10.9.9.11")[0] == 200
    # ...and the public API is a separate budget: 1 + burst 4.
    assert router.statuses("/v1/chat-messages", 7, client="10.9.9.10") == [200] * 5 + [429] * 2
    # Web pages, Socket.IO and the plugin endpoints' upstreams aside, unlimited paths stay open.
    assert router.statuses("/socket.io/?EIO=4&transport=polling", 25, client="10.9.9.10") == [200] * 25
    assert router.statuses("/apps", 25, client="10.9.9.10") == [200] * 25

    # The allow-list guards /console/api only: 403 outside it, /api still served.
    assert router.get("/console/api/setup", client="192.0.2.7")[0] == 403
    assert router.get("/console/api/setup")[0] == 403  # 127.0.0.1 itself is not allowed
    status, _, payload = router.get("/api/meta", client="192.0.2.7")
    assert (status, payload["upstream"]) == (200, "dify-api")

    # Security headers on success, 403 and 429 alike; the frame policy spares the web-app pages.
    status, headers, _ = router.get("/apps", client="10.9.9.20")
    assert status == 200
    assert headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert headers.get_all("Referrer-Policy") == ["strict-origin-when-cross-origin"]
    assert headers.get_all("Content-Security-Policy") == ["frame-ancestors 'self'"]
    assert headers.get_all("Strict-Transport-Security") == ["max-age=31536000"]
    assert headers.get("X-Frame-Options") is None
    for page in ("/chat/abc", "/chatbot/abc", "/completion/abc", "/workflow/abc", "/webapp-signin"):
        status, headers, _ = router.get(page, client="10.9.9.20")
        assert status == 200 and headers.get("Content-Security-Policy") is None, page
        assert headers.get_all("X-Content-Type-Options") == ["nosniff"]
    for path, client, code in (("/console/api/x", "192.0.2.7", 403), ("/console/api/x", "10.9.9.10", 429)):
        status, headers, _ = router.get(path, client=client)
        assert status == code
        assert headers.get_all("X-Content-Type-Options") == ["nosniff"]
        assert headers.get("Strict-Transport-Security") == "max-age=31536000"

    # Upstreams see the public scheme and port, and the plugin daemon the public hook URL.
    status, _, payload = router.get("/e/abc?x=1", client="10.9.9.30")
    assert (status, payload["upstream"]) == (200, "dify-plugin-daemon")
    assert payload["headers"]["X-Forwarded-Port"] == "443"
    assert payload["headers"]["X-Forwarded-Proto"] == "https"
    assert payload["headers"]["Dify-Hook-Url"] == "https://dify.example.com/e/abc?x=1"

    # /inner/api is not routed: it falls to web's catch-all, never to the api.
    for path in ("/inner/api/plugin/invoke/llm", "/inner/api/", "/inner/api"):
        status, _, payload = router.get(path, client="10.9.9.40")
        assert (status, payload["upstream"]) == (200, "dify-web"), path

    # The upload limit: 413 past maxBodySize (1k here), before the api sees the body.
    assert router.get("/files/upload", client="10.9.9.50", method="POST", body=b"x" * 2048)[0] == 413
    assert router.get("/files/upload", client="10.9.9.51", method="POST", body=b"x" * 512)[0] == 200
