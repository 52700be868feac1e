"""Train (a SageMaker Training job): fit the model and write it with its schema and drift baseline.

Reads the ``train`` and ``validation`` channels (CSV plus the schema.json preprocess put in train/)
and the job's hyperparameters; writes model.joblib, schema.json, baseline.json, the resolved
hyperparameters.json and, when treelite reproduces the model on the validation split, the compiled predictor
model.treelite to the model folder, then prints one line, ``validation:<metric>=<value>``, that
hyperparameter tuning reads with the metric definition's regex. On failure the reason goes to
/opt/ml/output/failure and the job exits 1.

Kept light on imports (no plotting): tuning starts one of these per trial.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from . import baseline, contract, metrics, models, settings
from .data import schema as schema_mod


def _only_csv(folder: Path, name: str) -> Path:
    files = sorted(folder.glob("*.csv"))
    if len(files) != 1:
        raise contract.StepError(
            f"channel {name!r} ({folder}) must hold exactly one CSV file, found {len(files)}. "
            "Fix: point the channel at the preprocess step's output."
        )
    return files[0]


def run() -> dict:
    cfg = settings.load()
    try:
        hyperparameters = models.resolve(cfg.framework, cfg.problem_type, contract.hyperparameters())
    except models.HyperparameterError as exc:
        raise contract.StepError(str(exc)) from exc
    train_dir, validation_dir = contract.channel("train"), contract.channel("validation")
    schema_path = train_dir / schema_mod.SCHEMA_FILE
    schema = schema_mod.load(schema_path)
    train = schema_mod.read_csv(_only_csv(train_dir, "train"), schema)
    validation = schema_mod.read_csv(_only_csv(validation_dir, "validation"), schema)

    target = schema.target.name
    features = schema.feature_names
    try:
        bundle = models.fit(cfg.framework, cfg.problem_type, hyperparameters, train[features], train[target].to_numpy())
    except ValueError as exc:  # the estimators reject out-of-range values (XGBoostError is a ValueError)
        raise contract.StepError(f"{cfg.framework} rejected the hyperparameters {hyperparameters}: {exc}") from exc
    scores = models.predict(bundle, validation[features])
    values = metrics.compute(cfg.problem_type, validation[target].to_numpy(), scores)
    if cfg.metric.name not in values:
        raise contract.StepError(
            f"project.yaml: primary metric {cfg.metric.name!r} is not a {cfg.problem_type} metric; "
            f"use one of {', '.join(values)}"
        )
    objective = values[cfg.metric.name]
    if objective != objective:  # NaN: tuning must not rank this trial
        raise contract.StepError(f"validation {cfg.metric.name} is not a number; the model predicts nothing useful")

    out = contract.model_dir()
    out.mkdir(parents=True, exist_ok=True)
    with contract.all_or_nothing(out):
        bundle["compiled"] = models.export_compiled(bundle, out, validation[features], scores)
        models.save(bundle, out)
        shutil.copyfile(schema_path, out / schema_mod.SCHEMA_FILE)
        (out / contract.BASELINE_JSON).write_text(
            json.dumps(baseline.compute(train, schema), indent=2) + "\n", encoding="utf-8"
        )
        (out / "hyperparameters.json").write_text(json.dumps(hyperparameters, indent=2) + "\n", encoding="utf-8")
    print(
        f"train: {cfg.framework} {cfg.problem_type} on {len(train)} rows; validation "
        + ", ".join(f"{k}={v:.4f}" for k, v in values.items()),
        file=sys.stderr,
    )
    compiled = bundle["compiled"]
    print(
        f"train: compiled predictor {models.COMPILED_FILE} ({compiled['library']} {compiled['version']})"
        if compiled["library"]
        else f"train: no compiled predictor: {compiled['reason']}",
        file=sys.stderr,
    )
    print(metrics.objective_line(cfg.metric.name, objective), flush=True)
    return values


def main() -> int:
    return contract.run(run, contract.failure_file())


if __name__ == "__main__":
    sys.exit(main())
