"""The governance resources Terraform makes on AWS, made in the local world, and its distinct identities.

On AWS, ``terraform/`` creates the audit bucket (Object Lock), the signing key, the approver and pipeline roles and
the notification topic; locally this module creates the same names in the emulator, once. Each local actor is an
emulator ``AssumeRole`` session of its role, so the audit trail and the self-approval check see distinct
identities, as on AWS: the pipeline runs as ``<name>-pipeline``, a steward signs as ``<name>-approver``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..pipeline.local import storage
from ..pipeline.local.emulator import Aws, emulator_session
from ..settings import Settings

# Local retention of audit entries: long enough to protect a demo from slips, short enough not to matter.
LOCAL_LOCK_DAYS = 1
_TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


def ensure(aws: Aws, cfg: Settings, env: str) -> None:
    """Create what is missing: audit bucket, signing key and alias, roles, topic (emulator only)."""
    if not aws.emulated:
        raise ValueError("governance resources on AWS come from terraform/, not from this code")
    s3 = aws.client("s3")
    bucket = cfg.audit_bucket(env)
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectLockEnabledForBucket": True}
        if cfg.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": cfg.region}
        s3.create_bucket(**kwargs)
        s3.put_object_lock_configuration(
            Bucket=bucket,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {
                    "DefaultRetention": {
                        "Mode": "COMPLIANCE" if cfg.compliance == "gxp" else "GOVERNANCE",
                        "Days": LOCAL_LOCK_DAYS,
                    }
                },
            },
        )
    storage.ensure_bucket(s3, cfg.artifact_bucket(env), cfg.region)

    kms = aws.client("kms")
    alias = cfg.signing_key_alias_arn(env).split(":", 5)[5]
    if not any(
        a["AliasName"] == alias for page in kms.get_paginator("list_aliases").paginate() for a in page["Aliases"]
    ):
        key = kms.create_key(
            KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Description=f"{cfg.resource_name(env)}: e-signatures"
        )
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyMetadata"]["KeyId"])

    iam = aws.client("iam")
    for arn in (cfg.pipeline_role_arn(env), cfg.approver_role_arn(env)):
        name = arn.rsplit("/", 1)[1]
        try:
            iam.get_role(RoleName=name)
        except iam.exceptions.NoSuchEntityException:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=_TRUST)
    aws.client("sns").create_topic(Name=cfg.events_topic_arn(env).rsplit(":", 1)[1])  # idempotent


def session_name(printed_name: str) -> str:
    """An STS session name (2-64 of ``[\\w+=,.@-]``) from a person's printed name."""
    name = re.sub(r"[^\w+=,.@-]+", "-", printed_name.strip()).strip("-")[:64]
    return name if len(name) >= 2 else "local-user"


def assume(aws: Aws, role_arn: str, name: str, *, source_identity: str | None = None) -> Aws:
    """The emulator session of ``role_arn`` (same endpoint, same account): a distinct identity for the trail."""
    kwargs: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name(name)}
    if source_identity:
        kwargs["SourceIdentity"] = session_name(source_identity)
    credentials = aws.client("sts").assume_role(**kwargs)["Credentials"]
    account = role_arn.split(":")[4]
    session = emulator_session(
        aws.session.region_name,
        account,
        {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        },
    )
    return Aws(session, aws.endpoint_url)
