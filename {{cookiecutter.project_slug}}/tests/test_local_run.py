"""A local run executes the definition JSON end to end against the in-process AWS emulator.

Three runs (a small trial budget keeps them quick): one per demo data set that passes the metric gate and
registers one model package, and one whose threshold is out of reach and ends at the Fail step.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import models, settings
from {{ cookiecutter.package_name }}.data.datasets import write_dataset
from {{ cookiecutter.package_name }}.pipeline import definition, layout, targets
from {{ cookiecutter.package_name }}.pipeline.local import emulator, registry, runner, storage
from {{ cookiecutter.package_name }}.pipeline.local.progress import Progress

from conftest import variant, write_project

TRIALS = 2
COMMIT = "0123456789abcdef0123456789abcdef01234567"  # pragma: allowlist secret
# CustomerMetadataProperties values: SageMaker's pattern [\p{L}\p{Z}\p{N}_.:/=+\-@]* in Python terms.
METADATA_VALUE = re.compile(r"^[\w\s.:/=+\-@]{1,256}$")


def _read(s3, uri: str) -> bytes:
    bucket, key = storage.split_uri(uri)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _run(cfg: settings.Settings, data: Path, work: Path, parameters: dict[str, str] | None = None) -> dict[str, Any]:
    target = targets.from_conventions(cfg, "dev", commit=COMMIT)
    doc = definition.definition(cfg, target)
    stream = io.StringIO()
    with emulator.emulator(cfg.region) as aws:
        result = runner.run_local(
            doc,
            aws,
            pipeline_name=cfg.pipeline_name("dev"),
            bucket=target.bucket,
            region=cfg.region,
            account=cfg.account_id("dev"),
            data_dir=data,
            work_dir=work,
            parameters=parameters,
            progress=Progress(stream),
        )
        sm, s3 = aws.client("sagemaker"), aws.client("s3")
        groups = [g["ModelPackageGroupName"] for g in sm.list_model_package_groups()["ModelPackageGroupSummaryList"]]
        packages = registry.packages(sm, target.model_package_group) if target.model_package_group in groups else []
        artifacts = {uri: _read(s3, uri) for p in packages for uri in registry.s3_uris(p)}
    return {
        "cfg": cfg,
        "definition": doc,
        "result": result,
        "packages": packages,
        "artifacts": artifacts,
        "progress": stream.getvalue(),
        "data": data,
    }


@contextlib.contextmanager
def _project(folder: Path, overrides: dict[str, Any]):
    """Settings with ``overrides`` and a small trial budget, for this process and the step subprocesses."""
    overrides = {**overrides, "training.tuning.max_jobs": TRIALS, "training.tuning.max_parallel_jobs": TRIALS}
    path = write_project(folder / "project.yaml", overrides)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(settings.PROJECT_FILE_ENV, str(path))
        cfg = settings.load()
        data = folder / "data"
        write_dataset(cfg.dataset, data)
        yield cfg, data


def _other_problem_type() -> dict[str, Any]:
    """The rendered framework and tuning choice on the other demo data set."""
    rendered = settings.load()
    other = "regression" if rendered.problem_type == "binary_classification" else "binary_classification"
    return variant(rendered.framework, other, rendered.tuning_enabled)


@pytest.fixture(scope="module", params=["rendered", "other data set"])
def passed(request, tmp_path_factory):
    """A run that passes the gate: the rendered settings, and the other demo data set."""
    overrides = {} if request.param == "rendered" else _other_problem_type()
    folder = tmp_path_factory.mktemp("passed")
    with _project(folder, overrides) as (cfg, data):
        return _run(cfg, data, folder / "runs")


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """A run whose threshold is out of reach (the rendered settings)."""
    folder = tmp_path_factory.mktemp("gated")
    with _project(folder, {}) as (cfg, data):
        out_of_reach = "1e9" if cfg.metric.goal == "maximize" else "-1"
        return _run(cfg, data, folder / "runs", {layout.PARAM_THRESHOLD: out_of_reach})


def test_run_succeeds_and_registers_exactly_one_package(passed):
    result = passed["result"]
    assert result.succeeded, result.failure
    assert len(passed["packages"]) == 1
    (package,) = passed["packages"]
    assert package["ModelPackageArn"] == result.model_package_arn
    assert package["ModelPackageGroupName"] == passed["cfg"].model_package_group("dev")
    assert package["ModelApprovalStatus"] == "PendingManualApproval"


def test_every_step_ran_in_order(passed):
    cfg = passed["cfg"]
    fit = layout.STEP_TUNE if cfg.tuning_enabled else layout.STEP_TRAIN
    ran = [(s.name, s.status) for s in passed["result"].steps]
    assert ran == [
        (layout.STEP_PREPROCESS, "Succeeded"),
        (fit, "Succeeded"),
        (layout.STEP_EVALUATE, "Succeeded"),
        (layout.STEP_GATE, "Succeeded"),
        (layout.STEP_FAIL, "NotExecuted"),
        (f"{layout.STEP_REGISTER}-RegisterModel", "Succeeded"),
    ]


def test_package_metrics_are_the_evaluation_report(passed):
    (package,) = passed["packages"]
    cfg = passed["cfg"]
    uri = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    report = json.loads(passed["artifacts"][uri])
    section = "binary_classification_metrics" if cfg.problem_type == "binary_classification" else "regression_metrics"
    value = report[section][cfg.metric.name]["value"]
    assert cfg.metric.passes(value)
    assert report == passed["result"].properties[layout.STEP_EVALUATE]["PropertyFiles"][layout.EVALUATION_FILE]


def test_package_has_a_drift_baseline(passed):
    (package,) = passed["packages"]
    uri = package["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["S3Uri"]
    assert json.loads(passed["artifacts"][uri])


def test_package_model_is_the_trained_model(passed):
    (package,) = passed["packages"]
    uri = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert uri.endswith("/output/model.tar.gz")
    assert passed["artifacts"][uri][:2] == b"\x1f\x8b"  # gzip
    fit = passed["result"].properties.get(layout.STEP_TUNE)
    if fit:
        assert fit["BestTrainingJob"]["TrainingJobName"] in uri


def test_package_lineage(passed):
    (package,) = passed["packages"]
    cfg, doc = passed["cfg"], passed["definition"]
    lineage = package["CustomerMetadataProperties"]
    defaults = {p["Name"]: p["DefaultValue"] for p in doc["Parameters"]}
    assert lineage["git-commit"] == COMMIT
    assert lineage["image-uri"] == defaults[layout.PARAM_IMAGE] == f"{cfg.ecr_repository_url('dev')}:{COMMIT}"
    assert lineage["dataset-uri"] == defaults[layout.PARAM_INPUT_DATA]
    dataset = passed["result"].properties[layout.STEP_PREPROCESS]["PropertyFiles"][layout.DATASET_FILE]
    assert re.fullmatch(r"[0-9a-f]{64}", lineage["dataset-sha256"])
    assert lineage["dataset-sha256"] == dataset["sha256"]
    expected = set(models.DEFAULT_HYPERPARAMETERS[cfg.framework][cfg.problem_type])
    if cfg.tuning_enabled:
        expected |= set(models.TUNING_RANGES[cfg.framework])
    assert {k.removeprefix("hyperparameter.") for k in lineage if k.startswith("hyperparameter.")} == expected
    for key, value in lineage.items():
        assert METADATA_VALUE.match(value), f"{key}={value!r} breaks SageMaker's CustomerMetadataProperties pattern"


def test_tuning_runs_the_trial_budget(passed):
    cfg = passed["cfg"]
    if not cfg.tuning_enabled:
        pytest.skip("tuning is off in this project")
    tune = passed["result"].properties[layout.STEP_TUNE]
    assert len(tune["TrainingJobSummaries"]) == TRIALS
    values = [s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for s in tune["TrainingJobSummaries"]]
    assert values == sorted(values, reverse=cfg.metric.goal == "maximize")
    lineage = passed["packages"][0]["CustomerMetadataProperties"]
    for name, value in tune["BestTrainingJob"]["TunedHyperParameters"].items():
        assert lineage[f"hyperparameter.{name}"] == value


def test_progress_shows_each_step_with_duration_and_outcome(passed):
    lines = passed["progress"].splitlines()
    for step in passed["result"].steps:
        if step.status == "Succeeded":
            assert any(re.match(rf"✔ {re.escape(step.name)} \d+\.\d s", line) for line in lines), step.name


def test_threshold_out_of_reach_ends_at_fail_and_registers_nothing(gated):
    result, cfg = gated["result"], gated["cfg"]
    assert not result.succeeded
    assert result.failed_step == layout.STEP_FAIL
    assert cfg.metric.name in result.failure
    assert re.search(r"\d\.\d+", result.failure)
    assert gated["packages"] == []
    assert result.model_package_arn is None
    statuses = {s.name: s.status for s in result.steps}
    assert statuses[f"{layout.STEP_REGISTER}-RegisterModel"] == "NotExecuted"
    assert f"✘ {layout.STEP_FAIL}" in gated["progress"]


def test_execution_summary_is_written(passed):
    summary = json.loads((passed["result"].work / "execution.json").read_text(encoding="utf-8"))
    assert summary["status"] == "Succeeded"
    assert summary["model_package_arn"] == passed["result"].model_package_arn
    assert json.loads((passed["result"].work / "definition.json").read_text(encoding="utf-8")) == passed["definition"]
