"""Every combination of the choice options renders into a clean, parseable repository holding exactly
the files its golden list names.

The full product of the choice options is small enough (2 x 2 x 2 x 3 x 2 x 3 = 144) to render
completely, so no covering set is needed: every combination is checked.

The expected files are checked-in text under ``tests/golden/`` (see its ``__init__.py``): a base list
of the default render plus deltas for the answers that change the file set. After a deliberate change
to the generated tree, regenerate them from renders and review the diff:

    make golden        # = .venv/bin/python -m tests.golden --write
    git diff tests/golden/
"""

from __future__ import annotations

import itertools
import json
import math
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests import golden
from tests.helpers import CHOICES, OPTIONS

# Alternate project names whose packages sort before and after `conftest`, which the generated tests
# import: import-order rules must hold for any name.
NAMES = ("Breast Cancer Classifier", "Zeta Model")
COMBINATIONS = [
    {**dict(zip(CHOICES, values, strict=True)), "project_name": NAMES[i % 2]}
    for i, values in enumerate(itertools.product(*CHOICES.values()))
]
# Files allowed to name the template tool in prose (never as an unrendered variable). test_validation.py
# explains that the template's hook loads the package's validation module.
MENTIONS_ALLOWED = {"README.md", ".cruft.json", "project.yaml", "validation-plan.md", "test_validation.py"}
BINARY_SUFFIXES = {".png", ".jpg", ".parquet", ".joblib", ".ubj"}
# A Jinja expression or statement left whole on one line; a bare "{{" is fine (a generated test may look for one).
UNRENDERED = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


class _AnyTagLoader(yaml.SafeLoader):
    """Parses GitLab's `!reference` and other custom tags as plain data."""


_AnyTagLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _ids(combination: dict[str, str]) -> str:
    return "-".join(v.split()[0].lower() for v in combination.values())


def text_files(root: Path) -> list[Path]:
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix not in BINARY_SUFFIXES and not golden.is_noise(p.relative_to(root))
    ]


def test_matrix_axes_are_the_golden_ones():
    """The options and values the matrix multiplies are the checked-in ones: an option that stops being a
    choice (or a value that disappears) cannot shrink the matrix unnoticed."""
    expected = golden.load_choices()
    assert {k: sorted(v) for k, v in CHOICES.items()} == {k: sorted(v) for k, v in expected.items()}, (
        f"the choice options changed; if deliberate, run `{golden.REGENERATE}` and review the diff"
    )
    for option, values in expected.items():
        default = OPTIONS[option][0] if isinstance(OPTIONS[option], list) else OPTIONS[option]
        assert values[0] == default, f"{option}: cookiecutter.json's default is {default!r}, golden says {values[0]!r}"
    assert len(COMBINATIONS) == math.prod(len(v) for v in expected.values()) == 144


def test_golden_deltas_name_real_answers_and_change_something():
    choices, base = golden.load_choices(), golden.load_files()
    assert base and all(not path.startswith("/") and ".." not in path.split("/") for path in base)
    for delta in golden.load_deltas():
        for option, value in delta.when:
            assert value in choices.get(option, ()), f"{delta.header()}: {option}={value} is not a choice"
            assert value != choices[option][0], f"{delta.header()}: {option}={value} is the default"
        assert delta.added or delta.removed, f"{delta.header()} changes nothing"
        assert not delta.added & delta.removed, f"{delta.header()} adds and removes the same path"


def test_golden_comparison_reports_missing_and_unexpected_files():
    report = golden.difference({"a.py", "extra.py"}, {"a.py", "gone.py"})
    assert "missing:    gone.py" in report and "unexpected: extra.py" in report and golden.REGENERATE in report
    assert golden.difference({"a.py"}, {"a.py"}) == ""


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_ids)
def test_combination_renders_clean(cookies, combination):
    result = cookies.bake(extra_context=combination)
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    answers = {**result.context, **combination}

    report = golden.difference(golden.listing(project, answers), golden.expected_files(answers))
    assert not report, report

    for path in text_files(project):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(project)
        leftover = UNRENDERED.search(text)
        assert not leftover, f"unrendered Jinja in {relative}: {leftover.group(0) if leftover else ''}"
        assert "cookiecutter." not in text, f"unrendered variable in {relative}"
        if "cookiecutter" in text.lower():
            assert path.name in MENTIONS_ALLOWED, f"template tool named in {relative}"
        if path.suffix == ".py":
            compile(text, str(relative), "exec")
        elif path.suffix in {".yml", ".yaml"} or path.name == ".yamllint":
            list(yaml.load_all(text, Loader=_AnyTagLoader))
        elif path.suffix == ".json" or path.name == ".secrets.baseline":
            json.loads(text)
        elif path.suffix == ".toml":
            tomllib.loads(text)

    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        run = subprocess.run([*ruff, *command], cwd=project, capture_output=True, text=True)
        assert run.returncode == 0, f"ruff {command[0]}:\n{run.stdout}{run.stderr}"
