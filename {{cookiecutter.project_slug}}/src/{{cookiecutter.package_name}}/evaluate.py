"""Evaluate (a SageMaker Processing job): score the trained model on the test split.

Reads /opt/ml/processing/input/model/model.tar.gz (the training job's packed model folder) and
/opt/ml/processing/input/test/test.csv; writes evaluation.json in SageMaker's model-quality form, the
plots, and the model's drift baseline (the model package registers it from here) to
/opt/ml/processing/output/evaluation/. evaluation.json's ``compiled_predictor`` section proves the archive's
compiled predictor (which the server prefers) gives the fitted model's predictions on the test split; when it
does not, the step fails, so the model is never registered.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

from . import contract, metrics, models, plots
from .data import schema as schema_mod

MODEL_ARCHIVE = "model.tar.gz"
COMPILED_SECTION = "compiled_predictor"


def unpack(archive: Path, dest: Path) -> Path:
    if not archive.is_file():
        raise contract.StepError(f"{archive}: no model archive. Fix: pass the training job's model.tar.gz as 'model'.")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(dest, filter="data")  # refuses absolute paths, links out of dest, devices
    except (tarfile.TarError, OSError) as exc:
        raise contract.StepError(f"{archive}: not a readable model archive ({exc})") from exc
    for name in (models.MODEL_FILE, schema_mod.SCHEMA_FILE, contract.BASELINE_JSON):
        if not (dest / name).is_file():
            raise contract.StepError(f"{archive}: holds no {name}; was it written by this project's train step?")
    return dest


def _test_file(folder: Path) -> Path:
    files = sorted(folder.glob("*.csv"))
    if len(files) != 1:
        raise contract.StepError(f"{folder}: expected one test CSV file, found {len(files)}")
    return files[0]


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def check_compiled(model_dir: Path, bundle: dict, features, scores) -> dict:
    """evaluation.json's compiled_predictor section: the library and how far it is from ``scores``, or why none."""
    name = models.COMPILED_FILE
    record = bundle.get("compiled") or {}
    try:
        compiled = models.load_compiled(model_dir)
        if compiled is None:
            if record.get("library"):
                raise contract.StepError(
                    f"model.joblib records a compiled predictor, but the model archive holds no {name}. "
                    "Fix: evaluate the training job's model.tar.gz as it was written."
                )
            return {"library": None, "reason": record.get("reason", f"the model archive holds no {name}")}
        section = models.compare_compiled(bundle, compiled, features, scores)
    except ValueError as exc:  # not a treelite model, or not one of this model's shape
        raise contract.StepError(str(exc)) from exc
    if not section["max_abs_difference"] <= section["tolerance"]:  # NaN fails too
        raise contract.StepError(
            f"the compiled predictor {name} does not give the fitted model's predictions: max abs difference "
            f"{section['max_abs_difference']:.3g} on {section['rows']} test rows, "
            f"tolerance {section['tolerance']:.3g}. "
            f"Fix: retrain; the archive's {name} must be the one train wrote with its model.joblib."
        )
    return section


def run() -> dict:
    out = contract.processing_output("evaluation")
    archive = contract.processing_input("model") / MODEL_ARCHIVE
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = unpack(archive, Path(tmp))
        schema = schema_mod.load(model_dir / schema_mod.SCHEMA_FILE)
        bundle = models.load(model_dir)
        test = schema_mod.read_csv(_test_file(contract.processing_input("test")), schema)
        y_true = test[schema.target.name].to_numpy()
        scores = models.predict(bundle, test[schema.feature_names])
        compiled = check_compiled(model_dir, bundle, test[schema.feature_names], scores)
        report = metrics.report(bundle["problem_type"], y_true, scores)
        report[COMPILED_SECTION] = compiled
        report[contract.ARTIFACT_SECTION] = {"sha256": file_sha256(archive), "bytes": archive.stat().st_size}
        out.mkdir(parents=True, exist_ok=True)
        with contract.all_or_nothing(out):
            (out / contract.EVALUATION_JSON).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
            shutil.copyfile(model_dir / contract.BASELINE_JSON, out / contract.BASELINE_JSON)
            if bundle["problem_type"] == "binary_classification":
                plots.classification(y_true, scores, out)
            else:
                plots.regression(y_true, scores, out)
    section = report[metrics.SECTIONS[bundle["problem_type"]]]
    print(
        "evaluate: " + ", ".join(f"{k}={section[k]['value']:.4f}" for k in metrics.METRICS[bundle["problem_type"]]),
        file=sys.stderr,
    )
    return report


def main() -> int:
    return contract.run(run, contract.exit_message_file())


if __name__ == "__main__":
    sys.exit(main())
