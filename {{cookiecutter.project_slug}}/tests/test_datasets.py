"""The demo data sets: written offline as CSV, the schema derived once."""

import hashlib

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import schema as schema_mod
from {{ cookiecutter.package_name }}.data.datasets import DATASETS, write_dataset


@pytest.mark.parametrize(
    ("name", "rows", "target", "features"),
    [("breast_cancer", 569, "malignant", 30), ("diabetes", 442, "progression", 10)],
)
def test_writes_csv_and_schema(tmp_path, name, rows, target, features):
    path = write_dataset(name, tmp_path)
    assert path == tmp_path / f"{name}.csv"
    frame = pd.read_csv(path)
    assert frame.shape == (rows, features + 1)
    assert frame.columns[-1] == target
    assert not frame.isna().any().any()
    schema = schema_mod.load(tmp_path / "schema.json")
    assert schema.target.name == target
    assert len(schema.features) == features
    schema_mod.read_csv(path, schema)  # the data set satisfies its own schema


def test_breast_cancer_target_is_malignant():
    frame = DATASETS["breast_cancer"].load()
    assert frame["malignant"].value_counts().to_dict() == {0: 357, 1: 212}  # 212 malignant tumours


def test_diabetes_keeps_original_units():
    frame = DATASETS["diabetes"].load()
    assert list(frame.columns[:4]) == ["age", "sex", "bmi", "bp"]
    assert frame["age"].between(19, 79).all()
    assert set(frame["sex"]) == {1, 2}
    schema = schema_mod.derive(frame, "progression", "continuous", categorical=DATASETS["diabetes"].categorical)
    assert schema.feature("sex").dtype == "category"
    assert schema.feature("age").dtype == "int"


def test_same_bytes_every_time(tmp_path):
    first = write_dataset("diabetes", tmp_path / "a").read_bytes()
    second = write_dataset("diabetes", tmp_path / "b").read_bytes()
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    assert b"\r\n" not in first


def test_existing_schema_is_kept_unless_refreshed(tmp_path):
    write_dataset("breast_cancer", tmp_path)
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(
        schema_file.read_text().replace('"max_missing_fraction": 0.05', '"max_missing_fraction": 0.1')
    )
    write_dataset("breast_cancer", tmp_path)
    assert schema_mod.load(schema_file).max_missing_fraction == 0.1  # reviewed edits survive
    write_dataset("breast_cancer", tmp_path, refresh_schema=True)
    assert schema_mod.load(schema_file).max_missing_fraction == schema_mod.MAX_MISSING_FRACTION


def test_unknown_data_set(tmp_path):
    with pytest.raises(KeyError, match="unknown data set 'iris'; choose one of breast_cancer, diabetes"):
        write_dataset("iris", tmp_path)
    assert not list(tmp_path.iterdir())
