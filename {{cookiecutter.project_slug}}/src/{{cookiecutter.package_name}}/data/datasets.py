"""The demo data sets, from scikit-learn (offline): written as CSV with a derived feature schema.

- ``breast_cancer``: Wisconsin diagnostic breast cancer, 569 patients, 30 features of cell nuclei
  measured on images of a fine-needle aspirate; target ``malignant`` (1 = malignant, 0 = benign; the
  scikit-learn target is the reverse, benign = 1, but malignant is the finding a screen must not miss).
- ``diabetes``: 442 diabetes patients, 10 baseline measurements in their original units; target
  ``progression``, a measure of disease progression one year after baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import schema

CSV_OPTIONS = {"index": False, "lineterminator": "\n"}  # the same bytes on every platform


@dataclass(frozen=True)
class Dataset:
    name: str
    problem_type: str
    target: str
    target_type: str
    load: Callable[[], pd.DataFrame]
    categorical: tuple[str, ...] = ()


def _breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    raw = load_breast_cancer(as_frame=True)
    frame = raw.data.rename(columns=lambda c: c.replace(" ", "_"))
    frame["malignant"] = (raw.target == 0).astype("int64")
    return frame


# scikit-learn's names s1..s6 are the blood serum measurements below (see its DESCR).
DIABETES_COLUMNS = {"s1": "tc", "s2": "ldl", "s3": "hdl", "s4": "tch", "s5": "ltg", "s6": "glu"}


def _diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    raw = load_diabetes(as_frame=True, scaled=False)
    frame = raw.data.rename(columns=DIABETES_COLUMNS)
    frame["age"] = frame["age"].astype("int64")
    frame["sex"] = frame["sex"].astype("int64")  # coded 1 / 2: a category, not a quantity
    frame["progression"] = raw.target
    return frame


DATASETS = {
    "breast_cancer": Dataset("breast_cancer", "binary_classification", "malignant", "binary", _breast_cancer),
    "diabetes": Dataset("diabetes", "regression", "progression", "continuous", _diabetes, categorical=("sex",)),
}


def get(name: str) -> Dataset:
    if name not in DATASETS:
        raise KeyError(f"unknown data set {name!r}; choose one of {', '.join(sorted(DATASETS))}")
    return DATASETS[name]


def derive_schema(dataset: Dataset, frame: pd.DataFrame) -> schema.Schema:
    return schema.derive(
        frame,
        dataset.target,
        dataset.target_type,
        categorical=dataset.categorical,
        notes={
            "derived_from": f"{dataset.name}.csv ({len(frame)} rows)",
            "ranges": f"observed range widened by {schema.RANGE_TOLERANCE:.0%} of its span on each side, "
            "never below 0 for a feature that was never negative",
        },
    )


def write_dataset(name: str, dest: Path, refresh_schema: bool = False) -> Path:
    """Write ``<dest>/<name>.csv``; derive ``<dest>/schema.json`` unless it exists (or ``refresh_schema``).

    The schema is derived once and then owned by the project: it is the model's reviewed input
    contract, so rewriting the data never changes it silently.
    """
    dataset = get(name)
    frame = dataset.load()
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{name}.csv"
    frame.to_csv(path, **CSV_OPTIONS)
    schema_path = dest / schema.SCHEMA_FILE
    if refresh_schema or not schema_path.exists():
        derive_schema(dataset, frame).save(schema_path)
    return path
