"""Where the pipeline runs: naming conventions offline, Terraform's SSM parameters for upsert."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.pipeline import targets
from {{ cookiecutter.package_name }}.pipeline.local import emulator


def test_conventions_need_no_aws():
    cfg = settings.load()
    target = targets.from_conventions(cfg, "dev", commit="abc")
    assert target.image_uri == f"{cfg.ecr_repository_url('dev')}:abc"
    assert target.bucket == cfg.artifact_bucket("dev")
    assert not target.has_vpc


def test_vpc_options_come_in_pairs():
    with pytest.raises(settings.SettingsError, match="both"):
        targets.from_conventions(settings.load(), "dev", commit="abc", subnets=("subnet-1",))


def test_commit_comes_from_ci_then_git(monkeypatch, tmp_path):
    monkeypatch.setenv("CI_COMMIT_SHA", "feedbeef")
    assert targets.git_commit(tmp_path) == "feedbeef"
    monkeypatch.delenv("CI_COMMIT_SHA")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert targets.git_commit(tmp_path) == targets.NO_COMMIT


def test_upsert_target_is_read_from_ssm():
    cfg = settings.load()
    values = {
        cfg.model_ssm_parameter("dev", "artifact-bucket"): "bucket-from-ssm",
        cfg.model_ssm_parameter("dev", "kms-key-arn"): "arn:aws:kms:eu-west-1:111111111111:key/abcd",
        cfg.model_ssm_parameter("dev", "pipeline-role-arn"): "arn:aws:iam::111111111111:role/from-ssm",
        cfg.model_ssm_parameter("dev", "model-package-group"): "group-from-ssm",
        cfg.model_ssm_parameter("dev", "ecr-repository-url"): "111111111111.dkr.ecr.eu-west-1.amazonaws.com/repo",
        cfg.foundation_ssm_parameter("dev", "private-subnet-ids"): "subnet-a,subnet-b",
        cfg.foundation_ssm_parameter("dev", "sagemaker-security-group-id"): "sg-1",
    }
    with emulator.emulator(cfg.region) as aws:
        ssm = aws.client("ssm")
        for name, value in values.items():
            kind = "StringList" if name.endswith("private-subnet-ids") else "String"
            ssm.put_parameter(Name=name, Value=value, Type=kind)
        target = targets.from_ssm(cfg, "dev", ssm, commit="abc")
        ssm.delete_parameter(Name=cfg.foundation_ssm_parameter("dev", "sagemaker-security-group-id"))
        with pytest.raises(settings.SettingsError, match="sagemaker-security-group-id"):
            targets.from_ssm(cfg, "dev", ssm, commit="abc")
    assert target == targets.Target(
        env="dev",
        role_arn="arn:aws:iam::111111111111:role/from-ssm",
        bucket="bucket-from-ssm",
        kms_key="arn:aws:kms:eu-west-1:111111111111:key/abcd",
        model_package_group="group-from-ssm",
        image_repository="111111111111.dkr.ecr.eu-west-1.amazonaws.com/repo",
        git_commit="abc",
        subnets=("subnet-a", "subnet-b"),
        security_group_ids=("sg-1",),
    )
