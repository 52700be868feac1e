"""Train: the model, its schema, baseline and hyperparameters; one objective line; failures explained."""

import json
import os
import re
import subprocess
import sys
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from {{ cookiecutter.package_name }} import contract, metrics, models, train
from {{ cookiecutter.package_name }}.data import schema as schema_mod

MODEL_FILES = {"model.joblib", "schema.json", "baseline.json", "hyperparameters.json"}
# Breast cancer's features are all numeric; diabetes has a categorical one (sex), which treelite does not reproduce.
COMPILED = {"binary_classification": True, "regression": False}


@pytest.fixture(params=models.PROBLEM_TYPES)
def job(request, ml_root, trained, problem, steps):
    """A training job's folders for one problem type, channels filled from preprocess."""
    cfg = problem(request.param)
    steps.stage_training(ml_root, trained[request.param]["processed"])
    return cfg


def _write_hyperparameters(values):
    path = contract.hyperparameters_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values), encoding="utf-8")


def _objective(stdout: str, metric: str) -> float:
    lines = stdout.strip().splitlines()
    assert len(lines) == 1, lines
    found = re.findall(metrics.objective_regex(metric), lines[0])
    assert len(found) == 1, lines
    return float(found[0])


def test_writes_the_model_folder_and_the_objective_line(job, capsys):
    assert train.main() == 0
    folder = contract.model_dir()
    compiled = COMPILED[job.problem_type]
    assert {p.name for p in folder.iterdir()} == MODEL_FILES | ({models.COMPILED_FILE} if compiled else set())
    value = _objective(capsys.readouterr().out, job.metric.name)
    assert job.metric.passes(value)  # the default hyperparameters clear the default gate
    bundle = joblib.load(folder / "model.joblib")
    assert (bundle["framework"], bundle["problem_type"]) == (job.framework, job.problem_type)
    if compiled:
        assert bundle["compiled"]["library"] == "treelite" and bundle["compiled"]["file"] == models.COMPILED_FILE
        assert models.load_compiled(folder) is not None
    else:
        assert bundle["compiled"]["library"] is None
        assert bundle["compiled"]["reason"].startswith("categorical feature(s) sex: treelite does not reproduce")
        assert models.load_compiled(folder) is None
    schema = schema_mod.load(folder / "schema.json")
    assert bundle["features"] == schema.feature_names
    assert (
        json.loads((folder / "hyperparameters.json").read_text())
        == (models.DEFAULT_HYPERPARAMETERS[job.framework][job.problem_type])
    )
    assert set(json.loads((folder / "baseline.json").read_text())["features"]) == set(schema.feature_names)


def test_hyperparameters_as_sagemaker_passes_them(job, capsys):
    name = "max_iter" if job.framework == "sklearn" else "n_estimators"
    _write_hyperparameters({name: "60", "learning_rate": "0.2", "_tuning_objective_metric": "validation:x"})
    assert train.main() == 0
    used = json.loads((contract.model_dir() / "hyperparameters.json").read_text())
    assert (used[name], used["learning_rate"]) == (60, 0.2)
    assert "_tuning_objective_metric" not in used
    capsys.readouterr()


def test_same_seed_same_model(job, trained):
    test = schema_mod.read_csv(
        trained[job.problem_type]["test_csv"], schema_mod.load(contract.channel("train") / "schema.json")
    )
    compiled = contract.model_dir() / models.COMPILED_FILE
    assert train.main() == 0
    first = models.predict(models.load(contract.model_dir()), test)
    first_compiled = compiled.read_bytes() if compiled.exists() else None
    assert train.main() == 0
    assert np.array_equal(models.predict(models.load(contract.model_dir()), test), first)
    assert (compiled.read_bytes() if compiled.exists() else None) == first_compiled


@pytest.mark.parametrize(
    ("hyperparameters", "fragment"),
    [
        ({"learning_rate": "fast"}, "hyperparameter learning_rate='fast' is not a number"),
        ({"seed": "1.5"}, "hyperparameter seed='1.5' is not a whole number"),
        ({"depth_of_forest": "3"}, "unknown hyperparameter(s) depth_of_forest"),
        ({"learning_rate": "-1"}, "rejected the hyperparameters"),
    ],
)
def test_bad_hyperparameters_fail_with_the_reason(ml_root, trained, problem, steps, capsys, hyperparameters, fragment):
    problem("binary_classification")
    steps.stage_training(ml_root, trained["binary_classification"]["processed"])
    _write_hyperparameters(hyperparameters)
    assert train.main() == 1
    reason = contract.failure_file().read_text()
    assert fragment in reason
    captured = capsys.readouterr()
    assert captured.out == ""  # no objective line: tuning must not count the trial
    assert fragment in captured.err.strip().splitlines()[-1]
    assert not contract.model_dir().exists() or not list(contract.model_dir().iterdir())


def test_bad_training_data_fails_before_fitting(ml_root, trained, problem, steps, capsys):
    problem("binary_classification")
    steps.stage_training(ml_root, trained["binary_classification"]["processed"])
    path = contract.channel("train") / "train.csv"
    pd.read_csv(path).drop(columns=["mean_area"]).to_csv(path, index=False)
    assert train.main() == 1
    assert "missing column(s) 'mean_area'" in contract.failure_file().read_text()
    assert not contract.model_dir().exists() or not list(contract.model_dir().iterdir())
    capsys.readouterr()


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("converter raises", "treelite could not convert the model (RuntimeError: converter broke)"),
        ("predictions differ", "treelite's predictions differ from the estimator's by "),
    ],
)
def test_no_compiled_predictor_does_not_fail_training(
    ml_root, trained, problem, steps, monkeypatch, capsys, fault, reason
):
    problem("binary_classification")
    steps.stage_training(ml_root, trained["binary_classification"]["processed"])
    if fault == "converter raises":

        def broken(bundle):
            raise RuntimeError("[12:34:56] converter broke\nat line 3")

        monkeypatch.setattr(models, "_treelite_model", broken)
    else:
        monkeypatch.setattr(models, "COMPILED_TOLERANCE", -1.0)  # no difference is small enough
    assert train.main() == 0
    folder = contract.model_dir()
    assert {p.name for p in folder.iterdir()} == MODEL_FILES
    record = models.load(folder)["compiled"]
    assert record["library"] is None and record["reason"].startswith(reason)
    assert f"train: no compiled predictor: {reason}" in capsys.readouterr().err


