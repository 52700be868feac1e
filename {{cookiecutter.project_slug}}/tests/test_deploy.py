"""The pipeline in SageMaker: upsert, start and status through boto3 (against the emulator and a stub)."""

from __future__ import annotations

import json

import boto3
from botocore.stub import Stubber

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.pipeline import definition, deploy, targets
from {{ cookiecutter.package_name }}.pipeline.local import emulator


def test_upsert_creates_then_updates_and_start_runs_it():
    cfg = settings.load()
    target = targets.from_conventions(cfg, "dev", commit="abc")
    doc = definition.definition(cfg, target)
    with emulator.emulator(cfg.region) as aws:
        sm = aws.client("sagemaker")
        arn = deploy.upsert(sm, cfg, target, doc)
        assert arn.endswith(f":pipeline/{cfg.pipeline_name('dev')}")
        again = deploy.upsert(sm, cfg, targets.from_conventions(cfg, "dev", commit="def"), doc)
        assert again == arn
        described = sm.describe_pipeline(PipelineName=cfg.pipeline_name("dev"))
        assert json.loads(described["PipelineDefinition"]) == doc
        assert described["RoleArn"] == cfg.pipeline_role_arn("dev")
        assert "def" in described["PipelineDescription"]
        execution = deploy.start(sm, cfg.pipeline_name("dev"), {"MetricThreshold": "0.5"})
        assert ":pipeline/" in execution and "/execution/" in execution


def test_status_reports_the_latest_execution_and_its_steps():
    sm = boto3.client("sagemaker", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    arn = "arn:aws:sagemaker:eu-west-1:111111111111:pipeline/p/execution/abc"
    with Stubber(sm) as stub:
        stub.add_response("list_pipeline_executions", {"PipelineExecutionSummaries": [{"PipelineExecutionArn": arn}]})
        stub.add_response(
            "describe_pipeline_execution",
            {
                "PipelineExecutionArn": arn,
                "PipelineExecutionStatus": "Failed",
                "FailureReason": "Step failure: MetricGateFailed",
            },
        )
        stub.add_response(
            "list_pipeline_execution_steps",
            {
                "PipelineExecutionSteps": [
                    {"StepName": "MetricGateFailed", "StepStatus": "Failed", "FailureReason": "auc = 0.9 is below"},
                    {"StepName": "Preprocess", "StepStatus": "Succeeded"},
                ]
            },
        )
        report = deploy.status(sm, "p")
    assert report["status"] == "Failed"
    assert [s["name"] for s in report["steps"]] == ["MetricGateFailed", "Preprocess"]
    assert report["steps"][0]["failure"] == "auc = 0.9 is below"


def test_errors_are_one_clear_message():
    sm = boto3.client("sagemaker", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(sm) as stub:
        stub.add_client_error("start_pipeline_execution", "ResourceNotFound", "Pipeline p does not exist")
        try:
            deploy.start(sm, "p", {})
        except deploy.DeployError as exc:
            assert "does not exist" in str(exc)
        else:
            raise AssertionError("expected DeployError")
