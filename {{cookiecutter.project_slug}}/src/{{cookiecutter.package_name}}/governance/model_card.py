"""The SageMaker Model Card of a package version, built from the validation report's facts."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

# The model card of a package version follows the package (AWS statuses: Draft, PendingReview, Approved, Archived).
CARD_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
PROBLEM_TYPES = {"binary_classification": "Binary Classification", "regression": "Regression"}
# The model card schema's objective-function facets (the SageMaker SDK's FacetEnum) for this project's metrics.
FACETS = {"auc": "AUC", "accuracy": "Accuracy", "rmse": "RMSE", "mae": "MAE"}


# --- model card ----------------------------------------------------------------------------------------------------


def card_name(cfg: Any, env: str, version: Any) -> str:
    return f"{cfg.resource_name(env)}-v{version}"


def card_status(facts: Mapping[str, Any]) -> str:
    """The model card's status for the package: Draft while pending, Approved once an approval verifies."""
    status = facts["package"]["status"]
    if status == "Approved":
        return "Approved" if (facts.get("approval") or {}).get("verifies") else "PendingReview"
    if status == "Rejected":
        return "Archived"
    return "Draft"


def _clip(text: Any, limit: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def card_content(facts: Mapping[str, Any], report_sha256: str, report_path: str) -> dict[str, Any]:
    """Model card content (SageMaker model card JSON schema) from the report's facts."""
    model, package, lineage = facts["model"], facts["package"], facts["lineage"]
    primary = facts["metrics"]["primary"]
    arn = package["arn"]
    image = [package["image"]] if package.get("image") else []
    overview: dict[str, Any] = {
        "model_id": arn,
        "model_name": _clip(f"{model['name']} ({model['environment']})", 1024),
        "model_description": _clip(model["description"], 1024),
        "model_version": package["version"],
        "problem_type": PROBLEM_TYPES.get(model["problem_type"], model["problem_type"]),
        "algorithm_type": f"gradient-boosted trees ({model['framework']})",
        "model_owner": _clip(f"{model['owner']['name']} <{model['owner']['email']}>", 1024),
        "model_creator": _clip(model["owner"]["name"], 1024),
        "model_artifact": [package["model_data_url"]] if package.get("model_data_url") else [],
        "inference_environment": {"container_image": image},
    }
    function = {
        "function": "Maximize" if primary["goal"] == "maximize" else "Minimize",
        "condition": _clip(
            f"{primary['name']} {'>=' if primary['goal'] == 'maximize' else '<='} {primary['threshold']:g}", 63
        ),
    }
    if primary["name"] in FACETS:
        function["facet"] = FACETS[primary["name"]]
    tuning = facts.get("tuning")
    account, region = model["account"], model["region"]
    job = lineage.get("training-job")
    training_job: dict[str, Any] = {
        "training_datasets": [lineage["dataset-uri"]] if lineage.get("dataset-uri") else [],
        "training_environment": {"container_image": image},
        "hyper_parameters": [{"name": k, "value": _clip(v, 1024)} for k, v in facts["hyperparameters"].items()][:100],
    }
    if job:
        training_job["training_arn"] = f"arn:aws:sagemaker:{region}:{account}:training-job/{job}"
    observations = (
        f"Bayesian tuning: {tuning['summary']} (budget {tuning['max_jobs']} trials)"
        if tuning
        else "Trained with the hyperparameters of project.yaml (no tuning)."
    )
    metric_data = [
        {
            "name": name,
            "type": "number",
            "value": value,
            **(
                {"notes": f"primary metric; gate {function['condition']}: {'pass' if primary['passes'] else 'fail'}"}
                if name == primary["name"]
                else {}
            ),
        }
        for name, value in facts["metrics"]["values"].items()
    ]
    audit = facts["audit"]
    signed = [
        f"{s['printed_name']} ({s['meaning']}, {s['decision']}, {s['time']}): "
        f"{'verifies' if s['verifies'] else 'DOES NOT VERIFY'}"
        for s in facts["signatures"]
    ]
    custom = {
        "validation_report_sha256": report_sha256,
        "validation_report": report_path,
        "git_commit": lineage.get("git-commit", ""),
        "git_dirty": lineage.get("git-dirty", ""),
        "dataset_sha256": lineage.get("dataset-sha256", ""),
        "model_sha256": lineage.get("model-sha256", ""),
        "compliance": model["compliance"],
        "data_classification": model["data_classification"],
        "audit_trail": audit["summary"],
        "signatures": "; ".join(signed) or "none",
        "traceability": "{pass} pass, {missing} missing".format(**facts["traceability_summary"]),
    }
    containers = [{"image": package["image"], "model_data_url": package["model_data_url"]}] if image else []
    return {
        "model_overview": overview,
        "intended_uses": {
            "purpose_of_model": _clip(model["description"], 2048),
            "risk_rating": "Unknown",
            "explanations_for_risk_rating": "Not rated in project.yaml: the model owner's risk assessment sets it.",
        },
        "training_details": {
            "objective_function": {
                "function": function,
                "notes": "The pipeline registers the model only if it passes.",
            },
            "training_observations": _clip(observations, 1024),
            "training_job_details": training_job,
        },
        "evaluation_details": [
            {
                "name": "held-out test split",
                "evaluation_observation": _clip(
                    f"{primary['name']} = {primary['value']} against the gate {function['condition']}: "
                    f"{'pass' if primary['passes'] else 'fail'}.",
                    2096,
                ),
                "datasets": [lineage["dataset-uri"]] if lineage.get("dataset-uri") else [],
                "metadata": {"evaluation_report": _clip(package.get("evaluation_uri"), 1024)},
                "metric_groups": [{"name": "model quality", "metric_data": metric_data}],
            }
        ],
        "additional_information": {
            "caveats_and_recommendations": _clip(
                f"See the validation report {report_path} (SHA-256 of report.json {report_sha256}) for lineage, "
                "signatures, the audit trail's verification and the Part 11 traceability matrix.",
                2048,
            ),
            "custom_details": {k: _clip(v, 1024) for k, v in custom.items()},
        },
        "model_package_details": _present(
            {
                "model_package_arn": arn,
                "model_package_group_name": package.get("group"),
                "model_package_version": package.get("version"),
                "model_package_description": _clip(package.get("description"), 1024),
                "model_package_status": package.get("package_status"),
                "model_approval_status": package.get("status"),
                "inference_specification": {"containers": containers} if containers else None,
            }
        ),
    }


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that have a value (the schema has no nulls)."""
    return {k: v for k, v in values.items() if v is not None and v != ""}


def write_card(sm: Any, name: str, content: Mapping[str, Any], status: str) -> tuple[str, str | None]:
    """Create the model card, or update it; (status now, note). An archived card is left as it is."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    try:
        current = sm.describe_model_card(ModelCardName=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("ResourceNotFound", "ResourceNotFoundException"):
            raise
        sm.create_model_card(ModelCardName=name, Content=text, ModelCardStatus=status)
        return status, None
    if current.get("ModelCardStatus") == "Archived":
        return "Archived", f"model card {name} is archived: left unchanged"
    if current.get("Content") != text or current.get("ModelCardStatus") != status:
        sm.update_model_card(ModelCardName=name, Content=text, ModelCardStatus=status)
    return status, None
