"""The image runtime contract: what each pinned image does at start-up and while serving.

Beside the version table (versions.py), one entry per image with facts traced in upstream source
at the pinned tag, each naming the file it comes from: the uid the process ends up running as,
WORKDIR, per mode the paths it writes, the capabilities it uses, the port it binds (and the env
var or flag that sets it), its health endpoints. ``synth/runtime.py`` checks every rendered
container against it. A fact the source does not settle is ``verified=False`` with the reason:
synth lists those, it never treats a guess as proof.

Sources (read with git at the tag): dify = langgenius/dify 1.16.1 (6f8ed69e); sandbox =
langgenius/dify-sandbox 0.2.15 (5631afef); daemon = langgenius/dify-plugin-daemon 0.6.3
(54432d8a); postgres = docker-library/postgres 15/alpine3.23 (9cd70834); redis =
docker-library/redis 6.2/alpine (6.2.14 template); weaviate = weaviate/weaviate v1.27.0; nginx =
nginxinc/docker-nginx-unprivileged stable/alpine-slim (1.26.3 template); squid = squid-cache
SQUID_6_6 (the ubuntu/squid image recipe is not public here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from components.versions import ImageKey

When = Literal["start", "serving"]


@dataclass(frozen=True)
class Fact:
    source: str
    verified: bool = True
    # Why the source does not settle it (unverified), or what the fact depends on.
    note: str = ""


@dataclass(frozen=True)
class Write:
    """A path the process writes. ``path`` is absolute, relative to WORKDIR, or ``${VAR:-default}``
    (resolved from the container's env); ``flag`` names a command-line option that moves it."""

    path: str
    when: When
    fact: Fact
    flag: str | None = None


@dataclass(frozen=True)
class Listen:
    port: int
    fact: Fact
    env: str | None = None  # the env var that sets the port, when one does


@dataclass(frozen=True)
class Mode:
    writes: tuple[Write, ...] = ()
    listens: tuple[Listen, ...] = ()
    health: tuple[str, ...] = ()  # HTTP paths that answer 200 when healthy
    health_fact: Fact | None = None


@dataclass(frozen=True)
class ImageContract:
    uid: int  # the uid the server process runs as upstream (after any entrypoint step-down)
    uid_fact: Fact
    workdir: str
    workdir_fact: Fact
    modes: Mapping[str, Mode]
    capabilities: tuple[str, ...] = ()
    capabilities_fact: Fact | None = None
    # The image leaves the uid to the operator (no USER, nothing uid-specific): any non-root uid
    # that can write the mode's paths works, so ours differing from ``uid`` is no discrepancy.
    any_uid: bool = False
    # Env var whose value selects the mode; images without one run their single mode "default".
    mode_env: str | None = None
    unverified: tuple[str, ...] = field(default_factory=tuple)


_API = "dify@1.16.1 "
_STORAGE_ROOT = Write(
    "${OPENDAL_FS_ROOT:-storage}",
    "start",
    Fact(_API + "api/extensions/storage/opendal_storage.py:35-37 (create_app mkdirs the fs root in every mode)"),
)
_TMP_SERVING = Write("/tmp", "serving", Fact(_API + "core/rag/extractor/extract_processor.py:82,125 (tempfile)"))
_API_LISTEN = Listen(
    5001, Fact(_API + "api/docker/entrypoint.sh:128 (--bind ${DIFY_BIND_ADDRESS}:${DIFY_PORT})"), "DIFY_PORT"
)
_API_HEALTH = Fact(_API + "api/extensions/ext_app_metrics.py:20-26 (static, no DB or Redis)")

API = ImageContract(
    uid=1001,
    uid_fact=Fact(_API + "api/Dockerfile:56-61,123 (USER dify, useradd -u 1001)"),
    workdir="/app/api",
    workdir_fact=Fact(_API + "api/Dockerfile:4,53"),
    mode_env="MODE",
    modes={
        "api": Mode(
            writes=(
                _STORAGE_ROOT,
                Write("/tmp", "start", Fact("gunicorn 26.0.0 workers/workertmp.py:19-33 (worker heartbeat file)")),
                _TMP_SERVING,
            ),
            listens=(_API_LISTEN,),
            health=("/health",),
            health_fact=_API_HEALTH,
        ),
        "worker": Mode(writes=(_STORAGE_ROOT, _TMP_SERVING)),
        "beat": Mode(
            writes=(
                _STORAGE_ROOT,
                Write(
                    "celerybeat-schedule",
                    "serving",
                    Fact("celery 5.6.3 celery/bin/beat.py:19-22, celery/beat.py:506-523 (shelve in cwd)"),
                    flag="-s",
                ),
            )
        ),
        "migration": Mode(writes=(_STORAGE_ROOT,)),
    },
    unverified=(
        "tiktoken may write encodings other than the pre-cached gpt2 into TIKTOKEN_CACHE_DIR="
        "/app/api/.tiktoken_cache (api/Dockerfile:107-110) on the read-only root: tiktoken 0.12's "
        "behaviour on an unwritable cache was not read",
    ),
)

WEB = ImageContract(
    uid=1001,
    uid_fact=Fact(_API + "web/Dockerfile:67-71,86 (adduser -u 1001)"),
    workdir="/app",
    workdir_fact=Fact(_API + "web/Dockerfile:70-74"),
    modes={
        "default": Mode(
            listens=(Listen(3000, Fact(_API + "web/Dockerfile:57; next 16.2.12 standalone server.js"), "PORT"),),
        )
    },
    unverified=(
        "Next.js caches under .next/cache only for image optimisation, which Dify does not use "
        "(no next/image import at 1.16.1); other Next caches were not checked",
    ),
)

_SANDBOX = "sandbox@0.2.15 "
SANDBOX = ImageContract(
    uid=0,
    uid_fact=Fact(
        _SANDBOX + "internal/core/runner/uidpool/uid_pool.go:57-78, python/python.go:144-168",
        note="must run as root: writes /etc/passwd and /var/sandbox, chowns to pool uids 10000-10999",
    ),
    workdir="/",
    workdir_fact=Fact(
        _SANDBOX + "internal/server/server.go:17 (reads conf/config.yaml relative to cwd; image copies it to /conf)",
        verified=False,
        note="the base image dhi.io/python sets WORKDIR, which is not public; the cwd-relative paths imply /",
    ),
    capabilities=("SYS_CHROOT", "SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "KILL"),
    capabilities_fact=Fact(
        _SANDBOX + "internal/core/lib/python/add_seccomp.go:17-74 (chroot, setgroups, setgid, setuid); "
        "python/python.go:159-163 (chown 0600 script to the pool uid); output_capture.go:52-66 (SIGKILL "
        "to the pool uid on timeout)"
    ),
    modes={
        "default": Mode(
            writes=(
                Write("/opt", "start", Fact(_SANDBOX + "docker/entrypoint.sh:1-10 (untars Node into /opt)")),
                Write("/var/sandbox", "start", Fact(_SANDBOX + "internal/core/runner/python/setup.go:23-71")),
                Write("/etc/passwd", "serving", Fact(_SANDBOX + "internal/core/runner/uidpool/uid_pool.go:67-78")),
                Write("/tmp", "serving", Fact(_SANDBOX + "internal/core/runner/temp_dir.go:13-64")),
                Write("logs", "start", Fact(_SANDBOX + "internal/utils/log/core.go:38-111 (./logs/app.log)")),
            ),
            listens=(Listen(8194, Fact(_SANDBOX + "internal/static/config.go:48-51"), "SANDBOX_PORT"),),
            health=("/health",),
            health_fact=Fact(_SANDBOX + "internal/controller/router.go:11-26"),
        )
    },
    unverified=(
        "FOWNER: needed only if hard-links into /var/sandbox meet files the base image does not give to "
        "root (fs.protected_hardlinks); the base image's file ownership is not public, so it is kept",
    ),
)

_DAEMON = "plugin-daemon@0.6.3 "
PLUGIN_DAEMON = ImageContract(
    uid=0,
    uid_fact=Fact(_DAEMON + "docker/local.dockerfile:25-84 (no USER: root)"),
    # Nothing in the daemon needs root: no setuid/chown/chroot, plugins share its uid
    # (internal/core/local_runtime/subprocess.go:20-47).
    any_uid=True,
    workdir="/app",
    workdir_fact=Fact(_DAEMON + "docker/local.dockerfile:27,76"),
    modes={
        "default": Mode(
            writes=(
                Write(
                    "${PLUGIN_STORAGE_LOCAL_ROOT:-storage}",
                    "start",
                    Fact(_DAEMON + "internal/types/app/default.go:27,33-40"),
                ),
                Write(
                    "${PLUGIN_WORKING_PATH}",
                    "serving",
                    Fact(_DAEMON + "internal/core/local_runtime/constructor.go:64-85"),
                ),
                Write("/tmp", "serving", Fact(_DAEMON + "pkg/utils/tmpfile/tmpfile.go:7-8")),
                Write(
                    "${HOME}",
                    "serving",
                    Fact(
                        _DAEMON + "internal/core/local_runtime/setup_python_environment.go:58-73 (uv venv inherits env)"
                    ),
                ),
            ),
            listens=(
                Listen(5002, Fact(_DAEMON + "internal/types/app/config.go:28-29; default.go:13-14"), "SERVER_PORT"),
                Listen(
                    5003,
                    Fact(_DAEMON + "internal/types/app/config.go:101-106,282-295"),
                    "PLUGIN_REMOTE_INSTALLING_PORT",
                ),
            ),
            health=("/health/check",),
            health_fact=Fact(_DAEMON + "internal/server/controllers/health_check.go:33-45"),
        )
    },
    unverified=(
        "what uv and the dify_plugin SDK write outside $HOME, /tmp and the plugin storage when a plugin "
        "installs under a non-root uid was not read (upstream only ever runs the daemon as root)",
    ),
)

_AGENT = "dify@1.16.1 "
AGENT_BACKEND = ImageContract(
    uid=1001,
    uid_fact=Fact(_AGENT + "dify-agent/Dockerfile:48-50,66"),
    workdir="/app/api",
    workdir_fact=Fact(_AGENT + "dify-agent/Dockerfile:45"),
    modes={
        "default": Mode(
            listens=(Listen(5050, Fact(_AGENT + "dify-agent/Dockerfile:68 (uvicorn --port 5050 in CMD)")),),
        )
    },
    unverified=(
        "whether the backend process itself materialises drives under /mnt/drive "
        "(dify_agent/agent_stub/_drive_materialization.py) or only the sandbox does",
    ),
)

LOCAL_SANDBOX = ImageContract(
    uid=1000,
    uid_fact=Fact(
        _AGENT + "dify-agent-runtime/docker/Dockerfile:72-77 (useradd --create-home dify, no -u)",
        verified=False,
        note="no uid is pinned; 1000 is Debian useradd's first free id on python:3.12-slim, not read in source",
    ),
    workdir="/home/dify",
    workdir_fact=Fact(_AGENT + "dify-agent-runtime/docker/Dockerfile:78"),
    modes={
        "default": Mode(
            writes=(
                Write("/home/dify/.local/share/shellctl", "start", Fact(_AGENT + "internal/server/config.go:60-128")),
                Write("/home", "serving", Fact(_AGENT + "dify_agent/layers/shell/layer.py:5,254 (per-agent homes)")),
                Write("/mnt/drive", "serving", Fact(_AGENT + "dify-agent-runtime/docker/Dockerfile:72-77")),
                Write("/tmp", "serving", Fact(_AGENT + "internal/server/service.go:172-188")),
            ),
            listens=(Listen(5004, Fact(_AGENT + "dify-agent-runtime/docker/Dockerfile:82 (--listen 0.0.0.0:5004)")),),
            health=("/healthz",),
            health_fact=Fact(_AGENT + "dify-agent-runtime internal/server/api.go:20,33-35"),
        )
    },
)

_PG = "postgres 15/alpine3.23@9cd70834 "
POSTGRES = ImageContract(
    uid=70,
    uid_fact=Fact(_PG + "Dockerfile:9-16; docker-entrypoint.sh:336-339 (gosu postgres when started as root)"),
    workdir="/",
    workdir_fact=Fact(_PG + "Dockerfile (no WORKDIR)"),
    modes={
        "default": Mode(
            writes=(
                Write("${PGDATA:-/var/lib/postgresql/data}", "start", Fact(_PG + "docker-entrypoint.sh:36-61,242-300")),
                Write("/var/run/postgresql", "start", Fact(_PG + "Dockerfile:109-113,194 (socket directory)")),
            ),
            listens=(Listen(5432, Fact(_PG + "Dockerfile:229"), "PGPORT"),),
        )
    },
    unverified=("PostgreSQL's POSIX dynamic shared memory uses /dev/shm (the pod default, 64 MiB)",),
)

_REDIS = "redis 6.2/alpine@6.2.14 "
REDIS = ImageContract(
    uid=999,
    uid_fact=Fact(
        _REDIS + "Dockerfile:11-13", verified=False, note="template read at 6.2.14; 6.2.20 is not in the snapshot"
    ),
    workdir="/data",
    workdir_fact=Fact(_REDIS + "Dockerfile:133-135"),
    modes={
        "default": Mode(
            writes=(Write("/data", "serving", Fact(_REDIS + "Dockerfile:133-135 (--dir, AOF and RDB)")),),
            listens=(Listen(6379, Fact(_REDIS + "Dockerfile:140")),),
        )
    },
)

_WEAVIATE = "weaviate@v1.27.0 "
WEAVIATE = ImageContract(
    uid=0,
    uid_fact=Fact(_WEAVIATE + "Dockerfile:48-56 (no USER, nothing needs root)"),
    any_uid=True,
    workdir="/",
    workdir_fact=Fact(_WEAVIATE + "Dockerfile:48-56 (no WORKDIR)"),
    modes={
        "default": Mode(
            writes=(
                Write(
                    "${PERSISTENCE_DATA_PATH:-./data}",
                    "serving",
                    Fact(_WEAVIATE + "usecases/config/environment.go:228-234"),
                ),
            ),
            listens=(
                Listen(8080, Fact(_WEAVIATE + "Dockerfile:56 (CMD --port 8080)")),
                Listen(50051, Fact(_WEAVIATE + "usecases/config/environment.go:392-398"), "GRPC_PORT"),
            ),
            health=("/v1/.well-known/ready", "/v1/.well-known/live"),
            health_fact=Fact(_WEAVIATE + "adapters/handlers/rest/middlewares.go:213-240"),
        )
    },
)

_SQUID = "squid SQUID_6_6 "
SQUID = ImageContract(
    uid=13,
    uid_fact=Fact(
        _SQUID + "src/tools.cc:559-620 (a non-root squid never changes uid)",
        verified=False,
        note="uid 13 (proxy) is the Debian/Ubuntu base-passwd convention; the ubuntu/squid recipe is not public",
    ),
    any_uid=True,
    workdir="/",
    workdir_fact=Fact("ubuntu/squid image recipe", verified=False, note="not public here"),
    modes={
        "default": Mode(
            # Our squid.conf moves the pid file, logs and coredumps to /tmp or stdout; the cache
            # swap directory is the one compiled-in path left.
            writes=(
                Write("/tmp", "start", Fact("components/net/squid_conf.py (pid_filename, coredump_dir)")),
                Write("/var/spool/squid", "start", Fact(_SQUID + "src/cf.data.pre (cache_dir default)")),
            ),
            listens=(Listen(3128, Fact("components/net/squid_conf.py (http_port 3128)")),),
        )
    },
)

_NGINX = "nginx-unprivileged stable/alpine-slim@1.26.3 "
NGINX = ImageContract(
    uid=101,
    uid_fact=Fact(_NGINX + "Dockerfile:15-21,138", verified=False, note="template read at 1.26.3, we pin 1.28.0"),
    workdir="/",
    workdir_fact=Fact(_NGINX + "Dockerfile (no WORKDIR)"),
    modes={
        "default": Mode(
            writes=(Write("/tmp", "start", Fact(_NGINX + "Dockerfile:118-120 (pid and *_temp_path under /tmp)")),),
            listens=(Listen(8080, Fact("components/net/nginx_conf.py (listen 8080)")),),
            # Served by our own server block, not by the image.
            health=("/healthz",),
            health_fact=Fact("components/net/nginx_conf.py (HEALTH_PATH: return 200)"),
        )
    },
)

CONTRACTS: dict[ImageKey, ImageContract] = {
    "api": API,
    "web": WEB,
    "sandbox": SANDBOX,
    "plugin_daemon": PLUGIN_DAEMON,
    "agent_backend": AGENT_BACKEND,
    "local_sandbox": LOCAL_SANDBOX,
    "postgres": POSTGRES,
    "redis": REDIS,
    "weaviate": WEAVIATE,
    "squid": SQUID,
    "nginx": NGINX,
}


def unverified_facts() -> list[str]:
    """Every fact the upstream source does not settle, as ``image: text`` lines."""
    lines = []
    for key, contract in CONTRACTS.items():
        facts = [("uid", contract.uid_fact), ("workdir", contract.workdir_fact)]
        if contract.capabilities_fact:
            facts.append(("capabilities", contract.capabilities_fact))
        lines += [f"{key}: {name} — {fact.note}" for name, fact in facts if not fact.verified]
        lines += [f"{key}: {text}" for text in contract.unverified]
    return lines
