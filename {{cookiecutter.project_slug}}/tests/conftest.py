"""Shared fixtures: project.yaml variants, a guard that fails any network connection, and the steps'
container folders, data sets and trained models."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from {{ cookiecutter.package_name }} import cli, contract, preprocess, settings, train
from {{ cookiecutter.package_name }}.data.datasets import write_dataset

METRICS = {"binary_classification": ("auc", "maximize", 0.95), "regression": ("rmse", "minimize", 65.0)}
DATASETS = {"binary_classification": "breast_cancer", "regression": "diabetes"}


def write_project(path: Path, overrides: dict[str, Any]) -> Path:
    """A copy of the shipped project.yaml with dotted keys replaced, e.g. {"training.tuning.max_jobs": 2}."""
    data = yaml.safe_load(settings.project_file().read_text(encoding="utf-8"))
    for dotted, value in overrides.items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def variant(framework: str, problem_type: str, tuning: bool, **more: Any) -> dict[str, Any]:
    """Overrides for another framework / problem type / tuning choice than the rendered one."""
    name, _, threshold = METRICS[problem_type]
    return {
        "model.framework": framework,
        "model.problem_type": problem_type,
        "model.dataset": DATASETS[problem_type],
        "model.primary_metric.name": name,
        "model.primary_metric.threshold": threshold,
        "training.tuning.enabled": tuning,
        **more,
    }


@pytest.fixture(autouse=True)
def local_world(tmp_path_factory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own local world and runs folder instead of the repository's .mlops/."""
    folder = tmp_path_factory.mktemp("mlops")
    monkeypatch.setenv(cli.LOCAL_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., settings.Settings]:
    """Point settings (and the step subprocesses) at a changed copy of project.yaml."""

    def use(overrides: dict[str, Any]) -> settings.Settings:
        path = write_project(tmp_path / "project.yaml", overrides)
        monkeypatch.setenv(settings.PROJECT_FILE_ENV, str(path))
        return settings.load()

    yield use


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail on any outgoing connection, and leave no AWS credentials or config to find."""

    def refuse(self, address):
        raise NetworkUsed(f"network connection attempted to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup either


# --- Step fixtures: data sets, an SM_ML_ROOT per test, and models trained once per session ---------------

SM_VARIABLES = ("SM_HPS", "SM_MODEL_DIR", "SM_OUTPUT_DATA_DIR", "SM_CHANNEL_TRAIN", "SM_CHANNEL_VALIDATION")
# The framework this repository was generated for (only its libraries are installed).
_SHIPPED = resources.files(settings.__package__).joinpath("project.yaml").read_text(encoding="utf-8")
FRAMEWORK = yaml.safe_load(_SHIPPED)["model"]["framework"]
PROBLEM_TYPES = tuple(DATASETS)


def use_problem(monkeypatch: pytest.MonkeyPatch, folder: Path, problem_type: str, **more: Any) -> settings.Settings:
    """Settings for this repository's framework and ``problem_type`` (for this process and subprocesses)."""
    path = write_project(folder / f"project-{problem_type}.yaml", variant(FRAMEWORK, problem_type, False, **more))
    monkeypatch.setenv(settings.PROJECT_FILE_ENV, str(path))
    return settings.load()


def stage_data(root: Path, data: Path) -> Path:
    """Copy a data folder (CSV + schema.json) to where preprocess reads it under ``root``."""
    dest = root / "processing" / "input" / "data"
    shutil.copytree(data, dest, dirs_exist_ok=True)
    return dest


def stage_training(root: Path, processed: Path) -> None:
    """Copy preprocess outputs (under ``processed``) into the training channels under ``root``."""
    for name in ("train", "validation"):
        shutil.copytree(processed / "processing" / "output" / name, root / "input" / "data" / name)


def output_files(root: Path) -> list[Path]:
    """Every file a processing step wrote under ``root``'s output folder."""
    out = root / "processing" / "output"
    return sorted(p for p in out.rglob("*") if p.is_file()) if out.exists() else []


class Steps:
    """The helpers above for step tests, as a fixture (tests need not import conftest)."""

    framework = FRAMEWORK
    stage_data = staticmethod(stage_data)
    stage_training = staticmethod(stage_training)
    output_files = staticmethod(output_files)


@pytest.fixture
def steps() -> type[Steps]:
    return Steps


@pytest.fixture
def problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], settings.Settings]:
    """Switch settings to this repository's framework and another problem type: ``problem("regression")``."""
    yield lambda problem_type: use_problem(monkeypatch, tmp_path, problem_type)


@pytest.fixture
def ml_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh stand-in for /opt/ml, with no SM_* variables leaking in."""
    root = tmp_path / "opt-ml"
    root.mkdir()
    for name in SM_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(contract.ML_ROOT_ENV, str(root))
    return root


@pytest.fixture(scope="session")
def datasets(tmp_path_factory) -> dict[str, Path]:
    """Each demo data set written once as CSV + schema.json: {problem type: folder}."""
    folders = {}
    for problem_type, name in DATASETS.items():
        folder = tmp_path_factory.mktemp(name)
        write_dataset(name, folder)
        folders[problem_type] = folder
    return folders


@pytest.fixture(scope="session")
def trained(tmp_path_factory, datasets) -> dict[str, dict[str, Any]]:
    """Preprocess + train with default hyperparameters, once per problem type, in this process."""
    out = {}
    for problem_type in PROBLEM_TYPES:
        folder = tmp_path_factory.mktemp(f"trained-{problem_type}")
        processed, training = folder / "preprocess", folder / "train"
        with pytest.MonkeyPatch.context() as mp:
            for name in SM_VARIABLES:
                mp.delenv(name, raising=False)
            cfg = use_problem(mp, folder, problem_type)
            stage_data(processed, datasets[problem_type])
            mp.setenv(contract.ML_ROOT_ENV, str(processed))
            assert preprocess.main([]) == 0
            stage_training(training, processed)
            mp.setenv(contract.ML_ROOT_ENV, str(training))
            assert train.main() == 0
        out[problem_type] = {
            "cfg": cfg,
            "processed": processed,
            "model_dir": training / "model",
            "test_csv": processed / "processing" / "output" / "test" / "test.csv",
            "project_file": folder / f"project-{problem_type}.yaml",
        }
    return out
