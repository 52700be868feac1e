"""Shared entry used by both hook files once they have found this package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_options(template_dir: Path) -> dict[str, Any]:
    """The template's cookiecutter.json: the single source of truth for options."""
    return json.loads((template_dir / "cookiecutter.json").read_text(encoding="utf-8"))
