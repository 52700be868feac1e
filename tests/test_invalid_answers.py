"""Invalid answers stop generation end to end: a clear message per field, and no folder left."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from tests.helpers import TEMPLATE

CASES = [
    ({"project_slug": "Bad Slug"}, "project_slug: 'Bad Slug' is not valid. Repository name"),
    ({"package_name": "import"}, "package_name: 'import' is not valid. It shadows a Python keyword"),
    ({"author_email": "not-an-email"}, "author_email: 'not-an-email' is not valid. Model owner's e-mail address."),
    ({"aws_region": "us-north-7"}, "aws_region: 'us-north-7' is not valid. Use one of: af-south-1"),
    ({"aws_account_id_dev": "12345"}, "aws_account_id_dev: '12345' is not valid. AWS account id: exactly 12 digits."),
    ({"aws_account_id_qa": "abcdefghijkl"}, "aws_account_id_qa: 'abcdefghijkl' is not valid. AWS account id"),
    ({"aws_account_id_prod": "0123456789012"}, "aws_account_id_prod: '0123456789012' is not valid"),
    ({"gitlab_project_path": "nogroup"}, "gitlab_project_path: 'nogroup' is not valid. GitLab project path"),
    ({"training_instance_type": "p3.2xlarge"}, "training_instance_type: 'p3.2xlarge' is not valid"),
    ({"endpoint_instance_type": "ml.t2"}, "endpoint_instance_type: 'ml.t2' is not valid"),
    ({"metric_threshold": "1.2"}, "metric_threshold: '1.2' is not valid. Use a number from 0.5 to 1.0 for auc"),
    (
        {"problem_type": "regression", "primary_metric": "auc"},
        "primary_metric: 'auc' is not valid. For problem_type regression use one of: rmse, mae, r2",
    ),
    (
        {"problem_type": "regression", "metric_threshold": "-3"},
        "metric_threshold: '-3' is not valid. Use a number greater than 0.0 for rmse",
    ),
    ({"tuning_max_jobs": "1000"}, "tuning_max_jobs: '1000' is not valid. Use a value from 1 to 500"),
    ({"endpoint_instance_count": "1"}, "deployment.strategy canary shifts traffic in steps and needs at least 2"),
    ({"description": "multi\nline"}, "description: 'multi\\nline' is not valid"),
    ({"framework": "pytorch"}, "framework: 'pytorch' is not valid. Use one of: sklearn, xgboost."),
    ({"hyperparameter_tuning": "no", "tuning_max_jobs": "abc"}, "tuning_max_jobs: 'abc' is not valid. Use a whole"),
]


def _ids(case) -> str:
    return "+".join(case[0])


@pytest.mark.parametrize(("answers", "message"), CASES, ids=[_ids(c) for c in CASES])
def test_invalid_answer_stops_generation_cleanly(cookies, capfd, tmp_path, answers, message):
    result = cookies.bake(extra_context=answers)
    assert isinstance(result.exception, FailedHookException)
    assert result.exit_code != 0
    err = capfd.readouterr().err
    assert "nothing was generated" in err
    assert message in err
    assert leftovers(tmp_path) == []


def leftovers(tmp_path: Path) -> list[Path]:
    """Everything in pytest-cookies' output folders (one per bake): must be nothing."""
    return [path for bake in (tmp_path / "cookies").iterdir() for path in bake.iterdir()]


def test_several_bad_answers_are_reported_together(cookies, capfd, tmp_path):
    result = cookies.bake(extra_context={"aws_region": "nowhere", "author_email": "x", "aws_account_id_qa": "1"})
    assert result.exit_code != 0
    err = capfd.readouterr().err
    assert "Invalid template answers (3)" in err
    for field in ("aws_region", "author_email", "aws_account_id_qa"):
        assert f"  - {field}: " in err
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("answer", ["framework=pytorch", "aws_account_id_dev=123"])
def test_command_line_prints_only_the_answers_lines(tmp_path, answer):
    """What a person sees from `cookiecutter`: the refused answer once, its fix, no traceback."""
    cookiecutter = Path(sys.executable).with_name("cookiecutter")
    run = subprocess.run(
        [str(cookiecutter), "--no-input", "-o", str(tmp_path), str(TEMPLATE), answer],
        capture_output=True,
        text=True,
        timeout=120,
    )
    field, value = answer.split("=")
    assert run.returncode == 1
    assert list(tmp_path.iterdir()) == []
    lines = (run.stdout + run.stderr).splitlines()
    assert "Traceback" not in run.stdout + run.stderr
    assert [line.split(":")[0] for line in lines if line.startswith("  - ")] == [f"  - {field}"]
    assert sum(f"'{value}'" in line for line in lines) == 1
    fix = next(line for line in lines if line.startswith("Fix:"))
    assert fix.endswith(f"`cookiecutter <template> {field}={ {'framework': 'sklearn'}.get(field, '123456789012') }`")
    # cookiecutter's own closing line is the only other output.
    others = [line for line in lines if not line.startswith(("Invalid template answers", "  - ", "Fix:"))]
    assert others == ["Hook script failed (exit status: 1)"]
