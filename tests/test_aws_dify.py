"""Prod's managed data tier seen from Dify's side (dify:aws): the TLS settings each service that
talks to RDS or ElastiCache gets (contract §2.4/§2.6 names), S3 by IRSA, and no shared volume."""

from __future__ import annotations

from typing import Any

import pytest

from synth.mocks import Recording
from tests.conftest import objects
from tests.lookup import container, find, kinds, pod_spec
from tests.test_aws import API_FAMILY, S3_PODS, one


def _workload(objs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(o for o in objs if o["kind"] in ("Deployment", "Job") and o["metadata"]["name"] == name)


def _env(objs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(_workload(objs, name))["env"]}


def test_service_account_carries_the_role_and_the_s3_pods_run_as_it(prod: Recording) -> None:
    objs = objects(prod)
    account = find(objs, "ServiceAccount", "dify-storage")
    assert account["metadata"]["namespace"] == "dify-prod"
    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": one(prod, "aws:iam/role:Role").outputs["arn"],
        "eks.amazonaws.com/sts-regional-endpoints": "true",
    }
    assert account["automountServiceAccountToken"] is False
    running = {
        o["metadata"]["name"]
        for o in objs
        if o["kind"] in ("Deployment", "Job", "StatefulSet") and pod_spec(o).get("serviceAccountName") == "dify-storage"
    }
    assert running == S3_PODS
    # The webhook projects the web-identity token; no Kubernetes API token is mounted.
    assert all(pod_spec(_workload(objs, name))["automountServiceAccountToken"] is False for name in S3_PODS)


def test_dev_pods_name_no_service_account(dev: Recording) -> None:
    assert kinds(objects(dev), "ServiceAccount") == []


@pytest.mark.parametrize("name", API_FAMILY)
def test_api_family_talks_tls_to_rds_and_elasticache_and_s3_by_role(prod: Recording, name: str) -> None:
    env = _env(objects(prod), name)
    assert env["DB_HOST"] == one(prod, "aws:rds/instance:Instance").outputs["address"]
    assert env["DB_EXTRAS"] == "sslmode=require"
    assert (
        env["REDIS_HOST"]
        == one(prod, "aws:elasticache/replicationGroup:ReplicationGroup").outputs["primaryEndpointAddress"]
    )
    assert (env["REDIS_USE_SSL"], env["REDIS_SSL_CERT_REQS"]) == ("true", "CERT_REQUIRED")
    assert {k: env[k] for k in ("STORAGE_TYPE", "S3_USE_AWS_MANAGED_IAM", "S3_REGION")} == {
        "STORAGE_TYPE": "s3",
        "S3_USE_AWS_MANAGED_IAM": "true",
        "S3_REGION": "eu-west-1",
    }
    assert env["S3_BUCKET_NAME"] == one(prod, "aws:s3/bucket:Bucket").outputs["bucket"]
    # No keys and no OpenDAL: the role is the only credential.
    assert not {"S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_ENDPOINT", "OPENDAL_SCHEME", "DB_SSL_MODE"} & set(env)


def test_plugin_daemon_talks_tls_and_stores_plugins_in_s3(prod: Recording) -> None:
    env = _env(objects(prod), "dify-plugin-daemon")
    assert (env["DB_SSL_MODE"], env["DB_DATABASE"], env["REDIS_USE_SSL"]) == ("require", "dify_plugin", "true")
    # Unset: the daemon then verifies against the system CAs; CERT_REQUIRED would demand a CA file.
    assert "REDIS_SSL_CERT_REQS" not in env
    assert {
        k: env[k] for k in ("PLUGIN_STORAGE_TYPE", "S3_USE_AWS", "S3_USE_AWS_MANAGED_IAM", "S3_USE_PATH_STYLE")
    } == {
        "PLUGIN_STORAGE_TYPE": "aws_s3",
        "S3_USE_AWS": "true",
        "S3_USE_AWS_MANAGED_IAM": "true",
        "S3_USE_PATH_STYLE": "false",
    }
    assert env["AWS_REGION"] == "eu-west-1"
    assert env["PLUGIN_STORAGE_OSS_BUCKET"] == one(prod, "aws:s3/bucket:Bucket").outputs["bucket"]
    assert not {"AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PLUGIN_STORAGE_LOCAL_ROOT"} & set(env)


def test_broker_and_agent_urls_use_rediss_and_verify(prod: Recording) -> None:
    objs = objects(prod)
    (connections,) = [s for s in kinds(objs, "Secret") if "celery-broker-url" in s.get("stringData", {})]
    host = one(prod, "aws:elasticache/replicationGroup:ReplicationGroup").outputs["primaryEndpointAddress"]
    data = connections["stringData"]
    for key, db in (("celery-broker-url", 1), ("agent-redis-url", 2)):
        assert data[key].startswith("rediss://:") and data[key].endswith(f"@{host}:6379/{db}?ssl_cert_reqs=required")
    agent = _env(objs, "dify-agent-backend")
    assert agent["DIFY_AGENT_REDIS_URL"] == {
        "secretKeyRef": {"name": connections["metadata"]["name"], "key": "agent-redis-url"}
    }


def test_no_volume_is_shared_on_s3(prod: Recording) -> None:
    objs = objects(prod)
    assert kinds(objs, "PersistentVolumeClaim") == []
    for o in objs:
        if o["kind"] in ("Deployment", "Job"):
            volumes = pod_spec(o).get("volumes") or []
            assert not [v for v in volumes if "persistentVolumeClaim" in v], o["metadata"]["name"]
    # Without a shared claim nothing pins the api family to one node.
    assert (
        "dify-pulumi/storage-group"
        not in find(objs, "Deployment", "dify-api")["spec"]["template"]["metadata"]["labels"]
    )
