"""Evaluate: evaluation.json in SageMaker's model-quality form, plots, and the drift baseline; metrics."""

import json
import math
import re
import shutil
import tarfile

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import contract, evaluate, metrics, models
from {{ cookiecutter.package_name }}.data import schema as schema_mod

PNG = b"\x89PNG\r\n\x1a\n"


def _stage(root, run):
    archive = root / "processing" / "input" / "model" / "model.tar.gz"
    archive.parent.mkdir(parents=True)
    with tarfile.open(archive, "w:gz") as tar:  # as SageMaker packs /opt/ml/model
        for path in sorted(run["model_dir"].iterdir()):
            tar.add(path, arcname=path.name)
    test_dir = root / "processing" / "input" / "test"
    test_dir.mkdir(parents=True)
    shutil.copyfile(run["test_csv"], test_dir / "test.csv")
    return test_dir / "test.csv"


def _lookup(doc, dotted):
    for part in dotted.split("."):
        doc = doc[part]
    return doc


@pytest.mark.parametrize("problem_type", models.PROBLEM_TYPES)
def test_report_plots_and_baseline(ml_root, trained, problem_type):
    run = trained[problem_type]
    cfg = run["cfg"]
    _stage(ml_root, run)
    assert evaluate.main() == 0
    out = contract.processing_output("evaluation")
    report = json.loads((out / "evaluation.json").read_text())
    section = report[metrics.SECTIONS[problem_type]]
    for name in metrics.METRICS[problem_type]:
        assert section[name]["standard_deviation"] == "NaN"
        assert math.isfinite(section[name]["value"])
    value = _lookup(report, metrics.json_path(problem_type, cfg.metric.name))
    assert cfg.metric.passes(value)  # the default model clears the default gate
    rows = len(pd.read_csv(run["test_csv"]))
    compiled = report[evaluate.COMPILED_SECTION]
    if problem_type == "binary_classification":  # numeric features only: the compiled predictor ships
        assert (compiled["library"], compiled["rows"]) == ("treelite", rows)
        assert compiled["version"] == models.load(run["model_dir"])["compiled"]["version"]
        assert compiled["tolerance"] == models.COMPILED_TOLERANCE  # probabilities: the scale is 1
        assert 0 <= compiled["max_abs_difference"] <= compiled["tolerance"]
    else:  # diabetes' sex is categorical: the estimator serves, and evaluation.json says why
        assert compiled["library"] is None and compiled["reason"].startswith("categorical feature(s) sex")
    if problem_type == "binary_classification":
        matrix = section["confusion_matrix"]
        assert sum(matrix[a][p] for a in "01" for p in "01") == rows
        assert section["receiver_operating_characteristic_curve"]["true_positive_rates"][-1] == 1.0
        plots = {"roc_curve.png", "precision_recall_curve.png"}
    else:
        assert section["r2"]["value"] > 0.2
        plots = {"residuals.png"}
    assert {p.name for p in out.iterdir()} == {"evaluation.json", "baseline.json", *plots}
    for name in plots:
        assert (out / name).read_bytes()[:8] == PNG
    assert (out / "baseline.json").read_bytes() == (run["model_dir"] / "baseline.json").read_bytes()


def test_bad_test_data_writes_nothing(ml_root, trained, capsys, steps):
    test_csv = _stage(ml_root, trained["binary_classification"])
    pd.read_csv(test_csv).assign(extra=1).to_csv(test_csv, index=False)
    assert evaluate.main() == 1
    assert "column(s) 'extra' are not in schema.json" in capsys.readouterr().err
    assert steps.output_files(ml_root) == []
    assert "'extra'" in contract.exit_message_file().read_text()


def _compiled_from_another_fit(model, run):
    """Overwrite the model folder's model.treelite with one of a model fitted with another learning rate."""
    bundle = models.load(model)
    schema = schema_mod.load(model / "schema.json")
    (train_csv,) = (run["processed"] / "processing" / "output" / "train").glob("*.csv")
    data = schema_mod.read_csv(train_csv, schema)
    features, target = data[schema.feature_names], data[schema.target.name].to_numpy()
    hyperparameters = {**bundle["hyperparameters"], "learning_rate": 0.3}
    other = models.fit(bundle["framework"], bundle["problem_type"], hyperparameters, features, target)
    assert models.export_compiled(other, model, features, models.predict(other, features))["library"] == "treelite"


