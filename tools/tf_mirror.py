"""Locate an offline Terraform provider mirror and write a CLI config that installs from it.

One implementation serves the template and every generated repository: the generated repo's
``tools/tf_mirror.py`` (plain Python, no template syntax), loaded here by path. Tests and CI call
``write_cli_config`` at run time and point ``TF_CLI_CONFIG_FILE`` at the written file; where no
mirror exists nothing is written, so a real user's Terraform set-up is left untouched.

    python tools/tf_mirror.py [TARGET]   # prints the written config's path, or nothing
"""

from __future__ import annotations

import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE / "hooks"))
from mlops_hooks.locate import load_project_module  # noqa: E402

# The module itself: patch its attributes (SEARCH_ROOTS, ...) to change what the functions see.
implementation = load_project_module(TEMPLATE, "tools/tf_mirror.py", "generated_tf_mirror")
PROVIDER: Path = implementation.PROVIDER
find_mirror = implementation.find_mirror
write_cli_config = implementation.write_cli_config
main = implementation.main

if __name__ == "__main__":
    raise SystemExit(main())
