"""Unit tests of the answer validation behind hooks/pre_gen_project.py.

The rules themselves are the generated package's (validation.py + project.schema.json, tested in the
generated suite); these tests prove the hook applies them to answers: each answer mapped to its
project.yaml key, its message, its fix, and nothing reported twice.
"""

from __future__ import annotations

import sys

import botocore.session
import pytest
import yaml

from tests.helpers import CHOICES, OPTIONS, TEMPLATE

sys.path.insert(0, str(TEMPLATE / "hooks"))

from mlops_hooks import validation

from tools.default_slug import default_answers

DEFAULTS = default_answers()
RULES = validation.load_rules(TEMPLATE)
SCHEMA = RULES.load_schema(TEMPLATE / validation.PACKAGE_TREE / "project.schema.json")


def errors_for(**changes: str) -> dict[str, validation.FieldError]:
    answers = {**DEFAULTS, **changes}
    return {error.field: error for error in validation.validate(answers, TEMPLATE, OPTIONS)}


def test_default_answers_are_valid():
    assert validation.validate(DEFAULTS, TEMPLATE, OPTIONS) == []


def test_regression_defaults_are_valid():
    assert errors_for(problem_type="regression", primary_metric="rmse", metric_threshold="65") == {}


@pytest.mark.parametrize(
    ("field", "value", "expected", "fix"),
    [
        ("project_slug", "Bad_Slug", "lowercase letters, digits and single hyphens", "breast-cancer-classifier"),
        ("project_slug", "a" * 33, "3-32", "breast-cancer-classifier"),
        ("package_name", "my-package", "underscores", "breast_cancer_classifier"),
        ("package_name", "json", "shadows a Python keyword or standard-library module", "breast_cancer_classifier"),
        ("package_name", "class", "shadows a Python keyword", "breast_cancer_classifier"),
        ("author_email", "jane.doe@", "e-mail address", "jane.doe@example.com"),
        ("aws_region", "eu-middle-9", "Use one of: af-south-1", "eu-west-1"),
        ("aws_account_id_dev", "12345", "exactly 12 digits", "123456789012"),
        ("aws_account_id_qa", "12345678901a", "exactly 12 digits", "123456789012"),
        ("aws_account_id_prod", "1234567890123", "exactly 12 digits", "123456789012"),
        ("gitlab_project_path", "just-a-project", "group[/subgroup]/project", "ml-team/breast-cancer-classifier"),
        ("gitlab_project_path", "group/-bad", "group[/subgroup]/project", "ml-team/breast-cancer-classifier"),
        ("gitlab_host", "https://gitlab.com", "host name", "gitlab.com"),
        ("training_instance_type", "m5.xlarge", "instance type", "ml.m5.xlarge"),
        ("endpoint_instance_type", "ml.m5", "instance type", "ml.m5.large"),
        ("processing_instance_type", "ml.m5.huge", "instance type", "ml.m5.xlarge"),
        ("metric_threshold", "1.5", "from 0.5 to 1.0 for auc", "1.0"),
        ("metric_threshold", "high", "Use a number", "0.95"),
        ("primary_metric", "rmse", "use one of: auc, accuracy, f1, precision, recall", "auc"),
        ("tuning_max_jobs", "0", "from 1 to 500", "10"),
        ("tuning_max_jobs", "ten", "whole number", "10"),
        ("tuning_max_jobs", "2.5", "whole number", "10"),
        ("endpoint_instance_count", "1", "needs at least 2 instances", "2"),
        ("description", 'say "hi"', "without double quotes", "Governed SageMaker model."),
        ("project_name", "  ", "without double quotes", "Breast Cancer Classifier"),
        ("cost_center", "a|b", "AWS tag value", "ml-platform"),
        ("ssm_foundation_prefix", "mlops/foundation", "SSM path", "/mlops/foundation"),
        ("framework", "pytorch", "Use one of: sklearn, xgboost", "sklearn"),
        ("compliance", "hipaa", "Use one of: gxp, standard", "gxp"),
        ("hyperparameter_tuning", "maybe", "Use yes or no", "yes"),
        ("deployment_strategy", "bluegreen", "Use one of: canary, linear, all_at_once", "canary"),
    ],
)
def test_each_bad_answer_names_field_value_and_fix(field, value, expected, fix):
    errors = errors_for(**{field: value})
    assert list(errors) == [field], errors
    assert str(errors[field]).startswith(f"{field}: {value!r} is not valid. ")
    assert expected in str(errors[field])
    assert errors[field].example == fix


