"""Names derived from image tags, and input errors that must name what was wrong (docs/mutation.md)."""

from __future__ import annotations

import pytest

from components.app.migration import job_name
from components.net.squid_conf import validate_networks


@pytest.mark.parametrize(
    ("image", "name"),
    [
        ("docker.io/langgenius/dify-api:1.16.1", "dify-migrate-1-16-1"),
        # A tag may hold "_" and capitals; a Job name is a DNS label (lower case, digits, "-").
        ("docker.io/langgenius/dify-api:1.16.1_RC2", "dify-migrate-1-16-1-rc2"),
    ],
)
def test_migration_job_name_is_a_dns_label_per_release(image: str, name: str) -> None:
    assert job_name(image) == name


def test_a_single_string_of_private_networks_is_refused_by_name() -> None:
    with pytest.raises(
        ValueError, match=r"^allow_private_ips must be a list of strings, got the single string '10\.0\.0\.0/8'$"
    ):
        validate_networks("10.0.0.0/8")
    with pytest.raises(ValueError, match=r"^allow_private_ips entries must be strings, got 8$"):
        validate_networks(["10.0.0.0/8", 8])  # type: ignore[list-item]
