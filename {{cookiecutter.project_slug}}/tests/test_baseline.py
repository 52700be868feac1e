"""The drift baseline: quantile bins of numeric features and category frequencies."""

import json

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }} import baseline, contract
from {{ cookiecutter.package_name }}.data import schema as schema_mod


def test_bins_are_open_at_both_ends_and_right_closed():
    assert baseline.bin_counts(np.array([-5.0, 1.0, 1.5, 2.0, 99.0, np.nan]), [1.0, 2.0]) == [2, 2, 1]


def test_numeric_feature_gets_decile_bins():
    values = np.arange(1000, dtype=float)
    frame = pd.DataFrame({"x": values, "y": values})
    schema = schema_mod.derive(frame, "y", "continuous")
    x = baseline.compute(frame, schema)["features"]["x"]
    assert x["type"] == "numeric"
    assert len(x["edges"]) == baseline.BINS - 1
    assert x["counts"] == [100] * baseline.BINS
    assert x["missing"] == 0
    assert (x["min"], x["max"]) == (0.0, 999.0)


def test_missing_values_are_counted_apart():
    frame = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0], "y": [0, 1, 0, 1]})
    schema = schema_mod.derive(frame, "y", "binary")
    x = baseline.compute(frame, schema)["features"]["x"]
    assert x["missing"] == 1
    assert sum(x["counts"]) == 3


def test_constant_feature_has_one_edge():
    frame = pd.DataFrame({"x": [3.0] * 10, "y": [0, 1] * 5})
    x = baseline.compute(frame, schema_mod.derive(frame, "y", "binary"))["features"]["x"]
    assert x["edges"] == [3.0]
    assert x["counts"] == [10, 0]


def test_categories_get_frequencies():
    raw = pd.DataFrame({"sex": ["1", "2", "1", "1", None], "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
    schema = schema_mod.derive(raw, "y", "continuous", categorical=("sex",))
    frame = schema_mod.validate(raw, schema_mod.Schema(schema.features, schema.target, 1.0), "test")
    sex = baseline.compute(frame, schema)["features"]["sex"]
    assert sex == {
        "type": "categorical",
        "counts": {"1": 3, "2": 1},
        "frequencies": {"1": 0.75, "2": 0.25},
        "missing": 1,
    }


def test_trained_model_baseline_covers_every_feature(trained):
    for run in trained.values():
        data = json.loads((run["model_dir"] / contract.BASELINE_JSON).read_text())
        schema = schema_mod.load(run["model_dir"] / "schema.json")
        assert set(data["features"]) == set(schema.feature_names)
        train_rows = data["rows"]
        for feature in data["features"].values():
            counted = sum(feature["counts"].values()) if feature["type"] == "categorical" else sum(feature["counts"])
            assert counted + feature["missing"] == train_rows
