"""Same data, code and settings, same model: two tuned local runs give the same bytes.

Each run is a fresh execution (its own execution id, job names, work folder and emulator), so anything of
the run that leaks into the model archive or the metrics, or any dependence on which trial finishes first,
shows up as a different hash.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import contract, models, settings
from {{ cookiecutter.package_name }}.data.datasets import write_dataset
from {{ cookiecutter.package_name }}.pipeline import definition, layout, targets
from {{ cookiecutter.package_name }}.pipeline.local import emulator, jobs, registry, runner, storage
from {{ cookiecutter.package_name }}.pipeline.local.progress import Progress

from conftest import write_project

TRIALS, PARALLEL = 4, 2
COMMIT = "0123456789abcdef0123456789abcdef01234567"  # pragma: allowlist secret


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _run(cfg: settings.Settings, data: Path, work: Path) -> dict[str, Any]:
    """One local run; what it produced: the evaluation report, the registered archive and its model file."""
    target = targets.from_conventions(cfg, "dev", commit=COMMIT)
    with emulator.emulator(cfg.region) as aws:
        result = runner.run_local(
            definition.definition(cfg, target),
            aws,
            pipeline_name=cfg.pipeline_name("dev"),
            bucket=target.bucket,
            region=cfg.region,
            account=cfg.account_id("dev"),
            data_dir=data,
            work_dir=work,
            progress=Progress(quiet=True),
        )
        assert result.succeeded, result.failure
        (package,) = registry.packages(aws.client("sagemaker"), target.model_package_group)
        uri = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
        bucket, key = storage.split_uri(uri)
        archive = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        model = tar.extractfile(models.MODEL_FILE).read()
    tune = result.properties[layout.STEP_TUNE]
    return {
        "execution_id": result.execution_id,
        "evaluation": result.properties[layout.STEP_EVALUATE]["PropertyFiles"][layout.EVALUATION_FILE],
        "archive": _sha256(archive),
        "model": _sha256(model),
        "trials": [
            (
                s["TrainingJobName"].rsplit("-", 2)[-2:],
                s["TunedHyperParameters"],
                s["FinalHyperParameterTuningJobObjectiveMetric"],
            )
            for s in tune["TrainingJobSummaries"]
        ],
        "best": tune["BestTrainingJob"]["TunedHyperParameters"],
        "work": result.work,
    }


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> list[dict[str, Any]]:
    """The rendered settings with tuning on (a small budget, trials side by side), run twice."""
    folder = tmp_path_factory.mktemp("reproducible")
    overrides = {
        "training.tuning.enabled": True,
        "training.tuning.max_jobs": TRIALS,
        "training.tuning.max_parallel_jobs": PARALLEL,
    }
    path = write_project(folder / "project.yaml", overrides)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(settings.PROJECT_FILE_ENV, str(path))  # this process and the step subprocesses
        cfg = settings.load()
        data = folder / "data"
        write_dataset(cfg.dataset, data)
        return [_run(cfg, data, folder / f"runs-{attempt}") for attempt in (1, 2)]


def test_runs_are_distinct_executions(two_runs):
    first, second = two_runs
    assert first["execution_id"] != second["execution_id"]
    assert len(first["trials"]) == TRIALS


def test_same_trials_in_the_same_order(two_runs):
    first, second = two_runs
    assert first["trials"] == second["trials"]
    assert first["best"] == second["best"]


def test_same_evaluation_report(two_runs):
    first, second = two_runs
    assert json.dumps(first["evaluation"], sort_keys=True) == json.dumps(second["evaluation"], sort_keys=True)
    written = [
        {path.relative_to(run["work"]): path.read_bytes() for path in run["work"].rglob(contract.EVALUATION_JSON)}
        for run in two_runs
    ]
    assert written[0]
    assert written[0] == written[1]


def test_same_model_file_and_archive(two_runs):
    first, second = two_runs
    assert first["model"] == second["model"]
    assert first["archive"] == second["archive"]


def _model_folder(folder: Path, mtime: int, mode: int) -> Path:
    (folder / "sub").mkdir(parents=True)
    for name, text in {"b.json": "{}", "a.joblib": "model", "sub/c.txt": "c"}.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        path.chmod(mode)
        os.utime(path, (mtime, mtime))
    return folder


def test_model_archive_depends_only_on_names_and_contents(tmp_path):
    first = jobs.pack(_model_folder(tmp_path / "one", 1_000_000_000, 0o600), tmp_path / "one.tar.gz")
    second = jobs.pack(_model_folder(tmp_path / "two", 1_700_000_000, 0o664), tmp_path / "two.tar.gz")
    data = first.read_bytes()
    assert data == second.read_bytes()
    assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0"  # gzip, header mtime 0
    with tarfile.open(first, "r:gz") as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["a.joblib", "b.json", "sub", "sub/c.txt"]
        assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}
        assert tar.extractfile("sub/c.txt").read() == b"c"
