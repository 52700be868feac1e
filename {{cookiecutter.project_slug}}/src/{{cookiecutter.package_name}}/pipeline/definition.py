"""The SageMaker pipeline definition. This module is the only one that imports the SageMaker SDK.

Preprocess (Processing) -> Tune (Bayesian tuning) or Train (Training) -> Evaluate (Processing, PropertyFile)
-> MetricGate (Condition on the primary metric) -> Register (RegisterModel: a model package with metrics,
drift baseline and lineage) or MetricGateFailed (Fail, with the metric in the message).

Every step runs the one project image (tag = commit SHA) with a step module as its command, so the
definition holds no local code paths and builds offline: the SDK gets a session with placeholder
credentials and no call reaches AWS.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from contextlib import contextmanager

import boto3

from .. import contract, metrics, models
from ..settings import Settings
from . import layout
from .targets import Target

OFFLINE_CREDENTIALS = {
    "aws_access_key_id": "offline",
    "aws_secret_access_key": "offline",  # pragma: allowlist secret
}  # placeholders: no call reaches AWS


@contextmanager
def _offline(region: str | None = None):
    """Keep the SDK away from AWS while it imports and builds the definition.

    Importing the SDK builds a default JumpStart session and every Estimator builds a TensorBoard app
    client; both look up credentials, which ends at the EC2 instance metadata service (a network call, and
    a one-second timeout off EC2). The definition needs no credentials: the lookup is switched off and the
    default boto3 session holds placeholders, then both are restored.
    """
    saved_env = os.environ.get("AWS_EC2_METADATA_DISABLED")
    saved_session = boto3.DEFAULT_SESSION
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    boto3.DEFAULT_SESSION = boto3.Session(region_name=region or "us-east-1", **OFFLINE_CREDENTIALS)
    try:
        with warnings.catch_warnings():
            # Expected here: building a definition starts no job.
            warnings.filterwarnings("ignore", message="Running within a PipelineSession")
            yield boto3.DEFAULT_SESSION
    finally:
        boto3.DEFAULT_SESSION = saved_session
        if saved_env is None:
            os.environ.pop("AWS_EC2_METADATA_DISABLED", None)
        else:
            os.environ["AWS_EC2_METADATA_DISABLED"] = saved_env


os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
# The SDK narrates what it leaves out of a definition (job names, which SageMaker sets per execution).
for _name in ("sagemaker.config", "sagemaker.workflow.utilities", "sagemaker.workflow._utils", "sagemaker.estimator"):
    logging.getLogger(_name).setLevel(logging.ERROR)

with _offline():
    from sagemaker.drift_check_baselines import DriftCheckBaselines
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.model import Model
    from sagemaker.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.network import NetworkConfig
    from sagemaker.parameter import ParameterRange
    from sagemaker.processing import ProcessingInput, ProcessingOutput, Processor
    from sagemaker.tuner import CategoricalParameter, ContinuousParameter, HyperparameterTuner, IntegerParameter
    from sagemaker.workflow.condition_step import ConditionStep
    from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo, ConditionLessThanOrEqualTo
    from sagemaker.workflow.entities import PipelineVariable
    from sagemaker.workflow.execution_variables import ExecutionVariables
    from sagemaker.workflow.fail_step import FailStep
    from sagemaker.workflow.functions import Join, JsonGet
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import ParameterFloat, ParameterInteger, ParameterString
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.pipeline_context import PipelineSession
    from sagemaker.workflow.properties import PropertyFile
    from sagemaker.workflow.steps import ProcessingStep, TrainingStep, TuningStep


# What the image's `serve` program accepts and answers (serving/payload.py; a test keeps them equal).
CONTENT_TYPES = ["text/csv", "application/json"]
RESPONSE_TYPES = ["application/json", "text/csv"]
RANGE_TYPES = {"continuous": ContinuousParameter, "integer": IntegerParameter}


def _session(boto_session: boto3.Session, bucket: str) -> PipelineSession:
    """A pipeline session: records requests instead of sending them; default bucket given up front."""
    return PipelineSession(boto_session=boto_session, default_bucket=bucket)


def _parameters(cfg: Settings, target: Target) -> dict:
    return {
        "input_data": ParameterString(layout.PARAM_INPUT_DATA, default_value=f"s3://{target.bucket}/data/"),
        "image": ParameterString(layout.PARAM_IMAGE, default_value=target.image_uri),
        "processing_type": ParameterString(layout.PARAM_PROCESSING_TYPE, default_value=cfg.processing_instance_type),
        "processing_count": ParameterInteger(layout.PARAM_PROCESSING_COUNT, default_value=1),
        "training_type": ParameterString(layout.PARAM_TRAINING_TYPE, default_value=cfg.training_instance_type),
        "training_count": ParameterInteger(layout.PARAM_TRAINING_COUNT, default_value=1),
        "approval": ParameterString(layout.PARAM_APPROVAL, default_value="PendingManualApproval"),
        "threshold": ParameterFloat(layout.PARAM_THRESHOLD, default_value=cfg.metric.threshold),
    }


def _s3(target: Target, *parts) -> Join:
    """s3://<bucket>/runs/<execution id>/<parts>: every output of one execution under one prefix."""
    return Join(
        on="/", values=["s3:/", target.bucket, layout.RUNS_PREFIX, ExecutionVariables.PIPELINE_EXECUTION_ID, *parts]
    )


