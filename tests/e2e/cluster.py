"""A throwaway Kubernetes control plane: Debian's etcd + kube-apiserver built by tools/build.sh.

    with Cluster.start() as cluster:        # certs, etcd, kube-apiserver, /readyz, kubeconfig
        ... cluster.kubeconfig ...
    # both processes stopped by PID, the temp dir removed (kept with DIFY_E2E_KEEP=1)

Everything listens on 127.0.0.1 only, on free ports. No kubelet, scheduler or controller-manager
runs: objects are admitted and stored, pods stay Pending. Also a CLI for other tiers (the real
Pulumi CLI reuses it): ``python -m tests.e2e.cluster -- CMD…`` runs CMD with KUBECONFIG set.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import datetime
import ipaddress
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
SERVICE_CIDR = "10.96.0.0/16"
# The defaults of a 1.33 apiserver, named so the set is visible here; PodSecurity enforces the
# namespace's pod-security.kubernetes.io labels, ServiceAccount/NamespaceLifecycle/ResourceQuota
# are what a real cluster runs in front of every write. One default is left out:
# StorageObjectInUseProtection puts the pvc-protection finalizer on every claim, and only a
# controller (none runs here) removes it, so `pulumi destroy` would wait on the claims forever.
ADMISSION_PLUGINS = (
    "NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,DefaultTolerationSeconds,"
    "PodSecurity,Priority,ResourceQuota,RuntimeClass,"
    "PersistentVolumeClaimResize,DefaultIngressClass,MutatingAdmissionWebhook,"
    "ValidatingAdmissionPolicy,ValidatingAdmissionWebhook"
)
READY_TIMEOUT = float(os.environ.get("DIFY_E2E_READY_TIMEOUT", "180"))


class ClusterError(RuntimeError):
    pass


def tool_path(name: str) -> str:
    """The binary's path from tools/build.sh (builds it if the cache is cold)."""
    out = subprocess.run([str(ROOT / "tools" / "build.sh"), name], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pem_write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def _key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    sans: list[x509.GeneralName] | None = None,
    usage: list[x509.ObjectIdentifier] | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def write_pki(pki: Path) -> dict[str, Path]:
    """CA, apiserver serving cert, admin client cert (system:masters), service-account RSA pair."""
    pki.mkdir(parents=True, exist_ok=True)
    curve = ec.SECP256R1()
    ca_key = ec.generate_private_key(curve)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dify-e2e-ca")])
    ca = _cert(ca_name, ca_key, ca_name, ca_key, ca=True)

    serving_key = ec.generate_private_key(curve)
    # The first service IP is the in-cluster `kubernetes` Service; real apiservers carry it too.
    first_service_ip = next(ipaddress.ip_network(SERVICE_CIDR).hosts())
    sans: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(first_service_ip),
        *(x509.DNSName(n) for n in ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc")),
    ]
    serving = _cert(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]),
        serving_key, ca_name, ca_key, sans=sans, usage=[x509.ExtendedKeyUsageOID.SERVER_AUTH],
    )  # fmt: skip
    admin_key = ec.generate_private_key(curve)
    # O=system:masters is bound to cluster-admin without any RBAC object: RBAC stays on.
    admin = _cert(
        x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters"),
            x509.NameAttribute(NameOID.COMMON_NAME, "dify-e2e-admin"),
        ]),
        admin_key, ca_name, ca_key, usage=[x509.ExtendedKeyUsageOID.CLIENT_AUTH],
    )  # fmt: skip
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = serialization.Encoding.PEM
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return {
        "ca": _pem_write(pki / "ca.crt", ca.public_bytes(pem)),
        "serving_cert": _pem_write(pki / "apiserver.crt", serving.public_bytes(pem)),
        "serving_key": _pem_write(pki / "apiserver.key", _key_pem(serving_key)),
        "admin_cert": _pem_write(pki / "admin.crt", admin.public_bytes(pem)),
        "admin_key": _pem_write(pki / "admin.key", _key_pem(admin_key)),
        "sa_key": _pem_write(pki / "sa.key", _key_pem(sa_key)),
        "sa_pub": _pem_write(pki / "sa.pub", sa_key.public_key().public_bytes(pem, spki)),
    }


