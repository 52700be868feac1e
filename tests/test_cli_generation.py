"""What a person types: the cookiecutter command line, from their own folder, with the template given as a
relative path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import TEMPLATE

COOKIECUTTER = str(Path(sys.executable).with_name("cookiecutter"))


def cookiecutter(workdir: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    """`cookiecutter --no-input <relative path to the template> answers...` run in ``workdir``."""
    command = [COOKIECUTTER, "--no-input", os.path.relpath(TEMPLATE, workdir), *answers]
    env = {**os.environ, "PWD": str(workdir)}  # a shell sets PWD; subprocess's cwd= does not
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)


def test_default_generation_from_relative_path(tmp_path):
    result = cookiecutter(tmp_path)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "breast-cancer-classifier"
    assert (project / "src/breast_cancer_classifier/project.yaml").is_file()
    assert "\n  cd breast-cancer-classifier\n" in result.stdout, result.stdout


def test_bad_answers_on_the_command_line(tmp_path):
    result = cookiecutter(tmp_path, "aws_account_id_prod=42", "author_email=nobody")
    assert result.returncode != 0
    assert "aws_account_id_prod: '42' is not valid." in result.stderr and "12 digits" in result.stderr
    assert "author_email: 'nobody' is not valid." in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_default_slug_script_runs_from_anywhere(tmp_path):
    """`make demo` runs it as a script: the template's own Jinja extension must load outside pytest too."""
    run = subprocess.run(
        [sys.executable, str(TEMPLATE / "tools" / "default_slug.py")], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "breast-cancer-classifier"
