"""The explicit Kubernetes provider: never the ambient ~/.kube/config default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components.config.models import StackConfig

NO_WAIT_ANNOTATIONS = {
    "pulumi.com/skipAwait": "true",
    # Foreground deletion waits for the garbage collector, which a bare API server lacks.
    "pulumi.com/deletionPropagationPolicy": "background",
}


def skip_await(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Marks a Kubernetes object so that the provider waits neither for readiness nor for a
    garbage-collected deletion."""
    if not args.custom or not args.type_.startswith("kubernetes:") or args.type_.startswith("pulumi:providers:"):
        return None
    # The engine hands a transform the resource's inputs as a plain mapping.
    props = dict(cast(Mapping[str, Any], args.props))
    metadata = dict(props.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), **NO_WAIT_ANNOTATIONS}
    props["metadata"] = metadata
    return pulumi.ResourceTransformResult(props, args.opts)


def kubernetes_provider(config: StackConfig) -> k8s.Provider:
    """The provider every Kubernetes object uses. With ``kubernetes.skipAwait`` (the e2e tier's
    API server runs no kubelet, so no pod ever becomes ready) a stack transform also marks every
    object ``pulumi.com/skipAwait``; the provider has no switch of its own for that."""
    settings = config.kubernetes
    if settings.skip_await:
        pulumi.runtime.register_resource_transform(skip_await)
    return k8s.Provider(
        "kubernetes",
        kubeconfig=settings.kubeconfig,
        context=settings.context,
        namespace=config.namespace,
        render_yaml_to_directory=settings.render_yaml_to_directory,
        enable_server_side_apply=True,
    )
