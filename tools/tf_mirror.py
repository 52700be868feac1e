"""Locate an offline Terraform provider mirror and write a CLI config that installs from it.

Machines without registry access carry a filesystem mirror (a folder holding
``registry.terraform.io/hashicorp/aws``). Tests and CI call this at run time and point
``TF_CLI_CONFIG_FILE`` at the written file; where no mirror exists nothing is written, so a real
user's Terraform set-up is left untouched.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROVIDER = Path("registry.terraform.io/hashicorp/aws")
# Where mirrors are conventionally kept; TF_PROVIDER_MIRROR names one explicitly.
SEARCH_ROOTS = ("/opt", "/usr/local/share", "/usr/share", str(Path.home() / ".terraform.d"), str(Path.home()))
MAX_DEPTH = 4


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
    target.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/*/*"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n'
        "}\n",
        encoding="utf-8",
    )
    return target


if __name__ == "__main__":
    written = write_cli_config(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/terraform.rc"))
    print(written or "")
