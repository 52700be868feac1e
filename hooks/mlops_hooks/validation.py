"""Validation of template answers with the generated package's own rules.

The generated package holds ``project.schema.json`` and ``validation.py``, which check project.yaml
whenever the project runs. This module loads that same file from the template tree (it imports only the
standard library), checks each answer against the schema of the project.yaml key it becomes, then renders
project.yaml exactly as cookiecutter will and runs every rule on it, cross-field ones included. So an
answer and a later edit of project.yaml meet the same rule and the same wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .locate import PROJECT_TREE, load_options, load_project_module

PACKAGE_TREE = PROJECT_TREE / "src" / "{{cookiecutter.package_name}}"
PROJECT_FILE = PACKAGE_TREE / "project.yaml"

# Each answer and the project.yaml key it becomes.
FIELDS: dict[str, str] = {
    "project_name": "project.name",
    "project_slug": "project.slug",
    "package_name": "project.package",
    "description": "project.description",
    "author_name": "project.owner.name",
    "author_email": "project.owner.email",
    "aws_region": "aws.region",
    "aws_account_id_dev": "aws.accounts.dev",
    "aws_account_id_qa": "aws.accounts.qa",
    "aws_account_id_prod": "aws.accounts.prod",
    "gitlab_host": "gitlab.host",
    "gitlab_project_path": "gitlab.project_path",
    "framework": "model.framework",
    "problem_type": "model.problem_type",
    "primary_metric": "model.primary_metric.name",
    "metric_threshold": "model.primary_metric.threshold",
    "hyperparameter_tuning": "training.tuning.enabled",
    "tuning_max_jobs": "training.tuning.max_jobs",
    "tuning_max_parallel_jobs": "training.tuning.max_parallel_jobs",
    "deployment_strategy": "deployment.strategy",
    "processing_instance_type": "training.instance_types.processing",
    "training_instance_type": "training.instance_types.training",
    "endpoint_instance_type": "deployment.instance_type",
    "endpoint_instance_count": "deployment.instance_count",
    "compliance": "governance.compliance",
    "data_classification": "governance.data_classification",
    "cost_center": "governance.cost_center",
    "ssm_foundation_prefix": "aws.ssm_foundation_prefix",
}
# project.yaml keys no answer holds, and the answer that decides them.
DERIVED_KEYS = {"model.dataset": "problem_type", "naming": "project_slug"}
# Booleans are answered yes / no.
YES_NO = {"yes": True, "no": False}
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_SOURCES = re.compile(r"cookiecutter\.(\w+)")


@dataclass(frozen=True)
class FieldError:
    """A rejected answer: which field, what was given, what is allowed, and an answer that would do."""

    field: str
    value: str
    allowed: str
    example: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.value!r} is not valid. {self.allowed}"


def load_rules(template_dir: Path) -> ModuleType:
    """The generated package's validation module, loaded from the template tree."""
    return load_project_module(
        template_dir, str(PACKAGE_TREE.relative_to(PROJECT_TREE) / "validation.py"), "mlops_project_validation"
    )


def choices(template_dir: Path) -> dict[str, list[str]]:
    """Answers with a fixed set of values, and those values, as the schema states them (default first)."""
    rules = load_rules(template_dir)
    schema = rules.load_schema(template_dir / PACKAGE_TREE / "project.schema.json")
    options = load_options(template_dir)
    out = {}
    for field, key in FIELDS.items():
        if "{{" in str(options.get(field, "")):  # derived from other answers (primary_metric): not a free choice
            continue
        node = rules.leaf(schema, key)
        if node.get("type") == "boolean":
            values = list(YES_NO)
        elif "enum" in node and len(node["enum"]) <= 10:  # short lists: the region list is not a "choice"
            values = list(node["enum"])
        else:
            continue
        default = str(options[field])
        out[field] = [default, *(v for v in values if v != default)]
    return out


