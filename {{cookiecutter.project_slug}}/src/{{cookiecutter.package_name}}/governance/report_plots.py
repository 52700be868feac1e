"""The validation report's figures as PNG: metrics against the gate, evaluation plots from S3, the drift baseline."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import math
from collections.abc import Mapping
from typing import Any

from ..pipeline.local import storage

DPI = 80
MAX_FEATURE_PLOTS = 60
PLOT_TITLES = {
    "roc_curve": "ROC curve (test split)",
    "precision_recall_curve": "Precision-recall curve (test split)",
    "residuals": "Residuals (test split)",
}


# --- plots ---------------------------------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})  # no version stamp: same facts, same bytes
    _pyplot().close(fig)
    return buffer.getvalue()


def metrics_plot(facts: Mapping[str, Any]) -> bytes | None:
    """Every metric as a bar; the primary one coloured by the gate, with the threshold marked."""
    values = facts["values"]
    primary = facts["primary"]
    if not values:
        return None
    plt = _pyplot()
    names = list(values)
    fig, ax = plt.subplots(figsize=(6.4, 0.55 * len(names) + 1.4))
    colours = [
        ("#2ca02c" if primary["passes"] else "#d62728") if name == primary["name"] else "#8c9db5" for name in names
    ]
    ax.barh(range(len(names)), [values[n] for n in names], color=colours)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    for i, name in enumerate(names):
        ax.annotate(f"{values[name]:.4g}", (values[name], i), xytext=(3, 0), textcoords="offset points", va="center")
    if primary["name"] in names:
        i = names.index(primary["name"])
        ax.plot(
            [primary["threshold"]] * 2,
            [i - 0.45, i + 0.45],
            color="black",
            linestyle="--",
            linewidth=2,
            label=f"gate: {primary['name']} {'>=' if primary['goal'] == 'maximize' else '<='} {primary['threshold']:g}",
        )
        ax.legend(loc="lower right")
    ax.set(title="Metrics on the held-out test split against the gate", xlabel="value")
    return _png(fig)


def _numeric_bars(ax: Any, feature: Mapping[str, Any]) -> bool:
    edges, counts = list(feature.get("edges", [])), list(feature.get("counts", []))
    low, high = feature.get("min"), feature.get("max")
    if not edges or low is None or high is None or sum(counts) == 0 or len(counts) != len(edges) + 1:
        return False
    bounds = [float(low), *[float(e) for e in edges], float(high)]
    span = max(bounds[-1] - bounds[0], 1e-12)
    widths = [max(b - a, span / 100) for a, b in itertools.pairwise(bounds)]
    total = sum(counts)
    heights = [c / total / w for c, w in zip(counts, widths, strict=True)]
    ax.bar(bounds[:-1], heights, width=widths, align="edge", color="#4c72b0", edgecolor="white", linewidth=0.3)
    return True


def baseline_plot(baseline: Mapping[str, Any] | None) -> tuple[bytes | None, int]:
    """(PNG, features drawn): one small distribution per feature of the drift baseline (training data)."""
    features = list((baseline or {}).get("features", {}).items())
    if not features:
        return None, 0
    shown = features[:MAX_FEATURE_PLOTS]
    plt = _pyplot()
    columns = min(5, len(shown))
    rows = math.ceil(len(shown) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 1.8 * rows), squeeze=False)
    for ax, (name, feature) in zip(axes.flat, shown, strict=False):
        drawn = False
        if feature.get("type") == "categorical" and feature.get("counts"):
            categories = list(feature["counts"])
            ax.bar(range(len(categories)), [feature["counts"][c] for c in categories], color="#4c72b0")
            ax.set_xticks(range(len(categories)), categories, fontsize=6, rotation=30)
            drawn = True
        elif feature.get("type") == "numeric":
            drawn = _numeric_bars(ax, feature)
            ax.tick_params(axis="x", labelsize=6)
        if not drawn:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, fontsize=7)
        ax.set_yticks([])
        ax.set_title(str(name)[:40], fontsize=7)
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    return _png(fig), len(shown)


def evaluation_plots(s3: Any, evaluation_uri: str | None) -> list[dict[str, Any]]:
    """The PNG plots the evaluate step left next to evaluation.json (ROC and PR curves, or residuals)."""
    if not evaluation_uri:
        return []
    bucket, key = storage.split_uri(evaluation_uri)
    prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    out = []
    for found in sorted(k for k in keys if k.endswith(".png") and "/" not in k[len(prefix) :]):
        data = s3.get_object(Bucket=bucket, Key=found)["Body"].read()
        stem = found.rsplit("/", 1)[-1].removesuffix(".png")
        title = PLOT_TITLES.get(stem, stem.replace("_", " "))
        out.append({"name": stem, "title": title, "source": f"s3://{bucket}/{found}", "png": data})
    return out


def figure(name: str, title: str, data: bytes, source: str) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "source": source,
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": base64.b64encode(data).decode("ascii"),
    }
