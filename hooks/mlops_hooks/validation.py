"""Validation of template answers: one clear message per bad field, naming value and fix.

Choice lists and metric facts are read from ``cookiecutter.json`` (the single source of truth
for options); only syntax rules that cookiecutter cannot express live here.
"""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .regions import SAGEMAKER_REGIONS


@dataclass(frozen=True)
class FieldError:
    """A rejected answer: which field, what was given, what is allowed."""

    field: str
    value: str
    allowed: str

    def __str__(self) -> str:
        return f"{self.field}: {self.value!r} is not valid. {self.allowed}"


# Bucket names are "<slug>-<env>-<purpose>-<account id>"; 32 characters keeps them within
# S3's 63-character limit, and within SageMaker's 63-character resource names.
SLUG_MAX = 32
_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
# GitLab: segments of letters, digits, '_', '-', '.', not starting with '-' or '.', at least
# group/project, and not ending in .git or .atom (GitLab reserves those).
_GITLAB_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
_GITLAB_PATH = re.compile(rf"^{_GITLAB_SEGMENT}(/{_GITLAB_SEGMENT})+$")
# Every TrainingInstanceType, ProcessingInstanceType and ProductionVariantInstanceType in
# botocore's SageMaker model matches this (checked in tests).
_INSTANCE = re.compile(r"^ml\.[a-z][a-z0-9-]*\.(?:[0-9]*x?large|medium|small|micro|nano|metal)$")
_TAG_VALUE = re.compile(r"^[A-Za-z0-9 _.:/=+@-]{1,256}$")
_SSM_PREFIX = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")
_FREE_TEXT_FORBIDDEN = re.compile(r'["\\\n\r\t{}]')

