"""Register a model package with boto3: the resolved Arguments of the definition's RegisterModel step."""

from __future__ import annotations

from typing import Any

from . import storage


class RegistrationFailed(RuntimeError):
    """The request points at artifacts that do not exist, or the registry refused it."""


def s3_uris(request: Any) -> list[str]:
    """Every artifact the request points at: model data, metrics, baselines."""
    found: list[str] = []
    if isinstance(request, dict):
        for key, value in request.items():
            if key in {"S3Uri", "ModelDataUrl"} and isinstance(value, str) and value.startswith("s3://"):
                found.append(value)
            else:
                found.extend(s3_uris(value))
    elif isinstance(request, list):
        for value in request:
            found.extend(s3_uris(value))
    return found


def ensure_group(sm: Any, group: str, description: str, tags: dict[str, str]) -> None:
    """Create the model package group if it is missing (the emulator starts empty; on AWS Terraform owns it)."""
    try:
        sm.describe_model_package_group(ModelPackageGroupName=group)
    except sm.exceptions.ClientError:
        sm.create_model_package_group(
            ModelPackageGroupName=group,
            ModelPackageGroupDescription=description,
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )


def register(sm: Any, s3: Any, request: dict[str, Any]) -> str:
    """CreateModelPackage after checking every artifact it names exists; returns the package ARN."""
    missing = [uri for uri in s3_uris(request) if not storage.exists(s3, uri)]
    if missing:
        raise RegistrationFailed(f"the model package names artifacts that do not exist: {', '.join(missing)}")
    try:
        return sm.create_model_package(**request)["ModelPackageArn"]
    except sm.exceptions.ClientError as exc:
        raise RegistrationFailed(str(exc)) from exc


def packages(sm: Any, group: str) -> list[dict[str, Any]]:
    """Every package of the group, described (newest last)."""
    arns = []
    for page in sm.get_paginator("list_model_packages").paginate(ModelPackageGroupName=group):
        arns.extend(p["ModelPackageArn"] for p in page["ModelPackageSummaryList"])
    described = [sm.describe_model_package(ModelPackageName=arn) for arn in arns]
    return sorted(described, key=lambda p: p.get("ModelPackageVersion", 0))
