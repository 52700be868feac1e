"""The feature schema: the model's input contract, derived once from the data and enforced everywhere.

``schema.json`` lists every feature (name, dtype, allowed range or categories), the target and how
many missing values a column may hold. Preprocess, train, evaluate and serve all check data against it,
so nothing downstream runs on data the model was not built for.

Allowed ranges are the observed range widened by ``RANGE_TOLERANCE`` of its span on each side (and
never below 0 for a feature that was never negative). The check is there to catch unit mix-ups,
sentinel values (-1, 9999) and corrupted files, which land far outside; values a little beyond what
569 patients happened to show are plausible and must not stop a run. Gradual shifts are the drift
monitor's job, not this check's.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..contract import StepError

SCHEMA_FILE = "schema.json"
SCHEMA_VERSION = 1
FEATURE_TYPES = ("float", "int", "category")
TARGET_TYPES = ("binary", "continuous")
RANGE_TOLERANCE = 0.25
# The one place the "too many missing values" limit is set: a column with more than this share of
# missing values is rejected (derive() records it in schema.json, where a project may change it).
MAX_MISSING_FRACTION = 0.05


class DataError(StepError):
    """A data file breaks the schema. The message names the file, the column and the fix."""


class SchemaError(DataError):
    """schema.json itself is missing or malformed."""


@dataclass(frozen=True)
class Feature:
    name: str
    dtype: str
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        if self.dtype == "category":
            return {"name": self.name, "dtype": self.dtype, "categories": list(self.categories)}
        return {"name": self.name, "dtype": self.dtype, "min": self.min, "max": self.max}


@dataclass(frozen=True)
class Target:
    name: str
    type: str
    classes: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.type == "binary":
            out["classes"] = list(self.classes)
        return out


@dataclass(frozen=True)
class Schema:
    features: tuple[Feature, ...]
    target: Target
    max_missing_fraction: float = MAX_MISSING_FRACTION
    notes: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def feature(self, name: str) -> Feature:
        return next(f for f in self.features if f.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SCHEMA_VERSION,
            "target": self.target.to_dict(),
            "max_missing_fraction": self.max_missing_fraction,
            "features": [f.to_dict() for f in self.features],
            **({"notes": self.notes} if self.notes else {}),
        }

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path


# --- Reading schema.json -----------------------------------------------------------------------------


def _need(data: dict, key: str, kind: type | tuple[type, ...], where: str, source: str) -> Any:
    if key not in data:
        raise SchemaError(f"{source}: {where} has no {key!r}. Fix: restore it (or re-derive schema.json).")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SchemaError(f"{source}: {where}.{key} has the wrong type ({value!r}). Fix: correct schema.json.")
    return value


def from_dict(data: Any, source: str = SCHEMA_FILE) -> Schema:
    if not isinstance(data, dict):
        raise SchemaError(f"{source}: expected a JSON object. Fix: re-derive schema.json.")
    target_data = _need(data, "target", dict, "the schema", source)
    target = Target(
        name=_need(target_data, "name", str, "target", source),
        type=_need(target_data, "type", str, "target", source),
        classes=tuple(target_data.get("classes", ())),
    )
    if target.type not in TARGET_TYPES:
        raise SchemaError(f"{source}: target.type must be one of {', '.join(TARGET_TYPES)}, got {target.type!r}.")
    if target.type == "binary" and len(target.classes) != 2:
        raise SchemaError(f"{source}: a binary target needs exactly two classes, got {list(target.classes)}.")
    features = []
    for i, item in enumerate(_need(data, "features", list, "the schema", source)):
        where = f"features[{i}]"
        if not isinstance(item, dict):
            raise SchemaError(f"{source}: {where} must be an object. Fix: correct schema.json.")
        name, dtype = _need(item, "name", str, where, source), _need(item, "dtype", str, where, source)
        if dtype not in FEATURE_TYPES:
            raise SchemaError(f"{source}: {where} ({name}): dtype must be one of {', '.join(FEATURE_TYPES)}.")
        if dtype == "category":
            categories = tuple(str(c) for c in _need(item, "categories", list, where, source))
            features.append(Feature(name, dtype, categories=categories))
        else:
            low, high = (float(_need(item, k, (int, float), where, source)) for k in ("min", "max"))
            features.append(Feature(name, dtype, min=low, max=high))
    names = [f.name for f in features]
    if not names or len(set(names)) != len(names) or target.name in names:
        raise SchemaError(f"{source}: feature names must be unique, non-empty and differ from the target.")
    fraction = float(_need(data, "max_missing_fraction", (int, float), "the schema", source))
    return Schema(tuple(features), target, fraction, data.get("notes", {}))


def load(path: Path) -> Schema:
    if not path.is_file():
        raise SchemaError(
            f"{path}: no feature schema. Fix: keep schema.json next to the data "
            "(the project's `data` command writes the demo data set and derives it)."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{path}: not valid JSON ({exc}). Fix: restore schema.json from git.") from exc
    return from_dict(data, str(path))


# --- Deriving a schema -------------------------------------------------------------------------------


def _bound(value: float, dtype: str, outward: int) -> float:
    """A readable bound; for whole numbers the widened bound is rounded back towards the data."""
    if dtype == "int":
        return float(math.ceil(value) if outward < 0 else math.floor(value))
    return float(f"{value:.6g}")


def derive(
    frame: pd.DataFrame,
    target: str,
    target_type: str,
    *,
    categorical: tuple[str, ...] = (),
    tolerance: float = RANGE_TOLERANCE,
    max_missing_fraction: float = MAX_MISSING_FRACTION,
    notes: dict[str, Any] | None = None,
) -> Schema:
    """Derive the schema from a data set; non-numeric columns and ``categorical`` ones are categories."""
    if target not in frame.columns:
        raise SchemaError(f"cannot derive a schema: the target column {target!r} is not in the data")
    if target_type not in TARGET_TYPES:
        raise SchemaError(f"target type must be one of {', '.join(TARGET_TYPES)}, got {target_type!r}")
    features = []
    for name in frame.columns:
        if name == target:
            continue
        column = frame[name]
        if name in categorical or not pd.api.types.is_numeric_dtype(column):
            categories = sorted({str(v) for v in column.dropna()})
            features.append(Feature(name, "category", categories=tuple(categories)))
            continue
        dtype = "int" if pd.api.types.is_integer_dtype(column) else "float"
        low, high = float(column.min()), float(column.max())
        margin = tolerance * (high - low) or tolerance * max(abs(low), 1.0)
        lower = low - margin
        if low >= 0:
            lower = max(lower, 0.0)
        features.append(Feature(name, dtype, min=_bound(lower, dtype, -1), max=_bound(high + margin, dtype, 1)))
    classes: tuple[int, ...] = ()
    if target_type == "binary":
        classes = tuple(sorted(int(v) for v in frame[target].dropna().unique()))
        if len(classes) != 2:
            raise SchemaError(f"a binary target needs two classes; {target!r} holds {list(classes)}")
    return Schema(tuple(features), Target(target, target_type, classes), max_missing_fraction, notes or {})


# --- Enforcing it ------------------------------------------------------------------------------------


def _row(mask: pd.Series) -> int:
    """The first flagged row, counting data rows from 1 (the header is not a row)."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 1


