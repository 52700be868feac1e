"""The console script runs and reports problems as one clear line."""

import json

from click.testing import CliRunner

from {{ cookiecutter.package_name }} import cli, settings


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
    settings.load.cache_clear()
    result = CliRunner().invoke(cli.main, ["settings"])
    settings.load.cache_clear()
    assert result.exit_code == 1
    assert "missing key" in result.output
