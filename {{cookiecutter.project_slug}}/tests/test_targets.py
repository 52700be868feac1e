"""Where the pipeline runs: naming conventions offline, Terraform's SSM parameters for upsert."""

from __future__ import annotations

import os
import subprocess

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


def _git(cwd, *args):
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t"}
    env |= {"GIT_COMMITTER_EMAIL": "t@example.com", "PATH": os.environ["PATH"], "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A project folder (pyproject.toml) that is a git repository of its own, with one commit."""
    monkeypatch.delenv("CI_COMMIT_SHA", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "first")
    return project


def test_source_is_the_projects_own_clean_commit(repo):
    assert targets.source(repo) == targets.Source(_git(repo, "rev-parse", "HEAD"), False)


def test_uncommitted_changes_make_the_source_dirty(repo):
    (repo / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    code = targets.source(repo)
    assert code.commit == _git(repo, "rev-parse", "HEAD")
    assert code.dirty and "1 file(s) differ" in code.note
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (repo / "new.py").write_text("")
    assert targets.source(repo).dirty


def test_a_project_inside_another_checkout_has_no_commit_of_its_own(repo):
    """The template's build/ folder: git would answer with the template's commit."""
    inner = repo / "build" / "model"
    inner.mkdir(parents=True)
    (inner / "pyproject.toml").write_text("")
    code = targets.source(inner)
    assert code == targets.Source(targets.NO_COMMIT, True, f"{inner} is not a git repository of its own")


def test_ci_names_the_commit_where_git_cannot(tmp_path, monkeypatch):
    monkeypatch.setenv("CI_COMMIT_SHA", "feedbeef")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert targets.source(tmp_path) == targets.Source("feedbeef", False)
    monkeypatch.delenv("CI_COMMIT_SHA")
    assert targets.source(tmp_path).commit == targets.NO_COMMIT


def test_project_root_is_the_folder_with_pyproject(repo):
    (repo / "src" / "pkg").mkdir(parents=True)
    assert targets.project_root(repo / "src" / "pkg" / "module.py") == repo


def test_lineage_records_commit_and_dirty_flag():
    from {{ cookiecutter.package_name }}.pipeline import definition

    target = targets.from_conventions(settings.load(), "dev", commit="abc", dirty=True)
    steps = definition.definition(settings.load(), target)["Steps"]
    register = next(s for s in steps if s["Type"] == "Condition")["Arguments"]["IfSteps"][0]
    assert register["Arguments"]["CustomerMetadataProperties"]["git-commit"] == "abc"
    assert register["Arguments"]["CustomerMetadataProperties"]["git-dirty"] == "true"


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