def _first(mask: pd.Series, values: pd.Series) -> str:
    row = _row(mask)
    return f"row {row} holds {values.iloc[row - 1]!r}"


def _numeric(column: pd.Series, feature_name: str, kind: str, source: str) -> pd.Series:
    numbers = pd.to_numeric(column, errors="coerce") if not pd.api.types.is_numeric_dtype(column) else column
    numbers = numbers.astype("float64")
    bad = numbers.isna() & column.notna()
    if bad.any():
        raise DataError(
            f"{source}: column {feature_name!r} must hold numbers ({kind}) but {_first(bad, column)} "
            f"({int(bad.sum())} value(s) are not numbers). Fix: correct or blank out those values."
        )
    return numbers


def validate(frame: pd.DataFrame, schema: Schema, source: str, *, with_target: bool = True) -> pd.DataFrame:
    """Check a frame against the schema; return it typed, in schema order. Raises DataError."""
    if frame.empty and len(frame.columns) == 0:
        raise DataError(f"{source}: the file is empty. Fix: provide a header row and at least one data row.")
    target = schema.target.name
    if with_target and target not in frame.columns:
        raise DataError(
            f"{source}: the target column {target!r} is missing. Fix: add the labels as column {target!r}; "
            "data without labels cannot train or evaluate the model."
        )
    expected = [*schema.feature_names, *([target] if with_target else [])]
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(map(repr, missing))} required by schema.json. "
            "Fix: add them; if the model should stop using them, remove them from schema.json and retrain."
        )
    extra = [str(c) for c in frame.columns if c not in expected]
    if extra:
        raise DataError(
            f"{source}: column(s) {', '.join(map(repr, extra))} are not in schema.json. Fix: remove them, "
            "or add them to schema.json as new model inputs and retrain."
        )
    if len(frame) == 0:
        raise DataError(f"{source}: has a header but no data rows. Fix: add the data rows.")

    rows = len(frame)
    out = {}
    for feature in schema.features:
        column = frame[feature.name]
        missing_count = int(column.isna().sum())
        if missing_count > schema.max_missing_fraction * rows:
            raise DataError(
                f"{source}: column {feature.name!r} has {missing_count} missing value(s) in {rows} rows "
                f"({missing_count / rows:.1%}), more than the {schema.max_missing_fraction:.1%} schema.json allows "
                "(max_missing_fraction). Fix: fill in the values or drop those rows."
            )
        if feature.dtype == "category":
            text = column.map(lambda v: v if pd.isna(v) else str(v))
            unknown = text.notna() & ~text.isin(feature.categories)
            if unknown.any():
                raise DataError(
                    f"{source}: column {feature.name!r}: {_first(unknown, text)}, not one of the allowed categories "
                    f"{', '.join(map(repr, feature.categories))}. Fix: correct the value; if it is a genuine new "
                    "category, add it to schema.json and retrain."
                )
            out[feature.name] = pd.Categorical(text, categories=list(feature.categories))
            continue
        numbers = _numeric(column, feature.name, feature.dtype, source)
        if feature.dtype == "int":
            fractional = numbers.notna() & (numbers != np.floor(numbers))
            if fractional.any():
                raise DataError(
                    f"{source}: column {feature.name!r} must hold whole numbers but {_first(fractional, column)}. "
                    "Fix: correct those values."
                )
        outside = numbers.notna() & ((numbers < feature.min) | (numbers > feature.max))
        if outside.any():
            raise DataError(
                f"{source}: column {feature.name!r} has {int(outside.sum())} value(s) outside the allowed range "
                f"[{feature.min:g}, {feature.max:g}] ({_first(outside, column)}). Fix: check the units and the "
                "source of those rows; if such values are genuine, widen min/max in schema.json, review and retrain."
            )
        out[feature.name] = numbers.to_numpy()
    if with_target:
        out[target] = _target(frame[target], schema.target, source)
    return pd.DataFrame(out, index=range(rows))


