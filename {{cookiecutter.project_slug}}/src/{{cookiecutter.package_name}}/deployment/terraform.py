"""The model's Terraform root applied with one package ARN: init, a saved plan, the plan as JSON, apply that plan.

Applying the saved plan, not a fresh one, means what CI showed is what changes: ``deploy --plan-only`` saves it,
``deploy --apply-plan`` re-runs the checks, requires the plan's model_package_arn to be the verified candidate
and applies that file without planning again. The plan, its JSON and the
backend settings go under build/ (git-ignored, kept as CI artifacts): ``build/<env>.tfplan`` holds the values
Terraform will apply, sensitive ones included, so it is never committed. SageMaker's blue/green traffic shifting
and alarm rollback (terraform/sagemaker.tf) are what moves the endpoint; this module only starts it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import MlopsError, UsageError
from ..settings import Settings

TERRAFORM_DIR = "terraform"
BUILD_DIR = "build"


class TerraformFailed(MlopsError):
    """A terraform command exited non-zero; its own output above says why."""


@dataclass(frozen=True)
class Commands:
    """What runs, from the project root; paths after ``-chdir`` are relative to terraform/."""

    init: tuple[str, ...]
    plan: tuple[str, ...]
    show: tuple[str, ...]
    apply: tuple[str, ...]


def backend_file(env: str) -> str:
    return f"{BUILD_DIR}/{env}.s3.tfbackend"


def plan_file(env: str) -> str:
    return f"{BUILD_DIR}/{env}.tfplan"


def plan_json(env: str) -> str:
    return f"{BUILD_DIR}/{env}.tfplan.json"


def backend_config(cfg: Settings, env: str) -> str:
    """The S3 backend of ``env`` as a .tfbackend file (what `settings --backend` prints)."""
    lines = [f"{name} = {json.dumps(value)}" for name, value in cfg.backend_config(env).items()]
    return "\n".join([*lines, "use_lockfile = true", "encrypt      = true"]) + "\n"


def commands(env: str, package_arn: str) -> Commands:
    chdir = f"-chdir={TERRAFORM_DIR}"
    plan = f"../{plan_file(env)}"
    return Commands(
        init=("terraform", chdir, "init", "-input=false", "-reconfigure", f"-backend-config=../{backend_file(env)}"),
        plan=(
            "terraform",
            chdir,
            "plan",
            "-input=false",
            f"-var-file=env/{env}.tfvars",
            "-var",
            f"model_package_arn={package_arn}",
            f"-out={plan}",
        ),
        show=("terraform", chdir, "show", "-json", plan),
        apply=("terraform", chdir, "apply", "-input=false", plan),
    )


def plan(root: Path, cfg: Settings, env: str, package_arn: str) -> Commands:
    """Init and plan ``env`` with the package, and write the plan as JSON; terraform prints the plan itself."""
    tfvars = root / TERRAFORM_DIR / "env" / f"{env}.tfvars"
    if not tfvars.is_file():
        raise UsageError(f"{tfvars} not found: deploy runs from the project root, which holds terraform/env/")
    if shutil.which("terraform") is None:
        raise UsageError("terraform is not on PATH: install the version terraform/versions.tf names")
    (root / BUILD_DIR).mkdir(exist_ok=True)
    (root / backend_file(env)).write_text(backend_config(cfg, env), encoding="utf-8")
    steps = commands(env, package_arn)
    run(root, steps.init)
    run(root, steps.plan)
    with (root / plan_json(env)).open("wb") as out:
        run(root, steps.show, stdout=out)
    return steps


def planned_package(doc: Any) -> str | None:
    """The model_package_arn variable of a plan as `terraform show -json` writes it, or None."""
    variables = doc.get("variables") if isinstance(doc, dict) else None
    value = variables.get("model_package_arn") if isinstance(variables, dict) else None
    arn = value.get("value") if isinstance(value, dict) else None
    return arn if isinstance(arn, str) else None


def plan_problem(doc: Any, package_arn: str) -> str | None:
    """Why the saved plan (its JSON) does not deploy ``package_arn``, or None."""
    planned = planned_package(doc)
    if planned is None:
        return "the saved plan sets no model_package_arn"
    if planned != package_arn:
        return f"the saved plan deploys {planned}, not the verified candidate {package_arn}: plan again (--plan-only)"
    return None


def saved_plan(root: Path, env: str, package_arn: str) -> str | None:
    """Why the saved plan of ``env`` (``--plan-only``) cannot be applied for ``package_arn``, or None."""
    plan, shown = root / plan_file(env), root / plan_json(env)
    if not plan.is_file() or not shown.is_file():
        raise UsageError(f"no saved plan {plan_file(env)} with {plan_json(env)}: run deploy --plan-only first")
    try:
        doc = json.loads(shown.read_text(encoding="utf-8"))
    except ValueError as exc:
        return f"{plan_json(env)} is not JSON ({exc})"
    return plan_problem(doc, package_arn)


def init(root: Path, cfg: Settings, env: str, package_arn: str) -> None:
    """Init ``env``'s backend, planning nothing: the saved plan is what an ``apply_plan`` deployment applies."""
    if shutil.which("terraform") is None:
        raise UsageError("terraform is not on PATH: install the version terraform/versions.tf names")
    (root / BUILD_DIR).mkdir(exist_ok=True)
    (root / backend_file(env)).write_text(backend_config(cfg, env), encoding="utf-8")
    run(root, commands(env, package_arn).init)


def run(root: Path, command: tuple[str, ...], stdout: IO[bytes] | None = None) -> None:
    """One terraform command with its output on the console (CI's log), unless ``stdout`` takes it."""
    done = subprocess.run(command, cwd=root, stdout=stdout, check=False)  # noqa: S603 - our own fixed arguments
    if done.returncode != 0:
        raise TerraformFailed(f"`{' '.join(command[:3])}` exited {done.returncode}; its output above says why")