def _processor(cfg: Settings, target: Target, params: dict, session, step: str) -> Processor:
    network = NetworkConfig(
        enable_network_isolation=True,
        encrypt_inter_container_traffic=True,
        subnets=list(target.subnets) or None,
        security_group_ids=list(target.security_group_ids) or None,
    )
    return Processor(
        role=target.role_arn,
        image_uri=params["image"],
        instance_count=params["processing_count"],
        instance_type=params["processing_type"],
        entrypoint=list[str | PipelineVariable](layout.step_command(cfg.package, step)),
        volume_kms_key=target.kms_key,
        output_kms_key=target.kms_key,
        base_job_name=f"{cfg.slug}-{step}",
        network_config=network,
        sagemaker_session=session,
    )


def _ranges(framework: str) -> dict:
    ranges: dict[str, ParameterRange] = {}
    for name, spec in models.TUNING_RANGES[framework].items():
        if spec["type"] == "categorical":
            ranges[name] = CategoricalParameter([str(v) for v in spec["values"]])
        else:
            ranges[name] = RANGE_TYPES[spec["type"]](spec["min"], spec["max"], scaling_type=spec.get("scaling", "Auto"))
    return ranges


def build(cfg: Settings, target: Target) -> Pipeline:
    """The pipeline of this model for one environment (see module docstring)."""
    with _offline(cfg.region) as boto_session:
        return _build(cfg, target, _session(boto_session, target.bucket))


