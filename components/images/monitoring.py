"""Image runtime contracts of the monitoring images (components/monitoring/).

Same rules as the other tables: each fact names the upstream file it was read in at the pinned tag
(git show <tag>:<path> on a fetched mirror). The Prometheus-project images build their plain tag
from ``Dockerfile`` (Makefile.common common-docker: only other Dockerfiles get a ``-<variant>``
suffix), on quay.io/prometheus/busybox whose /etc/passwd is busybox's (buildroot skeleton: nobody =
65534, docker-library/busybox latest-1/glibc/Dockerfile.builder:179-198). Grafana's repository
(3.2 GB) is beyond what can be fetched here: its facts were read in the stored index's copies of
grafana/grafana, which cannot be tied to v12.3.1, so they stay ``verified=False``.
"""

from __future__ import annotations

from components.images.model import Fact, ImageContract, Listen, Mode, Write
from components.versions import ImageKey

_PROM = "prometheus@v3.14.0 "
PROMETHEUS = ImageContract(
    uid=65534,
    # Dockerfile.distroless (tag suffix -distroless) would run as 65532: the plain tag is Dockerfile.
    uid_fact=Fact(_PROM + "Dockerfile:3,26 (busybox base, USER nobody); Makefile.common:257-259 (plain tag)"),
    workdir="/prometheus",
    workdir_fact=Fact(_PROM + "Dockerfile:23-24,28 (WORKDIR /prometheus, chown nobody, VOLUME)"),
    modes={
        "default": Mode(
            writes=(
                Write(
                    "data/",
                    "start",
                    Fact(
                        _PROM + "cmd/prometheus/main.go:490-491 (--storage.tsdb.path default data/); "
                        "promql/query_logger.go:165 (queries.active in it)"
                    ),
                    flag="--storage.tsdb.path",
                ),
            ),
            listens=(Listen(9090, Fact(_PROM + "cmd/prometheus/main.go:424-425 (--web.listen-address 0.0.0.0:9090)")),),
            health=("/-/ready", "/-/healthy"),
            health_fact=Fact(
                _PROM + "web/web.go:608-621 (/-/healthy always 200; /-/ready 503 until ready, testReady 681-697)"
            ),
        )
    },
)

_AM = "alertmanager@v0.34.0 "
ALERTMANAGER = ImageContract(
    uid=65534,
    uid_fact=Fact(_AM + "Dockerfile:3,17 (busybox base, USER nobody)"),
    workdir="/alertmanager",
    workdir_fact=Fact(_AM + "Dockerfile:13-15,20 (mkdir, chown nobody, WORKDIR /alertmanager)"),
    modes={
        "default": Mode(
            writes=(
                Write(
                    "data/",
                    "start",
                    Fact(
                        _AM + "cmd/alertmanager/main.go:52 (--storage.path default data/); app/app.go:198 "
                        "(MkdirAll), 290,324 (nflog, silences snapshots)"
                    ),
                    flag="--storage.path",
                ),
            ),
            # Gossip also binds 0.0.0.0:9094 (main.go:72-73, app/options.go:31) unless
            # --cluster.listen-address is empty (app/app.go:214), which our single replica passes.
            listens=(Listen(9093, Fact(_AM + "cmd/alertmanager/main.go:63 (web.listen-address :9093)")),),
            health=("/-/ready", "/-/healthy"),
            health_fact=Fact(_AM + "httpserver/httpserver.go:41-54 (/-/healthy and /-/ready, both 200)"),
        )
    },
)

_GRAFANA = "grafana/grafana "
_GRAFANA_UNPINNED = (
    "read in the stored index's grafana/grafana, not at v12.3.1: the repository (3.2 GB) exceeds what fetch "
    "brings here and the stored copies cannot be tied to a tag (the Dockerfile is 12.x: golang 1.24.2, alpine 3.21)"
)
GRAFANA = ImageContract(
    uid=472,
    uid_fact=Fact(
        _GRAFANA + 'Dockerfile@78515af6 (12.x: ARG GF_UID="472", USER "$GF_UID")',
        verified=False,
        note=_GRAFANA_UNPINNED,
    ),
    workdir="/usr/share/grafana",
    workdir_fact=Fact(
        _GRAFANA + "Dockerfile@78515af6 (WORKDIR $GF_PATHS_HOME=/usr/share/grafana)",
        verified=False,
        note=_GRAFANA_UNPINNED,
    ),
    modes={
        "default": Mode(
            writes=(
                Write(
                    "${GF_PATHS_DATA:-/var/lib/grafana}",
                    "start",
                    Fact(
                        _GRAFANA + "packaging/docker/run.sh@7a86cb53 (checks it is writable, passes "
                        "cfg:default.paths.data; the sqlite database)",
                        verified=False,
                        note=_GRAFANA_UNPINNED,
                    ),
                ),
                # run.sh mkdirs it when absent; an emptyDir at /var/lib/grafana hides the image's copy.
                Write(
                    "${GF_PATHS_PLUGINS:-/var/lib/grafana/plugins}",
                    "start",
                    Fact(
                        _GRAFANA + "packaging/docker/run.sh@7a86cb53 (mkdir $GF_PATHS_PLUGINS)",
                        verified=False,
                        note=_GRAFANA_UNPINNED,
                    ),
                ),
                Write(
                    "/tmp",
                    "serving",
                    Fact(
                        "monitoring-logging.md §3 (kube-prometheus mounts an emptyDir at /tmp)",
                        verified=False,
                        note="no upstream source read for Grafana's temp files",
                    ),
                ),
            ),
            listens=(
                Listen(
                    3000,
                    Fact(
                        _GRAFANA + "Dockerfile@78515af6 (EXPOSE 3000; conf/defaults.ini http_port)",
                        verified=False,
                        note=_GRAFANA_UNPINNED,
                    ),
                    "GF_SERVER_HTTP_PORT",
                ),
            ),
            health=("/api/health",),
            health_fact=Fact(
                _GRAFANA + "pkg/api/http_server.go (apiHealthHandler, a middleware before the auth context: "
                "/api/health 200, 503 when the database fails)",
                verified=False,
                note=_GRAFANA_UNPINNED,
            ),
        )
    },
    unverified=(
        "GF_SECURITY_ADMIN_PASSWORD__FILE works because run.sh (the ENTRYPOINT) exports every GF_*__FILE as the "
        "file's content and refuses both forms at once (grafana/grafana packaging/docker/run.sh@7a86cb53 and "
        "a 12.x /bin/sh copy); " + _GRAFANA_UNPINNED,
    ),
)