INT_BOUNDS = {
    "tuning_max_jobs": (1, 500),
    "tuning_max_parallel_jobs": (1, 100),
    "endpoint_instance_count": (1, 100),
}
# Blue/green canary and linear shift part of the fleet first, which needs at least two instances.
MIN_INSTANCES_FOR_SHIFTING = 2


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _check_pattern(pattern: re.Pattern[str], allowed: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if pattern.fullmatch(value) else allowed

    return check


def _check_free_text(value: str) -> str | None:
    if not value.strip():
        return "Give a non-empty value."
    if _FREE_TEXT_FORBIDDEN.search(value):
        return "Use one line without double quotes, backslashes, tabs or braces."
    if len(value) > 200:
        return "Use at most 200 characters."
    return None


def _check_slug(value: str) -> str | None:
    if not _SLUG.fullmatch(value) or not 3 <= len(value) <= SLUG_MAX:
        return (
            f"Use 3-{SLUG_MAX} lowercase letters, digits and single hyphens, starting with a "
            "letter, e.g. breast-cancer-classifier."
        )
    return None


def _check_package(value: str) -> str | None:
    if not _PACKAGE.fullmatch(value) or len(value) > 40:
        return (
            "Use up to 40 lowercase letters, digits and underscores, starting with a letter, "
            "e.g. breast_cancer_classifier."
        )
    if keyword.iskeyword(value) or value in sys.stdlib_module_names:
        return "It shadows a Python keyword or standard-library module; pick another name."
    return None


def _check_region(value: str) -> str | None:
    if value in SAGEMAKER_REGIONS:
        return None
    return "Use an AWS region that offers SageMaker, one of: " + ", ".join(sorted(SAGEMAKER_REGIONS)) + "."


SYNTAX_CHECKS: dict[str, Callable[[str], str | None]] = {
    "project_name": _check_free_text,
    "project_slug": _check_slug,
    "package_name": _check_package,
    "description": _check_free_text,
    "author_name": _check_free_text,
    "author_email": _check_pattern(_EMAIL, "Use an e-mail address such as jane.doe@example.com."),
    "aws_region": _check_region,
    "aws_account_id_dev": _check_pattern(_ACCOUNT, "Use exactly 12 digits, e.g. 123456789012."),
    "aws_account_id_qa": _check_pattern(_ACCOUNT, "Use exactly 12 digits, e.g. 123456789012."),
    "aws_account_id_prod": _check_pattern(_ACCOUNT, "Use exactly 12 digits, e.g. 123456789012."),
    "gitlab_host": _check_pattern(_HOST, "Use a lowercase host name such as gitlab.com or gitlab.example.com."),
    "gitlab_project_path": _check_pattern(
        _GITLAB_PATH,
        "Use group[/subgroup]/project with letters, digits, '_', '-', '.', e.g. ml-team/breast-cancer.",
    ),
    "processing_instance_type": _check_pattern(_INSTANCE, "Use a SageMaker instance type such as ml.m5.xlarge."),
    "training_instance_type": _check_pattern(_INSTANCE, "Use a SageMaker instance type such as ml.m5.xlarge."),
    "endpoint_instance_type": _check_pattern(_INSTANCE, "Use a SageMaker instance type such as ml.m5.large."),
    "cost_center": _check_pattern(
        _TAG_VALUE, "Use 1-256 characters valid in an AWS tag value (letters, digits, space, _.:/=+@-)."
    ),
    "ssm_foundation_prefix": _check_pattern(_SSM_PREFIX, "Use an SSM path such as /mlops/foundation."),
}


def choice_options(options: Mapping[str, Any]) -> dict[str, list[str]]:
    """The choice variables of cookiecutter.json and their allowed values."""
    return {k: list(v) for k, v in options.items() if isinstance(v, list) and not k.startswith("_")}


def _int_errors(answers: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    fields = list(INT_BOUNDS)
    if answers.get("hyperparameter_tuning") == "no":
        # The budget is unused without tuning; do not reject a generation over it.
        fields = [f for f in fields if not f.startswith("tuning_")]
    values: dict[str, int] = {}
    for name in fields:
        low, high = INT_BOUNDS[name]
        raw = _text(answers.get(name, ""))
        try:
            number = int(raw)
        except ValueError:
            errors.append(FieldError(name, raw, f"Use a whole number from {low} to {high}."))
            continue
        if not low <= number <= high:
            errors.append(FieldError(name, raw, f"Use a whole number from {low} to {high}."))
            continue
        values[name] = number
    budget, parallel = values.get("tuning_max_jobs"), values.get("tuning_max_parallel_jobs")
    if budget is not None and parallel is not None and parallel > budget:
        errors.append(FieldError("tuning_max_parallel_jobs", str(parallel), f"Use at most tuning_max_jobs ({budget})."))
    count = values.get("endpoint_instance_count")
    strategy = answers.get("deployment_strategy")
    if count is not None and strategy in {"canary", "linear"} and count < MIN_INSTANCES_FOR_SHIFTING:
        errors.append(
            FieldError(
                "endpoint_instance_count",
                str(count),
                f"deployment_strategy={strategy} shifts traffic in steps and needs at least "
                f"{MIN_INSTANCES_FOR_SHIFTING} instances; raise the count or choose all_at_once.",
            )
        )
    return errors


def _metric_errors(answers: Mapping[str, Any], metrics: Mapping[str, Mapping[str, Any]]) -> list[FieldError]:
    problem = answers.get("problem_type")
    metric = _text(answers.get("primary_metric", ""))
    allowed = sorted(name for name, fact in metrics.items() if fact["problem_type"] == problem)
    if metric not in allowed:
        return [FieldError("primary_metric", metric, f"For problem_type={problem} use one of: {', '.join(allowed)}.")]
    fact = metrics[metric]
    raw = _text(answers.get("metric_threshold", ""))
    low, high = fact["min"], fact["max"]
    span = f"greater than {low}" if high is None else f"from {low} to {high}"
    try:
        threshold = float(raw)
    except ValueError:
        return [FieldError("metric_threshold", raw, f"Use a number {span} for {metric}.")]
    too_low = threshold <= low if high is None else threshold < low
    if too_low or (high is not None and threshold > high) or threshold != threshold:
        return [FieldError("metric_threshold", raw, f"Use a number {span} for {metric}.")]
    return []


def validate(answers: Mapping[str, Any], options: Mapping[str, Any]) -> list[FieldError]:
    """Every problem with ``answers``, given the template's ``options`` (cookiecutter.json)."""
    errors: list[FieldError] = []
    for name, check in SYNTAX_CHECKS.items():
        value = _text(answers.get(name, ""))
        problem = check(value)
        if problem:
            errors.append(FieldError(name, value, problem))
    for name, allowed in choice_options(options).items():
        value = _text(answers.get(name, ""))
        if value not in allowed:
            errors.append(FieldError(name, value, f"Use one of: {', '.join(allowed)}."))
    errors.extend(_int_errors(answers))
    errors.extend(_metric_errors(answers, options["_metrics"]))
    return errors


def report(errors: list[FieldError]) -> str:
    """The message a person sees when generation stops."""
    lines = [f"Invalid template answers ({len(errors)}); nothing was generated:"]
    lines += [f"  - {error}" for error in errors]
    lines.append(
        "Fix: answer again, or pass the field on the command line, e.g. `cookiecutter <template> aws_region=eu-west-1`."
    )
    return "\n".join(lines)
