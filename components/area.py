"""What the contexts of the optional areas (monitoring, logging) share: the stack's images,
labels and resources for a workload, and auto-named ConfigMaps in the area's own namespace."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import CATALOG, ServiceKey
from components.config.models import StackConfig
from components.config.resources import effective_resources
from components.kube import ContainerSpec, SecurityProfile, labels, object_meta
from components.versions import ImageKey, image, image_tag


class AreaContext(ABC):
    """Mixed into an area's frozen dataclass, which provides ``config``, ``instance`` and ``home``."""

    config: StackConfig
    instance: str

    @property
    @abstractmethod
    def home(self) -> pulumi.Input[str]:
        """The area's own namespace (its Output, so objects are ordered after it)."""

    def image(self, key: ImageKey) -> str:
        return image(key, registry=self.config.image_registry)

    def labels(self, key: ServiceKey, image_key: ImageKey) -> dict[str, str]:
        return labels(key, self.instance, image_tag(self.image(image_key)))

    def container(self, key: ServiceKey, image_key: ImageKey, security: SecurityProfile, **spec: Any) -> ContainerSpec:
        """The workload's main container: its catalogue ports and the stack's resources."""
        entry = CATALOG[key]
        return ContainerSpec(
            name=key,
            image=self.image(image_key),
            resources=effective_resources(self.config, entry.config_key),
            security=security,
            ports=entry.ports,
            **spec,
        )

    def config_map(
        self, parent: pulumi.Resource, name: str, key: ServiceKey, image_key: ImageKey, data: Mapping[str, str]
    ) -> k8s.core.v1.ConfigMap:
        """Auto-named on purpose: a content change renames it, which rolls the pods that mount it
        (none of these programs reloads its files by itself here)."""
        return k8s.core.v1.ConfigMap(
            name,
            metadata=object_meta(None, self.home, self.labels(key, image_key)),
            data=dict(data),
            opts=pulumi.ResourceOptions(parent=parent),
        )