_KSM = "kube-state-metrics@v2.20.0 "
KUBE_STATE_METRICS = ImageContract(
    uid=65534,
    uid_fact=Fact(_KSM + "Dockerfile:11,14 (distroless static, USER nobody)"),
    workdir="/",
    workdir_fact=Fact(_KSM + "Dockerfile (no WORKDIR)"),
    modes={
        "default": Mode(
            listens=(
                Listen(8080, Fact(_KSM + "Dockerfile:16 (--port=8080); pkg/options/options.go:162")),
                Listen(8081, Fact(_KSM + "Dockerfile:16 (--telemetry-port=8081); pkg/options/options.go:163")),
            ),
            health=("/livez", "/readyz", "/healthz"),
            health_fact=Fact(_KSM + "pkg/app/server.go:73-75,524,615-618 (/livez on 8080, /readyz on 8081)"),
        )
    },
)

_NODE = "node_exporter@v1.12.1 "
NODE_EXPORTER = ImageContract(
    uid=65534,
    uid_fact=Fact(_NODE + "Dockerfile:3,20 (busybox base, USER nobody)"),
    workdir="/",
    workdir_fact=Fact(_NODE + "Dockerfile (no WORKDIR)"),
    modes={"default": Mode(listens=(Listen(9100, Fact(_NODE + "node_exporter.go:203 (web.listen-address :9100)")),))},
)

_BLACKBOX = "blackbox_exporter@v0.28.0 "
BLACKBOX_EXPORTER = ImageContract(
    uid=0,
    uid_fact=Fact(_BLACKBOX + "Dockerfile:11-13 (no USER: root)"),
    # HTTP probes need no privilege (only ICMP would, and we define no ICMP module).
    any_uid=True,
    workdir="/",
    workdir_fact=Fact(_BLACKBOX + "Dockerfile (no WORKDIR)"),
    modes={
        "default": Mode(
            listens=(Listen(9115, Fact(_BLACKBOX + "main.go:60 (web.listen-address :9115)")),),
            health=("/-/healthy",),
            health_fact=Fact(_BLACKBOX + "main.go:203-206 (/-/healthy, 200)"),
        )
    },
)

_PG = "postgres_exporter@v0.20.1 "
POSTGRES_EXPORTER = ImageContract(
    uid=65534,
    uid_fact=Fact(_PG + "Dockerfile:3,11 (busybox base, USER nobody)"),
    workdir="/",
    workdir_fact=Fact(_PG + "Dockerfile (no WORKDIR)"),
    modes={
        "default": Mode(
            listens=(Listen(9187, Fact(_PG + "cmd/postgres_exporter/main.go:41 (web.listen-address :9187)")),)
        )
    },
)

_REDIS = "redis_exporter@v1.88.0 "
REDIS_EXPORTER = ImageContract(
    uid=59000,
    uid_fact=Fact(_REDIS + "Dockerfile:35,50 (USER 59000:59000)"),
    workdir="/",
    workdir_fact=Fact(_REDIS + "Dockerfile (no WORKDIR)"),
    modes={
        "default": Mode(
            listens=(Listen(9121, Fact(_REDIS + "main.go:173 (:9121)"), "REDIS_EXPORTER_WEB_LISTEN_ADDRESS"),),
            health=("/health",),
            health_fact=Fact(_REDIS + "exporter/exporter.go:670"),
        )
    },
)

_OTEL = "opentelemetry-collector-releases@v0.159.0 distributions/otelcol-contrib/"
OTEL_COLLECTOR = ImageContract(
    uid=10001,
    uid_fact=Fact(_OTEL + "Dockerfile:6-8 (USER 10001:10001)"),
    workdir="/",
    workdir_fact=Fact(_OTEL + "Dockerfile (FROM scratch, no WORKDIR)"),
    modes={
        "default": Mode(
            listens=(
                Listen(4318, Fact("components/monitoring/collector.py (otlp http endpoint)")),
                Listen(8889, Fact("components/monitoring/collector.py (prometheus exporter endpoint)")),
                Listen(13133, Fact("components/monitoring/collector.py (health_check extension)")),
            ),
            health=("/",),
            health_fact=Fact("components/monitoring/collector.py (health_check path /)"),
        )
    },
)

MONITORING: dict[ImageKey, ImageContract] = {
    "prometheus": PROMETHEUS,
    "alertmanager": ALERTMANAGER,
    "grafana": GRAFANA,
    "kube_state_metrics": KUBE_STATE_METRICS,
    "node_exporter": NODE_EXPORTER,
    "blackbox_exporter": BLACKBOX_EXPORTER,
    "postgres_exporter": POSTGRES_EXPORTER,
    "redis_exporter": REDIS_EXPORTER,
    "otel_collector": OTEL_COLLECTOR,
}
