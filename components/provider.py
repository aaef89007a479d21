"""The explicit Kubernetes provider: never the ambient ~/.kube/config default."""

from __future__ import annotations

import pulumi_kubernetes as k8s

from components.config.models import StackConfig


def kubernetes_provider(config: StackConfig) -> k8s.Provider:
    settings = config.kubernetes
    return k8s.Provider(
        "kubernetes",
        kubeconfig=settings.kubeconfig,
        context=settings.context,
        namespace=config.namespace,
        render_yaml_to_directory=settings.render_yaml_to_directory,
        enable_server_side_apply=True,
    )
