"""The container contract: /opt/ml paths from one place, SM_* variables, and how a step fails."""

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import contract


def test_paths_default_to_opt_ml(monkeypatch):
    monkeypatch.delenv(contract.ML_ROOT_ENV, raising=False)
    for name in ("SM_MODEL_DIR", "SM_CHANNEL_TRAIN"):
        monkeypatch.delenv(name, raising=False)
    assert contract.processing_input("data") == Path("/opt/ml/processing/input/data")
    assert contract.processing_output("train") == Path("/opt/ml/processing/output/train")
    assert contract.channel("train") == Path("/opt/ml/input/data/train")
    assert contract.hyperparameters_file() == Path("/opt/ml/input/config/hyperparameters.json")
    assert contract.model_dir() == Path("/opt/ml/model")
    assert contract.failure_file() == Path("/opt/ml/output/failure")
    assert contract.exit_message_file() == Path("/opt/ml/output/message")


def test_sm_ml_root_remaps_every_path(ml_root):
    assert contract.processing_input("model") == ml_root / "processing" / "input" / "model"
    assert contract.channel("validation") == ml_root / "input" / "data" / "validation"
    assert contract.model_dir() == ml_root / "model"
    assert contract.output_data_dir() == ml_root / "output" / "data"


def test_sm_variables_win(ml_root, monkeypatch, tmp_path):
    monkeypatch.setenv("SM_CHANNEL_TRAIN", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("SM_MODEL_DIR", str(tmp_path / "model-here"))
    assert contract.channel("train") == tmp_path / "elsewhere"
    assert contract.model_dir() == tmp_path / "model-here"


def test_hyperparameters_from_file_as_strings(ml_root):
    assert contract.hyperparameters() == {}
    path = contract.hyperparameters_file()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"max_depth": "3", "learning_rate": 0.1}), encoding="utf-8")
    assert contract.hyperparameters() == {"max_depth": "3", "learning_rate": "0.1"}


def test_sm_hps_wins_over_the_file(ml_root, monkeypatch):
    path = contract.hyperparameters_file()
    path.parent.mkdir(parents=True)
    path.write_text('{"max_depth": "3"}', encoding="utf-8")
    monkeypatch.setenv("SM_HPS", '{"max_depth": "5"}')
    assert contract.hyperparameters() == {"max_depth": "5"}


def test_broken_hyperparameters_file_is_a_step_error(ml_root):
    path = contract.hyperparameters_file()
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(contract.StepError, match=r"hyperparameters\.json: not valid JSON"):
        contract.hyperparameters()


def test_all_or_nothing_removes_only_what_the_block_wrote(tmp_path):
    out = tmp_path / "out"
    (out / "kept").mkdir(parents=True)
    (out / "kept" / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), contract.all_or_nothing(out):
        (out / "new" / "deep").mkdir(parents=True)
        (out / "new" / "deep" / "a.csv").write_text("x")
        (out / "kept" / "b.csv").write_text("y")
        raise RuntimeError("boom")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["kept", "kept/old.txt"]


def test_run_reports_a_step_error_as_one_line(tmp_path, capsys):
    reason = tmp_path / "output" / "failure"

    def step():
        raise contract.StepError("data.csv: column 'x' is missing. Fix: add it.")

    assert contract.run(step, reason) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == "Error: data.csv: column 'x' is missing. Fix: add it."
    assert "Traceback" not in err
    assert reason.read_text() == "data.csv: column 'x' is missing. Fix: add it."


def test_run_reports_an_unexpected_error_with_its_traceback(tmp_path, capsys):
    reason = tmp_path / "failure"

    def step():
        raise KeyError("surprise")

    assert contract.run(step, reason) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.strip().splitlines()[-1] == "Error: KeyError: 'surprise'"
    assert reason.read_text() == "KeyError: 'surprise'"


def test_run_success_writes_no_reason(tmp_path):
    assert contract.run(lambda: None, tmp_path / "failure") == 0
    assert not (tmp_path / "failure").exists()
