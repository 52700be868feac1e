"""Conformance pack template files: they parse, hold only AWS managed rules, fit AWS's limit of
130 rules per pack, and the foundation's pack holds every rule of AWS's FDA 21 CFR Part 11 pack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.helpers import TEMPLATE

HERE = Path(__file__).parent
FDA_PACK = TEMPLATE / "terraform/conformance-packs/fda-21cfr-part11.yaml"
MODEL_PACK = TEMPLATE / "{{cookiecutter.project_slug}}/terraform/conformance-packs/model-controls.yaml"
MAX_RULES_PER_PACK = 130  # AWS Config quota per conformance pack


def identifiers(path: Path) -> set[str]:
    return {line for line in path.read_text().splitlines() if line and not line.startswith("#")}


FDA_RULES = identifiers(HERE / "fda_21cfr_part11_rules.txt")
KNOWN_MANAGED_RULES = FDA_RULES | identifiers(HERE / "aws_managed_rules.txt")


def rules(pack: Path) -> list[dict]:
    body = yaml.safe_load(pack.read_text())
    resources = body["Resources"].values()
    only_rules = all(r["Type"] == "AWS::Config::ConfigRule" for r in resources)
    assert only_rules, f"{pack.name}: only Config rules belong in a pack"
    return [r["Properties"] for r in resources]


@pytest.mark.parametrize("pack", [FDA_PACK, MODEL_PACK], ids=["foundation", "model"])
def test_pack_holds_only_aws_managed_rules_within_quota(pack):
    props = rules(pack)
    assert 0 < len(props) <= MAX_RULES_PER_PACK
    for rule in props:
        assert rule["Source"]["Owner"] == "AWS", f"{rule['ConfigRuleName']} is not an AWS managed rule"
        assert rule["Source"]["SourceIdentifier"] in KNOWN_MANAGED_RULES, rule["Source"]["SourceIdentifier"]
    names = [r["ConfigRuleName"] for r in props]
    assert len(names) == len(set(names)), "rule names must be unique within a pack"


@pytest.mark.parametrize("pack", [FDA_PACK, MODEL_PACK], ids=["foundation", "model"])
def test_every_parameter_reference_is_declared(pack):
    body = yaml.safe_load(pack.read_text())
    referenced = set(re.findall(r"Ref: (\w+)", pack.read_text()))
    assert referenced <= set(body.get("Parameters", {})), referenced - set(body.get("Parameters", {}))


def test_foundation_pack_holds_every_rule_of_aws_fda_pack():
    assert len(FDA_RULES) == 128
    used = {r["Source"]["SourceIdentifier"] for r in rules(FDA_PACK)}
    assert used == FDA_RULES, f"missing: {sorted(FDA_RULES - used)}; extra: {sorted(used - FDA_RULES)}"


def test_terraform_passes_only_parameters_the_packs_declare():
    config_tf = (TEMPLATE / "terraform/config.tf").read_text()
    passed = set(re.findall(r"^\s+(\w+Param\w+)\s+=", config_tf, flags=re.MULTILINE))
    declared = set(yaml.safe_load(FDA_PACK.read_text())["Parameters"])
    assert passed and passed == declared, f"not declared: {passed - declared}; never set: {declared - passed}"

    model_tf = (TEMPLATE / "{{cookiecutter.project_slug}}/terraform/config.tf").read_text()
    passed = set(re.findall(r'parameter_name\s+=\s+"(\w+)"', model_tf))
    assert passed == set(yaml.safe_load(MODEL_PACK.read_text())["Parameters"])


def test_vendored_fda_list_matches_the_shared_reference():
    shared = TEMPLATE.parent / "shared/reference/fda-21cfr-part11-config-rules.txt"
    if not shared.exists():
        pytest.skip("../shared is not beside this clone")
    assert identifiers(shared) == FDA_RULES
