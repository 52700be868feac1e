"""Post-generation hook: all conditional file removal, in one place (logic: mlops_hooks)."""

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


sys.path.insert(0, str(template_dir() / "hooks"))

from mlops_hooks import cleanup  # noqa: E402

# tojson escapes every quote, so the answers survive any text as a raw string; decoded twice.
ANSWERS = json.loads(json.loads(r'{{ cookiecutter | jsonify | tojson }}'))  # fmt: skip

if __name__ == "__main__":
    cleanup.remove_disabled(Path.cwd(), ANSWERS)
    print(cleanup.next_steps(ANSWERS, Path.cwd(), os.environ.get("PWD")))
