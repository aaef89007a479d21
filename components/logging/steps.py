"""What our own steps write when they run an Elastic image with a command of ours, and where our
settings move an image's health routes.

The image contracts (components/images/logging.py) record what each image's server does, traced
upstream. Two containers run those images for something else, replacing the entrypoint
(``command:``), so none of the server's start-up writes happen there; what they do write is
defined by our code, recorded here beside it. Each such container names its step in
``DIFY_ELASTIC_STEP``; synth/runtime.py checks it against the step's mode instead of the server's.
"""

from __future__ import annotations

from components.images.model import Fact, Mode, Write
from components.versions import ImageKey

STEP_ENV = "DIFY_ELASTIC_STEP"
COPY_TARGET = "/mnt/config"

_COPY = Mode(
    writes=(
        Write(
            COPY_TARGET,
            "start",
            Fact("components/logging/context.py copy_config: cp -a <home>/config/. /mnt/config/, then our files"),
        ),
    )
)
_BOOTSTRAP = Mode(
    writes=(
        Write(
            "${WORK:-/tmp}",
            "start",
            Fact("components/logging/bootstrap.sh: the auth header, request bodies and answers under $WORK"),
        ),
    )
)

# Image → step name → the step's mode (the servers keep the contract's "default").
STEP_MODES: dict[ImageKey, dict[str, Mode]] = {
    "elasticsearch": {"copy-config": _COPY, "bootstrap": _BOOTSTRAP},
    "logstash": {"copy-config": _COPY},
}


# Kibana serves every route under server.basePath when server.rewriteBasePath is true (the
# settings its docker entrypoint takes as SERVER_BASEPATH / SERVER_REWRITEBASEPATH), which
# components/logging/kibana.py sets when Kibana is exposed at <host>/kibana: its /api/status then
# answers at /kibana/api/status. Image → (base-path variable, the variable that must be "true").
HEALTH_BASE_PATHS: dict[ImageKey, tuple[str, str]] = {"kibana": ("SERVER_BASEPATH", "SERVER_REWRITEBASEPATH")}
