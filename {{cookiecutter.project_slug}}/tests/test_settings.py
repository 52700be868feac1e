"""project.yaml is parsed into typed settings; a bad edit is one line per bad key, never a traceback."""

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }} import settings

from conftest import write_project


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


def test_project_file_names_its_schema_for_editors():
    first = settings.project_file().read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=project.schema.json"
    assert (settings.project_file().parent / "project.schema.json").is_file()


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [("auc", 0.9, True), ("auc", 0.1, False), ("rmse", 0.1, True), ("rmse", 0.9, False)],
)
def test_metric_gate_follows_the_metrics_goal(metric, value, expected):
    assert settings.Metric(metric, 0.5).passes(value) is expected


# The edits a new user tried (issue: "edits to project.yaml are not validated"), each with the one line it must give.
BAD_EDITS = [
    ({"project.slug": "Bad Slug"}, "project.slug: 'Bad Slug' is not valid. Repository name"),
    ({"aws.accounts.dev": "123"}, "aws.accounts.dev: '123' is not valid. AWS account id: exactly 12 digits."),
    ({"aws.accounts.qa": 123456789012}, "aws.accounts.qa: 123456789012 is not valid. Use text (in quotes"),
    ({"aws.region": "mars-1"}, "aws.region: 'mars-1' is not valid. Use one of: af-south-1"),
    ({"deployment.strategy": "bluegreen"}, "deployment.strategy: 'bluegreen' is not valid. Use one of: canary, linear"),
    ({"training.tuning.max_parallel_jobs": 50}, "training.tuning.max_parallel_jobs: 50 is not valid. Use at most"),
    ({"training.tuning.max_jobs": "abc"}, "training.tuning.max_jobs: 'abc' is not valid. Use a whole number."),
    ({"deployment.instance_count": True}, "deployment.instance_count: true is not valid. Use a whole number."),
    ({"governance.compliance": None}, "governance.compliance: empty is not valid. Use one of: gxp, standard."),
    ({"naming.resource": "${slug}-${stage}"}, "naming.resource: '${slug}-${stage}' is not valid. Use only the"),
]
{%- if cookiecutter.problem_type == "binary_classification" %}
BAD_EDITS += [
    ({"model.primary_metric.threshold": 95}, "model.primary_metric.threshold: 95 is not valid. Use a number from 0.5"),
    ({"model.primary_metric.name": "rmse"}, "model.primary_metric.name: 'rmse' is not valid. For problem_type"),
]
{%- else %}
BAD_EDITS += [
    ({"model.primary_metric.threshold": -1}, "model.primary_metric.threshold: -1 is not valid. Use a number greater"),
    ({"model.primary_metric.name": "auc"}, "model.primary_metric.name: 'auc' is not valid. For problem_type"),
]
{%- endif %}
{%- if cookiecutter.deployment_strategy != "all_at_once" %}
BAD_EDITS += [({"deployment.instance_count": 1}, "deployment.instance_count: 1 is not valid. deployment.strategy")]
{%- endif %}


def _edited(changes: dict) -> dict:
    data = copy.deepcopy(shipped())
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = value
    return data


def _id(changes: dict) -> str:
    key, value = next(iter(changes.items()))
    return f"{key}={value!r}"


@pytest.mark.parametrize(("changes", "line"), BAD_EDITS, ids=[_id(c) for c, _ in BAD_EDITS])
def test_bad_edit_is_one_line_naming_key_value_and_fix(changes, line):
    with pytest.raises(settings.SettingsError) as caught:
        settings.parse(_edited(changes))
    lines = str(caught.value).splitlines()
    assert lines[0].endswith("1 invalid setting(s):"), lines
    assert lines[1].startswith(f"  - {line}"), lines


def test_every_bad_key_is_reported_together():
    data = _edited({"aws.region": "mars-1", "deployment.strategy": "bluegreen", "project.slug": "Bad Slug"})
    with pytest.raises(settings.SettingsError, match=r"3 invalid setting\(s\)"):
        settings.parse(data)


def _refusal(data: dict) -> str:
    with pytest.raises(settings.SettingsError) as caught:
        settings.parse(data)
    return str(caught.value)


def test_missing_and_unknown_keys_are_named():
    data = shipped()
    del data["deployment"]["strategy"]
    data["deployment"]["stratgey"] = "canary"
    message = _refusal(data)
    assert "deployment.strategy: empty is not valid. Missing. Blue/green traffic shifting" in message
    assert "deployment.stratgey: 'canary' is not valid. Unknown key; keys here: strategy" in message


