"""Run Terraform and checkov the way CI does: offline provider mirror when the machine has one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[2]
FOUNDATION = TEMPLATE / "terraform"
TIMEOUT_SECONDS = 900


def tool(name: str, env_var: str) -> str:
    """Path of a required tool; a missing one fails the test with how to get it."""
    path = os.environ.get(env_var) or shutil.which(name)
    assert path, f"{name} not found: run the suite through `make test` (it installs it) or set {env_var}."
    return path


def terraform(args: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [tool("terraform", "TERRAFORM"), *args],
        cwd=cwd,
        env={**os.environ, **env, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    if check:
        output = f"{result.stdout[-8000:]}\n{result.stderr[-8000:]}"
        assert result.returncode == 0, f"terraform {' '.join(args)} in {cwd} failed:\n{output}"
    return result


def init(root: Path, env: dict[str, str], backend: bool = False) -> None:
    terraform(["init", "-input=false", f"-backend={str(backend).lower()}"], root, env)


def checkov(root: Path) -> dict[str, Any]:
    """checkov's JSON report of one root, offline (no guideline download)."""
    result = subprocess.run(
        [tool("checkov", "CHECKOV"), "-d", str(root), "--framework", "terraform", "--output", "json",
         "--skip-download"],
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )  # fmt: skip
    output = f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    assert result.stdout.strip().startswith(("{", "[")), f"checkov failed:\n{output}"
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report
