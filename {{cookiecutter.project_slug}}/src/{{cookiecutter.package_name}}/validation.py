"""The rules of project.yaml: ``project.schema.json`` for each field, plus the rules across fields.

Standard library only, and no imports from this package: the template's pre-generation hook loads this
file by path to check the answers it is about to write, so a bad answer at generation and a bad edit
later get the same rule and the same message.

The schema is JSON Schema (draft 2020-12), which editors use through the ``yaml-language-server`` line
at the top of project.yaml. It is checked here by a small validator that knows exactly the keywords the
schema uses (``SUPPORTED``); the test suite checks that it agrees with the ``jsonschema`` library on the
schema and on a corpus of good and bad documents.
"""

from __future__ import annotations

import json
import keyword
import math
import re
import string
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).with_name("project.schema.json")
ENVIRONMENTS = ("dev", "qa", "prod")
ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description", "examples", "default"}
SUPPORTED = ANNOTATIONS | {
    "$ref",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
}

# Facts of each metric: the problem type it belongs to, whether more is better, and its range.
METRICS: dict[str, dict[str, Any]] = {
    "auc": {"problem_type": "binary_classification", "goal": "maximize", "min": 0.5, "max": 1.0},
    "accuracy": {"problem_type": "binary_classification", "goal": "maximize", "min": 0.0, "max": 1.0},
    "f1": {"problem_type": "binary_classification", "goal": "maximize", "min": 0.0, "max": 1.0},
    "precision": {"problem_type": "binary_classification", "goal": "maximize", "min": 0.0, "max": 1.0},
    "recall": {"problem_type": "binary_classification", "goal": "maximize", "min": 0.0, "max": 1.0},
    "rmse": {"problem_type": "regression", "goal": "minimize", "min": 0.0, "max": None},
    "mae": {"problem_type": "regression", "goal": "minimize", "min": 0.0, "max": None},
    "r2": {"problem_type": "regression", "goal": "maximize", "min": -1.0, "max": 1.0},
}
DATASETS = {"breast_cancer": "binary_classification", "diabetes": "regression"}
# Governance controls that compliance gxp requires (standard may switch them off).
GXP_CONTROLS = ("audit_trail", "e_signatures")
# Blue/green canary and linear shift part of the fleet first, which needs at least two instances.
MIN_INSTANCES_FOR_SHIFTING = 2
# S3 bucket names and SageMaker resource names (pipeline, endpoint, model package group) are 3-63 characters.
NAME_MAX = 63
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESOURCE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
# Placeholders each naming pattern may use.
NAMING_PLACEHOLDERS = {
    "resource": {"slug", "env"},
    "bucket": {"slug", "env", "account", "purpose"},
    "ssm_prefix": {"slug", "env"},
    "state_bucket": {"account", "region"},
    "state_key": {"slug", "env"},
}
BUCKET_PURPOSES = ("artifacts", "audit")

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}
_TYPE_WORDS = {
    "object": "a mapping of keys",
    "string": "text (in quotes if it looks like a number)",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


@dataclass(frozen=True)
class Problem:
    """One rule a value breaks: where (dotted path in project.yaml), what it is, what is allowed."""

    path: str
    value: Any
    allowed: str
    example: Any = None  # a value that would pass, when the rule knows one

    def __str__(self) -> str:
        return f"{self.path}: {shown(self.value)} is not valid. {self.allowed}"


def shown(value: Any) -> str:
    """A value as a person wrote it in YAML: text quoted, numbers and booleans plain."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "empty"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load_schema(path: Path = SCHEMA_FILE) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# --- per-field rules: the schema ------------------------------------------------------------------------


def _resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    if not ref.startswith("#/$defs/"):
        raise ValueError(f"unsupported $ref {ref!r}: only #/$defs/<name>")
    return root["$defs"][ref.removeprefix("#/$defs/")]


def _is_type(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in {"integer", "number"}:
        return False
    if kind == "number" and isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, _TYPES[kind])


def _reason(node: Mapping[str, Any], what: str) -> str:
    description = node.get("description")
    return f"{what}. {description}" if description else f"{what}."


def check(value: Any, node: Mapping[str, Any], path: str, root: Mapping[str, Any]) -> Iterator[Problem]:
    """Every way ``value`` breaks the schema ``node`` (``root`` resolves ``$ref``)."""
    node = _resolve(node, root)
    unknown = set(node) - SUPPORTED
    if unknown:
        raise ValueError(f"schema at {path or '<root>'} uses unsupported keywords: {', '.join(sorted(unknown))}")
    kind = node.get("type")
    if "enum" in node and (value not in node["enum"] or (kind and not _is_type(value, kind))):
        yield Problem(path, value, f"Use one of: {', '.join(map(str, node['enum']))}.")
        return
    if kind and not _is_type(value, kind):
        yield Problem(path, value, _reason(node, f"Use {_TYPE_WORDS[kind]}"))
        return
    if isinstance(value, str):
        too_short = len(value) < node.get("minLength", 0)
        too_long = len(value) > node.get("maxLength", len(value))
        if too_short or too_long or ("pattern" in node and not re.search(node["pattern"], value)):
            yield Problem(path, value, node.get("description", "Not allowed here."))
            return
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = node.get("minimum"), node.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"from {low} to {high}" if low is not None and high is not None else f"of at least {low}"
            yield Problem(path, value, f"Use a value {span}.")
            return
    if isinstance(value, dict):
        properties = node.get("properties", {})
        for name in node.get("required", []):
            if name not in value:
                yield Problem(_join(path, name), None, _reason(_resolve(properties[name], root), "Missing"))
        for name, item in value.items():
            if name in properties:
                yield from check(item, properties[name], _join(path, str(name)), root)
            elif node.get("additionalProperties") is False:
                allowed = ", ".join(properties)
                yield Problem(_join(path, str(name)), item, f"Unknown key; keys here: {allowed}.")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def leaf(schema: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The schema of one dotted path, e.g. ``training.tuning.max_jobs``."""
    node: Mapping[str, Any] = schema
    for part in path.split("."):
        node = _resolve(node, schema)["properties"][part]
    return _resolve(node, schema)


# --- rules across fields ----------------------------------------------------------------------------------


def _get(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node[part]
    return node


def names(naming: Mapping[str, str], *, slug: str, env: str, account: str, region: str) -> dict[str, str]:
    """Every naming pattern filled in for one environment; buckets as ``bucket.<purpose>``."""
    values = {"slug": slug, "env": env, "account": account, "region": region}
    out = {key: string.Template(pattern).substitute(values) for key, pattern in naming.items() if key != "bucket"}
    for purpose in BUCKET_PURPOSES:
        out[f"bucket.{purpose}"] = string.Template(naming["bucket"]).substitute(values, purpose=purpose)
    return out


def _metric_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    problem_type = _get(data, "model.problem_type")
    metric = _get(data, "model.primary_metric.name")
    dataset = _get(data, "model.dataset")
    if DATASETS[dataset] != problem_type:
        fitting = [name for name, kind in DATASETS.items() if kind == problem_type]
        allowed = f"For problem_type {problem_type} use: {', '.join(fitting)}."
        yield Problem("model.dataset", dataset, allowed, fitting[0])
    fact = METRICS[metric]
    if fact["problem_type"] != problem_type:
        fitting = [name for name, f in METRICS.items() if f["problem_type"] == problem_type]
        yield Problem(
            "model.primary_metric.name",
            metric,
            f"For problem_type {problem_type} use one of: {', '.join(fitting)}.",
            fitting[0],
        )
        return
    threshold = _get(data, "model.primary_metric.threshold")
    low, high = fact["min"], fact["max"]
    if high is None and threshold <= low:
        yield Problem("model.primary_metric.threshold", threshold, f"Use a number greater than {low} for {metric}.")
    elif high is not None and not low <= threshold <= high:
        yield Problem(
            "model.primary_metric.threshold", threshold, f"Use a number from {low} to {high} for {metric}.", high
        )


def _naming_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    naming = _get(data, "naming")
    for key, pattern in naming.items():
        try:
            used = {m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(pattern)}
        except (ValueError, AttributeError):
            used = {None}
        extra = used - NAMING_PLACEHOLDERS[key]
        if extra:
            allowed = ", ".join("${" + name + "}" for name in sorted(NAMING_PLACEHOLDERS[key]))
            yield Problem(f"naming.{key}", pattern, f"Use only the placeholders {allowed}.")
            return
    slug, region = _get(data, "project.slug"), _get(data, "aws.region")
    for env in ENVIRONMENTS:
        filled = names(naming, slug=slug, env=env, account=_get(data, f"aws.accounts.{env}"), region=region)
        for key, name in filled.items():
            rule = _BUCKET if key.startswith("bucket") or key == "state_bucket" else _RESOURCE
            if key in {"ssm_prefix", "state_key"}:
                continue
            if len(name) > NAME_MAX or not rule.fullmatch(name):
                yield Problem(
                    f"naming.{key.split('.')[0]}",
                    naming[key.split(".")[0]],
                    f"Gives {name!r} in {env}, which AWS does not accept: at most {NAME_MAX} lowercase letters, "
                    "digits and hyphens. Use a shorter project.slug or pattern.",
                )
                return


def cross_field(data: Mapping[str, Any]) -> Iterator[Problem]:
    """Rules JSON Schema cannot state well; run only on a document that passed the schema."""
    yield from _metric_problems(data)
    package = _get(data, "project.package")
    if keyword.iskeyword(package) or package in sys.stdlib_module_names:
        yield Problem("project.package", package, "It shadows a Python keyword or standard-library module.")
    budget = _get(data, "training.tuning.max_jobs")
    parallel = _get(data, "training.tuning.max_parallel_jobs")
    if parallel > budget:
        yield Problem(
            "training.tuning.max_parallel_jobs", parallel, f"Use at most training.tuning.max_jobs ({budget}).", budget
        )
    strategy = _get(data, "deployment.strategy")
    count = _get(data, "deployment.instance_count")
    if strategy in {"canary", "linear"} and count < MIN_INSTANCES_FOR_SHIFTING:
        yield Problem(
            "deployment.instance_count",
            count,
            f"deployment.strategy {strategy} shifts traffic in steps and needs at least "
            f"{MIN_INSTANCES_FOR_SHIFTING} instances; raise the count or use all_at_once.",
            MIN_INSTANCES_FOR_SHIFTING,
        )
    if _get(data, "governance.compliance") == "gxp":
        for control in GXP_CONTROLS:
            if _get(data, f"governance.{control}") is not True:
                yield Problem(
                    f"governance.{control}",
                    _get(data, f"governance.{control}"),
                    "compliance gxp makes it mandatory: set it to true (or use compliance standard).",
                    True,
                )
    yield from _naming_problems(data)


def problems(data: Any, schema: Mapping[str, Any] | None = None) -> list[Problem]:
    """Every problem with a parsed project.yaml: the schema's first, then (if none) the cross-field rules."""
    schema = schema if schema is not None else load_schema()
    found = list(check(data, schema, "", schema))
    if not found:
        found = list(cross_field(data))
    return found
