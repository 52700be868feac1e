"""The feature schema: derived once from the data, then every malformed file is refused clearly."""

import json

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import schema as schema_mod
from {{ cookiecutter.package_name }}.data.datasets import DATASETS
from {{ cookiecutter.package_name }}.data.schema import DataError, SchemaError


@pytest.fixture(scope="module")
def cancer(tmp_path_factory):
    """The breast-cancer data set and its derived schema."""
    frame = DATASETS["breast_cancer"].load()
    from {{ cookiecutter.package_name }}.data.datasets import derive_schema

    return frame, derive_schema(DATASETS["breast_cancer"], frame)


def _write(tmp_path, frame: pd.DataFrame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _refused(path, schema, *fragments):
    with pytest.raises(DataError) as caught:
        schema_mod.read_csv(path, schema)
    message = str(caught.value)
    assert str(path) in message
    assert "Fix:" in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_derived_schema_describes_the_data(cancer):
    frame, schema = cancer
    assert schema.target.name == "malignant"
    assert schema.target.type == "binary"
    assert schema.target.classes == (0, 1)
    assert schema.feature_names == [c for c in frame.columns if c != "malignant"]
    assert {f.dtype for f in schema.features} == {"float"}
    assert schema.max_missing_fraction == schema_mod.MAX_MISSING_FRACTION
    for feature in schema.features:
        column = frame[feature.name]
        span = column.max() - column.min()
        assert feature.min <= column.min() and feature.max >= column.max()
        assert feature.max >= column.max() + 0.2 * span  # room for values beyond the training range
        assert feature.min >= 0  # measurements that were never negative stay non-negative


def test_whole_numbers_and_categories(tmp_path):
    frame = pd.DataFrame(
        {"age": [20, 40, 60, 80], "sex": [1, 2, 1, 2], "bmi": [-1.0, 0.5, 2.0, 3.0], "y": [1.0, 2.0, 3.0, 4.0]}
    )
    schema = schema_mod.derive(frame, "y", "continuous", categorical=("sex",))
    age, sex, bmi = schema.features
    assert (age.dtype, age.min, age.max) == ("int", 5.0, 95.0)  # 25% of the span of 60, whole numbers
    assert (sex.dtype, sex.categories) == ("category", ("1", "2"))
    assert bmi.min == pytest.approx(-2.0)  # negative data: no clamp at 0
    assert schema.target.type == "continuous"


def test_schema_round_trips_through_json(cancer, tmp_path):
    _, schema = cancer
    path = schema.save(tmp_path / "schema.json")
    assert schema_mod.load(path) == schema
    assert json.loads(path.read_text())["target"] == {"name": "malignant", "type": "binary", "classes": [0, 1]}


def test_missing_schema_file_says_how_to_get_one(tmp_path):
    with pytest.raises(SchemaError, match=r"no feature schema\. Fix: keep schema\.json next to the data"):
        schema_mod.load(tmp_path / "schema.json")


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.pop("target"), "has no 'target'"),
        (lambda d: d["features"][0].pop("dtype"), "features[0] has no 'dtype'"),
        (lambda d: d["features"][0].update(dtype="text"), "dtype must be one of"),
        (lambda d: d["features"][0].update(min="low"), "features[0].min has the wrong type"),
        (lambda d: d["target"].update(classes=[0, 1, 2]), "exactly two classes"),
    ],
)
def test_malformed_schema_file_is_refused(cancer, tmp_path, mutate, fragment):
    data = cancer[1].to_dict()
    mutate(data)
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SchemaError) as caught:
        schema_mod.load(path)
    assert str(path) in str(caught.value) and fragment in str(caught.value)


def test_good_file_is_read_typed_in_schema_order(cancer, tmp_path):
    frame, schema = cancer
    shuffled = frame[list(reversed(frame.columns))]
    checked = schema_mod.read_csv(_write(tmp_path, shuffled), schema)
    assert list(checked.columns) == [*schema.feature_names, "malignant"]
    assert checked["malignant"].dtype == np.int64
    assert np.allclose(checked["mean_radius"], frame["mean_radius"])


# --- every malformed-data case --------------------------------------------------------------------------


