"""Typed access to ``project.yaml``, the one file that holds this model's settings.

Every module reads settings from here; nothing else parses ``project.yaml``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

ENVIRONMENTS = ("dev", "qa", "prod")
PROJECT_FILE_ENV = "MLOPS_PROJECT_FILE"
# SSM parameter names are a contract with the Terraform roots (terraform/ssm.tf here and in the foundation).
MODEL_SSM_KEYS = ("artifact-bucket", "kms-key-arn", "pipeline-role-arn", "model-package-group", "ecr-repository-url")
FOUNDATION_SSM_KEYS = ("private-subnet-ids", "sagemaker-security-group-id", "kms-key-arn")


class SettingsError(ValueError):
    """project.yaml is missing a key or holds a value of the wrong kind."""


@dataclass(frozen=True)
class Metric:
    name: str
    goal: str  # "maximize" or "minimize"
    threshold: float

    def passes(self, value: float) -> bool:
        return value >= self.threshold if self.goal == "maximize" else value <= self.threshold


@dataclass(frozen=True)
class Settings:
    name: str
    slug: str
    package: str
    description: str
    owner_name: str
    owner_email: str
    region: str
    accounts: dict[str, str]
    ssm_foundation_prefix: str
    gitlab_host: str
    gitlab_project_path: str
    framework: str
    problem_type: str
    dataset: str
    metric: Metric
    tuning_enabled: bool
    tuning_max_jobs: int
    tuning_max_parallel_jobs: int
    processing_instance_type: str
    training_instance_type: str
    deployment_strategy: str
    endpoint_instance_type: str
    endpoint_instance_count: int
    compliance: str
    data_classification: str
    cost_center: str

    def account_id(self, env: str) -> str:
        if env not in self.accounts:
            raise SettingsError(f"environment {env!r} is unknown; use one of {', '.join(ENVIRONMENTS)}")
        return self.accounts[env]

    # --- naming conventions: the same names the model's Terraform root gives its resources ---

    def resource_name(self, env: str) -> str:
        """``<slug>-<env>``: pipeline, model package group, ECR repository, KMS alias."""
        self.account_id(env)
        return f"{self.slug}-{env}"

    def artifact_bucket(self, env: str) -> str:
        return f"{self.resource_name(env)}-artifacts-{self.account_id(env)}"

    def pipeline_name(self, env: str) -> str:
        return self.resource_name(env)

    def model_package_group(self, env: str) -> str:
        return self.resource_name(env)

    def pipeline_role_arn(self, env: str) -> str:
        return f"arn:aws:iam::{self.account_id(env)}:role/{self.resource_name(env)}-pipeline"

    def kms_key_alias_arn(self, env: str) -> str:
        """The model key by alias: resolvable offline; upsert uses the key ARN from SSM instead."""
        return f"arn:aws:kms:{self.region}:{self.account_id(env)}:alias/{self.resource_name(env)}"

    def ecr_repository_url(self, env: str) -> str:
        return f"{self.account_id(env)}.dkr.ecr.{self.region}.amazonaws.com/{self.resource_name(env)}"

    def model_ssm_parameter(self, env: str, key: str) -> str:
        """Where the model's Terraform root publishes ``key`` (see MODEL_SSM_KEYS)."""
        if key not in MODEL_SSM_KEYS:
            raise SettingsError(f"unknown model SSM key {key!r}; use one of {', '.join(MODEL_SSM_KEYS)}")
        self.account_id(env)
        return f"/mlops/models/{self.slug}/{env}/{key}"

    def foundation_ssm_parameter(self, env: str, key: str) -> str:
        """Where the account foundation publishes ``key`` (see FOUNDATION_SSM_KEYS)."""
        if key not in FOUNDATION_SSM_KEYS:
            raise SettingsError(f"unknown foundation SSM key {key!r}; use one of {', '.join(FOUNDATION_SSM_KEYS)}")
        self.account_id(env)
        return f"{self.ssm_foundation_prefix.rstrip('/')}/{env}/{key}"

    def tags(self, env: str) -> dict[str, str]:
        """The tags every AWS resource of this model carries (Terraform uses the same keys)."""
        return {
            "model": self.slug,
            "environment": env,
            "cost-center": self.cost_center,
            "data-classification": self.data_classification,
            "compliance": self.compliance,
        }


def _get(data: dict[str, Any], dotted: str, kind: type) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise SettingsError(f"project.yaml: missing key {dotted!r}")
        node = node[part]
    if kind is float and isinstance(node, int) and not isinstance(node, bool):
        node = float(node)
    if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
        raise SettingsError(f"project.yaml: {dotted} must be a {kind.__name__}, got {node!r}")
    return node


def parse(data: dict[str, Any]) -> Settings:
    """Build Settings from the parsed YAML, naming the key of any problem."""
    goal = _get(data, "model.primary_metric.goal", str)
    if goal not in {"maximize", "minimize"}:
        raise SettingsError(f"project.yaml: model.primary_metric.goal must be maximize or minimize, got {goal!r}")
    accounts = {env: _get(data, f"aws.accounts.{env}", str) for env in ENVIRONMENTS}
    return Settings(
        name=_get(data, "project.name", str),
        slug=_get(data, "project.slug", str),
        package=_get(data, "project.package", str),
        description=_get(data, "project.description", str),
        owner_name=_get(data, "project.owner.name", str),
        owner_email=_get(data, "project.owner.email", str),
        region=_get(data, "aws.region", str),
        accounts=accounts,
        ssm_foundation_prefix=_get(data, "aws.ssm_foundation_prefix", str),
        gitlab_host=_get(data, "gitlab.host", str),
        gitlab_project_path=_get(data, "gitlab.project_path", str),
        framework=_get(data, "model.framework", str),
        problem_type=_get(data, "model.problem_type", str),
        dataset=_get(data, "model.dataset", str),
        metric=Metric(
            name=_get(data, "model.primary_metric.name", str),
            goal=goal,
            threshold=_get(data, "model.primary_metric.threshold", float),
        ),
        tuning_enabled=_get(data, "training.tuning.enabled", bool),
        tuning_max_jobs=_get(data, "training.tuning.max_jobs", int),
        tuning_max_parallel_jobs=_get(data, "training.tuning.max_parallel_jobs", int),
        processing_instance_type=_get(data, "training.instance_types.processing", str),
        training_instance_type=_get(data, "training.instance_types.training", str),
        deployment_strategy=_get(data, "deployment.strategy", str),
        endpoint_instance_type=_get(data, "deployment.instance_type", str),
        endpoint_instance_count=_get(data, "deployment.instance_count", int),
        compliance=_get(data, "governance.compliance", str),
        data_classification=_get(data, "governance.data_classification", str),
        cost_center=_get(data, "governance.cost_center", str),
    )


def project_file() -> Path:
    """project.yaml shipped in the package, unless MLOPS_PROJECT_FILE points elsewhere."""
    override = os.environ.get(PROJECT_FILE_ENV)
    if override:
        return Path(override)
    return Path(str(resources.files(__package__).joinpath("project.yaml")))


@cache
def load(path: Path | None = None) -> Settings:
    source = path or project_file()
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SettingsError(f"{source}: project settings file not found") from exc
    except yaml.YAMLError as exc:
        raise SettingsError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{source}: expected a mapping at the top level")
    return parse(data)
