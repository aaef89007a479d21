"""Runtime contracts of the Dify images: api (every mode), web, sandbox, plugin daemon, agents."""

from __future__ import annotations

from components.images.model import Fact, ImageContract, Listen, Mode, Write

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