@pytest.mark.parametrize(
    ("tamper", "fragment"),
    [
        ("another fit", "the compiled predictor model.treelite does not give the fitted model's predictions"),
        ("removed", "model.joblib records a compiled predictor, but the model archive holds no model.treelite"),
        ("not treelite", "model.treelite: not a treelite model"),
    ],
)
def test_a_tampered_compiled_predictor_fails_evaluation(ml_root, trained, tmp_path, capsys, steps, tamper, fragment):
    run = trained["binary_classification"]
    model = tmp_path / "model"
    shutil.copytree(run["model_dir"], model)
    if tamper == "another fit":
        _compiled_from_another_fit(model, run)
    elif tamper == "removed":
        (model / models.COMPILED_FILE).unlink()
    else:
        (model / models.COMPILED_FILE).write_bytes(b"not a model")
    _stage(ml_root, {**run, "model_dir": model})
    assert evaluate.main() == 1
    assert fragment in capsys.readouterr().err.strip().splitlines()[-1]
    assert fragment in contract.exit_message_file().read_text()
    assert steps.output_files(ml_root) == []  # no evaluation.json: the model cannot be registered


def test_missing_model_archive(ml_root, capsys):
    assert evaluate.main() == 1
    assert "no model archive" in capsys.readouterr().err


def test_archive_without_a_schema(ml_root, trained, tmp_path, capsys):
    model = tmp_path / "model"
    shutil.copytree(trained["regression"]["model_dir"], model)
    (model / "schema.json").unlink()
    _stage(ml_root, {**trained["regression"], "model_dir": model})
    assert evaluate.main() == 1
    assert "holds no schema.json" in capsys.readouterr().err


def test_archive_escaping_its_folder_is_refused(ml_root, trained, tmp_path, capsys):
    _stage(ml_root, trained["regression"])
    archive = contract.processing_input("model") / "model.tar.gz"
    evil = tmp_path / "evil.txt"
    evil.write_text("x")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(evil, arcname="../../evil.txt")
    assert evaluate.main() == 1
    assert "not a readable model archive" in capsys.readouterr().err
    assert not (ml_root / "processing" / "evil.txt").exists()


# --- metrics ---------------------------------------------------------------------------------------------


def test_classification_metrics_on_a_known_case():
    y = np.array([0, 0, 1, 1, 1])
    scores = np.array([0.1, 0.6, 0.4, 0.8, 0.9])
    values = metrics.compute("binary_classification", y, scores)
    assert values["auc"] == pytest.approx(5 / 6)
    assert values["accuracy"] == pytest.approx(3 / 5)
    assert values["precision"] == pytest.approx(2 / 3)
    assert values["recall"] == pytest.approx(2 / 3)
    assert values["f1"] == pytest.approx(2 / 3)
    matrix = metrics.report("binary_classification", y, scores)["binary_classification_metrics"]["confusion_matrix"]
    assert matrix == {"0": {"0": 1, "1": 1}, "1": {"0": 1, "1": 2}}


def test_regression_metrics_on_a_known_case():
    values = metrics.compute("regression", np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 6.0]))
    assert values["rmse"] == pytest.approx(1.0)
    assert values["mae"] == pytest.approx(0.5)
    assert values["r2"] == pytest.approx(1 - 4 / 5)


def test_json_path_and_objective():
    assert metrics.json_path("binary_classification", "auc") == "binary_classification_metrics.auc.value"
    assert metrics.json_path("regression", "rmse") == "regression_metrics.rmse.value"
    with pytest.raises(ValueError, match="'auc' is not a regression metric"):
        metrics.json_path("regression", "auc")
    for value in (0.991234, 54.1, 1.5e-7, -0.25):
        line = metrics.objective_line("r2", value)
        assert float(re.findall(metrics.objective_regex("r2"), f"log\n{line}\nmore")[0]) == pytest.approx(value)
    assert metrics.objective_type("maximize") == "Maximize"
    assert metrics.objective_type("minimize") == "Minimize"
    assert set(metrics.GOALS) == {m for ms in metrics.METRICS.values() for m in ms}
