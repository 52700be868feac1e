"""The pipeline definition: offline, valid for SageMaker's APIs, one image, secured, gated on the metric."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from {{ cookiecutter.package_name }} import contract, metrics, models
from {{ cookiecutter.package_name }}.pipeline import definition, layout, targets
from {{ cookiecutter.package_name }}.serving import payload

from conftest import variant

VARIANTS = [
    (framework, problem_type, tuning)
    for framework in models.FRAMEWORKS
    for problem_type in ("binary_classification", "regression")
    for tuning in (True, False)
]
OPERATIONS = {
    "Processing": "CreateProcessingJob",
    "Training": "CreateTrainingJob",
    "Tuning": "CreateHyperParameterTuningJob",
    "RegisterModel": "CreateModelPackage",
}
# SageMaker names each job per execution, so the SDK leaves the names out of the definition.
JOB_NAMES = {"Processing": "ProcessingJobName", "Training": "TrainingJobName", "Tuning": "HyperParameterTuningJobName"}
PLACEHOLDERS = {"string": "placeholder", "integer": 1, "long": 1, "float": 1.0, "double": 1.0, "boolean": True}
EXPRESSIONS = {"Get", "Std:Join", "Std:JsonGet"}
VPC = {
    "subnets": ("subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"),
    "security_group_ids": ("sg-0a1b2c3d4e5f6000a",),
}
SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")


_BUILT: dict[str, dict[str, Any]] = {}


def build(cfg, **network) -> dict[str, Any]:
    """The definition for these settings (built once per variant: tests only read it)."""
    key = json.dumps([dataclasses.asdict(cfg), sorted(network.items())], sort_keys=True)
    if key not in _BUILT:
        _BUILT[key] = definition.definition(cfg, targets.from_conventions(cfg, "dev", commit="0123abc", **network))
    return copy.deepcopy(_BUILT[key])


def all_steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found, stack = [], list(doc["Steps"])
    while stack:
        step = stack.pop(0)
        found.append(step)
        stack.extend(step["Arguments"].get("IfSteps", []) + step["Arguments"].get("ElseSteps", []))
    return found


def steps_by_type(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for step in all_steps(doc):
        out.setdefault(step["Type"], []).append(step)
    return out


def with_placeholders(value: Any, shape, parameters: dict[str, Any]) -> Any:
    """Replace run-time expressions by values of the type the API expects there.

    A parameter reference becomes the parameter's default, so its declared type is checked too.
    """
    if isinstance(value, dict) and len(value) == 1 and set(value) <= EXPRESSIONS:
        if "Std:Join" in value:
            assert shape.type_name == "string", f"Std:Join where the API wants a {shape.type_name}"
        get = value.get("Get", "")
        if get.startswith("Parameters."):
            return parameters[get.split(".", 1)[1]]
        assert shape.type_name in PLACEHOLDERS, f"expression where the API wants a {shape.type_name}"
        return PLACEHOLDERS[shape.type_name]
    if shape.type_name == "structure" and isinstance(value, dict):
        return {
            k: with_placeholders(v, shape.members[k], parameters) if k in shape.members else v for k, v in value.items()
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [with_placeholders(v, shape.member, parameters) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: with_placeholders(v, shape.value, parameters) for k, v in value.items()}
    return value


@pytest.fixture(params=VARIANTS, ids=lambda v: f"{v[0]}-{v[1]}-{'tuned' if v[2] else 'trained'}")
def cfg(request, project):
    return project(variant(*request.param))


def test_definition_builds_offline_without_credentials(project, no_network):
    cfg = project({})
    doc = definition.definition(cfg, targets.from_conventions(cfg, "dev", commit="0123abc"))
    assert json.loads(json.dumps(doc)) == doc
    assert doc["Version"] == "2020-12-01"


@pytest.mark.parametrize("network", [{}, VPC], ids=["no-vpc", "vpc"])
def test_each_step_is_a_valid_request_for_its_sagemaker_api(cfg, network):
    doc = build(cfg, **network)
    defaults = {p["Name"]: p["DefaultValue"] for p in doc["Parameters"]}
    checked = []
    for step in all_steps(doc):
        if step["Type"] not in OPERATIONS:
            continue
        shape = SAGEMAKER.operation_model(OPERATIONS[step["Type"]]).input_shape
        request = with_placeholders(step["Arguments"], shape, defaults)
        if step["Type"] in JOB_NAMES:
            request[JOB_NAMES[step["Type"]]] = "placeholder-job"
        report = ParamValidator().validate(request, shape)
        assert not report.has_errors(), f"{step['Name']}: {report.generate_report()}"
        checked.append(step["Type"])
    expected = {"Processing", "RegisterModel", "Tuning" if cfg.tuning_enabled else "Training"}
    assert set(checked) == expected


def test_step_graph(cfg):
    doc = build(cfg)
    names = [s["Name"] for s in doc["Steps"]]
    fit = layout.STEP_TUNE if cfg.tuning_enabled else layout.STEP_TRAIN
    assert names == [layout.STEP_PREPROCESS, fit, layout.STEP_EVALUATE, layout.STEP_GATE]
    gate = doc["Steps"][-1]["Arguments"]
    assert [s["Type"] for s in gate["IfSteps"]] == ["RegisterModel"]
    assert [s["Type"] for s in gate["ElseSteps"]] == ["Fail"]


def test_parameters(cfg):
    doc = build(cfg)
    params = {p["Name"]: p for p in doc["Parameters"]}
    assert set(params) == {
        layout.PARAM_INPUT_DATA,
        layout.PARAM_IMAGE,
        layout.PARAM_PROCESSING_TYPE,
        layout.PARAM_PROCESSING_COUNT,
        layout.PARAM_TRAINING_TYPE,
        layout.PARAM_TRAINING_COUNT,
        layout.PARAM_APPROVAL,
        layout.PARAM_THRESHOLD,
    }
    assert params[layout.PARAM_APPROVAL]["DefaultValue"] == "PendingManualApproval"
    assert params[layout.PARAM_THRESHOLD] == {
        "Name": layout.PARAM_THRESHOLD,
        "Type": "Float",
        "DefaultValue": cfg.metric.threshold,
    }
    assert params[layout.PARAM_IMAGE]["DefaultValue"] == f"{cfg.ecr_repository_url('dev')}:0123abc"
    assert params[layout.PARAM_INPUT_DATA]["DefaultValue"] == f"s3://{cfg.artifact_bucket('dev')}/data/"


def test_every_job_runs_the_project_image_with_its_step_module(cfg):
    by_type = steps_by_type(build(cfg))
    image = {"Get": f"Parameters.{layout.PARAM_IMAGE}"}
    for step in by_type["Processing"]:
        app = step["Arguments"]["AppSpecification"]
        assert app["ImageUri"] == image
        module = {"Preprocess": "preprocess", "Evaluate": "evaluate"}[step["Name"]]
        assert app["ContainerEntrypoint"] == ["python", "-m", f"{cfg.package}.{module}"]
    if cfg.tuning_enabled:
        algorithm = by_type["Tuning"][0]["Arguments"]["TrainingJobDefinition"]["AlgorithmSpecification"]
        assert "ContainerEntrypoint" not in algorithm  # tuning jobs run the image's `train` program
    else:
        algorithm = by_type["Training"][0]["Arguments"]["AlgorithmSpecification"]
        assert algorithm["ContainerEntrypoint"] == ["python", "-m", f"{cfg.package}.train"]
    assert algorithm["TrainingImage"] == image
    register = by_type["RegisterModel"][0]["Arguments"]
    assert register["InferenceSpecification"]["Containers"][0]["Image"] == image


def test_definition_holds_no_local_paths(cfg, tmp_path):
    text = json.dumps(build(cfg))
    for local in ("file://", "/home/", "/tmp/", "/Users/", str(tmp_path)):
        assert local not in text
    assert "sourcedir.tar.gz" not in text and "SAGEMAKER_SUBMIT_DIRECTORY" not in text


def test_jobs_are_encrypted_isolated_and_in_the_vpc(cfg):
    doc = build(cfg, **VPC)
    key = cfg.kms_key_alias_arn("dev")
    by_type = steps_by_type(doc)
    for step in by_type["Processing"]:
        args = step["Arguments"]
        assert args["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == key
        assert args["ProcessingOutputConfig"]["KmsKeyId"] == key
        assert args["NetworkConfig"] == {
            "EnableNetworkIsolation": True,
            "EnableInterContainerTrafficEncryption": True,
            "VpcConfig": {"Subnets": list(VPC["subnets"]), "SecurityGroupIds": list(VPC["security_group_ids"])},
        }
        assert args["RoleArn"] == cfg.pipeline_role_arn("dev")
    if cfg.tuning_enabled:
        job = by_type["Tuning"][0]["Arguments"]["TrainingJobDefinition"]
        volume = job["HyperParameterTuningResourceConfig"]["VolumeKmsKeyId"]
    else:
        job = by_type["Training"][0]["Arguments"]
        volume = job["ResourceConfig"]["VolumeKmsKeyId"]
    assert volume == key
    assert job["OutputDataConfig"]["KmsKeyId"] == key
    assert job["EnableNetworkIsolation"] is True
    assert job["EnableInterContainerTrafficEncryption"] is True
    assert job["VpcConfig"] == {"Subnets": list(VPC["subnets"]), "SecurityGroupIds": list(VPC["security_group_ids"])}
    assert job["RoleArn"] == cfg.pipeline_role_arn("dev")


def test_without_vpc_options_jobs_carry_no_vpc_config(cfg):
    text = json.dumps(build(cfg))
    assert "VpcConfig" not in text


def test_tuning_searches_the_framework_ranges_for_the_primary_metric(cfg):
    by_type = steps_by_type(build(cfg))
    if not cfg.tuning_enabled:
        assert "Tuning" not in by_type
        hyperparameters = by_type["Training"][0]["Arguments"]["HyperParameters"]
        defaults = models.DEFAULT_HYPERPARAMETERS[cfg.framework][cfg.problem_type]
        assert hyperparameters == {k: str(v) for k, v in defaults.items()}
        return
    args = by_type["Tuning"][0]["Arguments"]
    config = args["HyperParameterTuningJobConfig"]
    assert config["Strategy"] == "Bayesian"
    assert config["ResourceLimits"] == {
        "MaxNumberOfTrainingJobs": cfg.tuning_max_jobs,
        "MaxParallelTrainingJobs": cfg.tuning_max_parallel_jobs,
    }
    objective = config["HyperParameterTuningJobObjective"]
    assert objective == {
        "Type": "Maximize" if cfg.metric.goal == "maximize" else "Minimize",
        "MetricName": f"validation:{cfg.metric.name}",
    }
    definitions = args["TrainingJobDefinition"]["AlgorithmSpecification"]["MetricDefinitions"]
    assert definitions == [{"Name": f"validation:{cfg.metric.name}", "Regex": metrics.objective_regex(cfg.metric.name)}]
    ranged = {r["Name"] for kind in config["ParameterRanges"].values() for r in kind}
    assert ranged == set(models.TUNING_RANGES[cfg.framework])
    static = set(args["TrainingJobDefinition"].get("StaticHyperParameters", {}))
    assert not static & ranged


def test_gate_compares_the_evaluated_metric_with_the_threshold(cfg):
    gate = build(cfg)["Steps"][-1]["Arguments"]
    (condition,) = gate["Conditions"]
    assert condition["Type"] == ("GreaterThanOrEqualTo" if cfg.metric.goal == "maximize" else "LessThanOrEqualTo")
    assert condition["LeftValue"]["Std:JsonGet"]["Path"] == metrics.json_path(cfg.problem_type, cfg.metric.name)
    assert condition["LeftValue"]["Std:JsonGet"]["PropertyFile"] == {
        "Get": f"Steps.{layout.STEP_EVALUATE}.PropertyFiles.{layout.EVALUATION_FILE}"
    }
    assert condition["RightValue"] == {"Get": f"Parameters.{layout.PARAM_THRESHOLD}"}
    message = gate["ElseSteps"][0]["Arguments"]["ErrorMessage"]["Std:Join"]["Values"]
    assert condition["LeftValue"] in message and condition["RightValue"] in message
    assert any(isinstance(v, str) and cfg.metric.name in v for v in message)


def test_registration_carries_metrics_baseline_and_lineage(cfg):
    register = steps_by_type(build(cfg))["RegisterModel"][0]["Arguments"]
    assert register["ModelPackageGroupName"] == cfg.model_package_group("dev")
    assert register["ModelApprovalStatus"] == {"Get": f"Parameters.{layout.PARAM_APPROVAL}"}
    statistics = register["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["S3Uri"]["Std:Join"]["Values"][-1] == contract.EVALUATION_JSON
    baseline = register["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]
    assert baseline["S3Uri"]["Std:Join"]["Values"][-1] == contract.BASELINE_JSON
    lineage = register["CustomerMetadataProperties"]
    assert lineage["git-commit"] == "0123abc"
    assert lineage["image-uri"] == {"Get": f"Parameters.{layout.PARAM_IMAGE}"}
    assert lineage["dataset-uri"] == {"Get": f"Parameters.{layout.PARAM_INPUT_DATA}"}
    assert lineage["dataset-sha256"]["Std:JsonGet"]["Path"] == "sha256"
    hyperparameters = {k.removeprefix("hyperparameter.") for k in lineage if k.startswith("hyperparameter.")}
    assert hyperparameters == set(models.DEFAULT_HYPERPARAMETERS[cfg.framework][cfg.problem_type]) | (
        set(models.TUNING_RANGES[cfg.framework]) if cfg.tuning_enabled else set()
    )
    assert len(lineage) <= 50  # CustomerMetadataProperties holds at most 50 entries
    inference = register["InferenceSpecification"]
    assert inference["SupportedContentTypes"] == list(payload.CONTENT_TYPES)
    assert inference["SupportedResponseMIMETypes"] == list(payload.ANSWER_TYPES)
    assert inference["SupportedRealtimeInferenceInstanceTypes"] == [cfg.endpoint_instance_type]
