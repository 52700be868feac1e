"""All conditional file removal of the generated repository, in one table.

Each rule names the answer that switches files off and the paths (relative to the generated
repo, formatted with the answers) that go with it. Paths must exist in the rendered tree: a rule
that points at nothing is a bug and raises, so the table cannot rot silently.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RemovalRule:
    field: str
    value: str
    paths: tuple[str, ...]

    def applies(self, answers: Mapping[str, Any]) -> bool:
        return str(answers.get(self.field)) == self.value


REMOVAL_RULES: tuple[RemovalRule, ...] = (
    # Standard projects do not carry the GxP computer-system-validation documents.
    RemovalRule("compliance", "standard", ("docs/validation",)),
)


def paths_to_remove(answers: Mapping[str, Any]) -> list[str]:
    """Relative paths the answers switch off, formatted with the answers."""
    return [path.format(**answers) for rule in REMOVAL_RULES if rule.applies(answers) for path in rule.paths]


def remove_disabled(project_dir: Path, answers: Mapping[str, Any]) -> list[str]:
    """Delete what the answers switch off; return the removed relative paths."""
    removed = []
    for relative in paths_to_remove(answers):
        target = project_dir / relative
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        else:
            raise FileNotFoundError(f"removal rule points at {relative}, which the template does not render")
        removed.append(relative)
        # A folder left empty by the removal goes too (docs/ once docs/validation is gone).
        parent = target.parent
        while parent != project_dir and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return removed


def where(project_dir: Path, shell_dir: str | None) -> str:
    """The project folder as the person who ran cookiecutter would type it: relative to the shell's
    working directory ($PWD, which cookiecutter and make leave unchanged) when inside it, else absolute."""
    project = project_dir.resolve()
    if shell_dir:
        try:
            return str(project.relative_to(Path(shell_dir).resolve()))
        except ValueError:
            pass
    return str(project)


def next_steps(answers: Mapping[str, Any], project_dir: Path, shell_dir: str | None) -> str:
    """What a person runs first in the new repository."""
    return (
        f"Created {answers['project_slug']} in {where(project_dir, shell_dir)}. Next:\n"
        f"  cd {where(project_dir, shell_dir)}\n"
        "  make setup && make test   # pinned .venv, then the test suite\n"
        "  make demo                 # the model's main job, locally, no AWS account\n"
    )
