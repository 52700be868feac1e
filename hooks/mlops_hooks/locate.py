"""What the hooks and the template's tools read from the template tree: options and the generated repo's own modules."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

PROJECT_TREE = Path("{{cookiecutter.project_slug}}")


def load_options(template_dir: Path) -> dict[str, Any]:
    """The template's cookiecutter.json: defaults and prompts of the answers."""
    return json.loads((template_dir / "cookiecutter.json").read_text(encoding="utf-8"))


def load_project_module(template_dir: Path, relative: str, name: str) -> ModuleType:
    """A plain-Python file of the generated repository (``relative`` to its tree), loaded by path.

    One implementation serves the template and every generated repository. No ``__pycache__`` is written
    beside the source: cookiecutter would copy it into every repository generated from a local checkout.
    """
    source = template_dir / PROJECT_TREE / relative
    spec = importlib.util.spec_from_file_location(name, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while a class is built
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module
