"""Small contracts of components/kube.py checked directly, and every container's sizing.

Literals typed from the sizing table (components/catalog.py, no dify:resources override in either
stack) and the SecurityProfile rule, never recomputed with the code under test (docs/mutation.md).
"""

from __future__ import annotations

import pytest

from components.kube import SecurityProfile
from synth.mocks import Recording
from tests.conftest import objects
from tests.lookup import container

# workload → (cpu request, memory request, cpu limit, memory limit).
SIZING = {
    "dify-api": ("200m", "768Mi", "2", "2Gi"),
    "dify-api-websocket": ("100m", "512Mi", "1", "1Gi"),
    "dify-worker": ("200m", "768Mi", "2", "2Gi"),
    "dify-worker-beat": ("50m", "256Mi", "500m", "512Mi"),
    "dify-migrate-1-16-1": ("200m", "512Mi", "1", "1Gi"),
    "dify-web": ("100m", "256Mi", "1", "1Gi"),
    "dify-sandbox": ("100m", "256Mi", "1", "1Gi"),
    "dify-plugin-daemon": ("200m", "512Mi", "2", "2Gi"),
    "dify-ssrf-proxy": ("50m", "128Mi", "500m", "512Mi"),
    "dify-agent-backend": ("100m", "256Mi", "1", "1Gi"),
    "dify-local-sandbox": ("100m", "256Mi", "1", "1Gi"),
    "dify-agent-ssrf-proxy": ("50m", "128Mi", "500m", "512Mi"),
    "dify-router": ("50m", "64Mi", "500m", "256Mi"),
    "dify-postgres": ("250m", "512Mi", "2", "2Gi"),
    "dify-redis": ("50m", "128Mi", "500m", "512Mi"),
    "dify-weaviate": ("200m", "512Mi", "2", "2Gi"),
}


def test_every_container_is_sized(dev: Recording) -> None:
    found = {
        o["metadata"]["name"]: container(o)["resources"]
        for o in objects(dev)
        if o["kind"] in ("Deployment", "StatefulSet", "Job")
    }
    assert found == {
        name: {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}
        for name, (cpu, memory, cpu_limit, memory_limit) in SIZING.items()
    }


def test_a_fully_restricted_profile_needs_no_reason() -> None:
    profile = SecurityProfile(run_as_user=1001)
    assert (profile.run_as_non_root, profile.read_only_root_filesystem, profile.add_capabilities) == (True, True, ())


@pytest.mark.parametrize(
    "relaxation",
    [{"run_as_non_root": False}, {"read_only_root_filesystem": False}, {"add_capabilities": ("CHOWN",)}],
)
def test_each_relaxation_must_say_why(relaxation: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must say why"):
        SecurityProfile(run_as_user=0, **relaxation)  # type: ignore[arg-type]
    SecurityProfile(run_as_user=0, reason="the image needs it", **relaxation)  # type: ignore[arg-type]
