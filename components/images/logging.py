"""Image runtime contracts of the Elastic images (components/logging/), all at ELASTIC_VERSION 8.19.20.

What could be read where, and so what is ``verified``:

- Logstash: elastic/logstash fetched at tag v8.19.20 (19c0e416): every fact verified.
- Filebeat: elastic/beats is too large to fetch here (843 MB > the 500 MB snapshot limit) and the
  Go module proxy refuses every 8.19 revision; read in the module of beats 58af1537830b (December
  2024, the revision elastic-agent v8.18.0-8.18.8 pin; tools/logging/README.md), so unverified
  for 8.19.20.
- Elasticsearch (3.2 GB) and Kibana (15 GB) cannot be fetched either: read in the code index's
  stored 8.x copies of the files named below, not at v8.19.20, so unverified.

``ENV_SETTINGS`` records how each image turns environment variables into settings: the model
has no field for it, and a setting passed the wrong way is silently ignored.
"""

from __future__ import annotations

from components.images.model import Fact, ImageContract, Listen, Mode, Write
from components.versions import ImageKey

_LS = "logstash@v8.19.20 "
_LS_DOCKERFILE = _LS + "docker/templates/Dockerfile.erb"
_BEATS = "beats@58af1537830b "
_BEATS_NOTE = "read at beats 58af1537830b (Go module); the v8.19.20 tag cannot be fetched here"
_ES = "elasticsearch (code index, 8.x) "
_ES_NOTE = "elastic/elasticsearch cannot be fetched here (3.2 GB); read in a stored 8.x copy, not at v8.19.20"
_KB = "kibana (code index, 8.x) "
_KB_NOTE = "elastic/kibana cannot be fetched here (15 GB); read in a stored 8.x copy, not at v8.19.20"

ELASTICSEARCH = ImageContract(
    uid=1000,
    uid_fact=Fact(
        _ES + "distribution/docker/src/docker/Dockerfile (adduser -u 1000 elasticsearch; USER 1000:0)",
        verified=False,
        note=_ES_NOTE,
    ),
    workdir="/usr/share/elasticsearch",
    workdir_fact=Fact(_ES + "distribution/docker/src/docker/Dockerfile (WORKDIR)", verified=False, note=_ES_NOTE),
    modes={
        "default": Mode(
            writes=(
                # With ELASTIC_PASSWORD set the entrypoint runs `elasticsearch-keystore create` and
                # adds bootstrap.password: config/ must be writable (a ConfigMap mounted over it
                # is not), e.g. an emptyDir the config files are copied into.
                Write(
                    "config/",
                    "start",
                    Fact(
                        _ES + "distribution/docker/src/docker/bin/docker-entrypoint.sh (setup_keystore: "
                        "elasticsearch-keystore create, add bootstrap.password)",
                        verified=False,
                        note=_ES_NOTE,
                    ),
                ),
                Write("data/", "start", Fact(_ES + "path.data default $ES_HOME/data", verified=False, note=_ES_NOTE)),
                # jvm.options logs GC to logs/gc.log even when log4j writes to the console.
                Write(
                    "logs/",
                    "start",
                    Fact(_ES + "config/jvm.options (-Xlog:gc*:file=logs/gc.log)", verified=False, note=_ES_NOTE),
                ),
                # The launcher creates a private ES_TMPDIR under /tmp (JNA, ML native code).
                Write("/tmp", "start", Fact(_ES + "launcher ES_TMPDIR under /tmp", verified=False, note=_ES_NOTE)),
            ),
            listens=(
                Listen(9200, Fact(_ES + "Dockerfile EXPOSE 9200 (http.port)", verified=False, note=_ES_NOTE)),
                Listen(9300, Fact(_ES + "Dockerfile EXPOSE 9300 (transport.port)", verified=False, note=_ES_NOTE)),
            ),
            # Both answer 401 without credentials when security is on: probe with an exec that
            # authenticates, or a tcpSocket on 9200.
            health=("/_cluster/health", "/"),
            health_fact=Fact(_ES + "REST _cluster/health and root", verified=False, note=_ES_NOTE),
        )
    },
)

LOGSTASH = ImageContract(
    uid=1000,
    uid_fact=Fact(_LS_DOCKERFILE + ":140-141 (useradd --uid 1000 logstash), :227 (USER 1000)"),
    workdir="/usr/share/logstash",
    workdir_fact=Fact(_LS_DOCKERFILE + ":160 (WORKDIR /usr/share/logstash)"),
    modes={
        "default": Mode(
            writes=(
                # env2yaml rewrites config/logstash.yml in place when any env var names a setting
                # (API_HTTP_HOST, PIPELINE_WORKERS, ...): with those env vars config/ must be writable;
                # without, a read-only logstash.yml is fine.
                Write(
                    "config/logstash.yml",
                    "start",
                    Fact(
                        _LS + "docker/data/logstash/bin/docker-entrypoint:7 (env2yaml config/logstash.yml)",
                        note="only when an env var names a setting (Env2Yaml.java allowedConfigs)",
                    ),
                ),
                # path.data (uuid, .lock), and below it queue/ and dead_letter_queue/: created at start.
                Write(
                    "data/",
                    "start",
                    Fact(_LS + "logstash-core/lib/logstash/environment.rb:41,121,124 (path.data, path.queue)"),
                    flag="--path.data",
                ),
            ),
            listens=(
                Listen(
                    9600,
                    Fact(
                        _LS + "logstash-core/lib/logstash/environment.rb:78-79 (api.http.port 9600..9700, host "
                        "127.0.0.1); docker/data/logstash/config/logstash-full.yml (http.host 0.0.0.0)",
                        note="a logstash.yml that replaces the image's must set api.http.host: 0.0.0.0 for probes",
                    ),
                    "API_HTTP_PORT",
                ),
                Listen(5044, Fact(_LS_DOCKERFILE + ":229 (EXPOSE 9600 5044); the port our beats input binds")),
            ),
            health=("/", "/_health_report"),
            health_fact=Fact(
                _LS + "logstash-core/lib/logstash/api/rack_app.rb:127 (/_health_report), api/modules/root.rb:22 (/)"
            ),
        )
    },
    unverified=(
        "the JVM (JRuby's jffi) unpacks native code into java.io.tmpdir=/tmp at start — "
        "JVM behaviour, not in Logstash's source: mount /tmp writable",
    ),
)

