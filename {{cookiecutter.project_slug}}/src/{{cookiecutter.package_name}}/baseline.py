"""The drift baseline: what the training data looked like, feature by feature, for the drift monitor.

Numeric features keep the inner edges of ``BINS`` quantile bins of the training data and how many
training rows fall in each; the outer bins are open, so live values outside the training range still
land somewhere. Categorical features keep their category counts and frequencies. The monitor bins live
data with the same edges (``bin_counts``) and compares the two distributions (PSI, KS, Jensen-Shannon).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .data.schema import Schema

BINS = 10


def bin_counts(values: np.ndarray, edges: list[float]) -> list[int]:
    """Counts per bin: (-inf, e0], (e0, e1], ..., (e_last, inf); missing values are not counted."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    index = np.searchsorted(np.asarray(edges, dtype=float), values, side="left")
    return np.bincount(index, minlength=len(edges) + 1).astype(int).tolist()


def _numeric(values: np.ndarray) -> dict[str, Any]:
    present = values[~np.isnan(values)]
    if len(present) == 0:
        return {"type": "numeric", "edges": [], "counts": [0], "missing": len(values)}
    quantiles = np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1])
    edges = sorted({round(float(q), 10) for q in quantiles})
    return {
        "type": "numeric",
        "edges": edges,
        "counts": bin_counts(present, edges),
        "missing": int(len(values) - len(present)),
        "min": float(present.min()),
        "max": float(present.max()),
        "mean": float(present.mean()),
        "std": float(present.std()),
    }


def _categorical(values: pd.Series, categories: tuple[str, ...]) -> dict[str, Any]:
    counts = values.astype("object").value_counts(dropna=True)
    present = int(counts.sum())
    return {
        "type": "categorical",
        "counts": {c: int(counts.get(c, 0)) for c in categories},
        "frequencies": {c: (int(counts.get(c, 0)) / present if present else 0.0) for c in categories},
        "missing": int(values.isna().sum()),
    }


def compute(frame: pd.DataFrame, schema: Schema) -> dict[str, Any]:
    """The baseline of a schema-checked training frame."""
    features = {}
    for feature in schema.features:
        column = frame[feature.name]
        if feature.dtype == "category":
            features[feature.name] = _categorical(column, feature.categories)
        else:
            features[feature.name] = _numeric(column.to_numpy(dtype=float))
    return {"version": 1, "rows": len(frame), "bins": BINS, "features": features}
