"""Locate an offline Terraform provider mirror and write a CLI config that installs from it.

Machines without registry access carry a filesystem mirror (a folder holding
``registry.terraform.io/hashicorp/aws``). ``make infra-test`` calls this at run time and points
``TF_CLI_CONFIG_FILE`` at the written file; where no mirror exists nothing is written, so a real
user's Terraform set-up is left untouched.

    python tools/tf_mirror.py [TARGET]   # prints the written config's path, or nothing

Standard library only: it runs before (and without) the project's virtual environment.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROVIDER = Path("registry.terraform.io/hashicorp/aws")
# Where mirrors are conventionally kept; TF_PROVIDER_MIRROR names one explicitly.
SEARCH_ROOTS = ("/opt", "/usr/local/share", "/usr/share", str(Path.home() / ".terraform.d"), str(Path.home()))
MAX_DEPTH = 4
DEFAULT_TARGET = Path("build/terraform.rc")


def find_mirror() -> Path | None:
    explicit = os.environ.get("TF_PROVIDER_MIRROR")
    if explicit and (Path(explicit) / PROVIDER).is_dir():
        return Path(explicit)
    for root in SEARCH_ROOTS:
        base = Path(root)
        if not base.is_dir():
            continue
        for current, dirs, _ in os.walk(base):
            here = Path(current)
            if (here / PROVIDER).is_dir():
                return here
            if len(here.relative_to(base).parts) >= MAX_DEPTH:
                dirs.clear()
            dirs[:] = [d for d in dirs if not d.startswith(".") or d == ".terraform.d"]
    return None


def write_cli_config(target: Path) -> Path | None:
    """Write a CLI config using the mirror to ``target``; None when there is no mirror."""
    mirror = find_mirror()
    if mirror is None:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    # One line per statement and no doubled braces: this file reads the same before and after templating.
    lines = (
        "provider_installation {",
        "  filesystem_mirror {",
        f'    path    = "{mirror}"',
        '    include = ["registry.terraform.io/*/*"]',
        "  }",
        "  direct {",
        '    exclude = ["registry.terraform.io/*/*"]',
        "  }",
        "}",
    )
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """Write the config to the path given (default build/terraform.rc); print its absolute path, or nothing."""
    args = sys.argv[1:] if argv is None else argv
    written = write_cli_config(Path(args[0]) if args else DEFAULT_TARGET)
    print(written.resolve() if written else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
