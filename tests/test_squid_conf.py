"""Tests for the rendered squid.conf files: policy shape, input validation, and real squid runs.

The squid-dependent tests skip when squid is absent unless DIFY_REQUIRE_TOOLS=1 (CI), where a
missing tool must fail rather than quietly turn the SSRF policy checks green.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.net.squid_conf import (
    PID_FILE,
    render_agent_proxy_conf,
    render_ssrf_proxy_conf,
    validate_domains,
    validate_networks,
)

# Literals: the squid port of upstream compose and the Service names the agent proxy must allow.
PORT = 3128
API = "dify-api"
AGENT_BACKEND = "dify-agent-backend"
NOBODY = 65534
INJECTION = "http_access allow all"


def main_conf(ips: list[str] | None = None, domains: list[str] | None = None) -> str:
    return render_ssrf_proxy_conf(port=PORT, allow_private_ips=ips or [], allow_private_domains=domains or [])


def agent_conf() -> str:
    return render_agent_proxy_conf(port=PORT, api_host=API, agent_backend_host=AGENT_BACKEND)


def http_access(conf: str) -> list[str]:
    return [line for line in conf.splitlines() if line.startswith("http_access ")]


def acl_values(conf: str, name: str) -> list[str]:
    return [line.split()[3] for line in conf.splitlines() if line.startswith(f"acl {name} ")]


# --- policy shape ---------------------------------------------------------------------------


def test_default_policy_is_upstream_order_without_allow_list() -> None:
    conf = main_conf()
    assert http_access(conf) == [
        "http_access deny !Safe_ports",
        "http_access deny CONNECT !SSL_ports",
        "http_access allow localhost manager",
        "http_access deny manager",
        "http_access deny to_private_networks",
        "http_access allow allowed_domains",
        "http_access allow client_localnet",
        "http_access allow localhost",
        "http_access deny all",
    ]
    assert "dify_allowed_private" not in conf
    assert "acl allowed_domains dstdomain .marketplace.dify.ai" in conf.splitlines()


def test_allow_list_comes_before_the_private_network_deny() -> None:
    conf = main_conf(["10.20.0.0/16", "fd00::/8"], ["models.internal"])
    rules = http_access(conf)
    deny = rules.index("http_access deny to_private_networks")
    assert rules.index("http_access allow client_localnet dify_allowed_private_networks") < deny
    assert rules.index("http_access allow client_localnet dify_allowed_private_domains") < deny
    assert rules.index("http_access deny manager") < deny
    assert acl_values(conf, "dify_allowed_private_networks") == ["10.20.0.0/16", "fd00::/8"]
    assert acl_values(conf, "dify_allowed_private_domains") == ["models.internal"]
    assert "dify_allowed_private_domains" not in main_conf(["10.0.0.0/8"])
    assert "dify_allowed_private_networks" not in main_conf(domains=[".svc.cluster.local"])


@pytest.mark.parametrize(
    "target",
    # RFC 1918, loopback, link-local (169.254.169.254 and fd00:ec2::254 are cloud metadata), CGNAT,
    # "this" network, multicast, unspecified, ULA.
    [
        *("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16"),
        *("169.254.169.254/32", "100.64.0.0/10", "0.0.0.0/8", "224.0.0.0/4"),
        *("::/128", "::1/128", "fc00::/7", "fe80::/10", "fd00:ec2::254/128"),
    ],
)
def test_private_ranges_are_denied(target: str) -> None:
    net = ipaddress.ip_network(target)
    for conf in (main_conf(), agent_conf()):
        denied = [ipaddress.ip_network(v) for v in acl_values(conf, "to_private_networks")]
        assert any(d.version == net.version and net.subnet_of(d) for d in denied)  # type: ignore[arg-type]


def test_agent_conf_opens_only_the_two_upstream_paths() -> None:
    conf = agent_conf()
    lines = conf.splitlines()
    assert f"acl dst_agent_backend dstdomain {AGENT_BACKEND}" in lines
    assert f"acl dst_dify_api dstdomain {API}" in lines
    assert "acl path_agent_stub urlpath_regex -i ^/agent-stub/" in lines
    assert "acl path_files urlpath_regex -i ^/files/" in lines
    assert http_access(conf) == [
        "http_access deny !Safe_ports",
        "http_access deny CONNECT !SSL_ports",
        "http_access allow dst_agent_backend path_agent_stub",
        "http_access allow dst_dify_api path_files",
        "http_access deny to_private_networks",
        "http_access allow all",
    ]
    assert (AGENT_BACKEND, API) == ("dify-agent-backend", "dify-api")


@pytest.mark.parametrize("conf", [main_conf(["10.0.0.0/8"], ["a.internal"]), agent_conf()])
def test_config_is_self_contained_and_non_root(conf: str) -> None:
    lines = conf.splitlines()
    assert not [line for line in lines if line.startswith(("include", "cache_dir", "cache_effective"))]
    assert f"pid_filename {PID_FILE}" in lines
    assert "access_log stdio:/dev/stdout dify_log" in lines
    assert "cache_log stdio:/dev/stderr" in lines
    assert "client_request_buffer_max_size 100 MB" in lines
    assert "\r" not in conf


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    # ipaddress accepts the second as an IPv6 scope id; the last is IPv4-mapped, which squid would
    # read as an IPv4 block (::ffff:0:0/96 as all of IPv4); "10.0.0.1/8" has host bits set.
    [
        *(f"10.0.0.0/8\n{INJECTION}", f"fe80::%x\n{INJECTION}/64", "fe80::%eth0/64", "10.0.0.1/8"),
        *("10.0.0.0/8 ", "not-a-cidr", "", "::ffff:10.0.0.0/104"),
    ],
)
def test_bad_cidr_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="allow_private_ips"):
        main_conf([bad])


@pytest.mark.parametrize(
    "bad",
    [
        *(f"example.com\n{INJECTION}", "example.com ", "exa mple.com", "*.example.com", "example.com."),
        *("-bad.example", "a..b", "", "a" * 64 + ".example", "ex_ample.com"),
    ],
)
def test_bad_domain_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="allow_private_domains"):
        main_conf(domains=[bad])


@pytest.mark.parametrize("kwargs", [{"ips": "10.0.0.0/8"}, {"ips": [10]}, {"domains": "a.internal"}])
def test_non_list_or_non_string_input_is_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        render_ssrf_proxy_conf(
            port=PORT,
            allow_private_ips=kwargs.get("ips", []),  # type: ignore[arg-type]
            allow_private_domains=kwargs.get("domains", []),  # type: ignore[arg-type]
        )


@pytest.mark.parametrize("field", ["api_host", "agent_backend_host"])
@pytest.mark.parametrize("bad", ["agent_backend", f"dify-api\n{INJECTION}", "", "Dify-API", ".dify-api"])
def test_bad_agent_host_is_rejected(field: str, bad: str) -> None:
    hosts = {"api_host": API, "agent_backend_host": AGENT_BACKEND, field: bad}
    with pytest.raises(ValueError, match=field):
        render_agent_proxy_conf(port=PORT, **hosts)


@pytest.mark.parametrize("port", [0, 65536, True, "3128"])
def test_bad_port_is_rejected(port: object) -> None:
    with pytest.raises(ValueError, match="port"):
        render_ssrf_proxy_conf(port=port, allow_private_ips=[], allow_private_domains=[])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="port"):
        render_agent_proxy_conf(port=port, api_host=API, agent_backend_host=AGENT_BACKEND)  # type: ignore[arg-type]


def test_entries_are_normalised_so_squid_accepts_them() -> None:
    # squid aborts on "b.c" followed by ".b.c" and ignores overlapping CIDRs with a warning.
    assert validate_domains(["a.b.c", "b.c", ".B.c", "x.y", "x.y", ".z", ".q.z"]) == [".b.c", "x.y", ".z"]
    assert validate_networks(["10.1.0.0/16", "10.0.0.0/8", "fd00::1", "fd00::/8", "192.168.1.10"]) == [
        "10.0.0.0/8",
        "192.168.1.10/32",
        "fd00::/8",
    ]


# --- real squid -----------------------------------------------------------------------------


def _require(tool: str) -> str:
    path = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path:
        return path
    if os.environ.get("DIFY_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{tool} is required (DIFY_REQUIRE_TOOLS=1) but not installed")
    pytest.skip(f"{tool} not installed")


@pytest.fixture
def squid_cmd() -> list[str]:
    """The squid binary, run as nobody when the tests run as root (as the pod runs as uid 13)."""
    squid = _require("squid")
    if os.geteuid() != 0:
        return [squid]
    return [_require("setpriv"), f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", squid]


@pytest.fixture
def workdir() -> Iterator[Path]:
    # Not tmp_path: its parents are 0700 to root, and squid runs as nobody.
    path = Path(tempfile.mkdtemp(prefix="dify-squid-"))
    path.chmod(0o755)
    if os.geteuid() == 0:
        # squid writes its pid file here, as the pod's squid does in its /tmp emptyDir.
        os.chown(path, NOBODY, NOBODY)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _write(directory: Path, name: str, text: str = "") -> Path:
    path = directory / name
    path.write_text(text)
    path.chmod(0o644)
    if os.geteuid() == 0:
        # squid re-opens /dev/stdout and /dev/stderr, which needs write access to the file itself.
        os.chown(path, NOBODY, NOBODY)
    return path


def _parse(squid_cmd: list[str], workdir: Path, conf: str) -> subprocess.CompletedProcess[str]:
    path = _write(workdir, "squid.conf", conf)
    command = [*squid_cmd, "-k", "parse", "-f", str(path)]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    "conf",
    [
        main_conf(),
        # Inputs that upstream's entrypoint would pass to squid verbatim and squid would reject.
        main_conf(["10.1.0.0/16", "10.0.0.0/8", "fd00::/8", "192.168.1.10"], ["a.internal", ".A.internal"]),
        agent_conf(),
    ],
    ids=["main-default", "main-allow-lists", "agent"],
)
def test_squid_parses_rendered_config(squid_cmd: list[str], workdir: Path, conf: str) -> None:
    result = _parse(squid_cmd, workdir, conf)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"FATAL|ERROR|Bungled|subnetwork of|subdomain of", output), output


def test_parse_check_catches_a_bad_config(squid_cmd: list[str], workdir: Path) -> None:
    conf = main_conf() + "acl broken dstdomain b.example\nacl broken dstdomain .b.example\n"
    assert _parse(squid_cmd, workdir, conf).returncode != 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _origin() -> Iterator[int]:
    """A loopback HTTP server that answers 200 to anything; yields its port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _loopback_variant(conf: str, port: int, workdir: Path) -> str:
    """The rendered config, bound to loopback, with the test client counted as a pod."""
    # Pods connect from private ranges (client_localnet); the test client is 127.0.0.1, which the
    # allow-list rules deliberately do not cover, so it is added as a client for this run only.
    replacements = [
        (f"http_port {PORT}\n", f"http_port 127.0.0.1:{port}\n"),
        (f"pid_filename {PID_FILE}\n", f"pid_filename {workdir}/squid.pid\n"),
        ("acl SSL_ports port 443\n", "acl client_localnet src 127.0.0.1/32\nacl SSL_ports port 443\n"),
    ]
    for old, new in replacements:
        assert conf.count(old) == 1, old
        conf = conf.replace(old, new)
    return conf


