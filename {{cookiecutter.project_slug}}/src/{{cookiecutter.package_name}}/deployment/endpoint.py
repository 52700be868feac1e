"""What the SageMaker endpoint serves, asked of SageMaker itself: after an apply, Terraform alone cannot say.

When a rollback alarm fires while SageMaker shifts traffic (terraform/sagemaker.tf), or the new fleet fails,
SageMaker returns all traffic to the old fleet and the endpoint goes back to InService on its old
configuration. The AWS provider waits only for InService, so `terraform apply` can exit 0 for a deployment
that never took (hashicorp/terraform-provider-aws#46663). `deploy` therefore reads which model package the
endpoint's primary variant runs before it records success, and records the rollback otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

IN_SERVICE = "InService"
PRIMARY = "primary"  # the variant terraform/sagemaker.tf gives the approved package


@dataclass(frozen=True)
class Serving:
    endpoint: str
    status: str
    config: str | None
    package_arn: str | None  # what the primary variant runs; None when it cannot be told (see ``note``)
    failure: str | None = None  # SageMaker's FailureReason, when it gives one
    note: str | None = None


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ValidationException" and "Could not find" in str(exc)


def describe(sm: Any, name: str) -> Serving | None:
    """The endpoint ``name`` and the package its primary variant runs; None when there is no such endpoint."""
    try:
        endpoint = sm.describe_endpoint(EndpointName=name)
    except ClientError as exc:
        if _missing(exc):
            return None
        raise
    config = endpoint.get("EndpointConfigName")
    package, note = None, None
    try:
        variants = sm.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"]
        variant = next((v for v in variants if v.get("VariantName") == PRIMARY), variants[0])
        model = sm.describe_model(ModelName=variant["ModelName"])
        containers = [model.get("PrimaryContainer", {}), *model.get("Containers", [])]
        package = next((c["ModelPackageName"] for c in containers if c.get("ModelPackageName")), None)
        if package is None:
            note = f"model {variant['ModelName']} names no model package"
    except ClientError as exc:
        if not _missing(exc):
            raise
        # An apply that missed a rollback replaces the configuration the endpoint still runs on.
        note = f"its configuration {config} or that configuration's model no longer exists"
    return Serving(name, endpoint["EndpointStatus"], config, package, endpoint.get("FailureReason"), note)


def problem(serving: Serving | None, name: str, package_arn: str) -> str | None:
    """Why the endpoint is not serving ``package_arn`` after a deployment of it, or None."""
    if serving is None:
        return f"endpoint {name} does not exist after the apply"
    failure = f"; SageMaker says: {serving.failure}" if serving.failure else ""
    if serving.status != IN_SERVICE:
        return f"endpoint {name} is {serving.status}, not {IN_SERVICE}{failure}"
    if serving.package_arn != package_arn:
        runs = serving.package_arn or f"an unknown package ({serving.note})"
        return f"endpoint {name} still serves {runs}: SageMaker rolled the deployment back{failure}"
    return None


def invoke(runtime: Any, name: str, body: bytes, content_type: str) -> bytes:
    """The endpoint's answer (JSON) to ``body``."""
    answer = runtime.invoke_endpoint(EndpointName=name, ContentType=content_type, Accept="application/json", Body=body)
    return bytes(answer["Body"].read())