KIBANA = ImageContract(
    uid=1000,
    uid_fact=Fact(
        _KB + "src/dev/build/tasks/os_packages/docker_generator/templates/base/Dockerfile (useradd --uid 1000; "
        "USER 1000)",
        verified=False,
        note=_KB_NOTE,
    ),
    workdir="/usr/share/kibana",
    workdir_fact=Fact(_KB + "templates/base/Dockerfile (WORKDIR /usr/share/kibana)", verified=False, note=_KB_NOTE),
    modes={
        "default": Mode(
            writes=(
                # path.data: the instance uuid and the saved-object migration lock files.
                Write(
                    "data/", "start", Fact(_KB + "path.data default $KIBANA_HOME/data", verified=False, note=_KB_NOTE)
                ),
                Write("/tmp", "serving", Fact(_KB + "node os.tmpdir() (reporting)", verified=False, note=_KB_NOTE)),
            ),
            listens=(
                Listen(
                    5601,
                    Fact(_KB + "templates/base/Dockerfile (EXPOSE 5601)", verified=False, note=_KB_NOTE),
                    "SERVER_PORT",
                ),
            ),
            health=("/api/status",),
            health_fact=Fact(
                _KB + "status API /api/status (401 without credentials unless status.allowAnonymous)",
                verified=False,
                note=_KB_NOTE,
            ),
        )
    },
)

FILEBEAT = ImageContract(
    uid=1000,
    uid_fact=Fact(
        _BEATS + "dev-tools/packaging/templates/docker/Dockerfile.tmpl:136 (useradd --uid 1000), :233 (USER 1000); "
        "packages.yml docker_spec user: filebeat",
        verified=False,
        note=_BEATS_NOTE,
    ),
    # Nothing in the image is uid-specific: Elastic's own DaemonSet runs it as root
    # (deploy/kubernetes/filebeat-kubernetes.yaml:209 runAsUser: 0) to read the node's root-owned
    # /var/log/containers; strict.perms only wants filebeat.yml owned by the runner or root.
    any_uid=True,
    workdir="/usr/share/filebeat",
    workdir_fact=Fact(
        _BEATS + "dev-tools/packaging/templates/docker/Dockerfile.tmpl:1,245 (WORKDIR /usr/share/filebeat)",
        verified=False,
        note=_BEATS_NOTE,
    ),
    modes={
        "default": Mode(
            writes=(
                # The registry (registry/filebeat/), meta.json and filebeat.lock: on a hostPath so a
                # restarted pod resumes where it stopped.
                Write(
                    "data/",
                    "start",
                    Fact(
                        _BEATS + "libbeat/cmd/instance/locks/lock.go:53 (data/filebeat.lock), filestream registry",
                        verified=False,
                        note=_BEATS_NOTE,
                    ),
                    flag="--path.data",
                ),
            ),
            listens=(
                Listen(
                    5066,
                    Fact(
                        _BEATS
                        + "libbeat/api/config.go:32-36 (http.port 5066, off unless http.enabled, host localhost)",
                        verified=False,
                        note=_BEATS_NOTE,
                    ),
                ),
            ),
            health=("/", "/stats"),
            health_fact=Fact(
                _BEATS + "libbeat/api/routes.go:43-45 (/, /state, /stats)", verified=False, note=_BEATS_NOTE
            ),
        )
    },
)

LOGGING: dict[ImageKey, ImageContract] = {
    "elasticsearch": ELASTICSEARCH,
    "logstash": LOGSTASH,
    "kibana": KIBANA,
    "filebeat": FILEBEAT,
}

# How each image turns environment variables into settings.
ENV_SETTINGS: dict[ImageKey, Fact] = {
    "elasticsearch": Fact(
        _ES + "EnvironmentAwareCommand.putDockerEnvSettings: in the docker build an all-lowercase env name "
        "(cluster.name) is the setting itself; ES_SETTING_<NAME> with '_' for '.' and '__' for '_'",
        verified=False,
        note=_ES_NOTE,
    ),
    "logstash": Fact(
        _LS + "docker/data/logstash/env2yaml/src/main/java/org/logstash/env2yaml/Env2Yaml.java: an env name "
        "equal to an allowed setting ignoring case, '.' and '_' (API_HTTP_HOST) is written into logstash.yml "
        "as ${NAME}; other names are ignored"
    ),
    "kibana": Fact(
        _KB + "src/dev/build/tasks/os_packages/docker_generator/resources/base/bin/kibana-docker: each "
        "setting of its kibana_vars list, upper-cased with '.' -> '_' (ELASTICSEARCH_HOSTS), becomes "
        "--setting=value; names not in the list are ignored",
        verified=False,
        note=_KB_NOTE,
    ),
    "filebeat": Fact(
        _BEATS + "none: settings come from filebeat.yml (${VAR} expands env vars there) or -E flags",
        verified=False,
        note=_BEATS_NOTE,
    ),
}
