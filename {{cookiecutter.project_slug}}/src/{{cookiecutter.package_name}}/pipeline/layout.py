"""Names the pipeline definition uses: steps, parameters, container paths, S3 prefixes.

No SageMaker SDK here. The local runner reads everything else from the definition JSON itself.
"""

from __future__ import annotations

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

# The container contract (see the package's contract module): real SageMaker paths.
ML_ROOT = "/opt/ml"
PROCESSING_DATA_IN = "/opt/ml/processing/input/data"
PROCESSING_MODEL_IN = "/opt/ml/processing/input/model"
PROCESSING_TEST_IN = "/opt/ml/processing/input/test"
PROCESSING_OUT = "/opt/ml/processing/output"
PREPROCESS_OUTPUTS = ("train", "validation", "test", "metadata")
TRAINING_CHANNELS = ("train", "validation")

DATASET_FILE = "DatasetMetadata"
DATASET_JSON = "dataset.json"
EVALUATION_FILE = "EvaluationReport"
EVALUATION_JSON = "evaluation.json"
BASELINE_JSON = "baseline.json"

RUNS_PREFIX = "runs"
TRAINING_PREFIX = "training"

# The image's programs (see Dockerfile): SageMaker runs `train` when a job sets no entry point
# (tuning jobs cannot) and `serve` for endpoints.
IMAGE_PROGRAMS = {"train": "train", "serve": "serve"}


def step_command(package: str, step: str) -> list[str]:
    """The container command of a step: its module in the project package."""
    return ["python", "-m", f"{package}.{step}"]