def _proxy_get(proxy_port: int, url: str) -> int:
    # http.client, not urllib: urllib would honour a NO_PROXY=127.0.0.1 from the environment.
    conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=15)
    try:
        conn.request("GET", url)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@contextlib.contextmanager
def _running_squid(squid_cmd: list[str], workdir: Path, conf: str) -> Iterator[int]:
    port = _free_port()
    path = _write(workdir, "squid.conf", _loopback_variant(conf, port, workdir))
    log = _write(workdir, "squid.log")
    # A unique service name keeps its /dev/shm segments apart from any other squid on the host.
    service = f"difytest{port}"
    with log.open("a") as out:
        command = [*squid_cmd, "-N", "-n", service, "-f", str(path)]
        proc = subprocess.Popen(command, cwd=workdir, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, f"squid exited early:\n{log.read_text()}"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert time.monotonic() < deadline, f"squid did not listen within 20 s:\n{log.read_text()}"
            time.sleep(0.2)
        yield port
    finally:
        # A second SIGTERM cuts shutdown_lifetime short; SIGKILL is the last resort.
        for _ in range(2):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                time.sleep(0.5)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        for segment in Path("/dev/shm").glob(f"{service}-*"):
            segment.unlink(missing_ok=True)


@pytest.mark.parametrize(
    ("ips", "domains", "expected"),
    [
        ([], [], {"ip": 403, "localhost": 403, "v6-loopback": 403, "v4-mapped": 403, "unspecified": 403}),
        (["127.0.0.1/32"], [], {"ip": 200, "v4-mapped": 200}),
        ([], ["localhost"], {"ip": 403, "localhost": 200}),
    ],
    ids=["default-denies", "ip-allowed", "domain-allowed"],
)
def test_proxy_enforces_private_allow_list(
    squid_cmd: list[str], workdir: Path, ips: list[str], domains: list[str], expected: dict[str, int]
) -> None:
    with _origin() as origin, _running_squid(squid_cmd, workdir, main_conf(ips, domains)) as proxy:
        urls = {
            "ip": f"http://127.0.0.1:{origin}/probe",
            "localhost": f"http://localhost:{origin}/probe",
            "v6-loopback": f"http://[::1]:{origin}/probe",
            "v4-mapped": f"http://[::ffff:127.0.0.1]:{origin}/probe",
            "unspecified": f"http://[::]:{origin}/probe",
        }
        got = {name: _proxy_get(proxy, urls[name]) for name in expected}
    assert got == expected
