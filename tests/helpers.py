"""Shared helpers for the template's tests: render the template, read its options."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
OPTIONS: dict[str, Any] = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
# Answers with a fixed set of values: the generated package's project.schema.json states them (the hook
# validates with it); cookiecutter.json holds only their defaults.
sys.path.insert(0, str(TEMPLATE / "hooks"))
from mlops_hooks import validation as _validation  # noqa: E402

CHOICES: dict[str, list[str]] = _validation.choices(TEMPLATE)


def render(output_dir: Path, **answers: Any) -> Path:
    """Generate a project with default answers overridden by ``answers``; return its folder."""
    return Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            extra_context={k: str(v) for k, v in answers.items()},
            output_dir=str(output_dir),
        )
    )
