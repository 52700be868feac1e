"""Where and as whom the pipeline runs: from naming conventions (offline) or from SSM (upsert).

No SageMaker SDK here: the CLI and the local runner use these without importing it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import Settings, SettingsError

# Written into the definition when no commit is known (a render that is not a git repository yet).
NO_COMMIT = "uncommitted"


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
    subnets: tuple[str, ...] = field(default=())
    security_group_ids: tuple[str, ...] = field(default=())

    @property
    def image_uri(self) -> str:
        """The project image of this commit (CI pushes it with tag = commit SHA)."""
        return f"{self.image_repository}:{self.git_commit}"

    @property
    def has_vpc(self) -> bool:
        return bool(self.subnets and self.security_group_ids)


def git_commit(repo: Path | None = None) -> str:
    """The commit the definition is built from: CI's variable, else ``git rev-parse HEAD``, else NO_COMMIT."""
    sha = os.environ.get("CI_COMMIT_SHA", "").strip()
    if sha:
        return sha
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH, like every developer tool
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return NO_COMMIT
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else NO_COMMIT


def from_conventions(
    cfg: Settings,
    env: str,
    *,
    commit: str,
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
        subnets=tuple(subnets),
        security_group_ids=tuple(security_group_ids),
    )


def from_ssm(cfg: Settings, env: str, ssm_client, *, commit: str) -> Target:
    """The target as Terraform published it: the model's and the foundation's SSM parameters."""
    names = {
        **{
            ("model", key): cfg.model_ssm_parameter(env, key)
            for key in (
                "artifact-bucket",
                "kms-key-arn",
                "pipeline-role-arn",
                "model-package-group",
                "ecr-repository-url",
            )
        },
        **{
            ("foundation", key): cfg.foundation_ssm_parameter(env, key)
            for key in ("private-subnet-ids", "sagemaker-security-group-id")
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
        subnets=subnets,
        security_group_ids=(got[("foundation", "sagemaker-security-group-id")],),
    )
