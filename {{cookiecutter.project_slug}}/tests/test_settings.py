"""project.yaml is parsed into typed settings, and a broken file names the bad key."""

from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }} import settings


def shipped() -> dict:
    return yaml.safe_load(settings.project_file().read_text(encoding="utf-8"))


def test_shipped_file_parses_with_template_answers():
    current = settings.load()
    assert current.slug == "{{ cookiecutter.project_slug }}"
    assert current.framework == "{{ cookiecutter.framework }}"
    assert current.metric.name == "{{ cookiecutter.primary_metric }}"
    assert current.metric.threshold == pytest.approx({{ cookiecutter.metric_threshold }})
    assert current.tuning_enabled is {{ 'True' if cookiecutter.hyperparameter_tuning == 'yes' else 'False' }}
    assert set(current.accounts) == set(settings.ENVIRONMENTS)


@pytest.mark.parametrize(
    ("goal", "value", "expected"),
    [("maximize", 0.9, True), ("maximize", 0.1, False), ("minimize", 0.1, True), ("minimize", 0.9, False)],
)
def test_metric_gate_follows_goal(goal, value, expected):
    assert settings.Metric("m", goal, 0.5).passes(value) is expected


def test_missing_key_is_named():
    data = shipped()
    del data["deployment"]["strategy"]
    with pytest.raises(settings.SettingsError, match=r"deployment\.strategy"):
        settings.parse(data)


def test_wrong_type_is_named():
    data = shipped()
    data["deployment"]["instance_count"] = "two"
    with pytest.raises(settings.SettingsError, match=r"deployment\.instance_count must be a int"):
        settings.parse(data)


def test_bad_goal_is_rejected():
    data = shipped()
    data["model"]["primary_metric"]["goal"] = "sideways"
    with pytest.raises(settings.SettingsError, match="maximize or minimize"):
        settings.parse(data)


def test_unknown_environment_is_rejected():
    with pytest.raises(settings.SettingsError, match="use one of dev, qa, prod"):
        settings.load().account_id("staging")


def test_invalid_yaml_names_the_file(tmp_path: Path):
    broken = tmp_path / "project.yaml"
    broken.write_text("project: [unclosed\n", encoding="utf-8")
    with pytest.raises(settings.SettingsError, match="not valid YAML"):
        settings.load(broken)


def test_names_follow_the_terraform_conventions():
    cfg = settings.load()
    account = cfg.account_id("qa")
    assert cfg.artifact_bucket("qa") == f"{cfg.slug}-qa-artifacts-{account}"
    assert cfg.pipeline_role_arn("qa") == f"arn:aws:iam::{account}:role/{cfg.slug}-qa-pipeline"
    assert cfg.model_package_group("qa") == cfg.pipeline_name("qa") == f"{cfg.slug}-qa"
    assert cfg.kms_key_alias_arn("qa") == f"arn:aws:kms:{cfg.region}:{account}:alias/{cfg.slug}-qa"
    assert cfg.ecr_repository_url("qa") == f"{account}.dkr.ecr.{cfg.region}.amazonaws.com/{cfg.slug}-qa"
    with pytest.raises(settings.SettingsError, match="use one of dev, qa, prod"):
        cfg.artifact_bucket("staging")


def test_ssm_parameter_names_are_the_published_contract():
    cfg = settings.load()
    assert cfg.model_ssm_parameter("prod", "pipeline-role-arn") == f"/mlops/models/{cfg.slug}/prod/pipeline-role-arn"
    foundation = cfg.foundation_ssm_parameter("dev", "private-subnet-ids")
    assert foundation == f"{cfg.ssm_foundation_prefix}/dev/private-subnet-ids"
    with pytest.raises(settings.SettingsError, match="unknown model SSM key"):
        cfg.model_ssm_parameter("dev", "nope")
    with pytest.raises(settings.SettingsError, match="unknown foundation SSM key"):
        cfg.foundation_ssm_parameter("dev", "nope")


def test_ssm_names_match_what_terraform_publishes():
    root = Path(__file__).resolve().parents[1]
    published = (root / "terraform" / "ssm.tf").read_text(encoding="utf-8")
    for key in settings.MODEL_SSM_KEYS:
        assert f'"{key}"' in published, key
