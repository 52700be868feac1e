"""What a person types: the cookiecutter command line, with the template given as a relative path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import TEMPLATE

COOKIECUTTER = str(Path(sys.executable).with_name("cookiecutter"))


def cookiecutter(output: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    command = [COOKIECUTTER, "--no-input", "--output-dir", str(output), ".", *answers]
    return subprocess.run(command, cwd=TEMPLATE, capture_output=True, text=True, timeout=120)


def test_default_generation_from_relative_path(tmp_path):
    result = cookiecutter(tmp_path)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "breast-cancer-classifier"
    assert (project / "src/breast_cancer_classifier/project.yaml").is_file()
    assert "cd breast-cancer-classifier" in result.stdout


def test_bad_answers_on_the_command_line(tmp_path):
    result = cookiecutter(tmp_path, "aws_account_id_prod=42", "author_email=nobody")
    assert result.returncode != 0
    assert "aws_account_id_prod: '42' is not valid. Use exactly 12 digits" in result.stderr
    assert "author_email: 'nobody' is not valid" in result.stderr
    assert list(tmp_path.iterdir()) == []
