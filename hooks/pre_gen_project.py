"""Pre-generation hook: validate every answer before a file is written (logic: mlops_hooks)."""

import json
import os
import subprocess
import sys
from pathlib import Path


def template_dir() -> Path:
    # cookiecutter and cruft both run hooks from a process whose working directory is the
    # template (cookiecutter's find_hook requires it); cruft passes no _repo_dir, so ask the OS.
    proc = Path(f"/proc/{os.getppid()}/cwd")
    if proc.exists():
        return proc.resolve()
    out = subprocess.run(["lsof", "-a", "-p", str(os.getppid()), "-d", "cwd", "-Fn"], capture_output=True, text=True)
    return Path(next(line[1:] for line in out.stdout.splitlines() if line.startswith("n")))


TEMPLATE_DIR = template_dir()
sys.path.insert(0, str(TEMPLATE_DIR / "hooks"))

from mlops_hooks import locate, validation  # noqa: E402

# tojson escapes every quote, so the answers survive any text as a raw string; decoded twice.
ANSWERS = json.loads(json.loads(r'{{ cookiecutter | jsonify | tojson }}'))  # fmt: skip

if __name__ == "__main__":
    errors = validation.validate(ANSWERS, TEMPLATE_DIR, locate.load_options(TEMPLATE_DIR))
    if errors:
        print(validation.report(errors), file=sys.stderr)
        sys.exit(1)