def test_another_framework_is_refused_with_the_reason():
    other = "xgboost" if settings.GENERATED_FRAMEWORK == "sklearn" else "sklearn"
    message = _refusal(_edited({"model.framework": other}))
    assert f"model.framework: '{other}' is not valid. This repository was generated for" in message
    message = _refusal(_edited({"model.framework": "pytorch"}))
    assert "model.framework: 'pytorch' is not valid. Use one of: sklearn, xgboost." in message


def test_names_too_long_for_aws_are_refused():
    data = _edited({"naming.bucket": "${slug}-${env}-${purpose}-${account}-with-a-very-long-suffix-x"})
    message = _refusal(data)
    assert "naming.bucket:" in message and "which AWS does not accept" in message


def test_invalid_yaml_names_the_file(tmp_path: Path):
    broken = tmp_path / "project.yaml"
    broken.write_text("project: [unclosed\n", encoding="utf-8")
    with pytest.raises(settings.SettingsError, match="not valid YAML"):
        settings.load(broken)


def test_bad_edit_through_the_cli_is_stderr_exit_2_and_no_traceback(tmp_path: Path):
    path = write_project(tmp_path / "project.yaml", {"aws.region": "mars-1", "aws.accounts.dev": "123"})
    env = {**os.environ, settings.PROJECT_FILE_ENV: str(path)}
    for args in (["settings"], ["pipeline", "definition", "--commit", "abc"], ["data", "--dest", str(tmp_path)]):
        command = [sys.executable, "-m", "{{ cookiecutter.package_name }}.cli", *args]
        run = subprocess.run(command, env=env, capture_output=True, text=True)
        assert run.returncode == 2, (args, run.stderr)
        assert run.stdout == ""
        assert "Traceback" not in run.stderr
        assert run.stderr.splitlines() == [
            f"Error: {path}: 2 invalid setting(s):",
            "  - aws.region: 'mars-1' is not valid. Use one of: " + ", ".join(_regions()) + ".",
            "  - aws.accounts.dev: '123' is not valid. AWS account id: exactly 12 digits.",
        ]


def _regions() -> list[str]:
    from {{ cookiecutter.package_name }} import validation

    return validation.leaf(validation.load_schema(), "aws.region")["enum"]


def test_names_come_from_the_naming_patterns():
    cfg = settings.load()
    account = cfg.account_id("qa")
    assert cfg.artifact_bucket("qa") == f"{cfg.slug}-qa-artifacts-{account}"
    assert cfg.audit_bucket("qa") == f"{cfg.slug}-qa-audit-{account}"
    assert cfg.pipeline_role_arn("qa") == f"arn:aws:iam::{account}:role/{cfg.slug}-qa-pipeline"
    assert cfg.model_package_group("qa") == cfg.pipeline_name("qa") == f"{cfg.slug}-qa"
    assert cfg.kms_key_alias_arn("qa") == f"arn:aws:kms:{cfg.region}:{account}:alias/{cfg.slug}-qa"
    assert cfg.ecr_repository_url("qa") == f"{account}.dkr.ecr.{cfg.region}.amazonaws.com/{cfg.slug}-qa"
    assert cfg.backend_config("prod") == {
        "bucket": f"mlops-tfstate-{cfg.account_id('prod')}-{cfg.region}",
        "key": f"{cfg.slug}/prod/terraform.tfstate",
        "region": cfg.region,
    }
    with pytest.raises(settings.SettingsError, match="use one of dev, qa, prod"):
        cfg.artifact_bucket("staging")


def test_edited_naming_moves_every_name():
    cfg = settings.parse(_edited({"naming.resource": "ml-${slug}-${env}"}))
    assert cfg.pipeline_name("dev") == f"ml-{cfg.slug}-dev"
    assert cfg.kms_key_alias_arn("dev").endswith(f":alias/ml-{cfg.slug}-dev")


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


def test_benchmark_project_files_are_valid(tmp_path: Path):
    """benchmarks/ is not run by the suite; the settings it writes must still pass the rules."""
    import importlib.util

    source = Path(__file__).resolve().parents[1] / "benchmarks" / "pipeline_timing.py"
    spec = importlib.util.spec_from_file_location("pipeline_timing", source)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for tuning, parallel in ((True, 2), (False, 1)):
        settings.load(bench.project_file(tmp_path, tuning, parallel))
