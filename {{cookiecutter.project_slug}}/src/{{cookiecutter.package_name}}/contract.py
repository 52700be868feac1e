"""The SageMaker container contract: the one module that knows the ``/opt/ml`` paths.

SageMaker mounts inputs and collects outputs at fixed paths inside the container. ``SM_ML_ROOT``
(default ``/opt/ml``) moves the whole tree, so the local runner and the tests run the same step code
against a work folder. Training jobs also honour the ``SM_*`` variables the SageMaker training
toolkit sets (``SM_CHANNEL_<NAME>``, ``SM_MODEL_DIR``, ``SM_HPS``, ``SM_OUTPUT_DATA_DIR``).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import MlopsError

ML_ROOT_ENV = "SM_ML_ROOT"
DEFAULT_ML_ROOT = "/opt/ml"
PROCESSING_INPUT = ("processing", "input")
PROCESSING_OUTPUT = ("processing", "output")

# Files the steps write that the pipeline definition names (PropertyFiles, model metrics, baselines).
DATASET_JSON = "dataset.json"  # preprocess: metadata/dataset.json (row counts, SHA-256 of the data)
EVALUATION_JSON = "evaluation.json"  # evaluate: model-quality metrics
# evaluation.json's section with the SHA-256 of the evaluated model archive: the package records it, approval
# re-hashes the artifact in S3 against it, the signature binds it.
ARTIFACT_SECTION = "model_artifact"
BASELINE_JSON = "baseline.json"  # train, copied by evaluate: the drift baseline
# Preprocess's outputs, and the ones training reads as channels.
PREPROCESS_OUTPUTS = ("train", "validation", "test", "metadata")
TRAINING_CHANNELS = ("train", "validation")


class StepError(MlopsError):
    """A step cannot go on; the message says what is wrong and how to fix it."""


def ml_root() -> Path:
    return Path(os.environ.get(ML_ROOT_ENV) or DEFAULT_ML_ROOT)


def container_path(*parts: str) -> str:
    """A path as the pipeline definition names it inside the container: ``/opt/ml/<parts>``."""
    return "/".join((DEFAULT_ML_ROOT, *parts))


# --- Processing jobs ---------------------------------------------------------------------------------


def processing_input(name: str) -> Path:
    """``/opt/ml/processing/input/<name>``: where a ProcessingInput is mounted."""
    return ml_root().joinpath(*PROCESSING_INPUT, name)


def processing_output(name: str) -> Path:
    """``/opt/ml/processing/output/<name>``: SageMaker uploads it when the job succeeds."""
    return ml_root().joinpath(*PROCESSING_OUTPUT, name)


def exit_message_file() -> Path:
    """A processing job's ExitMessage (DescribeProcessingJob shows its first 1 KB)."""
    return ml_root() / "output" / "message"


# --- Training jobs -----------------------------------------------------------------------------------


def channel(name: str) -> Path:
    """A training channel: ``SM_CHANNEL_<NAME>`` or ``/opt/ml/input/data/<name>``."""
    return Path(os.environ.get(f"SM_CHANNEL_{name.upper()}") or ml_root() / "input" / "data" / name)


def hyperparameters_file() -> Path:
    return ml_root() / "input" / "config" / "hyperparameters.json"


def hyperparameters() -> dict[str, str]:
    """The job's hyperparameters as SageMaker passes them (every value a string); ``SM_HPS`` wins."""
    text = os.environ.get("SM_HPS")
    source = "SM_HPS"
    if not text:
        path = hyperparameters_file()
        if not path.exists():
            return {}
        text, source = path.read_text(encoding="utf-8"), str(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StepError(f"{source}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise StepError(f"{source}: expected a JSON object of name -> value")
    return {str(k): str(v) for k, v in data.items()}


def model_dir() -> Path:
    """``SM_MODEL_DIR`` or ``/opt/ml/model``: SageMaker packs it into model.tar.gz (and serves from it)."""
    return Path(os.environ.get("SM_MODEL_DIR") or ml_root() / "model")


def output_data_dir() -> Path:
    return Path(os.environ.get("SM_OUTPUT_DATA_DIR") or ml_root() / "output" / "data")


def failure_file() -> Path:
    """A training job's FailureReason (DescribeTrainingJob shows its first 1 KB)."""
    return ml_root() / "output" / "failure"


# --- Running a step ----------------------------------------------------------------------------------


@contextmanager
def all_or_nothing(*folders: Path) -> Iterator[None]:
    """Remove every file the block created in ``folders`` if it raises: a failed step leaves no output."""
    before = {f: set(f.rglob("*")) if f.exists() else set() for f in folders}
    try:
        yield
    except BaseException:
        for folder, existing in before.items():
            if not folder.exists():
                continue
            created = sorted(set(folder.rglob("*")) - existing, key=lambda p: len(p.parts), reverse=True)
            for path in created:
                if path.is_dir():
                    path.rmdir()
                else:
                    path.unlink()
        raise


def run(step: Callable[[], object], reason_file: Path) -> int:
    """Run a step's main body; on failure print the reason to stderr, write it to ``reason_file``, return 1.

    Expected problems (MlopsError: bad data, hyperparameters or settings) are one clear line; anything else also
    gets its traceback on stderr. The last stderr line is always the reason.
    """
    try:
        step()
    except MlopsError as exc:  # expected: bad data, hyperparameters or settings
        reason = str(exc)
    except Exception as exc:
        traceback.print_exc()
        reason = f"{type(exc).__name__}: {exc}"
    else:
        return 0
    reason = " ".join(reason.split())  # one line: SageMaker shows it, the runner reads the last stderr line
    try:
        reason_file.parent.mkdir(parents=True, exist_ok=True)
        reason_file.write_text(reason[:1024], encoding="utf-8")
    except OSError as exc:
        print(f"could not write {reason_file}: {exc}", file=sys.stderr)
    print(f"Error: {reason}", file=sys.stderr)
    return 1
