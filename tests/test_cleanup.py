"""Unit tests of the removal table behind hooks/post_gen_project.py."""

from __future__ import annotations

import sys

import pytest

from tests.helpers import TEMPLATE

sys.path.insert(0, str(TEMPLATE / "hooks"))

from mlops_hooks import cleanup

TEMPLATE_TREE = TEMPLATE / "{{cookiecutter.project_slug}}"


def test_rules_match_only_their_answer():
    rule = cleanup.RemovalRule("compliance", "standard", ("docs/validation",))
    assert rule.applies({"compliance": "standard"})
    assert not rule.applies({"compliance": "gxp"})


def test_paths_are_formatted_with_answers():
    rule = cleanup.RemovalRule("framework", "sklearn", ("src/{package_name}/xgb.py",))
    original = cleanup.REMOVAL_RULES
    try:
        cleanup.REMOVAL_RULES = (rule,)
        assert cleanup.paths_to_remove({"framework": "sklearn", "package_name": "pkg"}) == ["src/pkg/xgb.py"]
    finally:
        cleanup.REMOVAL_RULES = original


def test_removes_files_and_folders(tmp_path):
    (tmp_path / "docs/validation").mkdir(parents=True)
    (tmp_path / "docs/validation/plan.md").write_text("x")
    (tmp_path / "docs/keep.md").write_text("x")
    removed = cleanup.remove_disabled(tmp_path, {"compliance": "standard"})
    assert removed == ["docs/validation"]
    assert not (tmp_path / "docs/validation").exists()
    assert (tmp_path / "docs/keep.md").exists()


def test_a_folder_left_empty_goes_too(tmp_path):
    (tmp_path / "docs/validation").mkdir(parents=True)
    (tmp_path / "docs/validation/plan.md").write_text("x")
    cleanup.remove_disabled(tmp_path, {"compliance": "standard"})
    assert not (tmp_path / "docs").exists()
    assert tmp_path.exists()


def test_rule_pointing_at_nothing_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="docs/validation"):
        cleanup.remove_disabled(tmp_path, {"compliance": "standard"})


def test_every_rule_points_into_the_template_tree():
    # Unrendered paths use the cookiecutter folder names; map the {field} parts back to them.
    for rule in cleanup.REMOVAL_RULES:
        for path in rule.paths:
            unrendered = path.replace("{package_name}", "{{cookiecutter.package_name}}")
            assert (TEMPLATE_TREE / unrendered).exists(), path


def test_next_steps_name_the_project_and_commands(tmp_path):
    project = tmp_path / "build" / "my-model"
    text = cleanup.next_steps({"project_slug": "my-model"}, project, str(tmp_path))
    assert "cd build/my-model\n" in text and "make setup && make test" in text and "make demo" in text


def test_next_steps_fall_back_to_an_absolute_path(tmp_path):
    project = tmp_path / "my-model"
    assert f"cd {project}\n" in cleanup.next_steps({"project_slug": "my-model"}, project, "/somewhere/else")
    assert f"cd {project}\n" in cleanup.next_steps({"project_slug": "my-model"}, project, None)
