"""Typed access to ``project.yaml``, the one file that holds this model's settings.

Every module reads settings from here; nothing else parses ``project.yaml``. Loading checks the file
against ``project.schema.json`` and the rules across fields (``validation``): a bad edit is refused with
one line per bad key, naming the key, the value and what is allowed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from . import validation
from .errors import UsageError

ENVIRONMENTS = validation.ENVIRONMENTS
# The framework this repository was generated for: only its library is installed and its code rendered.
GENERATED_FRAMEWORK = "{{ cookiecutter.framework }}"
PROJECT_FILE_ENV = "MLOPS_PROJECT_FILE"
# SSM parameter names are a contract with the Terraform roots (terraform/ssm.tf here and in the foundation).
MODEL_SSM_KEYS = ("artifact-bucket", "kms-key-arn", "pipeline-role-arn", "model-package-group", "ecr-repository-url")
FOUNDATION_SSM_KEYS = ("private-subnet-ids", "sagemaker-security-group-id", "kms-key-arn")


class SettingsError(UsageError):
    """project.yaml is missing, unreadable, or breaks a rule; the message has one line per problem."""


@dataclass(frozen=True)
class Metric:
    name: str
    threshold: float

    @property
    def goal(self) -> str:
        """``maximize`` or ``minimize``: a fact of the metric, not a setting."""
        return validation.METRICS[self.name]["goal"]

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
    audit_trail: bool
    e_signatures: bool
    naming: dict[str, str]

    def account_id(self, env: str) -> str:
        if env not in self.accounts:
            raise SettingsError(f"environment {env!r} is unknown; use one of {', '.join(ENVIRONMENTS)}")
        return self.accounts[env]

    # --- names: project.yaml's `naming` patterns, which Terraform fills in the same way ---

    def names(self, env: str) -> dict[str, str]:
        """Every name of this model in ``env``: resource, bucket.artifacts, bucket.audit, ssm_prefix, state_*."""
        return validation.names(self.naming, slug=self.slug, env=env, account=self.account_id(env), region=self.region)

    def resource_name(self, env: str) -> str:
        """Pipeline, model package group, ECR repository, endpoint, KMS alias, role prefix."""
        return self.names(env)["resource"]

    def artifact_bucket(self, env: str) -> str:
        return self.names(env)["bucket.artifacts"]

    def audit_bucket(self, env: str) -> str:
        return self.names(env)["bucket.audit"]

    def pipeline_name(self, env: str) -> str:
        return self.resource_name(env)

    def model_package_group(self, env: str) -> str:
        return self.resource_name(env)

    def pipeline_role_arn(self, env: str) -> str:
        return f"arn:aws:iam::{self.account_id(env)}:role/{self.resource_name(env)}-pipeline"

    def approver_role_arn(self, env: str) -> str:
        return f"arn:aws:iam::{self.account_id(env)}:role/{self.resource_name(env)}-approver"

    def signing_key_alias_arn(self, env: str) -> str:
        """The asymmetric key that signs approvals (terraform/kms.tf ``aws_kms_alias.signing``)."""
        return f"arn:aws:kms:{self.region}:{self.account_id(env)}:alias/{self.resource_name(env)}-signing"

    def events_topic_arn(self, env: str) -> str:
        """The model's notification topic (terraform/events.tf ``aws_sns_topic.events``)."""
        return f"arn:aws:sns:{self.region}:{self.account_id(env)}:{self.resource_name(env)}-events"

    def kms_key_alias_arn(self, env: str) -> str:
        """The model key by alias: resolvable offline; upsert uses the key ARN from SSM instead."""
        return f"arn:aws:kms:{self.region}:{self.account_id(env)}:alias/{self.resource_name(env)}"

    def ecr_repository_url(self, env: str) -> str:
        return f"{self.account_id(env)}.dkr.ecr.{self.region}.amazonaws.com/{self.resource_name(env)}"

    def model_ssm_parameter(self, env: str, key: str) -> str:
        """Where the model's Terraform root publishes ``key`` (see MODEL_SSM_KEYS)."""
        if key not in MODEL_SSM_KEYS:
            raise SettingsError(f"unknown model SSM key {key!r}; use one of {', '.join(MODEL_SSM_KEYS)}")
        return f"{self.names(env)['ssm_prefix']}/{key}"

    def foundation_ssm_parameter(self, env: str, key: str) -> str:
        """Where the account foundation publishes ``key`` (see FOUNDATION_SSM_KEYS)."""
        if key not in FOUNDATION_SSM_KEYS:
            raise SettingsError(f"unknown foundation SSM key {key!r}; use one of {', '.join(FOUNDATION_SSM_KEYS)}")
        self.account_id(env)
        return f"{self.ssm_foundation_prefix.rstrip('/')}/{env}/{key}"

    def backend_config(self, env: str) -> dict[str, str]:
        """The S3 backend of the model's Terraform state in ``env`` (`terraform init -backend-config`)."""
        names = self.names(env)
        return {"bucket": names["state_bucket"], "key": names["state_key"], "region": self.region}

    def tags(self, env: str) -> dict[str, str]:
        """The tags every AWS resource of this model carries (Terraform uses the same keys)."""
        return {
            "model": self.slug,
            "environment": env,
            "cost-center": self.cost_center,
            "data-classification": self.data_classification,
            "compliance": self.compliance,
        }


