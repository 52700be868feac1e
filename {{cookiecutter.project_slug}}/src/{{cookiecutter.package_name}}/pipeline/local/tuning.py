"""A hyperparameter tuning job run with Optuna: the definition's ranges, objective and trial budget.

SageMaker's Bayesian strategy is replaced by Optuna's TPE sampler; every trial is a local training job
with the same contract as on SageMaker, and its objective is read from its output with the definition's
MetricDefinitions regex.

Same data, code and settings give the same trials, best model and metrics bit for bit, however the threads
are scheduled: the seeded sampler is asked and told only in this thread, in trial-number order, and trial
``k`` is asked once trials ``0 .. k - parallel`` are told, so at every ask the study holds the same
finished trials (and the same running ones, which the constant liar counts as bad) whichever trial ends
first. ``parallel`` is the definition's MaxParallelTrainingJobs, a setting. Ties in the objective go to
the lowest trial number.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ...errors import MlopsError
from . import jobs

SEED = 42


def startup_trials(budget: int) -> int:
    """Random trials before TPE models the objective: a third of the budget, 2 to 10.

    Optuna's default (10) would make a 10-trial budget a random search; SageMaker's Bayesian
    strategy also starts with a few random trials and models the rest.
    """
    return max(2, min(10, budget // 3))


def sampler(budget: int, parallel: int) -> Any:
    """Seeded TPE; with trials in parallel, running trials count as their worst (constant liar)."""
    import optuna

    return optuna.samplers.TPESampler(seed=SEED, constant_liar=parallel > 1, n_startup_trials=startup_trials(budget))


class TuningFailed(MlopsError):
    """No trial produced the objective metric."""


def _suggest_float(trial: Any, *, name: str, low: float, high: float, log: bool) -> float:
    return trial.suggest_float(name, low, high, log=log)


def _suggest_int(trial: Any, *, name: str, low: int, high: int, log: bool) -> int:
    return trial.suggest_int(name, low, high, log=log)


def _suggest_categorical(trial: Any, *, name: str, values: list[Any]) -> Any:
    return trial.suggest_categorical(name, values)


def suggesters(ranges: dict[str, list[dict[str, Any]]]) -> dict[str, Callable[[Any], Any]]:
    """One Optuna ``suggest_*`` call per range of the definition's ParameterRanges.

    Logarithmic scaling maps to a log-uniform search; Auto, Linear and ReverseLogarithmic to a uniform one.
    """
    found: dict[str, Callable[[Any], Any]] = {}
    for spec in ranges.get("ContinuousParameterRanges", []):
        name, low, high = spec["Name"], float(spec["MinValue"]), float(spec["MaxValue"])
        log = spec.get("ScalingType") == "Logarithmic" and low > 0
        found[name] = functools.partial(_suggest_float, name=name, low=low, high=high, log=log)
    for spec in ranges.get("IntegerParameterRanges", []):
        name, low, high = spec["Name"], int(spec["MinValue"]), int(spec["MaxValue"])
        log = spec.get("ScalingType") == "Logarithmic" and low > 0
        found[name] = functools.partial(_suggest_int, name=name, low=int(low), high=int(high), log=log)
    for spec in ranges.get("CategoricalParameterRanges", []):
        name, values = spec["Name"], list(spec["Values"])
        found[name] = functools.partial(_suggest_categorical, name=name, values=values)
    return found


def _as_hyperparameter(value: Any) -> str:
    """SageMaker passes hyperparameters as strings; floats keep full precision."""
    return repr(value) if isinstance(value, float) else str(value)


def _job_name(name: str, number: int, tuned: dict[str, str]) -> str:
    """``<tuning job>-<trial, from 001>-<hash of the tuned values>``."""
    digest = hashlib.sha256(repr(sorted(tuned.items())).encode()).hexdigest()[:8]
    return f"{name}-{number + 1:03d}-{digest}"


def run_trials(
    study: Any,
    suggest: dict[str, Callable[[Any], Any]],
    budget: int,
    parallel: int,
    train: Callable[[int, dict[str, str]], tuple[float, Any]],
    on_told: Callable[[int, dict[str, str], float | None, Any, str], None] | None = None,
) -> None:
    """Ask ``study`` for ``budget`` trials and tell it their results, at most ``parallel`` running at once.

    ``train(number, tuned)`` runs in a worker thread and returns ``(objective, anything)``, or raises
    :class:`jobs.JobFailed` (the trial is told as failed). Asks and tells happen here, in trial-number
    order; trial ``k`` is asked once trials ``0 .. k - parallel`` are told, so what the sampler sees at each
    ask does not depend on which trial happens to finish first. ``on_told(number, tuned, objective or None,
    anything or None, error)`` follows each tell.
    """
    import optuna

    parallel = max(1, min(parallel, budget))
    running: dict[int, tuple[Any, dict[str, str], Future]] = {}
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="trial") as pool:
        for told in range(budget):
            while len(running) < parallel and told + len(running) < budget:
                trial = study.ask()
                tuned = {n: _as_hyperparameter(pick(trial)) for n, pick in suggest.items()}
                running[trial.number] = (trial, tuned, pool.submit(train, trial.number, tuned))
            trial, tuned, future = running.pop(told)
            try:
                value, payload = future.result()
            except jobs.JobFailed as exc:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                if on_told:
                    on_told(trial.number, tuned, None, None, str(exc))
                continue
            study.tell(trial, value)
            if on_told:
                on_told(trial.number, tuned, value, payload, "")


def tune(
    request: dict[str, Any],
    name: str,
    root: Path,
    s3: Any,
    on_trial: Callable[[int, int, str, float | None, str], None] | None = None,
) -> dict[str, Any]:
    """Run a resolved CreateHyperParameterTuningJob request; returns the tuning job's properties.

    ``on_trial(number from 1, budget, job, value or None, error)`` reports each trial, in trial order.
    """
    import optuna

    config = request["HyperParameterTuningJobConfig"]
    definition = request["TrainingJobDefinition"]
    objective = config["HyperParameterTuningJobObjective"]
    metric, direction = objective["MetricName"], objective["Type"]
    limits = config["ResourceLimits"]
    budget, parallel = int(limits["MaxNumberOfTrainingJobs"]), int(limits.get("MaxParallelTrainingJobs", 1))
    suggest = suggesters(config.get("ParameterRanges", {}))
    static = {k: str(v) for k, v in definition.get("StaticHyperParameters", {}).items()}
    threads = jobs.thread_share(parallel)

    def train(number: int, tuned: dict[str, str]) -> tuple[float, str | None]:
        job = _job_name(name, number, tuned)
        # SageMaker also tells every training job of a tuning job which metric it is tuned on.
        hyperparameters = {**static, **tuned, "_tuning_objective_metric": metric}
        result = jobs.training(definition, job, hyperparameters, root / job, s3, threads)
        if metric not in result.metrics:
            raise jobs.JobFailed(f"{job}: the output has no {metric} (regex of MetricDefinitions)")
        return result.metrics[metric], result.model_uri

    ranked: list[tuple[float, int, dict[str, Any]]] = []  # (value, trial number, summary)

    def told(number: int, tuned: dict[str, str], value: float | None, model_uri: str | None, error: str) -> None:
        job = _job_name(name, number, tuned)
        if value is not None:
            summary = {
                "TrainingJobName": job,
                "TrainingJobStatus": "Completed",
                "TunedHyperParameters": tuned,
                "FinalHyperParameterTuningJobObjectiveMetric": {
                    "Type": direction,
                    "MetricName": metric,
                    "Value": value,
                },
                "ModelArtifacts": {"S3ModelArtifacts": model_uri},
            }
            ranked.append((value, number, summary))
        if on_trial:
            on_trial(number + 1, budget, job, value, error)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize" if direction == "Maximize" else "minimize",
        sampler=sampler(budget, parallel),
    )
    run_trials(study, suggest, budget, parallel, train, told)
    if not ranked:
        raise TuningFailed(f"all {budget} training jobs failed; see the logs under {root}")
    sign = -1.0 if direction == "Maximize" else 1.0
    best_first = [summary for _, _, summary in sorted(ranked, key=lambda r: (sign * r[0], r[1]))]
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobStatus": "Completed",
        "BestTrainingJob": best_first[0],
        "TrainingJobSummaries": best_first,
        "TrainingJobStatusCounters": {"Completed": len(ranked), "Failed": budget - len(ranked)},
    }