def test_every_bad_field_is_reported_at_once():
    errors = errors_for(aws_account_id_qa="1", aws_region="mars-1", author_email="nobody")
    assert set(errors) == {"aws_account_id_qa", "aws_region", "author_email"}


def test_an_answer_repeated_through_a_default_is_reported_once():
    # qa and prod default to dev's account; package_name and the GitLab path to the slug.
    assert set(errors_for(aws_account_id_dev="123")) == {"aws_account_id_dev"}
    assert set(errors_for(project_slug="Bad_Slug")) == {"project_slug"}
    # Given on their own, the same values are reported for each field.
    both = errors_for(aws_account_id_dev="123", aws_account_id_qa="456")
    assert set(both) == {"aws_account_id_dev", "aws_account_id_qa"}


def test_regression_threshold_must_be_positive():
    errors = errors_for(problem_type="regression", primary_metric="rmse", metric_threshold="0")
    assert "greater than 0.0 for rmse" in str(errors["metric_threshold"])


def test_parallel_trials_cannot_exceed_budget():
    errors = errors_for(tuning_max_jobs="4", tuning_max_parallel_jobs="5")
    assert "at most training.tuning.max_jobs (4)" in str(errors["tuning_max_parallel_jobs"])
    assert errors["tuning_max_parallel_jobs"].example == "4"


def test_tuning_budget_is_checked_without_tuning_too():
    # project.yaml holds the budget either way, and a later `enabled: true` would read it.
    assert set(errors_for(hyperparameter_tuning="no", tuning_max_jobs="abc")) == {"tuning_max_jobs"}


def test_single_instance_is_fine_for_all_at_once():
    assert errors_for(deployment_strategy="all_at_once", endpoint_instance_count="1") == {}


def test_report_lists_one_line_per_error_and_a_fix_for_those_fields():
    errors = validation.validate({**DEFAULTS, "aws_region": "x", "author_email": "y"}, TEMPLATE, OPTIONS)
    lines = validation.report(errors).splitlines()
    assert lines[0] == "Invalid template answers (2); nothing was generated:"
    assert [line.split(":")[0] for line in lines[1:3]] == ["  - author_email", "  - aws_region"]
    assert lines[-1] == (
        "Fix: answer again, or pass corrected answers, e.g. "
        "`cookiecutter <template> author_email=jane.doe@example.com aws_region=eu-west-1`"
    )
    assert len(lines) == 4


def test_every_answer_maps_to_a_project_yaml_key():
    prompted = {name for name in OPTIONS if not name.startswith("_")}
    assert set(validation.FIELDS) == prompted
    for key in validation.FIELDS.values():
        assert RULES.leaf(SCHEMA, key), key


def test_rendered_project_file_holds_every_answer_where_the_map_says():
    document = yaml.safe_load(validation.render_project_file(DEFAULTS, TEMPLATE))
    for field, key in validation.FIELDS.items():
        node = document
        for part in key.split("."):
            node = node[part]
        expected = validation.typed(str(DEFAULTS[field]), RULES.leaf(SCHEMA, key))
        assert node == expected, (field, key)


def test_prompts_name_exactly_the_allowed_values():
    prompts = OPTIONS["__prompts__"]
    for field, values in CHOICES.items():
        listed = prompts[field].rsplit("(", 1)[1].rstrip(")").split(" | ")
        assert sorted(listed) == sorted(values), field


def test_region_list_matches_botocore():
    # The hook cannot rely on botocore being installed, so the schema keeps a list; this keeps it honest.
    enum = set(RULES.leaf(SCHEMA, "aws.region")["enum"])
    assert set(botocore.session.get_session().get_available_regions("sagemaker")) == enum


@pytest.mark.parametrize("shape", ["TrainingInstanceType", "ProcessingInstanceType", "ProductionVariantInstanceType"])
def test_instance_type_rule_accepts_every_sagemaker_instance_type(shape):
    enum = botocore.session.get_session().get_service_model("sagemaker").shape_for(shape).enum
    node = RULES.leaf(SCHEMA, "training.instance_types.training")
    rejected = [value for value in enum if list(RULES.check(value, node, "x", SCHEMA))]
    assert rejected == []


def test_metric_facts_cover_both_problem_types():
    assert {fact["problem_type"] for fact in RULES.METRICS.values()} == set(CHOICES["problem_type"])


def test_loading_the_rules_leaves_no_bytecode_in_the_template_tree():
    validation.load_rules(TEMPLATE)
    assert not (TEMPLATE / validation.PACKAGE_TREE / "__pycache__").exists()
