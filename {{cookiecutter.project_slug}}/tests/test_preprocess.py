"""Preprocess: validated, deterministic, stratified split with the data set's SHA-256; bad data stops it."""

import hashlib
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import contract, preprocess
from {{ cookiecutter.package_name }}.data import schema as schema_mod


@pytest.fixture
def staged(ml_root, datasets, steps):
    """The breast-cancer data set where preprocess reads it."""
    return steps.stage_data(ml_root, datasets["binary_classification"])


def _outputs(root):
    out = root / "processing" / "output"
    return {name: pd.read_csv(out / name / f"{name}.csv") for name in preprocess.SPLITS}


def test_writes_the_three_splits_schema_and_metadata(ml_root, staged):
    assert preprocess.main([]) == 0
    parts = _outputs(ml_root)
    sizes = {name: len(part) for name, part in parts.items()}
    assert sizes == {"train": 397, "validation": 86, "test": 86}
    out = ml_root / "processing" / "output"
    assert (out / "train" / "schema.json").read_bytes() == (staged / "schema.json").read_bytes()
    metadata = json.loads((out / "metadata" / "dataset.json").read_text())
    csv_bytes = (staged / "breast_cancer.csv").read_bytes()
    assert metadata["sha256"] == hashlib.sha256(csv_bytes).hexdigest()
    assert metadata["rows"] == 569
    assert metadata["files"] == [
        {"name": "breast_cancer.csv", "bytes": len(csv_bytes), "sha256": hashlib.sha256(csv_bytes).hexdigest()}
    ]
    assert metadata["split"] == {
        "seed": 42,
        "validation_fraction": 0.15,
        "test_fraction": 0.15,
        "stratified_by": "malignant",
        **sizes,
    }


def test_split_is_stratified_and_disjoint(ml_root, staged):
    assert preprocess.main([]) == 0
    parts = _outputs(ml_root)
    original = pd.read_csv(staged / "breast_cancer.csv")
    for part in parts.values():
        assert part["malignant"].mean() == pytest.approx(original["malignant"].mean(), abs=0.01)
    keys = [set(map(tuple, part.round(6).to_numpy())) for part in parts.values()]
    assert not (keys[0] & keys[1]) and not (keys[0] & keys[2]) and not (keys[1] & keys[2])
    assert sum(len(k) for k in keys) == len(original)


def test_split_is_deterministic_and_seeded(ml_root, staged, steps):
    assert preprocess.main([]) == 0
    out = ml_root / "processing" / "output"
    first = {p.relative_to(out): p.read_bytes() for p in steps.output_files(ml_root)}
    assert preprocess.main([]) == 0
    assert {p.relative_to(out): p.read_bytes() for p in steps.output_files(ml_root)} == first
    assert preprocess.main(["--seed", "7"]) == 0
    assert (out / "test" / "test.csv").read_bytes() != first[(out / "test" / "test.csv").relative_to(out)]


def test_fractions_are_arguments(ml_root, staged):
    assert preprocess.main(["--validation-fraction", "0.2", "--test-fraction", "0.1"]) == 0
    sizes = {name: len(part) for name, part in _outputs(ml_root).items()}
    assert sizes["test"] == pytest.approx(57, abs=1)
    assert sizes["validation"] == pytest.approx(114, abs=1)


def test_regression_split_is_plain_and_keeps_whole_numbers(ml_root, datasets, steps):
    steps.stage_data(ml_root, datasets["regression"])
    assert preprocess.main([]) == 0
    test_csv = (ml_root / "processing" / "output" / "test" / "test.csv").read_text().splitlines()
    assert test_csv[0].startswith("age,sex,bmi")
    assert test_csv[1].split(",")[0].isdigit()  # age 59, not 59.0
    metadata = json.loads((ml_root / "processing" / "output" / "metadata" / "dataset.json").read_text())
    assert metadata["split"]["stratified_by"] is None
    assert metadata["rows"] == 442


