"""Unit tests of the answer validation behind hooks/pre_gen_project.py."""

from __future__ import annotations

import sys

import botocore.session
import pytest

from tests.helpers import OPTIONS, TEMPLATE

sys.path.insert(0, str(TEMPLATE / "hooks"))

from mlops_hooks import validation
from mlops_hooks.regions import SAGEMAKER_REGIONS

from tools.default_slug import default_answers

DEFAULTS = default_answers()


def errors_for(**changes: str) -> dict[str, str]:
    answers = {**DEFAULTS, **changes}
    return {error.field: str(error) for error in validation.validate(answers, OPTIONS)}


def test_default_answers_are_valid():
    assert validation.validate(DEFAULTS, OPTIONS) == []


def test_regression_defaults_are_valid():
    assert errors_for(problem_type="regression", primary_metric="rmse", metric_threshold="65") == {}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("project_slug", "Bad_Slug", "lowercase letters, digits and single hyphens"),
        ("project_slug", "a" * 33, "3-32"),
        ("package_name", "my-package", "underscores"),
        ("package_name", "json", "shadows a Python keyword or standard-library module"),
        ("package_name", "class", "shadows a Python keyword"),
        ("author_email", "jane.doe@", "e-mail address"),
        ("aws_region", "eu-middle-9", "offers SageMaker"),
        ("aws_account_id_dev", "12345", "exactly 12 digits"),
        ("aws_account_id_qa", "12345678901a", "exactly 12 digits"),
        ("aws_account_id_prod", "1234567890123", "exactly 12 digits"),
        ("gitlab_project_path", "just-a-project", "group[/subgroup]/project"),
        ("gitlab_project_path", "group/-bad", "group[/subgroup]/project"),
        ("gitlab_host", "https://gitlab.com", "host name"),
        ("training_instance_type", "m5.xlarge", "ml.m5.xlarge"),
        ("endpoint_instance_type", "ml.m5", "ml.m5.large"),
        ("processing_instance_type", "ml.m5.huge", "ml.m5.xlarge"),
        ("metric_threshold", "1.5", "from 0.5 to 1.0 for auc"),
        ("metric_threshold", "high", "Use a number"),
        ("primary_metric", "rmse", "use one of: accuracy, auc, f1, precision, recall"),
        ("tuning_max_jobs", "0", "from 1 to 500"),
        ("tuning_max_jobs", "ten", "whole number"),
        ("endpoint_instance_count", "1", "needs at least 2 instances"),
        ("description", 'say "hi"', "without double quotes"),
        ("project_name", "  ", "non-empty"),
        ("cost_center", "a|b", "AWS tag value"),
        ("ssm_foundation_prefix", "mlops/foundation", "SSM path"),
        ("framework", "pytorch", "Use one of: sklearn, xgboost"),
        ("compliance", "hipaa", "Use one of: gxp, standard"),
    ],
)
def test_each_bad_answer_names_field_value_and_fix(field, value, expected):
    errors = errors_for(**{field: value})
    assert field in errors, errors
    assert repr(value) in errors[field]
    assert expected in errors[field]


def test_every_bad_field_is_reported_at_once():
    errors = errors_for(aws_account_id_dev="1", aws_region="mars-1", author_email="nobody")
    assert {"aws_account_id_dev", "aws_region", "author_email"} <= errors.keys()


def test_regression_threshold_must_be_positive():
    errors = errors_for(problem_type="regression", primary_metric="rmse", metric_threshold="0")
    assert "greater than 0.0 for rmse" in errors["metric_threshold"]


def test_parallel_trials_cannot_exceed_budget():
    errors = errors_for(tuning_max_jobs="4", tuning_max_parallel_jobs="5")
    assert "at most tuning_max_jobs (4)" in errors["tuning_max_parallel_jobs"]


def test_tuning_budget_ignored_without_tuning():
    assert errors_for(hyperparameter_tuning="no", tuning_max_jobs="0") == {}


def test_single_instance_is_fine_for_all_at_once():
    assert errors_for(deployment_strategy="all_at_once", endpoint_instance_count="1") == {}


def test_report_lists_one_line_per_error_and_a_fix():
    report = validation.report(validation.validate({**DEFAULTS, "aws_region": "x", "author_email": "y"}, OPTIONS))
    lines = report.splitlines()
    assert lines[0].startswith("Invalid template answers (2)")
    assert sum(line.startswith("  - ") for line in lines) == 2
    assert lines[-1].startswith("Fix:")


def test_every_option_has_a_validation_rule_or_choice_list():
    validated = set(validation.SYNTAX_CHECKS) | set(validation.choice_options(OPTIONS)) | set(validation.INT_BOUNDS)
    validated |= {"primary_metric", "metric_threshold"}
    prompted = {name for name in OPTIONS if not name.startswith("_")}
    assert prompted == validated


def test_region_list_matches_botocore():
    # The hook cannot rely on botocore being installed, so it keeps a list; this keeps it honest.
    assert set(botocore.session.get_session().get_available_regions("sagemaker")) == SAGEMAKER_REGIONS


@pytest.mark.parametrize("shape", ["TrainingInstanceType", "ProcessingInstanceType", "ProductionVariantInstanceType"])
def test_instance_type_rule_accepts_every_sagemaker_instance_type(shape):
    enum = botocore.session.get_session().get_service_model("sagemaker").shape_for(shape).enum
    rejected = [value for value in enum if validation.SYNTAX_CHECKS["training_instance_type"](value)]
    assert rejected == []


def test_metric_facts_cover_both_problem_types():
    problems = {fact["problem_type"] for fact in OPTIONS["_metrics"].values()}
    assert problems == set(OPTIONS["problem_type"])
