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
SQUID_6_6 (the ubuntu/squid image recipe is not public here); the Elastic images: logging.py.
"""

from __future__ import annotations

from components.images.dify import AGENT_BACKEND, API, LOCAL_SANDBOX, PLUGIN_DAEMON, SANDBOX, WEB
from components.images.infra import NGINX, POSTGRES, REDIS, SQUID, WEAVIATE
from components.images.logging import LOGGING
from components.images.model import Fact, ImageContract, Listen, Mode, Write
from components.images.monitoring import MONITORING
from components.versions import ImageKey

__all__ = ["CONTRACTS", "Fact", "ImageContract", "Listen", "Mode", "Write", "unverified_facts"]

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
    **MONITORING,
    **LOGGING,
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
