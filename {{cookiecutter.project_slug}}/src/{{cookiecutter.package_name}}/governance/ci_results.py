"""What CI hands the validation report: JUnit XML test results and checkov's JSON scan, read strictly."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError

MAX_FAILED_CHECKS = 200


@dataclass(frozen=True)
class JUnit:
    summary: dict[str, Any]
    outcomes: dict[str, str]  # test id -> passed | failed | error | skipped


# --- inputs: JUnit XML and checkov JSON ----------------------------------------------------------------------------


def _case_id(case: ElementTree.Element) -> str:
    """A pytest-style id (``tests/test_x.py::TestY::test_z[p]``) from a JUnit testcase."""
    name = case.get("name", "")
    classname = case.get("classname", "") or ""
    file = case.get("file")
    if "/" in classname or classname.endswith((".py", ".hcl")):
        return f"{classname}::{name}"
    parts = classname.split(".") if classname else []
    classes: list[str] = []
    while parts and parts[-1][:1].isupper():
        classes.insert(0, parts.pop())
    module = file or ("/".join(parts) + ".py" if parts else "")
    return "::".join([module, *classes, name]) if module else name


_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


def read_junit(path: Path) -> JUnit:
    """Counts and per-test outcomes of a JUnit XML file (pytest ``--junitxml``, terraform test ``-junit-xml``)."""
    try:
        # Our own CI's test results, not untrusted input; expat refuses entity expansion attacks by default.
        root = ElementTree.parse(path).getroot()  # noqa: S314
    except FileNotFoundError as exc:
        raise UsageError(f"--junit {path}: no such file") from exc
    except (ElementTree.ParseError, OSError) as exc:
        raise UsageError(f"--junit {path}: not readable JUnit XML ({exc})") from exc
    outcomes: dict[str, str] = {}
    for case in root.iter("testcase"):
        if case.find("failure") is not None:
            outcome = "failed"
        elif case.find("error") is not None:
            outcome = "error"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        test_id = _case_id(case)
        previous = outcomes.get(test_id)
        if previous is None or _RANK[outcome] > _RANK[previous]:
            outcomes[test_id] = outcome
    counted = list(outcomes.values())
    summary = {
        "source": path.name,
        "tests": len(counted),
        "passed": counted.count("passed"),
        "failures": counted.count("failed"),
        "errors": counted.count("error"),
        "skipped": counted.count("skipped"),
        "failing": sorted(t for t, o in outcomes.items() if o in ("failed", "error")),
    }
    return JUnit(summary, outcomes)


def read_checkov(path: Path) -> dict[str, Any]:
    """Summary of ``checkov -o json`` output: one report (dict) or one per framework (list)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"--checkov {path}: no such file") from exc
    except (ValueError, OSError) as exc:
        raise UsageError(f"--checkov {path}: not checkov JSON ({exc})") from exc
    reports = data if isinstance(data, list) else [data]
    if not reports or not all(isinstance(r, dict) for r in reports):
        raise UsageError(f"--checkov {path}: expected checkov's JSON report (an object, or a list of them)")
    totals = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
    failed: list[dict[str, Any]] = []
    check_types = set()
    for report in reports:
        summary = report.get("summary", report if "passed" in report else {})
        for key in totals:
            value = summary.get(key, 0)
            totals[key] += value if isinstance(value, int) else 0
        if report.get("check_type"):
            check_types.add(str(report["check_type"]))
        for check in (report.get("results") or {}).get("failed_checks") or []:
            failed.append(
                {
                    "check_id": check.get("check_id"),
                    "check_name": check.get("check_name"),
                    "resource": check.get("resource"),
                    "file": check.get("file_path"),
                }
            )
    failed.sort(key=lambda c: (str(c["file"]), str(c["resource"]), str(c["check_id"])))
    return {
        "source": path.name,
        **totals,
        "check_types": sorted(check_types),
        "failed_checks": failed[:MAX_FAILED_CHECKS],
    }
