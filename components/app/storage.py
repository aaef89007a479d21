"""dify:app:SharedStorage: the volume api, api_websocket and worker share at /app/api/storage.

Creates: one PersistentVolumeClaim. Uploaded files and the per-tenant RSA keys that encrypt
provider credentials (KEY_PROVIDER_TYPE=local) live here: back it up. ReadWriteOnce (the dev
default: kind, minikube and Docker Desktop provisioners offer nothing else) works because the
sharers are pinned to one node by pod affinity; ReadWriteMany (EFS, NFS) lets them spread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.catalog import PREFIX
from components.kube import SKIP_AWAIT, object_meta


@dataclass
class SharedStorageArgs:
    namespace: pulumi.Input[str]
    labels: Mapping[str, str]
    size: str
    access_mode: str
    storage_class: str | None
    claim_name: str = f"{PREFIX}-app-storage"


class SharedStorage(pulumi.ComponentResource):
    claim: k8s.core.v1.PersistentVolumeClaim

    def __init__(self, name: str, args: SharedStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:app:SharedStorage", name, None, opts)
        self.claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-pvc",
            metadata=object_meta(args.claim_name, args.namespace, args.labels, SKIP_AWAIT),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=[args.access_mode],
                storage_class_name=args.storage_class,
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": args.size}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.claim_name = self.claim.metadata.name
        self.register_outputs({"claim": self.claim_name})
