"""The verdicts that change when the data tier is AWS's (``dify:aws``): RDS, ElastiCache and S3
replace the in-cluster Postgres, Redis and volumes, so these variables legitimately leave
upstream's values. Everything else in the table holds for both stacks unchanged; the in-cluster
db_postgres and redis services are simply not rendered.
"""

from __future__ import annotations

from components.parity.model import SAME, Differs, Rows, Unset

RDS_USER = Differs("the RDS master user, dify (components/aws/database.py); upstream's superuser is postgres")
TLS_REDIS = Differs("ElastiCache refuses plain connections (transit encryption required)")

_API_FAMILY: Rows = {
    "DB_USERNAME": RDS_USER,
    "REDIS_USE_SSL": TLS_REDIS,
    "REDIS_SSL_CERT_REQS": Differs("CERT_REQUIRED: ElastiCache's certificate is verified, not just encrypted to"),
    "STORAGE_TYPE": Differs("s3 through the pod's IRSA role (dify:aws): no volume is shared across pods"),
    "OPENDAL_SCHEME": Unset("STORAGE_TYPE is s3; OpenDAL's settings are not read"),
    "OPENDAL_FS_ROOT": Unset("STORAGE_TYPE is s3; OpenDAL's settings are not read"),
}

_PLUGIN_DAEMON: Rows = {
    "DB_USERNAME": RDS_USER,
    "DB_SSL_MODE": Differs("require: RDS's parameter group forces TLS (rds.force_ssl=1)"),
    "REDIS_USE_SSL": TLS_REDIS,
    "PLUGIN_STORAGE_TYPE": Differs("aws_s3: packages and installed plugins live in the stack's bucket"),
    "PLUGIN_STORAGE_LOCAL_ROOT": Unset("PLUGIN_STORAGE_TYPE is aws_s3; the local root is not read"),
    "PLUGIN_STORAGE_OSS_BUCKET": Differs("the stack's bucket (components/aws/bucket.py)"),
    "S3_USE_AWS": Differs("true: AWS S3 itself, not an S3-compatible endpoint"),
    "S3_USE_AWS_MANAGED_IAM": Differs("true: the pod's IRSA role, no access keys"),
    "S3_USE_PATH_STYLE": SAME,
    "AWS_REGION": Differs("the bucket's region (dify:aws.region)"),
}

MANAGED: dict[str, Rows] = {
    "api": _API_FAMILY,
    "api_websocket": _API_FAMILY,
    "worker": _API_FAMILY,
    "worker_beat": _API_FAMILY,
    "plugin_daemon": _PLUGIN_DAEMON,
}