def test_empty_file(cancer, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("")
    _refused(path, cancer[1], "the file is empty")


def test_header_without_rows(cancer, tmp_path):
    frame, schema = cancer
    _refused(_write(tmp_path, frame.iloc[:0]), schema, "has a header but no data rows")


def test_missing_column(cancer, tmp_path):
    frame, schema = cancer
    _refused(_write(tmp_path, frame.drop(columns=["mean_area"])), schema, "missing column(s) 'mean_area'")


def test_extra_column(cancer, tmp_path):
    frame, schema = cancer
    path = _write(tmp_path, frame.assign(patient_id=range(len(frame))))
    _refused(path, schema, "column(s) 'patient_id' are not in schema.json")


def test_wrong_type(cancer, tmp_path):
    frame, schema = cancer
    broken = frame.astype({"mean_texture": object})
    broken.loc[4, "mean_texture"] = "n/a?"
    message = _refused(_write(tmp_path, broken), schema, "column 'mean_texture' must hold numbers", "row 5")
    assert "'n/a?'" in message


def test_fractional_value_in_a_whole_number_column(tmp_path):
    frame = pd.DataFrame({"age": [20, 40, 60], "y": [0, 1, 0]})
    schema = schema_mod.derive(frame, "y", "binary")
    path = tmp_path / "data.csv"
    path.write_text("age,y\n20,0\n40.5,1\n")
    _refused(path, schema, "column 'age' must hold whole numbers", "row 2")


def test_out_of_range(cancer, tmp_path):
    frame, schema = cancer
    broken = frame.copy()
    broken.loc[6, "mean_area"] = 250000.0  # area in the wrong unit
    message = _refused(_write(tmp_path, broken), schema, "column 'mean_area' has 1 value(s) outside the allowed range")
    assert "row 7" in message and "widen min/max in schema.json" in message


def test_negative_where_never_negative(cancer, tmp_path):
    frame, schema = cancer
    broken = frame.copy()
    broken.loc[0, "mean_radius"] = -1.0  # a sentinel for "unknown"
    _refused(_write(tmp_path, broken), schema, "column 'mean_radius'", "outside the allowed range")


def test_too_many_missing_values(cancer, tmp_path):
    frame, schema = cancer
    broken = frame.copy()
    broken.loc[: int(len(frame) * 0.06), "worst_area"] = np.nan
    _refused(_write(tmp_path, broken), schema, "column 'worst_area' has", "missing value(s)", "max_missing_fraction")


def test_a_few_missing_values_are_allowed(cancer, tmp_path):
    frame, schema = cancer
    broken = frame.copy()
    broken.loc[:5, "worst_area"] = np.nan
    checked = schema_mod.read_csv(_write(tmp_path, broken), schema)
    assert checked["worst_area"].isna().sum() == 6


def test_missing_target_column(cancer, tmp_path):
    frame, schema = cancer
    _refused(_write(tmp_path, frame.drop(columns=["malignant"])), schema, "the target column 'malignant' is missing")


def test_missing_target_values(cancer, tmp_path):
    frame, schema = cancer
    broken = frame.astype({"malignant": "Int64"})
    broken.loc[3, "malignant"] = pd.NA
    _refused(_write(tmp_path, broken), schema, "target column 'malignant' has 1 missing value(s)", "row 4")


def test_unknown_label(cancer, tmp_path):
    frame, schema = cancer
    broken = frame.copy()
    broken.loc[2, "malignant"] = 2
    _refused(_write(tmp_path, broken), schema, "'malignant' must be one of 0, 1", "row 3")


def test_unknown_category(tmp_path):
    frame = pd.DataFrame({"sex": [1, 2, 1], "bmi": [20.0, 25.0, 30.0], "y": [1.0, 2.0, 3.0]})
    schema = schema_mod.derive(frame, "y", "continuous", categorical=("sex",))
    path = tmp_path / "data.csv"
    path.write_text("sex,bmi,y\n1,22.0,1.0\n3,23.0,2.0\n")
    _refused(path, schema, "column 'sex'", "'3', not one of the allowed categories '1', '2'")


def test_features_only_for_serving(cancer):
    frame, schema = cancer
    checked = schema_mod.validate(frame.drop(columns=["malignant"]), schema, "request", with_target=False)
    assert list(checked.columns) == schema.feature_names
