"""dify:aws:StorageIdentity: IRSA for the pods that read and write the bucket.

Creates: an IAM role that only the one Kubernetes ServiceAccount ``system:serviceaccount:<ns>:<sa>``
may assume, through the cluster's OIDC provider and only for the ``sts.amazonaws.com`` audience
(the condition keys are the issuer host followed by ``:sub`` and ``:aud``); an inline policy
allowing the object actions Dify and the plugin daemon use on this bucket's objects and listing
the bucket (HeadBucket, which both run at start, needs s3:ListBucket); and the ServiceAccount,
annotated with the role's ARN so the EKS pod identity webhook injects the web-identity token.
The account carries no RBAC binding and pods mount no API token (kube.WorkloadIdentity).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.kube import WorkloadIdentity

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
# Regional STS: the token exchange stays in the stack's region (the webhook's default is global).
REGIONAL_STS_ANNOTATION = "eks.amazonaws.com/sts-regional-endpoints"
AUDIENCE = "sts.amazonaws.com"
# api/extensions/storage/aws_s3_storage.py @ dify 1.16.1: head_bucket, put/get/head/delete_object,
# download_file (GET); the plugin daemon's client (dify-cloud-kit v0.1.3 oss/s3/s3.go): HeadBucket,
# Put/Get/Head/DeleteObject, ListObjectsV2. Neither creates the bucket when HeadBucket succeeds.
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
BUCKET_ACTIONS = ("s3:ListBucket",)


@dataclass
class StorageIdentityArgs:
    namespace: pulumi.Input[str]
    namespace_name: str
    service_account: str
    labels: Mapping[str, str]
    oidc_provider_arn: str
    issuer_host: str
    bucket_arn: pulumi.Input[str]


def trust_policy(provider_arn: str, issuer_host: str, namespace: str, service_account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer_host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{issuer_host}:aud": AUDIENCE,
                        }
                    },
                }
            ],
        }
    )


def bucket_policy(bucket_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ListTheBucket", "Effect": "Allow", "Action": list(BUCKET_ACTIONS), "Resource": bucket_arn},
                {
                    "Sid": "ReadWriteItsObjects",
                    "Effect": "Allow",
                    "Action": list(OBJECT_ACTIONS),
                    "Resource": f"{bucket_arn}/*",
                },
            ],
        }
    )


class StorageIdentity(pulumi.ComponentResource):
    role: aws.iam.Role
    service_account: WorkloadIdentity

    def __init__(self, name: str, args: StorageIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dify:aws:StorageIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            description=f"IRSA: {args.namespace_name}/{args.service_account} reads and writes Dify's bucket",
            assume_role_policy=trust_policy(
                args.oidc_provider_arn, args.issuer_host, args.namespace_name, args.service_account
            ),
            max_session_duration=3600,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-bucket-access",
            role=self.role.id,
            policy=pulumi.Output.from_input(args.bucket_arn).apply(bucket_policy),
            opts=pulumi.ResourceOptions(parent=self.role),
        )
        self.account = k8s.core.v1.ServiceAccount(
            f"{name}-serviceaccount",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.service_account,
                namespace=args.namespace,
                labels=dict(args.labels),
                annotations={ROLE_ARN_ANNOTATION: self.role.arn, REGIONAL_STS_ANNOTATION: "true"},
            ),
            automount_service_account_token=False,
            opts=child,
        )
        self.service_account = WorkloadIdentity(args.service_account)
        self.register_outputs({"role_arn": self.role.arn, "service_account": args.service_account})
