"""The pipeline in SageMaker: create or update it, start executions, report their status (boto3 only)."""

from __future__ import annotations

import json
from typing import Any

from ..errors import MlopsError
from ..settings import Settings
from .targets import Target


class DeployError(MlopsError):
    """SageMaker refused a request; the message is SageMaker's."""


def _call(fn, **kwargs) -> dict[str, Any]:
    try:
        return fn(**kwargs)
    except Exception as exc:  # botocore ClientError and credential errors alike
        raise DeployError(f"{fn.__name__}: {exc}") from exc


def _exists(sm: Any, name: str) -> bool:
    try:
        sm.describe_pipeline(PipelineName=name)
    except sm.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        # SageMaker answers ResourceNotFound; the emulator a ValidationException "Could not find pipeline".
        if error.get("Code") == "ResourceNotFound" or "could not find" in error.get("Message", "").lower():
            return False
        raise DeployError(f"describe_pipeline: {exc}") from exc
    except Exception as exc:
        raise DeployError(f"describe_pipeline: {exc}") from exc
    return True


def upsert(sm: Any, cfg: Settings, target: Target, definition: dict[str, Any]) -> str:
    """Create the pipeline, or update it if it exists; returns its ARN."""
    name = cfg.pipeline_name(target.env)
    common = {
        "PipelineName": name,
        "PipelineDisplayName": name,
        "PipelineDefinition": json.dumps(definition),
        "PipelineDescription": f"{cfg.name} ({target.env}) at commit {target.git_commit}",
        "RoleArn": target.role_arn,
        "ParallelismConfiguration": {"MaxParallelExecutionSteps": max(2, cfg.tuning_max_parallel_jobs)},
    }
    if _exists(sm, name):
        return _call(sm.update_pipeline, **common)["PipelineArn"]
    tags = [{"Key": k, "Value": v} for k, v in cfg.tags(target.env).items()]
    return _call(sm.create_pipeline, **common, Tags=tags)["PipelineArn"]


def start(sm: Any, pipeline: str, parameters: dict[str, str]) -> str:
    """Start an execution; returns its ARN."""
    answer = _call(
        sm.start_pipeline_execution,
        PipelineName=pipeline,
        PipelineParameters=[{"Name": k, "Value": v} for k, v in parameters.items()],
    )
    return answer["PipelineExecutionArn"]


def status(sm: Any, pipeline: str, execution_arn: str | None = None) -> dict[str, Any]:
    """The execution (default: the latest) and each step's status, newest step first."""
    if execution_arn is None:
        latest = _call(
            sm.list_pipeline_executions,
            PipelineName=pipeline,
            SortBy="CreationTime",
            SortOrder="Descending",
            MaxResults=1,
        )["PipelineExecutionSummaries"]
        if not latest:
            raise DeployError(f"pipeline {pipeline} has no executions yet")
        execution_arn = latest[0]["PipelineExecutionArn"]
    execution = _call(sm.describe_pipeline_execution, PipelineExecutionArn=execution_arn)
    steps = _call(sm.list_pipeline_execution_steps, PipelineExecutionArn=execution_arn)["PipelineExecutionSteps"]
    return {
        "execution_arn": execution_arn,
        "status": execution.get("PipelineExecutionStatus"),
        "failure": execution.get("FailureReason"),
        "started": execution.get("CreationTime"),
        "steps": [
            {
                "name": s.get("StepName"),
                "status": s.get("StepStatus"),
                "started": s.get("StartTime"),
                "ended": s.get("EndTime"),
                "failure": s.get("FailureReason"),
            }
            for s in steps
        ],
    }
