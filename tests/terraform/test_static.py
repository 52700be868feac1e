"""Both Terraform roots are formatted, valid, pass their `terraform test` plan assertions and are
checkov-clean, for every answer that changes Terraform.

Only compliance (Object Lock mode) and deployment_strategy (traffic shifting) change what the model
root creates; their full product (6 renders) runs `terraform test`, whose assertions are rendered
from the same answers. The foundation does not depend on answers and runs once.
"""

from __future__ import annotations

import itertools

import pytest

from tests.helpers import CHOICES
from tests.terraform.conftest import copy_root, render_model_root
from tests.terraform.tf import FOUNDATION, checkov, init, terraform

# terraform init + test per root, and checkov: tens of seconds each, so outside `make test-fast`.
pytestmark = pytest.mark.slow
TERRAFORM_ANSWERS = [
    {"compliance": c, "deployment_strategy": s}
    for c, s in itertools.product(CHOICES["compliance"], CHOICES["deployment_strategy"])
]


def test_foundation_fmt_validate_and_plan_assertions(tmp_path, tf_env):
    root = copy_root(FOUNDATION, tmp_path / "foundation")
    terraform(["fmt", "-check", "-recursive", "-diff"], root, tf_env)
    init(root, tf_env)
    terraform(["validate"], root, tf_env)
    result = terraform(["test"], root, tf_env)
    assert "0 failed" in result.stdout


@pytest.mark.parametrize("answers", TERRAFORM_ANSWERS, ids=lambda a: f"{a['compliance']}-{a['deployment_strategy']}")
def test_model_root_fmt_validate_and_plan_assertions(tmp_path, tf_env, answers):
    root = render_model_root(tmp_path, **answers)
    terraform(["fmt", "-check", "-recursive", "-diff"], root, tf_env)
    init(root, tf_env)
    terraform(["validate"], root, tf_env)
    result = terraform(["test"], root, tf_env)
    assert "0 failed" in result.stdout, result.stdout


def assert_checkov_clean(report: dict) -> int:
    summary = report["summary"]
    failed = [(c["check_id"], c["resource"], c["file_path"]) for c in report["results"]["failed_checks"]]
    assert summary["failed"] == 0, f"checkov failures: {failed}"
    # Every skip is inline (#checkov:skip=ID:reason) and carries its reason.
    for check in report["results"]["skipped_checks"]:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason.strip()) >= 20, f"{check['check_id']} on {check['resource']} is skipped without a reason"
    print(f"checkov: {summary['passed']} passed, {summary['skipped']} skipped, 0 failed")
    return summary["passed"]


def test_foundation_is_checkov_clean(tmp_path):
    assert assert_checkov_clean(checkov(copy_root(FOUNDATION, tmp_path / "foundation"))) > 100


@pytest.mark.parametrize("compliance", CHOICES["compliance"])
def test_model_root_is_checkov_clean(tmp_path, compliance):
    assert assert_checkov_clean(checkov(render_model_root(tmp_path, compliance=compliance))) > 100
