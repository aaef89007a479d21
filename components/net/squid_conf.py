"""Renders the two self-contained squid.conf files of the SSRF proxies (pure functions, no Pulumi).

Upstream (docker/ssrf_proxy @ 1.16.1) assembles squid.conf at container start from templates,
``include`` files and environment variables, in an entrypoint that writes under /etc/squid as root.
Here the whole file is rendered at deploy time instead, so the pod needs no writable config
directory, no root and no shell; ``squid -k parse`` can check the exact bytes that will run.

Deviations from upstream's squid-common template, each behaviour-preserving or safer:

* logs go to stdout/stderr instead of /var/log/squid (upstream tails those files to stdout anyway),
  and ``logfile_rotate 0`` because rotating a pipe would mean renaming /dev/stdout;
* the pid file and core dumps live in /tmp (an emptyDir) and ``cache_mem`` is 64 MB, not 256 MB;
* the NetDB journal and the ICMP pinger are off: the pinger is a setuid helper (useless without
  privileges) and NetDB only feeds cache peer selection, which neither proxy uses;
* ``pconn_timeout`` / ``persistent_request_timeout`` are dropped: they are the pre-3.2 names of the
  ``*_idle_pconn_timeout`` directives that upstream sets again right after, so those win anyway.

Every value that reaches a config line is validated and re-serialised here (CIDRs through
``ipaddress``, host names through an anchored regex): a newline smuggled into a value would
otherwise add an ``http_access allow all`` line to the proxy that exists to stop SSRF.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence

CONFIG_DIR = "/etc/squid-dify"
CONFIG_FILE = "squid.conf"
CONFIG_PATH = f"{CONFIG_DIR}/{CONFIG_FILE}"
PID_FILE = "/tmp/squid.pid"
COREDUMP_DIR = "/tmp"
# Seconds squid keeps serving open connections after SIGTERM; the pod's grace period must exceed it.
SHUTDOWN_LIFETIME_SECONDS = 30

# Destinations no proxied request may reach unless explicitly allowed: "this" network, RFC 1918,
# CGNAT, loopback, link-local (incl. the 169.254.169.254 cloud metadata service), multicast,
# reserved, and their IPv6 counterparts. Pod and Service CIDRs fall inside these ranges.
# Upstream also lists ::ffff:0:0/96 and ::/96, and squid drops both with a warning at every start:
# it stores IPv4 as IPv4-mapped IPv6, so ::ffff:0:0/96 reads as "all of IPv4" and overlaps 0.0.0.0/8
# (listed first, squid would keep it and deny every destination), and ::/96 contains ::1/128.
# Leaving them out gives exactly the ACL squid enforces upstream; mapped addresses still match.
PRIVATE_NETWORKS: tuple[str, ...] = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
)

# Clients allowed to use the main proxy (and, with the allow-lists, to reach private targets).
CLIENT_LOCALNET: tuple[str, ...] = (
    "0.0.0.1-0.255.255.255",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
    "fe80::/10",
)

SAFE_PORTS: tuple[str, ...] = ("80", "21", "443", "70", "210", "1025-65535", "280", "488", "591", "777")

MARKETPLACE_DOMAIN = ".marketplace.dify.ai"

_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
# A leading dot is squid's "this domain and every subdomain".
_DOMAIN = re.compile(rf"\.?{_HOST.pattern}")
# What a re-serialised network may look like: no scope ids, no spaces, nothing else.
_NETWORK_TEXT = re.compile(r"[0-9a-f:.]+/[0-9]{1,3}")
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def _check_port(port: int) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"squid port must be an integer from 1 to 65535, got {port!r}")
    return port


def _as_list(values: Sequence[str], what: str) -> list[str]:
    # A bare string is a Sequence too; iterating it would validate single characters. Entries are
    # checked here as well, so a non-string fails with the same ValueError as a malformed string.
    if not isinstance(values, str):
        items = list(values)
        bad = [item for item in items if not isinstance(item, str)]
        if not bad:
            return items
        raise ValueError(f"{what} entries must be strings, got {bad[0]!r}")
    raise ValueError(f"{what} must be a list of strings, got the single string {values!r}")


def _dedupe(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def validate_networks(values: Sequence[str]) -> list[str]:
    """Canonical, collapsed CIDR strings for ``values``; ValueError on anything but a plain CIDR.

    Collapsing matters: squid ignores (with a warning) an entry that overlaps another in the same ACL.
    """
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for value in _as_list(values, "allow_private_ips"):
        # ipaddress accepts any text after "%" as an IPv6 scope id, newlines included.
        if "%" in value:
            raise ValueError(f"allow_private_ips: {value!r} has an IPv6 scope id; use a plain CIDR block")
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError:
            raise ValueError(
                f"allow_private_ips: {value!r} is not a CIDR block such as 10.0.0.0/8 or 192.168.1.10/32"
            ) from None
        # squid stores IPv4 as IPv4-mapped IPv6, so ::ffff:0:0/96 would silently mean "all of IPv4".
        if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_IPV4_MAPPED):
            raise ValueError(f"allow_private_ips: {value!r} is IPv4-mapped; write the IPv4 block instead")
        networks.append(network)
    out = [n.compressed for n in ipaddress.collapse_addresses(n for n in networks if n.version == 4)]
    out += [n.compressed for n in ipaddress.collapse_addresses(n for n in networks if n.version == 6)]
    for text in out:
        if not _NETWORK_TEXT.fullmatch(text):
            raise ValueError(f"allow_private_ips: {text!r} did not re-serialise as a plain CIDR block")
    return out


def validate_domains(values: Sequence[str]) -> list[str]:
    """Lower-cased domains or ``.suffix`` entries with redundant ones dropped; ValueError on anything else.

    squid refuses to start (FATAL "Bungled ... acl") when a ``.suffix`` follows an entry it covers,
    e.g. ``models.internal`` then ``.models.internal``, so covered entries are removed here.
    """
    domains = []
    for value in _as_list(values, "allow_private_domains"):
        domain = value.lower()
        if len(domain.lstrip(".")) > 253 or not _DOMAIN.fullmatch(domain):
            raise ValueError(
                f"allow_private_domains: {value!r} is not a domain or suffix such as "
                "models.internal or .svc.cluster.local"
            )
        domains.append(domain)
    suffixes = {d[1:] for d in domains if d.startswith(".")}

    def covered(domain: str) -> bool:
        base = domain.lstrip(".")
        return any(base.endswith("." + s) or (base == s and domain != "." + s) for s in suffixes)

    return [d for d in _dedupe(domains) if not covered(d)]


def validate_host(value: str, what: str) -> str:
    """A lower-case DNS host name (a Kubernetes Service name or FQDN); ValueError on anything else."""
    if not isinstance(value, str) or len(value) > 253 or not _HOST.fullmatch(value):
        raise ValueError(f"{what}: {value!r} is not a lower-case DNS host name such as dify-api")
    return value


def _acl(name: str, acl_type: str, values: Iterable[str]) -> list[str]:
    return [f"acl {name} {acl_type} {value}" for value in values]


def _common(port: int) -> list[str]:
    """Upstream's squid-common template (ACLs and tuning) adapted to a non-root, diskless pod."""
    return [
        "# Rendered by Pulumi (components/net/squid_conf.py); edits in the pod are lost on rollout.",
        "",
        *_acl("client_localnet", "src", CLIENT_LOCALNET),
        *_acl("to_private_networks", "dst", PRIVATE_NETWORKS),
        "acl SSL_ports port 443",
        *_acl("Safe_ports", "port", SAFE_PORTS),
        "acl CONNECT method CONNECT",
        "",
        f"http_port {port}",
        "tcp_outgoing_address 0.0.0.0",
        "",
        # Writable state is limited to /tmp; the root filesystem is read-only.
        f"pid_filename {PID_FILE}",
        f"coredump_dir {COREDUMP_DIR}",
        "netdb_filename none",
        "pinger_enable off",
        "logformat dify_log %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt",
        "access_log stdio:/dev/stdout dify_log",
        "cache_log stdio:/dev/stderr",
        "cache_store_log none",
        "logfile_rotate 0",
        "",
        "refresh_pattern ^ftp:\t\t1440\t20%\t10080",
        "refresh_pattern -i (/cgi-bin/|\\?) 0\t0%\t0",
        "refresh_pattern .\t\t0\t20%\t4320",
        "",
        "client_request_buffer_max_size 100 MB",
        "max_filedescriptors 65536",
        "connect_timeout 30 seconds",
        "request_timeout 2 minutes",
        "read_timeout 2 minutes",
        "client_lifetime 5 minutes",
        f"shutdown_lifetime {SHUTDOWN_LIFETIME_SECONDS} seconds",
        "server_persistent_connections on",
        "client_persistent_connections on",
        "client_db on",
        "server_idle_pconn_timeout 2 minutes",
        "client_idle_pconn_timeout 2 minutes",
        "quick_abort_min 16 KB",
        "quick_abort_max 16 MB",
        "quick_abort_pct 95",
        # No cache_dir: memory only. "disk" mode (as upstream) keeps responses out of the memory
        # cache too, so one tenant's fetched document is never served to another from cache.
        "memory_cache_mode disk",
        "cache_mem 64 MB",
        "maximum_object_size_in_memory 512 KB",
        "dns_timeout 30 seconds",
        "dns_retransmit_interval 5 seconds",
        "",
    ]


