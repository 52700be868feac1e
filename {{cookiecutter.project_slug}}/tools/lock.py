"""Compile the hash-locked requirement files from pyproject.toml with the uv pinned in the dev extra.

    requirements/dev.lock      runtime + pipeline + dev extras: what `make setup` installs
    requirements/runtime.lock  runtime dependencies only: what the image installs

The runtime lock is resolved under the dev lock's versions (as constraints), so the image runs
exactly the versions the test suite ran. Both are universal (any OS) for Python 3.11 and carry every
file's sha256, so `pip install --require-hashes` refuses anything else. The existing locks are
preferences: only what pyproject.toml changed moves, unless --upgrade.

    make lock                          # or: python tools/lock.py [--upgrade]

Needs the package index (it resolves); the test suite checks the result offline (tests/test_lock.py).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = Path("requirements/dev.lock")
RUNTIME = Path("requirements/runtime.lock")
PYTHON_VERSION = "3.11"
COMPILE = (
    "pip",
    "compile",
    "--quiet",
    "--universal",
    "--generate-hashes",
    "--python-version",
    PYTHON_VERSION,
    "--custom-compile-command",
    "make lock",
)


def pinned_uv(project: Path) -> str:
    """The uv version the dev extra pins: the only one whose output the locks are compared with."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    for requirement in pyproject["project"]["optional-dependencies"]["dev"]:
        match = re.fullmatch(r"uv==(\S+)", requirement)
        if match:
            return match.group(1)
    raise SystemExit("pyproject.toml pins no uv==<version> in the dev extra")


def find_uv() -> str:
    """uv beside the running interpreter (the project venv), else on PATH."""
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.is_file() else shutil.which("uv")
    if found is None:
        raise SystemExit("uv not found: run `make setup` first (the dev extra pins it)")
    return found


def commands(uv: str, upgrade: bool = False) -> list[list[str]]:
    """The two compiles, dev first: the runtime lock is constrained by it."""
    return [
        [uv, *COMPILE, *(["--upgrade"] if upgrade else []), "--extra", "pipeline", "--extra", "dev",
         "--output-file", str(DEV), "pyproject.toml"],
        [uv, *COMPILE, "--constraints", str(DEV), "--output-file", str(RUNTIME), "pyproject.toml"],
    ]  # fmt: skip


def compile_locks(project: Path = ROOT, uv: str | None = None, upgrade: bool = False) -> list[Path]:
    """Write both locks of ``project``; return their paths."""
    uv = uv or find_uv()
    version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]  # noqa: S603
    if version != pinned_uv(project):
        raise SystemExit(f"{uv} is uv {version}; pyproject.toml pins uv {pinned_uv(project)} (run `make setup`)")
    (project / DEV).parent.mkdir(exist_ok=True)
    for command in commands(uv, upgrade):
        subprocess.run(command, cwd=project, check=True)  # noqa: S603
    return [project / DEV, project / RUNTIME]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="move every unpinned dependency to its newest version")
    args = parser.parse_args(argv)
    for path in compile_locks(upgrade=args.upgrade):
        print(f"{path.relative_to(ROOT)}: {sum(1 for line in path.open() if line[:1].isalnum())} pins")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