def _target(column: pd.Series, target: Target, source: str) -> np.ndarray:
    absent = column.isna()
    if absent.any():
        raise DataError(
            f"{source}: the target column {target.name!r} has {int(absent.sum())} missing value(s) "
            f"(first at row {_row(absent)}). Fix: every row needs a label; fill them in "
            "or drop those rows."
        )
    numbers = _numeric(column, target.name, "target", source)
    if target.type == "continuous":
        return numbers.to_numpy()
    wrong = ~numbers.isin(target.classes)
    if wrong.any():
        raise DataError(
            f"{source}: the target column {target.name!r} must be one of "
            f"{', '.join(map(str, target.classes))} but {_first(wrong, column)}. Fix: correct the labels."
        )
    return numbers.astype("int64").to_numpy()


def read_csv(path: Path, schema: Schema, *, with_target: bool = True) -> pd.DataFrame:
    """Read one CSV file and validate it (the message names the file)."""
    if not path.is_file():
        raise DataError(f"{path}: no such file. Fix: check the input location.")
    if not path.read_bytes().strip():
        raise DataError(f"{path}: the file is empty. Fix: provide a header row and at least one data row.")
    categories = {f.name: "string" for f in schema.features if f.dtype == "category"}
    try:
        frame = pd.read_csv(path, dtype=categories, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc}). Fix: export it again as UTF-8 CSV.") from exc
    return validate(frame, schema, str(path), with_target=with_target)
