"""A recording mock runtime that behaves like the real providers where our code depends on it.

- Kubernetes: objects without ``metadata.name`` get ``<resource name>-<8 hex chars>`` and the
  ``pulumi.com/autonamed`` annotation (as the provider's auto-naming does; seeded by the URN so a
  synth is reproducible), namespaced objects
  without ``metadata.namespace`` get the provider's namespace, ids are ``namespace/name``.
- pulumi-tls: keys, requests and certificates are placeholder PEM blocks (keys secret).
- pulumi-random: passwords and ids are generated with the requested length and alphabet and
  returned as secrets (the provider marks ``result`` secret).
- AWS (synth/aws_mocks.py): ids, ARNs, endpoints and names shaped as AWS shapes them, in the
  provider's region and a fixed account, so whatever is derived from them renders realistically.
Every registration is recorded with its parent, dependencies and inputs (secrets still wrapped).
"""

from __future__ import annotations

import hashlib
import inspect
import random as stdlib_random
import string
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.sync_await import _sync_await

from synth.aws_mocks import ACCOUNT, REGION, aws_resource

CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "PersistentVolume",
    "PriorityClass",
    "CustomResourceDefinition",
    "IngressClass",
}


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    dependencies: list[str]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    custom: bool
    # The resource options the engine would enforce on delete (dify:protect, components/protection.py).
    protect: bool = False
    retain_on_delete: bool = False


@dataclass
class Recording:
    registrations: list[Registration] = field(default_factory=list)
    stack_outputs: dict[str, Any] = field(default_factory=dict)

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]


def _rng(seed: str) -> stdlib_random.Random:
    return stdlib_random.Random(hashlib.sha256(seed.encode()).digest())


def _password(seed: str, inputs: dict[str, Any]) -> str:
    rng = _rng(seed)
    length = int(inputs.get("length", 16))
    alphabet = ""
    pools = []
    for flag, pool, minimum in (
        ("lower", string.ascii_lowercase, "minLower"),
        ("upper", string.ascii_uppercase, "minUpper"),
        ("numeric", string.digits, "minNumeric"),
        ("special", inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?", "minSpecial"),
    ):
        if inputs.get(flag, True):
            alphabet += pool
            pools.extend([pool] * int(inputs.get(minimum, 0)))
    chars = [rng.choice(pool) for pool in pools]
    chars += [rng.choice(alphabet) for _ in range(length - len(chars))]
    rng.shuffle(chars)
    return "".join(chars)


def _random_id(seed: str, inputs: dict[str, Any]) -> dict[str, Any]:
    import base64

    raw = _rng(seed).randbytes(int(inputs.get("byteLength", 8)))
    b64_url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {
        "hex": raw.hex(),
        "b64Url": b64_url,
        "b64Std": base64.b64encode(raw).decode(),
        "dec": str(int.from_bytes(raw, "big")),
    }


def _pem(label: str, seed: str) -> str:
    body = _rng(seed).randbytes(48).hex()
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def _tls(typ: str, seed: str) -> dict[str, Any]:
    """pulumi-tls outputs: placeholder PEM blocks (keys as secrets, as the provider marks them)."""
    if typ == "tls:index/privateKey:PrivateKey":
        return {
            "privateKeyPem": rpc.wrap_rpc_secret(_pem("EC PRIVATE KEY", seed)),
            "privateKeyPemPkcs8": rpc.wrap_rpc_secret(_pem("PRIVATE KEY", seed)),
            "publicKeyPem": _pem("PUBLIC KEY", seed),
        }
    if typ == "tls:index/certRequest:CertRequest":
        return {"certRequestPem": _pem("CERTIFICATE REQUEST", seed)}
    if typ in ("tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert"):
        return {"certPem": _pem("CERTIFICATE", seed)}
    return {}


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, default_namespace: str = "default") -> None:
        self.default_namespace = default_namespace
        self.aws_region = REGION
        self.recording = Recording()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        seed = f"{args.typ}::{args.name}"
        state: dict[str, Any] = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            if args.typ == "pulumi:providers:aws" and args.inputs.get("region"):
                self.aws_region = str(args.inputs["region"])
            return f"{args.name}-provider-id", state
        if args.typ.startswith("kubernetes:"):
            return self._kubernetes(args, seed, state)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = rpc.wrap_rpc_secret(_password(seed, args.inputs))
            # The real provider's id for a password is the literal "none".
            return "none", state
        if args.typ == "random:index/randomId:RandomId":
            values = _random_id(seed, args.inputs)
            state |= {k: rpc.wrap_rpc_secret(v) if k == "b64Url" else v for k, v in values.items()}
            # The real provider's id is the b64Url value.
            return values["b64Url"], state
        if args.typ == "random:index/randomString:RandomString":
            state["result"] = _password(seed, args.inputs)
            return f"{args.name}-id", state
        if args.typ.startswith("tls:"):
            return f"{args.name}-id", state | _tls(args.typ, seed)
        if args.typ.startswith("aws:"):
            return aws_resource(args.typ, args.name, seed, state, self.aws_region)
        return f"{args.name}-id", state

    def _kubernetes(
        self, args: pulumi.runtime.MockResourceArgs, seed: str, state: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        metadata = dict(state.get("metadata") or {})
        if not metadata.get("name"):
            # The provider appends 8 hex characters and marks the object as auto-named.
            suffix = _rng(seed).randbytes(4).hex()
            metadata["name"] = f"{args.name}-{suffix}"
            metadata["annotations"] = {**(metadata.get("annotations") or {}), "pulumi.com/autonamed": "true"}
        kind = str(state.get("kind", ""))
        if kind not in CLUSTER_SCOPED and not metadata.get("namespace"):
            metadata["namespace"] = self.default_namespace
        state["metadata"] = metadata
        identity = metadata["name"] if kind in CLUSTER_SCOPED else f"{metadata['namespace']}/{metadata['name']}"
        return identity, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/mock", "userId": "AIDAMOCK"}, None
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": REGION, "region": REGION, "id": REGION}, None
        return {}, None


class RecordingMonitor(MockMonitor):
    """Adds what MockResourceArgs leaves out (the parent and the dependencies) and, unlike the
    SDK's mock monitor, runs stack transforms on every registration as the engine does, so a
    transform's changes reach the rendered objects."""

    def _run_stack_transforms(self, request: Any) -> None:
        if not self._stack_transforms or request.type == "pulumi:pulumi:Stack":
            return
        props = rpc.deserialize_properties(request.object)
        for transform in self._stack_transforms:
            args = pulumi.ResourceTransformArgs(
                bool(request.custom), request.type, request.name, props, pulumi.ResourceOptions()
            )
            result = transform(args)
            if inspect.isawaitable(result):
                result = _sync_await(result)
            if result is not None:
                props = dict(result.props)
        request.object.CopyFrom(_sync_await(rpc.serialize_properties(props, {})))

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recorder = mocks

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self._run_stack_transforms(request)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            registration = self.resources.get(response.urn)
            self.recorder.recording.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    dependencies=sorted(set(request.dependencies)),
                    inputs=rpc.deserialize_properties(request.object),
                    outputs=registration.state if registration else {},
                    custom=bool(request.custom),
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                )
            )
        return response