def _build(cfg: Settings, target: Target, session: PipelineSession) -> Pipeline:
    params = _parameters(cfg, target)
    objective_name = f"validation:{cfg.metric.name}"
    objective_regex = metrics.objective_regex(cfg.metric.name)
    hyperparameters = {k: str(v) for k, v in models.DEFAULT_HYPERPARAMETERS[cfg.framework][cfg.problem_type].items()}

    # --- Preprocess --------------------------------------------------------------------------------
    dataset_file = PropertyFile(name=layout.DATASET_FILE, output_name="metadata", path=contract.DATASET_JSON)
    preprocess_args = _processor(cfg, target, params, session, "preprocess").run(
        inputs=[
            ProcessingInput(
                source=params["input_data"],
                destination=contract.container_path(*contract.PROCESSING_INPUT, "data"),
                input_name="data",
            )
        ],
        outputs=[
            ProcessingOutput(
                output_name=name,
                source=contract.container_path(*contract.PROCESSING_OUTPUT, name),
                destination=_s3(target, "preprocess", name),
            )
            for name in contract.PREPROCESS_OUTPUTS
        ],
    )
    preprocess = ProcessingStep(layout.STEP_PREPROCESS, step_args=preprocess_args, property_files=[dataset_file])
    split = preprocess.properties.ProcessingOutputConfig.Outputs

    # --- Train or Tune -----------------------------------------------------------------------------
    tuned = models.TUNING_RANGES[cfg.framework] if cfg.tuning_enabled else {}
    estimator = Estimator(
        image_uri=params["image"],
        role=target.role_arn,
        instance_count=params["training_count"],
        instance_type=params["training_type"],
        # A tuning job cannot set an entry point: the image's `train` program runs the same module.
        container_entry_point=None if cfg.tuning_enabled else layout.step_command(cfg.package, "train"),
        hyperparameters={k: v for k, v in hyperparameters.items() if k not in tuned},
        metric_definitions=[{"Name": objective_name, "Regex": objective_regex}],
        output_path=f"s3://{target.bucket}/{layout.TRAINING_PREFIX}",
        output_kms_key=target.kms_key,
        volume_kms_key=target.kms_key,
        subnets=list(target.subnets) or None,
        security_group_ids=list(target.security_group_ids) or None,
        encrypt_inter_container_traffic=True,
        enable_network_isolation=True,
        disable_profiler=True,
        debugger_hook_config=False,
        base_job_name=f"{cfg.slug}-train",
        sagemaker_session=session,
    )
    channels = {
        name: TrainingInput(s3_data=split[name].S3Output.S3Uri, content_type="text/csv")
        for name in contract.TRAINING_CHANNELS
    }
    if cfg.tuning_enabled:
        tuner = HyperparameterTuner(
            estimator=estimator,
            objective_metric_name=objective_name,
            hyperparameter_ranges=_ranges(cfg.framework),
            metric_definitions=[{"Name": objective_name, "Regex": objective_regex}],
            strategy="Bayesian",
            objective_type=metrics.objective_type(cfg.metric.goal),
            max_jobs=cfg.tuning_max_jobs,
            max_parallel_jobs=cfg.tuning_max_parallel_jobs,
            base_tuning_job_name=f"{cfg.slug}-tune",
        )
        tune = TuningStep(layout.STEP_TUNE, step_args=tuner.fit(inputs=channels))
        fit: TuningStep | TrainingStep = tune
        model_data = tune.get_top_model_s3_uri(top_k=0, s3_bucket=target.bucket, prefix=layout.TRAINING_PREFIX)
        best = tune.properties.BestTrainingJob
        lineage_hyperparameters = {
            **{k: v for k, v in hyperparameters.items() if k not in tuned},
            **{k: best.TunedHyperParameters[k] for k in tuned},
        }
        training_job = best.TrainingJobName
    else:
        fit = TrainingStep(layout.STEP_TRAIN, step_args=estimator.fit(inputs=channels))
        model_data = fit.properties.ModelArtifacts.S3ModelArtifacts
        lineage_hyperparameters = hyperparameters
        training_job = fit.properties.TrainingJobName

    # --- Evaluate ----------------------------------------------------------------------------------
    report = PropertyFile(name=layout.EVALUATION_FILE, output_name="evaluation", path=contract.EVALUATION_JSON)
    evaluate_args = _processor(cfg, target, params, session, "evaluate").run(
        inputs=[
            ProcessingInput(
                source=model_data,
                destination=contract.container_path(*contract.PROCESSING_INPUT, "model"),
                input_name="model",
            ),
            ProcessingInput(
                source=split["test"].S3Output.S3Uri,
                destination=contract.container_path(*contract.PROCESSING_INPUT, "test"),
                input_name="test",
            ),
        ],
        outputs=[
            ProcessingOutput(
                output_name="evaluation",
                source=contract.container_path(*contract.PROCESSING_OUTPUT, "evaluation"),
                destination=_s3(target, "evaluate", "evaluation"),
            ),
        ],
    )
    evaluate = ProcessingStep(layout.STEP_EVALUATE, step_args=evaluate_args, property_files=[report])
    evaluation_uri = evaluate.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri

    # --- Gate -> Register or Fail ----------------------------------------------------------------------
    metric_value = JsonGet(
        step_name=evaluate.name, property_file=report, json_path=metrics.json_path(cfg.problem_type, cfg.metric.name)
    )
    maximize = cfg.metric.goal == "maximize"
    gate = (ConditionGreaterThanOrEqualTo if maximize else ConditionLessThanOrEqualTo)(
        left=metric_value,  # type: ignore[arg-type]  # JsonGet is valid here; the SDK's annotation omits it
        right=params["threshold"],
    )
    lineage = {
        "git-commit": target.git_commit,
        "git-dirty": str(target.git_dirty).lower(),
        "image-uri": params["image"],
        "dataset-uri": params["input_data"],
        "dataset-sha256": JsonGet(step_name=preprocess.name, property_file=dataset_file, json_path="sha256"),
        "training-job": training_job,
        "model-sha256": JsonGet(
            step_name=evaluate.name, property_file=report, json_path=f"{contract.ARTIFACT_SECTION}.sha256"
        ),
        # The identity that calls CreateModelPackage: the pipeline's role. Approval refuses it as signer.
        "registered-by": target.role_arn,
        **{f"hyperparameter.{k}": v for k, v in sorted(lineage_hyperparameters.items())},
    }
    model = Model(image_uri=params["image"], model_data=model_data, role=target.role_arn, sagemaker_session=session)
    register = ModelStep(
        name=layout.STEP_REGISTER,
        step_args=model.register(
            content_types=CONTENT_TYPES,
            response_types=RESPONSE_TYPES,
            inference_instances=[cfg.endpoint_instance_type],
            transform_instances=[cfg.endpoint_instance_type],
            model_package_group_name=target.model_package_group,
            approval_status=params["approval"],
            description=f"{cfg.name}: {cfg.framework} {cfg.problem_type}, gated on {cfg.metric.name}",
            model_metrics=ModelMetrics(
                model_statistics=MetricsSource(
                    content_type="application/json",
                    s3_uri=Join(on="/", values=[evaluation_uri, contract.EVALUATION_JSON]),
                ),
            ),
            drift_check_baselines=DriftCheckBaselines(
                model_data_statistics=MetricsSource(
                    content_type="application/json",
                    s3_uri=Join(on="/", values=[evaluation_uri, contract.BASELINE_JSON]),
                ),
            ),
            customer_metadata_properties=lineage,
        ),
    )
    fail = FailStep(
        name=layout.STEP_FAIL,
        error_message=Join(
            on=" ",
            values=[
                f"{cfg.metric.name} =",
                metric_value,
                "is below the threshold" if maximize else "is above the threshold",
                params["threshold"],
                f"({cfg.metric.goal}); the model is not registered.",
            ],
        ),
    )
    condition = ConditionStep(name=layout.STEP_GATE, conditions=[gate], if_steps=[register], else_steps=[fail])

    return Pipeline(
        name=cfg.pipeline_name(target.env),
        parameters=list(params.values()),
        steps=[preprocess, fit, evaluate, condition],
        # No SageMaker Experiments tracking: lineage lives in the model package and the audit trail.
        pipeline_experiment_config=None,
        sagemaker_session=session,
    )


def definition(cfg: Settings, target: Target) -> dict:
    """The pipeline definition as a JSON-ready dict (what SageMaker stores)."""
    pipeline = build(cfg, target)
    with _offline(cfg.region):
        return json.loads(pipeline.definition())
