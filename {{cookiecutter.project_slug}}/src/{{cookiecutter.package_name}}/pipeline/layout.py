"""Names the pipeline definition uses: steps, parameters, container paths, S3 prefixes.

No SageMaker SDK here; paths inside the container are the contract module's. The local runner reads
everything else from the definition JSON itself.
"""

from __future__ import annotations

from .. import contract

STEP_PREPROCESS = "Preprocess"
STEP_TRAIN = "Train"
STEP_TUNE = "Tune"
STEP_EVALUATE = "Evaluate"
STEP_GATE = "MetricGate"
STEP_REGISTER = "Register"
STEP_FAIL = "MetricGateFailed"

PARAM_INPUT_DATA = "InputDataUri"
PARAM_IMAGE = "ImageUri"
PARAM_PROCESSING_TYPE = "ProcessingInstanceType"
PARAM_PROCESSING_COUNT = "ProcessingInstanceCount"
PARAM_TRAINING_TYPE = "TrainingInstanceType"
PARAM_TRAINING_COUNT = "TrainingInstanceCount"
PARAM_APPROVAL = "ModelApprovalStatus"
PARAM_THRESHOLD = "MetricThreshold"

# Container paths and the file names steps and definition share live in the contract module.
ML_ROOT = contract.DEFAULT_ML_ROOT
DATASET_FILE = "DatasetMetadata"  # PropertyFile names
EVALUATION_FILE = "EvaluationReport"

RUNS_PREFIX = "runs"
TRAINING_PREFIX = "training"

# The image's programs (see Dockerfile): SageMaker runs `train` when a job sets no entry point
# (tuning jobs cannot) and `serve` for endpoints.
IMAGE_PROGRAMS = {"train": "train", "serve": "serve"}


def step_command(package: str, step: str) -> list[str]:
    """The container command of a step: its module in the project package."""
    return ["python", "-m", f"{package}.{step}"]