def test_several_files_are_read_in_name_order(ml_root, staged):
    frame = pd.read_csv(staged / "breast_cancer.csv")
    (staged / "breast_cancer.csv").unlink()
    frame.iloc[300:].to_csv(staged / "b.csv", index=False)
    frame.iloc[:300].to_csv(staged / "a.csv", index=False)
    assert preprocess.main([]) == 0
    metadata = json.loads((ml_root / "processing" / "output" / "metadata" / "dataset.json").read_text())
    expected = hashlib.sha256((staged / "a.csv").read_bytes() + (staged / "b.csv").read_bytes()).hexdigest()
    assert metadata["sha256"] == expected
    assert [f["name"] for f in metadata["files"]] == ["a.csv", "b.csv"]
    assert metadata["rows"] == 569


def _corrupt_empty(path):
    path.write_text("")


def _corrupt_missing_column(path):
    pd.read_csv(path).drop(columns=["mean_area"]).to_csv(path, index=False)


def _corrupt_extra_column(path):
    pd.read_csv(path).assign(notes="x").to_csv(path, index=False)


def _corrupt_wrong_type(path):
    frame = pd.read_csv(path).astype({"mean_texture": object})
    frame.loc[10, "mean_texture"] = "abc"
    frame.to_csv(path, index=False)


def _corrupt_out_of_range(path):
    frame = pd.read_csv(path)
    frame.loc[10, "worst_area"] = 1e7
    frame.to_csv(path, index=False)


def _corrupt_too_many_missing(path):
    frame = pd.read_csv(path)
    frame.loc[:100, "mean_smoothness"] = np.nan
    frame.to_csv(path, index=False)


def _corrupt_missing_target(path):
    pd.read_csv(path).drop(columns=["malignant"]).to_csv(path, index=False)


@pytest.mark.parametrize(
    ("corrupt", "fragment"),
    [
        (_corrupt_empty, "the file is empty"),
        (_corrupt_missing_column, "missing column(s) 'mean_area'"),
        (_corrupt_extra_column, "column(s) 'notes' are not in schema.json"),
        (_corrupt_wrong_type, "column 'mean_texture' must hold numbers"),
        (_corrupt_out_of_range, "column 'worst_area' has 1 value(s) outside the allowed range"),
        (_corrupt_too_many_missing, "column 'mean_smoothness' has 101 missing value(s)"),
        (_corrupt_missing_target, "the target column 'malignant' is missing"),
    ],
)
def test_bad_data_stops_the_step_and_writes_nothing(ml_root, staged, capsys, corrupt, fragment, steps):
    corrupt(staged / "breast_cancer.csv")
    assert preprocess.main([]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"Error: {staged / 'breast_cancer.csv'}: ")
    assert fragment in err and "Fix:" in err
    assert steps.output_files(ml_root) == []
    assert fragment in contract.exit_message_file().read_text()


def test_missing_schema_stops_the_step(ml_root, staged, capsys, steps):
    (staged / schema_mod.SCHEMA_FILE).unlink()
    assert preprocess.main([]) == 1
    assert "no feature schema" in capsys.readouterr().err
    assert steps.output_files(ml_root) == []


def test_no_data_files(ml_root, capsys):
    contract.processing_input("data").mkdir(parents=True)
    assert preprocess.main([]) == 1
    assert "no *.csv data files" in capsys.readouterr().err


def test_impossible_fractions(ml_root, staged, capsys, steps):
    assert preprocess.main(["--validation-fraction", "0.6", "--test-fraction", "0.5"]) == 1
    assert "sum to less than 1" in capsys.readouterr().err
    assert steps.output_files(ml_root) == []


def test_too_few_rows_for_every_split(ml_root, staged, capsys):
    path = staged / "breast_cancer.csv"
    pd.read_csv(path).iloc[:6].to_csv(path, index=False)
    assert preprocess.main([]) == 1
    assert "too few" in capsys.readouterr().err


def test_container_command_exits_1_with_the_reason_on_stderr(ml_root, staged, steps):
    _corrupt_wrong_type(staged / "breast_cancer.csv")
    proc = subprocess.run(
        [sys.executable, "-m", f"{preprocess.__package__}.preprocess"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert "column 'mean_texture' must hold numbers" in proc.stderr.strip().splitlines()[-1]
    assert "Traceback" not in proc.stderr
    assert steps.output_files(ml_root) == []
