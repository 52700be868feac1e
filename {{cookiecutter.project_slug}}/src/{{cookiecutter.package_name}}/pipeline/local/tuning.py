"""A hyperparameter tuning job run with Optuna: the definition's ranges, objective and trial budget.

SageMaker's Bayesian strategy is replaced by Optuna's TPE sampler (seeded, so a run repeats); every
trial is a local training job with the same contract as on SageMaker, and its objective is read from
its output with the definition's MetricDefinitions regex.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import jobs

SEED = 42


class TuningFailed(RuntimeError):
    """No trial produced the objective metric."""


def suggesters(ranges: dict[str, list[dict[str, Any]]]) -> dict[str, Callable[[Any], Any]]:
    """One Optuna ``suggest_*`` call per range of the definition's ParameterRanges.

    Logarithmic scaling maps to a log-uniform search; Auto, Linear and ReverseLogarithmic to a uniform one.
    """
    found: dict[str, Callable[[Any], Any]] = {}
    for spec in ranges.get("ContinuousParameterRanges", []):
        name, low, high = spec["Name"], float(spec["MinValue"]), float(spec["MaxValue"])
        log = spec.get("ScalingType") == "Logarithmic" and low > 0
        found[name] = lambda t, n=name, lo=low, hi=high, lg=log: t.suggest_float(n, lo, hi, log=lg)
    for spec in ranges.get("IntegerParameterRanges", []):
        name, low, high = spec["Name"], int(spec["MinValue"]), int(spec["MaxValue"])
        log = spec.get("ScalingType") == "Logarithmic" and low > 0
        found[name] = lambda t, n=name, lo=low, hi=high, lg=log: t.suggest_int(n, lo, hi, log=lg)
    for spec in ranges.get("CategoricalParameterRanges", []):
        name, values = spec["Name"], list(spec["Values"])
        found[name] = lambda t, n=name, v=values: t.suggest_categorical(n, v)
    return found


def _as_hyperparameter(value: Any) -> str:
    """SageMaker passes hyperparameters as strings; floats keep full precision."""
    return repr(value) if isinstance(value, float) else str(value)


def tune(
    request: dict[str, Any],
    name: str,
    root: Path,
    s3: Any,
    on_trial: Callable[[int, int, str, float | None, str], None] | None = None,
) -> dict[str, Any]:
    """Run a resolved CreateHyperParameterTuningJob request; returns the tuning job's properties."""
    import optuna

    config = request["HyperParameterTuningJobConfig"]
    definition = request["TrainingJobDefinition"]
    objective = config["HyperParameterTuningJobObjective"]
    metric, direction = objective["MetricName"], objective["Type"]
    limits = config["ResourceLimits"]
    budget, parallel = int(limits["MaxNumberOfTrainingJobs"]), int(limits.get("MaxParallelTrainingJobs", 1))
    suggest = suggesters(config.get("ParameterRanges", {}))
    static = {k: str(v) for k, v in definition.get("StaticHyperParameters", {}).items()}

    summaries: list[dict[str, Any]] = []
    threads = jobs.thread_share(parallel)
    lock = threading.Lock()

    def objective_fn(trial: optuna.Trial) -> float:
        tuned = {n: _as_hyperparameter(pick(trial)) for n, pick in suggest.items()}
        digest = hashlib.sha256(repr(sorted(tuned.items())).encode()).hexdigest()[:8]
        job = f"{name}-{trial.number + 1:03d}-{digest}"
        try:
            # SageMaker also tells every training job of a tuning job which metric it is tuned on.
            hyperparameters = {**static, **tuned, "_tuning_objective_metric": metric}
            result = jobs.training(definition, job, hyperparameters, root / job, s3, threads)
        except jobs.JobFailed as exc:
            if on_trial:
                on_trial(trial.number + 1, budget, job, None, str(exc))
            raise
        if metric not in result.metrics:
            if on_trial:
                on_trial(trial.number + 1, budget, job, None, f"no {metric} in the output")
            raise jobs.JobFailed(f"{job}: the output has no {metric} (regex of MetricDefinitions)")
        value = result.metrics[metric]
        with lock:
            summaries.append(
                {
                    "TrainingJobName": job,
                    "TrainingJobStatus": "Completed",
                    "TunedHyperParameters": tuned,
                    "FinalHyperParameterTuningJobObjectiveMetric": {
                        "Type": direction,
                        "MetricName": metric,
                        "Value": value,
                    },
                    "ModelArtifacts": {"S3ModelArtifacts": result.model_uri},
                }
            )
        if on_trial:
            on_trial(trial.number + 1, budget, job, value, "")
        return value

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize" if direction == "Maximize" else "minimize",
        sampler=optuna.samplers.TPESampler(seed=SEED, constant_liar=parallel > 1),
    )
    study.optimize(objective_fn, n_trials=budget, n_jobs=parallel, catch=(jobs.JobFailed,))
    if not summaries:
        raise TuningFailed(f"all {budget} training jobs failed; see the logs under {root}")
    best_first = sorted(
        summaries,
        key=lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"],
        reverse=direction == "Maximize",
    )
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobStatus": "Completed",
        "BestTrainingJob": best_first[0],
        "TrainingJobSummaries": best_first,
        "TrainingJobStatusCounters": {"Completed": len(summaries), "Failed": budget - len(summaries)},
    }
