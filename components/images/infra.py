"""Runtime contracts of the data-store and proxy images."""

from __future__ import annotations

from components.images.model import Fact, ImageContract, Listen, Mode, Write

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
