"""Image runtime contracts of the monitoring images (components/monitoring/).

Same rules as the other tables: each fact names the upstream file it was read in at the pinned tag, and
what could not be read here (Prometheus, Alertmanager and Grafana are not mirrored) is
``verified=False`` with the source it was taken from instead.
"""

from __future__ import annotations

from components.images.model import Fact, ImageContract, Listen, Mode, Write
from components.versions import ImageKey

_REF = "monitoring-logging.md "
_NOT_MIRRORED = "upstream not mirrored here; taken from the chart that deploys it"

PROMETHEUS = ImageContract(
    uid=65534,
    uid_fact=Fact(_REF + "§1.4 (prometheus chart securityContext 65534)", verified=False, note=_NOT_MIRRORED),
    workdir="/prometheus",
    workdir_fact=Fact(_REF + "§1.4 (--storage.tsdb.path /data in the chart)", verified=False, note=_NOT_MIRRORED),
    modes={
        "default": Mode(
            writes=(
                Write(
                    "data/", "start", Fact("prometheus --storage.tsdb.path (default data/)"), flag="--storage.tsdb.path"
                ),
            ),
            listens=(Listen(9090, Fact(_REF + "§1.5 (port 9090, --web.listen-address)")),),
            health=("/-/ready", "/-/healthy"),
            health_fact=Fact(_REF + "§1.4 (readiness /-/ready, liveness /-/healthy)"),
        )
    },
)

ALERTMANAGER = ImageContract(
    uid=65534,
    uid_fact=Fact(_REF + "§1.5 (alertmanager chart runAsUser 65534)", verified=False, note=_NOT_MIRRORED),
    workdir="/alertmanager",
    workdir_fact=Fact(_REF + "§1.5 (--storage.path=/alertmanager)", verified=False, note=_NOT_MIRRORED),
    modes={
        "default": Mode(
            writes=(
                Write("data/", "start", Fact("alertmanager --storage.path (default data/)"), flag="--storage.path"),
            ),
            listens=(Listen(9093, Fact(_REF + "§1.5 (port 9093)")),),
            health=("/-/ready", "/-/healthy"),
            health_fact=Fact(_REF + "§1.5", verified=False, note=_NOT_MIRRORED),
        )
    },
)

GRAFANA = ImageContract(
    uid=472,
    uid_fact=Fact(_REF + "§3 (grafana/grafana Dockerfile ARG GF_UID=472)", verified=False, note=_NOT_MIRRORED),
    workdir="/usr/share/grafana",
    workdir_fact=Fact(_REF + "§3", verified=False, note=_NOT_MIRRORED),
    modes={
        "default": Mode(
            writes=(
                Write("${GF_PATHS_DATA:-/var/lib/grafana}", "start", Fact(_REF + "§3 (data path /var/lib/grafana)")),
                Write("/tmp", "serving", Fact(_REF + "§3 (kube-prometheus mounts an emptyDir at /tmp)")),
            ),
            listens=(Listen(3000, Fact(_REF + "§3 (probes on port 3000)"), "GF_SERVER_HTTP_PORT"),),
            health=("/api/health",),
            health_fact=Fact(_REF + "§3 (kube-prometheus readiness GET /api/health)"),
        )
    },
)

_KSM = "kube-state-metrics@v2.20.0 "
KUBE_STATE_METRICS = ImageContract(
    uid=65534,
    uid_fact=Fact(_KSM + "Dockerfile:14 (USER nobody)"),
    workdir="/",
    workdir_fact=Fact(_KSM + "Dockerfile (no WORKDIR)"),
    modes={
        "default": Mode(
            listens=(
                Listen(8080, Fact(_KSM + "Dockerfile:16 (--port=8080)")),
                Listen(8081, Fact(_KSM + "Dockerfile:16 (--telemetry-port=8081)")),
            ),
            health=("/livez", "/readyz", "/healthz"),
            health_fact=Fact(_KSM + "pkg/app/server.go:73-75,524,615-618 (/livez on 8080, /readyz on 8081)"),
        )
    },
)

_NODE = "node_exporter@v1.12.1 "
NODE_EXPORTER = ImageContract(
    uid=65534,
    uid_fact=Fact(_NODE + "Dockerfile:20 (USER nobody)"),
    workdir="/",
    workdir_fact=Fact(_NODE + "Dockerfile (no WORKDIR)"),
    modes={"default": Mode(listens=(Listen(9100, Fact(_NODE + "Dockerfile:19 (EXPOSE 9100, web.listen-address)")),))},
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
            listens=(Listen(9115, Fact(_BLACKBOX + "Dockerfile:11 (EXPOSE 9115)")),),
            health=("/-/healthy",),
            health_fact=Fact(_BLACKBOX + "main.go:203"),
        )
    },
)

_PG = "postgres_exporter@v0.20.1 "
POSTGRES_EXPORTER = ImageContract(
    uid=65534,
    uid_fact=Fact(_PG + "Dockerfile:11 (USER nobody)"),
    workdir="/",
    workdir_fact=Fact(_PG + "Dockerfile (no WORKDIR)"),
    modes={"default": Mode(listens=(Listen(9187, Fact(_PG + "Dockerfile:10 (EXPOSE 9187)")),))},
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
