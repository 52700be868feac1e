"""The generated repository's own suite passes, in its own virtual environment.

One combination per framework x problem_type (the pipeline differs along both); tuning,
compliance and deployment strategy vary across them so each value is exercised at least once.
Each run is what a new user types: `make setup && make test` in a fresh repo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import render

COMBINATIONS = [
    {"framework": "sklearn", "problem_type": "binary_classification", "hyperparameter_tuning": "yes",
     "compliance": "gxp", "deployment_strategy": "canary"},
    {"framework": "xgboost", "problem_type": "regression", "hyperparameter_tuning": "no",
     "compliance": "standard", "deployment_strategy": "linear"},
    {"framework": "xgboost", "problem_type": "binary_classification", "hyperparameter_tuning": "yes",
     "compliance": "standard", "deployment_strategy": "all_at_once"},
    {"framework": "sklearn", "problem_type": "regression", "hyperparameter_tuning": "no",
     "compliance": "gxp", "deployment_strategy": "canary"},
]  # fmt: skip
# Each test builds a fresh virtual environment (or pre-commit's): minutes, so outside `make test-fast`.
pytestmark = pytest.mark.slow
# A fresh install plus the suite; generous, because CI machines vary, yet bounded.
TIMEOUT_SECONDS = 1200


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a new shell: no template virtualenv leaking into the project's."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    venv_bin = os.environ.get("VIRTUAL_ENV")
    if venv_bin:
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(venv_bin))
    return {**env, **extra}


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=TIMEOUT_SECONDS
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    return result


@pytest.mark.parametrize("answers", COMBINATIONS, ids=lambda a: f"{a['framework']}-{a['problem_type']}")
def test_generated_repo_suite_passes(tmp_path, answers):
    project = render(tmp_path, **answers)
    run(["make", "setup"], project)
    assert (project / ".venv/bin/python").exists()
    result = run(["make", "test"], project)
    assert " passed" in result.stdout
    run(["make", "lint"], project)


@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")
def test_generated_pre_commit_config_runs_offline_friendly(tmp_path):
    """Every hook is `repo: local` with pinned PyPI tools: pre-commit installs and passes them."""
    project = render(tmp_path / "out")
    run(["git", "init", "-q"], project)
    run(["git", "add", "-A"], project)
    run(["make", "pre-commit"], project, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
