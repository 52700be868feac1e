"""Evaluate the expressions of a pipeline definition: Get, Std:Join, Std:JsonGet and conditions.

A definition refers to values it only knows at run time:
  {"Get": "Parameters.MetricThreshold"}                       a pipeline parameter
  {"Get": "Execution.PipelineExecutionId"}                    an execution variable
  {"Get": "Steps.Tune.TrainingJobSummaries[0].TrainingJobName"}  a property of a finished step
  {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"}    a property file a step wrote
  {"Std:Join": {"On": "/", "Values": [...]}}                  string join
  {"Std:JsonGet": {"PropertyFile": {...}, "Path": "a.b[0]"}}  a value inside a property file
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_:\-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


class ExpressionError(ValueError):
    """A reference names something the run does not have (yet)."""


def parse_path(path: str) -> list[str | int]:
    """``a.b[0]['c']`` -> ["a", "b", 0, "c"]."""
    tokens: list[str | int] = []
    pos = 0
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot parse property path {path!r} at {path[pos:]!r}")
        name, index, single, double = match.groups()
        if index is not None:
            tokens.append(int(index))
        else:
            tokens.append(name if name is not None else single if single is not None else double)
        pos = match.end()
    return tokens


def walk(node: Any, tokens: list[str | int], what: str) -> Any:
    for token in tokens:
        try:
            node = node[token]
        except (KeyError, IndexError, TypeError) as exc:
            raise ExpressionError(f"{what}: no {token!r} in {type(node).__name__}") from exc
    return node


@dataclass
class Scope:
    """What references resolve against during one execution."""

    parameters: dict[str, Any]
    execution: dict[str, Any]
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, reference: str) -> Any:
        tokens = parse_path(reference)
        if not tokens:
            raise ExpressionError("empty reference")
        root, rest = tokens[0], tokens[1:]
        if root == "Parameters":
            return walk(self.parameters, rest, reference)
        if root == "Execution":
            return walk(self.execution, rest, reference)
        if root == "Steps":
            if not rest or rest[0] not in self.steps:
                raise ExpressionError(f"{reference}: step {rest[0] if rest else '?'!r} has not run")
            return walk(self.steps[rest[0]], rest[1:], reference)
        raise ExpressionError(f"{reference}: unknown root {root!r}")


def resolve(value: Any, scope: Scope) -> Any:
    """Replace every expression inside ``value`` (any JSON value) by what it evaluates to."""
    if isinstance(value, list):
        return [resolve(v, scope) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Get"}:
        return scope.get(value["Get"])
    if set(value) == {"Std:Join"}:
        spec = value["Std:Join"]
        return str(spec["On"]).join(_text(resolve(v, scope)) for v in spec["Values"])
    if set(value) == {"Std:JsonGet"}:
        spec = value["Std:JsonGet"]
        document = resolve(spec["PropertyFile"], scope)
        return walk(document, parse_path(spec["Path"]), f"JsonGet {spec['Path']}")
    return {k: resolve(v, scope) for k, v in value.items()}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def references(value: Any) -> set[str]:
    """Names of the steps whose properties ``value`` refers to."""
    found: set[str] = set()
    if isinstance(value, list):
        for v in value:
            found |= references(v)
    elif isinstance(value, dict):
        get = value.get("Get")
        if isinstance(get, str) and get.startswith("Steps."):
            found.add(str(parse_path(get)[1]))
        for v in value.values():
            found |= references(v)
    return found


_COMPARE = {
    "Equals": lambda a, b: a == b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanOrEqualTo": lambda a, b: a >= b,
    "LessThan": lambda a, b: a < b,
    "LessThanOrEqualTo": lambda a, b: a <= b,
}


def condition_holds(condition: dict[str, Any], scope: Scope) -> bool:
    """Evaluate one entry of a Condition step's ``Conditions`` list."""
    kind = condition["Type"]
    if kind in _COMPARE:
        left, right = resolve(condition["LeftValue"], scope), resolve(condition["RightValue"], scope)
        if isinstance(left, str) != isinstance(right, str):
            left, right = float(left), float(right)
        return bool(_COMPARE[kind](left, right))
    if kind == "In":
        return resolve(condition["QueryValue"], scope) in resolve(condition["Values"], scope)
    if kind == "Not":
        return not condition_holds(condition["Condition"], scope)
    if kind == "Or":
        return any(condition_holds(c, scope) for c in condition["Conditions"])
    raise ExpressionError(f"condition type {kind!r} is not supported by the local runner")
