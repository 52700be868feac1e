"""Locate an offline Terraform provider mirror and write a CLI config that installs from it.

One implementation serves the template and every generated repository: the generated repo's
``tools/tf_mirror.py`` (plain Python, no template syntax), loaded here by path. Tests and CI call
``write_cli_config`` at run time and point ``TF_CLI_CONFIG_FILE`` at the written file; where no
mirror exists nothing is written, so a real user's Terraform set-up is left untouched.

    python tools/tf_mirror.py [TARGET]   # prints the written config's path, or nothing
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SOURCE = Path(__file__).resolve().parent.parent / "{{cookiecutter.project_slug}}" / "tools" / "tf_mirror.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generated_tf_mirror", SOURCE)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {SOURCE}")
    module = importlib.util.module_from_spec(spec)
    # No __pycache__ beside the source: cookiecutter would copy it into every generated repository.
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module


# The module itself: patch its attributes (SEARCH_ROOTS, ...) to change what the functions see.
implementation = _load()
PROVIDER: Path = implementation.PROVIDER
find_mirror = implementation.find_mirror
write_cli_config = implementation.write_cli_config
main = implementation.main

if __name__ == "__main__":
    raise SystemExit(main())