def test_missing_channel_fails(ml_root, problem):
    problem("regression")
    assert train.main() == 1
    assert "no feature schema" in contract.failure_file().read_text()


def test_container_command_with_sm_variables(trained, tmp_path):
    """``python -m <package>.train`` as SageMaker runs it, channels and model folder from SM_* variables."""
    run = trained["regression"]
    out = run["processed"] / "processing" / "output"
    env = {
        **os.environ,
        "MLOPS_PROJECT_FILE": str(run["project_file"]),
        contract.ML_ROOT_ENV: str(tmp_path / "opt-ml"),
        "SM_CHANNEL_TRAIN": str(out / "train"),
        "SM_CHANNEL_VALIDATION": str(out / "validation"),
        "SM_MODEL_DIR": str(tmp_path / "model"),
        "SM_HPS": json.dumps({"learning_rate": "0.1"}),
    }
    proc = subprocess.run(
        [sys.executable, "-m", f"{train.__package__}.train"], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert _objective(proc.stdout, "rmse") < 70
    assert {p.name for p in (tmp_path / "model").iterdir()} == MODEL_FILES
    assert json.loads((tmp_path / "model" / "hyperparameters.json").read_text())["learning_rate"] == 0.1


# --- models: the single source of defaults and tuning ranges ----------------------------------------------


@pytest.mark.parametrize("framework", models.FRAMEWORKS)
def test_tuning_ranges_hold_the_defaults(framework):
    for problem_type in models.PROBLEM_TYPES:
        defaults = models.DEFAULT_HYPERPARAMETERS[framework][problem_type]
        for name, spec in models.TUNING_RANGES[framework].items():
            assert name in defaults
            assert spec["type"] in {"continuous", "integer", "categorical"}
            assert spec["scaling"] in {"Auto", "Linear", "Logarithmic"}
            assert spec["min"] <= defaults[name] <= spec["max"], (problem_type, name)
            assert spec["scaling"] != "Logarithmic" or spec["min"] > 0
            assert isinstance(defaults[name], int) == (spec["type"] == "integer")


def test_resolve_types_values_like_the_defaults():
    defaults = models.DEFAULT_HYPERPARAMETERS[models.FRAMEWORK]["regression"]
    whole = next(n for n, v in defaults.items() if isinstance(v, int) and n != "seed")
    real = next(n for n, v in defaults.items() if isinstance(v, float))
    resolved = models.resolve(models.FRAMEWORK, "regression", {whole: "4.0", real: "1", "sagemaker_region": "x"})
    assert resolved[whole] == 4 and isinstance(resolved[whole], int)
    assert resolved[real] == 1.0 and isinstance(resolved[real], float)
    assert resolved["seed"] == 42


def test_unknown_framework_is_refused():
    with pytest.raises(ValueError, match="unknown framework 'torch': this repository was generated for"):
        models.resolve("torch", "regression", {})


# --- predict_array: the server's hot path gives predict's scores -------------------------------------------


@pytest.mark.parametrize("problem_type", models.PROBLEM_TYPES)
def test_predict_array_gives_the_scores_of_predict(trained, problem_type):
    run = trained[problem_type]
    folder = run["model_dir"]
    bundle, compiled = models.load(folder), models.load_compiled(folder)
    assert (compiled is not None) == COMPILED[problem_type]
    test = schema_mod.read_csv(run["test_csv"], schema_mod.load(folder / "schema.json"))[bundle["features"]]
    for i, name in enumerate(bundle["features"]):  # a missing value in every feature, numeric or categorical
        test.loc[test.index[i], name] = np.nan
    expected = models.predict(bundle, test)
    X = models.to_array(bundle, test)
    many = np.tile(X, (models.COMPILED_MAX_ROWS // len(X) + 1, 1))  # past COMPILED_MAX_ROWS: the estimator
    # Threads limited once, as the server does (predict_array leaves it to the caller)
    with threadpool_limits(limits=models.THREADS), warnings.catch_warnings():
        warnings.simplefilter("error")  # none per call (scikit-learn's feature-name check would warn on arrays)
        one_by_one = np.concatenate([models.predict_array(bundle, compiled, X[i : i + 1]) for i in range(len(X))])
        by_estimator = models.predict_array(bundle, None, X)
        batch = models.predict_array(bundle, compiled, many)
    assert one_by_one.dtype == np.float64 and one_by_one.shape == expected.shape
    tolerance = models.COMPILED_TOLERANCE * max(1.0, float(np.max(np.abs(expected))))
    assert np.max(np.abs(one_by_one - expected)) <= tolerance
    assert np.array_equal(by_estimator, expected)
    assert np.array_equal(batch, np.tile(expected, len(many) // len(X)))
    with pytest.raises(ValueError, match=rf"expected an array of shape \(rows, {len(bundle['features'])}\)"):
        models.predict_array(bundle, compiled, X[:, 1:])