def typed(raw: str, node: Mapping[str, Any]) -> Any:
    """An answer (always text) as the YAML value it becomes, or the text itself when it does not fit."""
    kind = node.get("type")
    if kind == "integer" and _INTEGER.fullmatch(raw.strip()):
        return int(raw)
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return YES_NO.get(raw, raw)
    return raw


def _as_answer(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _example(node: Mapping[str, Any]) -> str:
    examples = node.get("examples") or node.get("enum") or []
    return _as_answer(examples[0]) if examples else ""


def _field_errors(answers: Mapping[str, Any], rules: ModuleType, schema: Mapping[str, Any]) -> list[FieldError]:
    errors = []
    for field, key in FIELDS.items():
        node = rules.leaf(schema, key)
        raw = str(answers.get(field, ""))
        for problem in rules.check(typed(raw, node), node, key, schema):
            allowed = "Use yes or no." if node.get("type") == "boolean" else problem.allowed
            errors.append(FieldError(field, raw, allowed, _example(node)))
    return errors


def _render(text: str, answers: Mapping[str, Any]) -> str:
    from cookiecutter.environment import StrictEnvironment

    # Without _extensions: those load in cookiecutter's process, not in this hook's.
    context = {"cookiecutter": {k: v for k, v in answers.items() if k != "_extensions"}}
    return StrictEnvironment(context=context, keep_trailing_newline=True).from_string(text).render(**context)


def _without_repeats(
    errors: list[FieldError], answers: Mapping[str, Any], options: Mapping[str, Any]
) -> list[FieldError]:
    """Drop an error on an answer that only repeats another bad answer through its default
    (qa and prod default to dev's account, the package name to the slug): one bad answer, one line."""
    bad = {e.field for e in errors}
    kept = []
    for error in errors:
        default = options.get(error.field)
        sources = set(_SOURCES.findall(default)) if isinstance(default, str) else set()
        if sources & bad and _render(default, answers) == error.value:
            continue
        kept.append(error)
    return kept


def render_project_file(answers: Mapping[str, Any], template_dir: Path) -> str:
    """project.yaml as cookiecutter will write it for ``answers``."""
    return _render((template_dir / PROJECT_FILE).read_text(encoding="utf-8"), answers)


def _document_errors(answers: Mapping[str, Any], rules: ModuleType, schema: Mapping[str, Any], template_dir: Path):
    import yaml

    document = yaml.safe_load(render_project_file(answers, template_dir))
    by_key = {key: field for field, key in FIELDS.items()}
    errors = []
    for problem in rules.problems(document, schema):
        field = (
            by_key.get(problem.path) or DERIVED_KEYS.get(problem.path.split(".")[0]) or DERIVED_KEYS.get(problem.path)
        )
        if field is None:  # a rule on a key no answer holds: the template itself is wrong
            raise ValueError(f"rendered project.yaml breaks a rule no answer can fix: {problem}")
        example = (
            _as_answer(problem.example) if problem.example is not None else _example(rules.leaf(schema, FIELDS[field]))
        )
        errors.append(FieldError(field, str(answers.get(field, "")), problem.allowed, example))
    return errors


def validate(answers: Mapping[str, Any], template_dir: Path, options: Mapping[str, Any]) -> list[FieldError]:
    """Every problem with ``answers``: each answer on its own first, then the rendered project.yaml."""
    rules = load_rules(template_dir)
    schema = rules.load_schema(template_dir / PACKAGE_TREE / "project.schema.json")
    errors = _without_repeats(_field_errors(answers, rules, schema), answers, options)
    if errors:
        return errors
    return _document_errors(answers, rules, schema, template_dir)


def report(errors: list[FieldError]) -> str:
    """The message a person sees when generation stops: one line per bad answer, and how to fix them."""
    lines = [f"Invalid template answers ({len(errors)}); nothing was generated:"]
    lines += [f"  - {error}" for error in errors]
    fixes = " ".join(f"{e.field}={e.example}" for e in errors if e.example)
    lines.append(f"Fix: answer again, or pass corrected answers, e.g. `cookiecutter <template> {fixes}`")
    return "\n".join(lines)
