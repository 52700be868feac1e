"""The console script runs and reports problems as one clear line."""

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from {{ cookiecutter.package_name }} import cli, settings
from {{ cookiecutter.package_name }}.pipeline import targets


def test_settings_prints_json_with_environment_tags():
    result = CliRunner().invoke(cli.main, ["settings", "--env", "prod"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["environment"]["account_id"] == "{{ cookiecutter.aws_account_id_prod }}"
    assert out["environment"]["tags"]["model"] == "{{ cookiecutter.project_slug }}"


def test_unknown_environment_is_refused():
    result = CliRunner().invoke(cli.main, ["settings", "--env", "staging"])
    assert result.exit_code == 2
    assert "'staging' is not one of 'dev', 'qa', 'prod'" in result.output


def test_broken_settings_file_is_one_clear_error(tmp_path, monkeypatch):
    broken = tmp_path / "project.yaml"
    broken.write_text("project: {}\n", encoding="utf-8")
    monkeypatch.setenv(settings.PROJECT_FILE_ENV, str(broken))
    result = CliRunner().invoke(cli.main, ["settings"])
    assert result.exit_code == 2
    assert "project.name: empty is not valid" in result.output


def test_data_writes_the_demo_data_set(tmp_path):
    result = CliRunner().invoke(cli.main, ["data", "--dest", str(tmp_path)])
    assert result.exit_code == 0, result.output
    csv = tmp_path / f"{settings.load().dataset}.csv"
    assert result.output.strip() == str(csv)
    assert csv.stat().st_size > 0
    assert (tmp_path / "schema.json").exists()


def test_data_keeps_the_reviewed_schema_unless_asked(tmp_path):
    schema = tmp_path / "schema.json"
    assert CliRunner().invoke(cli.main, ["data", "--dest", str(tmp_path)]).exit_code == 0
    derived = schema.read_text()
    schema.write_text(derived.replace('"target"', '"target" ', 1))  # a reviewed edit
    assert CliRunner().invoke(cli.main, ["data", "--dest", str(tmp_path)]).exit_code == 0
    assert schema.read_text() != derived, "an existing schema.json must not be overwritten"
    assert CliRunner().invoke(cli.main, ["data", "--dest", str(tmp_path), "--refresh-schema"]).exit_code == 0
    assert schema.read_text() == derived


def test_pipeline_definition_is_offline_json(no_network):
    result = CliRunner().invoke(cli.main, ["pipeline", "definition", "--env", "dev", "--commit", "abc"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {s["Name"] for s in doc["Steps"]} >= {"Preprocess", "Evaluate", "MetricGate"}
    assert "no VpcConfig" in result.stderr


def test_pipeline_definition_with_vpc_and_output_file(tmp_path, no_network):
    out = tmp_path / "definition.json"
    result = CliRunner().invoke(
        cli.main,
        [
            "pipeline",
            "definition",
            "--commit",
            "abc",
            "--subnet-id",
            "subnet-1",
            "--subnet-id",
            "subnet-2",
            "--security-group-id",
            "sg-1",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"Subnets": [' in out.read_text(encoding="utf-8")


def test_pipeline_definition_refuses_half_a_vpc(no_network):
    result = CliRunner().invoke(cli.main, ["pipeline", "definition", "--subnet-id", "subnet-1"])
    assert result.exit_code == 2
    assert "both --subnet-id and --security-group-id" in result.output


def test_pipeline_run_needs_local():
    result = CliRunner().invoke(cli.main, ["pipeline", "run"])
    assert result.exit_code == 2
    assert "--local" in result.output


def test_pipeline_run_names_an_unknown_parameter(tmp_path):
    result = CliRunner().invoke(
        cli.main, ["pipeline", "run", "--local", "--commit", "abc", "-p", "Nope=1", "--work-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "unknown parameter(s) Nope" in result.output


def test_pipeline_upsert_needs_a_commit(monkeypatch):
    monkeypatch.setattr(targets, "source", lambda: targets.Source(targets.NO_COMMIT, True, "not a repository"))
    result = CliRunner().invoke(cli.main, ["pipeline", "upsert", "--env", "dev"])
    assert result.exit_code == 2
    assert "no git commit" in result.output


def test_pipeline_upsert_from_a_dirty_tree_follows_compliance(monkeypatch, tmp_path, no_network):
    monkeypatch.setattr(targets, "source", lambda: targets.Source("abc", True, "2 file(s) differ from commit abc"))
    result = CliRunner().invoke(cli.main, ["pipeline", "upsert", "--env", "dev"])
{%- if cookiecutter.compliance == "gxp" %}
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: compliance gxp: 2 file(s) differ from commit abc; a registered model must trace to a commit. "
        "Commit (or stash) first."
    )
{%- else %}
    # standard: allowed, the lineage says git-dirty=true; here it stops at the missing credentials.
    assert result.exit_code == 1
    assert "AWS credentials" in result.stderr
{%- endif %}


def test_missing_aws_credentials_are_one_line(no_network):
    result = CliRunner().invoke(cli.main, ["pipeline", "upsert", "--env", "dev", "--commit", "abc"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: AWS credentials: Unable to locate credentials. Fix: `aws sso login`")
    assert len(result.stderr.strip().splitlines()) == 1


def test_pipeline_run_needs_the_data_set(tmp_path):
    result = CliRunner().invoke(
        cli.main,
        [
            "pipeline",
            "run",
            "--local",
            "--commit",
            "abc",
            "--data-dir",
            str(tmp_path / "none"),
            "--work-dir",
            str(tmp_path / "runs"),
        ],
    )
    assert result.exit_code == 2
    assert "no CSV files" in result.output


def test_pipeline_run_executes_a_given_definition_file(tmp_path):
    definition = tmp_path / "definition.json"
    definition.write_text(
        json.dumps(
            {
                "Version": "2020-12-01",
                "Parameters": [{"Name": "InputDataUri", "Type": "String", "DefaultValue": "s3://bucket/data/"}],
                "Steps": [{"Name": "Batch", "Type": "Transform", "Arguments": {}}],
            }
        ),
        encoding="utf-8",
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli.main,
        [
            "pipeline",
            "run",
            "--local",
            "--definition",
            str(definition),
            "--data-dir",
            str(data),
            "--work-dir",
            str(tmp_path / "runs"),
        ],
    )
    assert result.exit_code == 2
    assert "Transform cannot run locally" in result.output


GUARDED_CLI = """
import socket, sys
def refuse(self, address):
    raise SystemExit(f"network connection attempted to {address}")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
from {{ cookiecutter.package_name }} import cli
sys.argv = ["cli", "pipeline", "definition", "--env", "dev", "--commit", "abc"]
cli.main()
"""


def test_pipeline_definition_in_a_fresh_process_touches_no_network(tmp_path):
    """Imports included: the SDK's import-time session must not look for credentials on the network."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", GUARDED_CLI], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["Version"] == "2020-12-01"