def _die_with_parent() -> None:
    # If the test process is SIGKILLed no Python cleanup runs; PR_SET_PDEATHSIG (1) makes the
    # kernel send the child SIGTERM then, so no etcd or apiserver outlives its test run.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class Cluster:
    """One etcd + one kube-apiserver in a temp dir. Use ``Cluster.start()`` as a context manager."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        self.server = ""
        self.kubeconfig = workdir / "kubeconfig"
        self.pki: dict[str, Path] = {}
        self._stopped = False

    @classmethod
    @contextlib.contextmanager
    def start(cls) -> Iterator[Cluster]:
        workdir = Path(tempfile.mkdtemp(prefix="dify-e2e-"))
        cluster = cls(workdir)
        atexit.register(cluster.stop)
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}

        def on_signal(signum: int, frame: FrameType | None) -> None:
            # SIGTERM's default kills Python without unwinding: stop the children first.
            cluster.stop()
            raise SystemExit(128 + signum)

        for sig in previous:
            signal.signal(sig, on_signal)
        try:
            cluster._launch()
            yield cluster
        finally:
            cluster.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            atexit.unregister(cluster.stop)

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = self.dir / f"{name}.log"
        self.logs[name] = log
        with log.open("wb") as out:
            self.procs[name] = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=_die_with_parent,  # noqa: PLW1509 (see _die_with_parent)
            )  # fmt: skip

    def _launch(self) -> None:
        etcd, apiserver = tool_path("etcd"), tool_path("kube-apiserver")
        self.pki = write_pki(self.dir / "pki")
        client, peer, port = _free_port(), _free_port(), _free_port()
        etcd_url = f"http://127.0.0.1:{client}"
        self._spawn("etcd", [
            etcd, "--name=e2e", f"--data-dir={self.dir / 'etcd'}", "--logger=zap",
            f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}", f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=e2e=http://127.0.0.1:{peer}", "--listen-metrics-urls=",
        ])  # fmt: skip
        self._wait("etcd", lambda: _get(f"{etcd_url}/health", None) == 200, 30)
        p = self.pki
        self.server = f"https://127.0.0.1:{port}"
        self._spawn("kube-apiserver", [
            apiserver, f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={port}",
            f"--tls-cert-file={p['serving_cert']}", f"--tls-private-key-file={p['serving_key']}",
            f"--client-ca-file={p['ca']}",
            f"--service-account-key-file={p['sa_pub']}", f"--service-account-signing-key-file={p['sa_key']}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--authorization-mode=RBAC", f"--enable-admission-plugins={ADMISSION_PLUGINS}",
            "--disable-admission-plugins=StorageObjectInUseProtection",
            # Real clusters allow privileged containers; PodSecurity is what must refuse ours.
            "--allow-privileged=true", "--profiling=false", "--v=1",
            # 127.0.0.1 may not be an Endpoints address: skip publishing the `kubernetes` Service's.
            "--endpoint-reconciler-type=none",
        ])  # fmt: skip
        context = self.ssl_context()
        self._wait("kube-apiserver", lambda: _get(f"{self.server}/readyz", context) == 200, READY_TIMEOUT)
        self._write_kubeconfig()

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.pki["ca"]))
        context.load_cert_chain(str(self.pki["admin_cert"]), str(self.pki["admin_key"]))
        return context

    def _wait(self, name: str, ready: object, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise ClusterError(f"{name} exited with {self.procs[name].returncode}\n{self.log_tail(name)}")
            if callable(ready) and ready():
                return
            time.sleep(0.25)
        raise ClusterError(f"{name} not ready after {timeout:.0f}s\n{self.log_tail(name)}")

    def _write_kubeconfig(self) -> None:
        p = self.pki
        self.kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: e2e\n  cluster:\n    server: {self.server}\n    certificate-authority: {p['ca']}\n"
            f"users:\n- name: admin\n  user:\n    client-certificate: {p['admin_cert']}\n"
            f"    client-key: {p['admin_key']}\n"
            "contexts:\n- name: e2e\n  context: {cluster: e2e, user: admin}\ncurrent-context: e2e\n"
        )
        self.kubeconfig.chmod(0o600)

    def log_tail(self, name: str, lines: int = 40) -> str:
        log = self.logs.get(name)
        if not log or not log.exists():
            return f"({name}: no log)"
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {log} (last {len(tail)} lines) ---\n" + "\n".join(tail)

    def stop(self) -> None:
        """Stop both processes by PID (apiserver first, it writes to etcd), then drop the temp dir."""
        if self._stopped:
            return
        self._stopped = True
        for name in ("kube-apiserver", "etcd"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if os.environ.get("DIFY_E2E_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)


def _get(url: str, context: ssl.SSLContext | None) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as response:
            return int(response.status)
    except OSError:  # refused while starting, or 500 until every post-start hook is done
        return 0


def main(argv: list[str]) -> int:
    """Run a command against a fresh cluster: python -m tests.e2e.cluster -- kubectl get ns"""
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    started = time.monotonic()
    with Cluster.start() as cluster:
        print(f"cluster: {cluster.server} ready in {time.monotonic() - started:.1f}s, "
              f"KUBECONFIG={cluster.kubeconfig}", file=sys.stderr)  # fmt: skip
        if not command:
            return 0
        env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
