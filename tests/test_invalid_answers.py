"""Invalid answers stop generation end to end: a clear message per field, and no folder left."""

from __future__ import annotations

from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

CASES = [
    ({"project_slug": "Bad Slug"}, "project_slug: 'Bad Slug' is not valid"),
    ({"package_name": "import"}, "package_name: 'import' is not valid"),
    ({"author_email": "not-an-email"}, "author_email: 'not-an-email' is not valid. Use an e-mail address"),
    ({"aws_region": "us-north-7"}, "aws_region: 'us-north-7' is not valid. Use an AWS region that offers SageMaker"),
    ({"aws_account_id_dev": "12345"}, "aws_account_id_dev: '12345' is not valid. Use exactly 12 digits"),
    ({"aws_account_id_qa": "abcdefghijkl"}, "aws_account_id_qa: 'abcdefghijkl' is not valid. Use exactly 12 digits"),
    ({"aws_account_id_prod": "0123456789012"}, "aws_account_id_prod: '0123456789012' is not valid"),
    ({"gitlab_project_path": "nogroup"}, "gitlab_project_path: 'nogroup' is not valid. Use group[/subgroup]/project"),
    ({"training_instance_type": "p3.2xlarge"}, "training_instance_type: 'p3.2xlarge' is not valid"),
    ({"endpoint_instance_type": "ml.t2"}, "endpoint_instance_type: 'ml.t2' is not valid"),
    ({"metric_threshold": "1.2"}, "metric_threshold: '1.2' is not valid. Use a number from 0.5 to 1.0 for auc"),
    (
        {"problem_type": "regression", "primary_metric": "auc"},
        "primary_metric: 'auc' is not valid. For problem_type=regression use one of: mae, r2, rmse",
    ),
    (
        {"problem_type": "regression", "metric_threshold": "-3"},
        "metric_threshold: '-3' is not valid. Use a number greater than 0.0 for rmse",
    ),
    ({"tuning_max_jobs": "1000"}, "tuning_max_jobs: '1000' is not valid. Use a whole number from 1 to 500"),
    ({"endpoint_instance_count": "1"}, "deployment_strategy=canary shifts traffic in steps and needs at least 2"),
    ({"description": "multi\nline"}, "description: 'multi\\nline' is not valid"),
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


def test_unknown_choice_is_refused_before_any_file(cookies, tmp_path):
    result = cookies.bake(extra_context={"framework": "pytorch"})
    assert result.exit_code != 0
    assert "pytorch provided for choice variable framework" in str(result.exception)
    assert leftovers(tmp_path) == []