def render_ssrf_proxy_conf(
    *,
    port: int,
    allow_private_ips: Sequence[str],
    allow_private_domains: Sequence[str],
) -> str:
    """squid.conf of the main SSRF proxy (upstream squid.conf.template + the entrypoint's allow-list)."""
    port = _check_port(port)
    networks = validate_networks(allow_private_ips)
    domains = validate_domains(allow_private_domains)
    allow_private: list[str] = []
    # One ACL line per value: squid ORs lines of the same ACL, and a long single line is hard to diff.
    if networks:
        allow_private += _acl("dify_allowed_private_networks", "dst", networks)
        allow_private.append("http_access allow client_localnet dify_allowed_private_networks")
    if domains:
        allow_private += _acl("dify_allowed_private_domains", "dstdomain", domains)
        allow_private.append("http_access allow client_localnet dify_allowed_private_domains")
    lines = [
        *_common(port),
        f"acl allowed_domains dstdomain {MARKETPLACE_DOMAIN}",
        "",
        "http_access deny !Safe_ports",
        "http_access deny CONNECT !SSL_ports",
        "http_access allow localhost manager",
        "http_access deny manager",
        *allow_private,
        "http_access deny to_private_networks",
        "http_access allow allowed_domains",
        "http_access allow client_localnet",
        "http_access allow localhost",
        "http_access deny all",
    ]
    return "\n".join(lines) + "\n"


def render_agent_proxy_conf(*, port: int, api_host: str, agent_backend_host: str) -> str:
    """squid.conf of the local_sandbox egress proxy (upstream squid-agent.conf.template).

    Upstream names the compose services ``agent_backend`` and ``api``; Kubernetes Service names
    cannot contain ``_``, so the caller passes the Service host names the sandbox actually uses.
    """
    port = _check_port(port)
    agent_backend_host = validate_host(agent_backend_host, "agent_backend_host")
    api_host = validate_host(api_host, "api_host")
    lines = [
        *_common(port),
        f"acl dst_agent_backend dstdomain {agent_backend_host}",
        f"acl dst_dify_api dstdomain {api_host}",
        "acl path_files urlpath_regex -i ^/files/",
        "acl path_agent_stub urlpath_regex -i ^/agent-stub/",
        "",
        "http_access deny !Safe_ports",
        "http_access deny CONNECT !SSL_ports",
        "http_access allow dst_agent_backend path_agent_stub",
        "http_access allow dst_dify_api path_files",
        "http_access deny to_private_networks",
        "http_access allow all",
    ]
    return "\n".join(lines) + "\n"
