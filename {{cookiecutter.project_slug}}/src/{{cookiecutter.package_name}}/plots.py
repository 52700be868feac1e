"""Evaluation plots as PNG: ROC and precision-recall curves, or residuals. Only evaluate imports this."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display in a container
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})  # no version stamp: same inputs, same bytes
    _pyplot().close(fig)
    return path


def classification(y_true: np.ndarray, scores: np.ndarray, folder: Path) -> list[Path]:
    from sklearn.metrics import auc, precision_recall_curve, roc_curve

    plt = _pyplot()
    fpr, tpr, _ = roc_curve(y_true, scores)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(fpr, tpr, label=f"AUC = {auc(fpr, tpr):.3f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    ax.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC curve (test split)")
    ax.legend(loc="lower right")
    paths = [_save(fig, folder / "roc_curve.png")]

    precision, recall, _ = precision_recall_curve(y_true, scores)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(recall, precision)
    ax.axhline(float(np.mean(y_true)), linestyle="--", color="grey", label="prevalence")
    ax.set(xlabel="Recall", ylabel="Precision", title="Precision-recall curve (test split)", ylim=(0, 1.05))
    ax.legend(loc="lower left")
    paths.append(_save(fig, folder / "precision_recall_curve.png"))
    return paths


def regression(y_true: np.ndarray, predicted: np.ndarray, folder: Path) -> list[Path]:
    plt = _pyplot()
    residuals = np.asarray(y_true) - np.asarray(predicted)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    low, high = float(min(y_true.min(), predicted.min())), float(max(y_true.max(), predicted.max()))
    left.scatter(predicted, y_true, s=12, alpha=0.7)
    left.plot([low, high], [low, high], linestyle="--", color="grey")
    left.set(xlabel="Predicted", ylabel="Actual", title="Predicted vs actual (test split)")
    right.scatter(predicted, residuals, s=12, alpha=0.7)
    right.axhline(0, linestyle="--", color="grey")
    right.set(xlabel="Predicted", ylabel="Residual (actual - predicted)", title="Residuals (test split)")
    return [_save(fig, folder / "residuals.png")]