def parse(data: Any, source: str = "project.yaml") -> Settings:
    """Build Settings from the parsed YAML after every rule passed; else one line per problem."""
    problems = validation.problems(data)
    if problems:
        lines = [f"{source}: {len(problems)} invalid setting(s):"] + [f"  - {p}" for p in problems]
        raise SettingsError("\n".join(lines))
    if data["model"]["framework"] != GENERATED_FRAMEWORK:
        problem = validation.Problem(
            "model.framework",
            data["model"]["framework"],
            f"This repository was generated for {GENERATED_FRAMEWORK}: only its library is installed. "
            "Generate a new repository for another framework.",
        )
        raise SettingsError(f"{source}: 1 invalid setting(s):\n  - {problem}")
    project, aws, model, training = data["project"], data["aws"], data["model"], data["training"]
    deployment, governance = data["deployment"], data["governance"]
    return Settings(
        name=project["name"],
        slug=project["slug"],
        package=project["package"],
        description=project["description"],
        owner_name=project["owner"]["name"],
        owner_email=project["owner"]["email"],
        region=aws["region"],
        accounts=dict(aws["accounts"]),
        ssm_foundation_prefix=aws["ssm_foundation_prefix"],
        gitlab_host=data["gitlab"]["host"],
        gitlab_project_path=data["gitlab"]["project_path"],
        framework=model["framework"],
        problem_type=model["problem_type"],
        dataset=model["dataset"],
        metric=Metric(name=model["primary_metric"]["name"], threshold=float(model["primary_metric"]["threshold"])),
        tuning_enabled=training["tuning"]["enabled"],
        tuning_max_jobs=training["tuning"]["max_jobs"],
        tuning_max_parallel_jobs=training["tuning"]["max_parallel_jobs"],
        processing_instance_type=training["instance_types"]["processing"],
        training_instance_type=training["instance_types"]["training"],
        deployment_strategy=deployment["strategy"],
        endpoint_instance_type=deployment["instance_type"],
        endpoint_instance_count=deployment["instance_count"],
        compliance=governance["compliance"],
        data_classification=governance["data_classification"],
        cost_center=governance["cost_center"],
        audit_trail=governance["audit_trail"],
        e_signatures=governance["e_signatures"],
        naming=dict(data["naming"]),
    )


def project_file() -> Path:
    """project.yaml shipped in the package, unless MLOPS_PROJECT_FILE points elsewhere."""
    override = os.environ.get(PROJECT_FILE_ENV)
    if override:
        return Path(override)
    return Path(str(resources.files(__package__).joinpath("project.yaml")))


def load(path: Path | None = None) -> Settings:
    """Read and check project.yaml. Callers load once (the CLI keeps it in its click context)."""
    source = path or project_file()
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SettingsError(f"{source}: project settings file not found") from exc
    except yaml.YAMLError as exc:
        raise SettingsError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from exc
    return parse(data, str(source))
