"""Where and as whom the pipeline runs: from naming conventions (offline) or from SSM (upsert).

No SageMaker SDK here: the CLI and the local runner use these without importing it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import FOUNDATION_SSM_KEYS, MODEL_SSM_KEYS, Settings, SettingsError

# Written into the definition when no commit is known (a render that is not a git repository yet).
NO_COMMIT = "uncommitted"


@dataclass(frozen=True)
class Source:
    """The code the pipeline is built from: its commit, and whether the working tree differs from it."""

    commit: str
    dirty: bool
    note: str = ""  # why it is dirty, for messages


@dataclass(frozen=True)
class Target:
    """Everything environment-specific the pipeline definition needs."""

    env: str
    role_arn: str
    bucket: str
    kms_key: str
    model_package_group: str
    image_repository: str
    git_commit: str
    git_dirty: bool = False
    subnets: tuple[str, ...] = field(default=())
    security_group_ids: tuple[str, ...] = field(default=())

    @property
    def image_uri(self) -> str:
        """The project image of this commit (CI pushes it with tag = commit SHA)."""
        return f"{self.image_repository}:{self.git_commit}"

    @property
    def has_vpc(self) -> bool:
        return bool(self.subnets and self.security_group_ids)


def project_root(start: Path | None = None) -> Path | None:
    """The generated repository's folder: the nearest parent of this package that holds pyproject.toml."""
    here = (start or Path(__file__)).resolve()
    return next((p for p in [here, *here.parents] if (p / "pyproject.toml").is_file()), None)


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
            ["git", "-C", str(root), *args],  # noqa: S607 - git from PATH, like every developer tool
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def source(root: Path | None = None) -> Source:
    """The project's own commit and cleanliness.

    Only a git repository whose top level is the project folder counts: a project generated inside another
    checkout (the template's ``build/``) is not that checkout's commit. CI's ``CI_COMMIT_SHA`` names the
    commit when git cannot (an image without git); a working tree git can see is still checked for changes.
    """
    root = root or project_root()
    ci_sha = os.environ.get("CI_COMMIT_SHA", "").strip()
    top = _git(root, "rev-parse", "--show-toplevel") if root else None
    if root is None or top is None or Path(top).resolve() != root.resolve():
        if ci_sha:
            return Source(ci_sha, False)
        return Source(NO_COMMIT, True, f"{root or 'the project'} is not a git repository of its own")
    head = _git(root, "rev-parse", "HEAD")
    if head is None:
        return Source(ci_sha or NO_COMMIT, True, "the repository has no commit yet")
    changes = _git(root, "status", "--porcelain", "--untracked-files=normal")
    if changes:
        count = len(changes.splitlines())
        return Source(ci_sha or head, True, f"{count} file(s) differ from commit {head[:12]}")
    return Source(ci_sha or head, False)


def from_conventions(
    cfg: Settings,
    env: str,
    *,
    commit: str,
    dirty: bool = False,
    subnets: tuple[str, ...] = (),
    security_group_ids: tuple[str, ...] = (),
) -> Target:
    """The target built from naming conventions alone: no credentials, no network."""
    if bool(subnets) != bool(security_group_ids):
        raise SettingsError("give both --subnet-id and --security-group-id, or neither")
    return Target(
        env=env,
        role_arn=cfg.pipeline_role_arn(env),
        bucket=cfg.artifact_bucket(env),
        kms_key=cfg.kms_key_alias_arn(env),
        model_package_group=cfg.model_package_group(env),
        image_repository=cfg.ecr_repository_url(env),
        git_commit=commit,
        git_dirty=dirty,
        subnets=tuple(subnets),
        security_group_ids=tuple(security_group_ids),
    )


def from_ssm(cfg: Settings, env: str, ssm_client, *, commit: str, dirty: bool = False) -> Target:
    """The target as Terraform published it: the model's and the foundation's SSM parameters."""
    names = {
        **{("model", key): cfg.model_ssm_parameter(env, key) for key in MODEL_SSM_KEYS},
        **{
            ("foundation", key): cfg.foundation_ssm_parameter(env, key)
            for key in FOUNDATION_SSM_KEYS
            if key != "kms-key-arn"
        },
    }
    wanted = list(names.values())
    values: dict[str, str] = {}
    for start in range(0, len(wanted), 10):  # GetParameters takes at most 10 names
        answer = ssm_client.get_parameters(Names=wanted[start : start + 10])
        values.update({p["Name"]: p["Value"] for p in answer["Parameters"]})
        missing = answer.get("InvalidParameters", [])
        if missing:
            raise SettingsError(f"SSM parameters not found (is Terraform applied for {env}?): {', '.join(missing)}")
    got = {key: values[name] for key, name in names.items()}
    subnets = tuple(s.strip() for s in got[("foundation", "private-subnet-ids")].split(",") if s.strip())
    return Target(
        env=env,
        role_arn=got[("model", "pipeline-role-arn")],
        bucket=got[("model", "artifact-bucket")],
        kms_key=got[("model", "kms-key-arn")],
        model_package_group=got[("model", "model-package-group")],
        image_repository=got[("model", "ecr-repository-url")],
        git_commit=commit,
        git_dirty=dirty,
        subnets=subnets,
        security_group_ids=(got[("foundation", "sagemaker-security-group-id")],),
    )
