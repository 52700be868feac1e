"""Register a model package with boto3: the resolved Arguments of the definition's RegisterModel step."""

from __future__ import annotations

import json
from typing import Any

from ...errors import MlopsError
from . import storage


class RegistrationFailed(MlopsError):
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
    arns: list[str] = []
    for page in sm.get_paginator("list_model_packages").paginate(ModelPackageGroupName=group):
        arns.extend(p["ModelPackageArn"] for p in page["ModelPackageSummaryList"])
    described = [sm.describe_model_package(ModelPackageName=arn) for arn in arns]
    return sorted(described, key=lambda p: p.get("ModelPackageVersion", 0))


def evaluation_uri(package: dict[str, Any]) -> str | None:
    """Where the package's evaluation report (its ModelStatistics) is."""
    return package.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {}).get("S3Uri")


def read_json(s3: Any, uri: str | None) -> dict[str, Any] | None:
    """A JSON object in S3, or None when there is no URI, no object, or no JSON object in it."""
    if not uri:
        return None
    bucket, key = storage.split_uri(uri)
    try:
        value = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except (s3.exceptions.ClientError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def evaluation_report(s3: Any, package: dict[str, Any]) -> dict[str, Any] | None:
    """The package's evaluation.json, or None when it names none or it cannot be read."""
    return read_json(s3, evaluation_uri(package))


def metric_value(report: dict[str, Any] | None, json_path: str) -> float | None:
    """The number at ``json_path`` (``binary_classification_metrics.auc.value``) of an evaluation report."""
    node: Any = report
    try:
        for part in json_path.split("."):
            node = node[part]
        return float(node)
    except (KeyError, TypeError, ValueError):
        return None


def _evaluation_value(s3: Any, package: dict[str, Any], json_path: str) -> float | None:
    return metric_value(evaluation_report(s3, package), json_path)


def summaries(sm: Any, s3: Any, group: str, json_path: str) -> list[dict[str, Any]]:
    """One line's worth per package of the group, oldest first: version, status, metric, lineage."""
    try:
        found = packages(sm, group)
    except sm.exceptions.ClientError as exc:
        if "does not exist" in str(exc) or "not found" in str(exc).lower():
            return []
        raise
    out = []
    for p in found:
        lineage = p.get("CustomerMetadataProperties", {})
        out.append(
            {
                "version": p.get("ModelPackageVersion"),
                "arn": p["ModelPackageArn"],
                "status": p.get("ModelApprovalStatus", ""),
                "created": p.get("CreationTime"),
                "metric": _evaluation_value(s3, p, json_path),
                "commit": lineage.get("git-commit", ""),
                "dirty": lineage.get("git-dirty") == "true",
            }
        )
    return out
