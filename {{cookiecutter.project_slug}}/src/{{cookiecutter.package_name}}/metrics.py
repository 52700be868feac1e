"""Model-quality metrics: how they are computed, named in evaluation.json and reported to tuning.

evaluation.json follows SageMaker's model-quality form (``{"value": x, "standard_deviation": "NaN"}``
per metric under ``binary_classification_metrics`` or ``regression_metrics``), which the model
registry shows and the pipeline's metric gate reads with ``json_path``.
"""

from __future__ import annotations

import math
import re

import numpy as np

from . import validation

SECTIONS = {"binary_classification": "binary_classification_metrics", "regression": "regression_metrics"}
# Which metrics each problem type reports, and whether more is better: facts of project.yaml's rules.
METRICS = {
    problem: tuple(name for name, fact in validation.METRICS.items() if fact["problem_type"] == problem)
    for problem in SECTIONS
}
GOALS = {name: fact["goal"] for name, fact in validation.METRICS.items()}
DECISION_THRESHOLD = 0.5  # probability at or above which a case is called positive
CURVE_POINTS = 101  # ROC / PR curves in evaluation.json are resampled to this many points


def _check(problem_type: str, metric: str | None = None) -> None:
    if problem_type not in SECTIONS:
        raise ValueError(f"unknown problem type {problem_type!r}; use one of {', '.join(SECTIONS)}")
    if metric is not None and metric not in METRICS[problem_type]:
        raise ValueError(f"{metric!r} is not a {problem_type} metric; use one of {', '.join(METRICS[problem_type])}")


def json_path(problem_type: str, metric: str) -> str:
    """Where the metric's value sits in evaluation.json, e.g. ``binary_classification_metrics.auc.value``."""
    _check(problem_type, metric)
    return f"{SECTIONS[problem_type]}.{metric}.value"


def objective_regex(metric: str) -> str:
    """The MetricDefinitions regex that reads the training job's objective line."""
    return rf"validation:{re.escape(metric)}=([-+0-9.eE]+)"


def objective_line(metric: str, value: float) -> str:
    """The one line a training job prints for tuning, e.g. ``validation:auc=0.991234``."""
    return f"validation:{metric}={value:.10g}"


def objective_type(goal: str) -> str:
    """SageMaker's HyperParameterTuningJobObjective type for a goal (``maximize``/``minimize``)."""
    return {"maximize": "Maximize", "minimize": "Minimize"}[goal]


def classification(y_true: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support, roc_auc_score

    predicted = (scores >= DECISION_THRESHOLD).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(y_true, predicted, average="binary", zero_division=0)
    return {
        "auc": float(roc_auc_score(y_true, scores)),
        "accuracy": float(accuracy_score(y_true, predicted)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


def regression(y_true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    error = np.asarray(y_true, dtype=float) - np.asarray(predicted, dtype=float)
    spread = float(np.sum((y_true - np.mean(y_true)) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
        "r2": 1.0 - float(np.sum(error**2)) / spread if spread else math.nan,
    }


def compute(problem_type: str, y_true: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Every metric of the problem type; ``scores`` are positive-class probabilities or predictions."""
    _check(problem_type)
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    return classification(y_true, scores) if problem_type == "binary_classification" else regression(y_true, scores)


def _resample(x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    if len(x) <= CURVE_POINTS:
        return [round(float(v), 6) for v in x], [round(float(v), 6) for v in y]
    keep = np.unique(np.linspace(0, len(x) - 1, CURVE_POINTS).round().astype(int))
    return [round(float(v), 6) for v in x[keep]], [round(float(v), 6) for v in y[keep]]


def report(problem_type: str, y_true: np.ndarray, scores: np.ndarray) -> dict:
    """evaluation.json: every metric in SageMaker's model-quality form (plus curves or a confusion matrix)."""
    values = compute(problem_type, y_true, scores)
    section: dict = {name: {"value": value, "standard_deviation": "NaN"} for name, value in values.items()}
    if problem_type == "binary_classification":
        from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve

        predicted = (np.asarray(scores) >= DECISION_THRESHOLD).astype(int)
        matrix = confusion_matrix(y_true, predicted, labels=[0, 1])
        # SageMaker's layout: actual class -> predicted class -> count.
        section["confusion_matrix"] = {str(a): {str(p): int(matrix[a][p]) for p in (0, 1)} for a in (0, 1)}
        fpr, tpr, _ = roc_curve(y_true, scores)
        fpr_points, tpr_points = _resample(fpr, tpr)
        section["receiver_operating_characteristic_curve"] = {
            "false_positive_rates": fpr_points,
            "true_positive_rates": tpr_points,
        }
        precision, recall, _ = precision_recall_curve(y_true, scores)
        precision_points, recall_points = _resample(precision, recall)
        section["precision_recall_curve"] = {"precisions": precision_points, "recalls": recall_points}
    return {SECTIONS[problem_type]: section}
