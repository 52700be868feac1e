"""Every combination of the choice options renders into a clean, parseable repository.

The full product of the choice options is small enough (2 x 2 x 2 x 3 x 2 x 3 = 144) to render
completely, so no covering set is needed: every combination is checked.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.helpers import CHOICES, TEMPLATE

sys.path.insert(0, str(TEMPLATE / "hooks"))

from mlops_hooks import cleanup

# Alternate project names whose packages sort before and after `conftest`, which the generated tests
# import: import-order rules must hold for any name.
NAMES = ("Breast Cancer Classifier", "Zeta Model")
COMBINATIONS = [
    {**dict(zip(CHOICES, values, strict=True)), "project_name": NAMES[i % 2]}
    for i, values in enumerate(itertools.product(*CHOICES.values()))
]
# Files allowed to name the template tool in prose (never as an unrendered variable).
MENTIONS_ALLOWED = {"README.md", ".cruft.json", "project.yaml", "validation-plan.md"}
BINARY_SUFFIXES = {".png", ".jpg", ".parquet", ".joblib", ".ubj"}


class _AnyTagLoader(yaml.SafeLoader):
    """Parses GitLab's `!reference` and other custom tags as plain data."""


_AnyTagLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _ids(combination: dict[str, str]) -> str:
    return "-".join(v.split()[0].lower() for v in combination.values())


def text_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.suffix not in BINARY_SUFFIXES and ".git" not in p.parts]


def test_matrix_covers_every_choice_value():
    for name, values in CHOICES.items():
        assert {combo[name] for combo in COMBINATIONS} == set(values)


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_ids)
def test_combination_renders_clean(cookies, combination):
    result = cookies.bake(extra_context=combination)
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    answers = {**result.context, **combination}

    for path in text_files(project):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(project)
        assert "{{" not in text and "{%" not in text, f"unrendered Jinja in {relative}"
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

    for rule in cleanup.REMOVAL_RULES:
        for relative in rule.paths:
            target = project / relative.format(**answers)
            assert target.exists() != rule.applies(answers), f"{relative} with {rule.field}={answers[rule.field]}"
