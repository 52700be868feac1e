"""The validation report of a model version: facts, HTML, JSON hash in the trail, traceability, model card.

One local pipeline run (no tuning, to stay quick) registers the demo model in the emulator; a steward writes the
report while the package is pending, approves it, and writes it again with JUnit XML and checkov results.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.data.datasets import write_dataset
from {{ cookiecutter.package_name }}.errors import UsageError
from {{ cookiecutter.package_name }}.governance import approval, ci_results, local, report, signatures, traceability
from {{ cookiecutter.package_name }}.governance.context import Governance
from {{ cookiecutter.package_name }}.pipeline import definition, targets
from {{ cookiecutter.package_name }}.pipeline.local import emulator, runner, storage
from {{ cookiecutter.package_name }}.pipeline.local.progress import Progress

from conftest import write_project

ENV = "dev"
COMMIT = "0123456789abcdef0123456789abcdef01234567"  # pragma: allowlist secret
ROOT = Path(__file__).resolve().parents[1]
STEWARD = "Jane Steward"
PART_11 = [f"11.10({c})" for c in "abcdefghijk"] + ["11.50", "11.70", "11.100", "11.200", "11.300"]
LIFECYCLE = ["LC-registry", "LC-approval", "LC-deployment-gate", "LC-drift", "LC-rollback"]
# Rows whose evidence includes audit entries this test's world never writes (no deployment, no drift job).
NOT_EXERCISED = ["LC-deployment-gate", "LC-drift", "LC-rollback"]
CARD_SECTIONS = {
    "model_overview",
    "intended_uses",
    "business_details",
    "training_details",
    "evaluation_details",
    "additional_information",
    "model_package_details",
}
CHECKOV = [
    {
        "check_type": "terraform",
        "results": {
            "passed_checks": [],
            "failed_checks": [
                {
                    "check_id": "CKV_AWS_1",
                    "check_name": "a check",
                    "resource": "aws_s3_bucket.this",
                    "file_path": "/x.tf",
                }
            ],
        },
        "summary": {"passed": 40, "failed": 1, "skipped": 3, "parsing_errors": 0},
    },
    {"check_type": "secrets", "results": {}, "summary": {"passed": 2, "failed": 0, "skipped": 0, "parsing_errors": 0}},
]


def _trusted(gov) -> set[str]:
    """The model's current signing key, as `audit verify` trusts it."""
    return {signatures.current_fingerprint(gov.client("kms"), gov.signing_key)}


def matrix_test_ids() -> list[str]:
    return sorted({e.target for row in traceability.ROWS for e in row.evidence if e.kind == "test"})


def junit_xml(path: Path, outcomes: dict[str, str]) -> Path:
    """A JUnit XML file as pytest writes it (classname = dotted module path)."""
    suite = ElementTree.Element("testsuite", name="pytest", tests=str(len(outcomes)))
    for test_id, outcome in outcomes.items():
        file, _, name = test_id.partition("::")
        classname = file.removesuffix(".py").replace("/", ".") if file.endswith(".py") else file
        case = ElementTree.SubElement(suite, "testcase", classname=classname, name=name, time="0.1")
        if outcome == "failed":
            ElementTree.SubElement(case, "failure", message="assert False").text = "AssertionError"
        elif outcome == "error":
            ElementTree.SubElement(case, "error", message="fixture failed")
        elif outcome == "skipped":
            ElementTree.SubElement(case, "skipped", message="skipped")
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def defined(test_id: str) -> bool:
    """Whether this repository holds the test (a pytest function, or a terraform test run)."""
    file, _, name = test_id.partition("::")
    path = ROOT / file
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    return f"def {name}(" in text if file.endswith(".py") else f'run "{name}"' in text


def all_passed() -> dict[str, str]:
    """A run in which every test the matrix names that exists here passed; a parametrized one as its cases."""
    outcomes = {}
    for test_id in filter(defined, matrix_test_ids()):
        if test_id.endswith("::test_package_lineage"):
            outcomes[test_id + "[rendered]"] = "passed"
            outcomes[test_id + "[other data set]"] = "passed"
        else:
            outcomes[test_id] = "passed"
    return outcomes


@dataclass
class World:
    cfg: settings.Settings
    steward: Governance
    folder: Path
    arn: str
    decision: approval.Decision
    pending: report.ReportResult
    pending_card: dict[str, Any]
    approved: report.ReportResult
    junit: Path
    seconds: float


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    import time

    folder = tmp_path_factory.mktemp("report")
    path = write_project(folder / "project.yaml", {"training.tuning.enabled": False})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(settings.PROJECT_FILE_ENV, str(path))
        cfg = settings.load()
        write_dataset(cfg.dataset, folder / "data")
        target = targets.from_conventions(cfg, ENV, commit=COMMIT)
        with emulator.emulator(cfg.region, cfg.account_id(ENV)) as aws:
            local.ensure(aws, cfg, ENV)
            runs_as = local.assume(aws, cfg.pipeline_role_arn(ENV), "local-pipeline-run")
            result = runner.run_local(
                definition.definition(cfg, target),
                runs_as,
                pipeline_name=cfg.pipeline_name(ENV),
                bucket=target.bucket,
                region=cfg.region,
                account=cfg.account_id(ENV),
                data_dir=folder / "data",
                work_dir=folder / "runs",
                progress=Progress(io.StringIO()),
                events=Governance(cfg, ENV, runs_as).record,
            )
            assert result.succeeded, result.failure
            signer = local.assume(aws, cfg.approver_role_arn(ENV), STEWARD, source_identity=STEWARD)
            steward = Governance(cfg, ENV, signer)
            pending = report.write_report(steward, "1", folder / "pending", root=ROOT)
            pending_card = steward.client("sagemaker").describe_model_card(ModelCardName=pending.model_card)
            decision = approval.decide(steward, "1", printed_name=STEWARD, meaning="approval", decision="approved")
            junit = junit_xml(folder / "junit.xml", all_passed())
            checkov = folder / "checkov.json"
            checkov.write_text(json.dumps(CHECKOV), encoding="utf-8")
            started = time.perf_counter()
            approved = report.write_report(steward, "1", folder / "reports", junit=junit, checkov=checkov, root=ROOT)
            seconds = time.perf_counter() - started
            yield World(
                cfg,
                steward,
                folder,
                result.model_package_arn,
                decision,
                pending,
                pending_card,
                approved,
                junit,
                seconds,
            )


def facts(result: report.ReportResult) -> dict[str, Any]:
    return json.loads(result.json.read_text(encoding="utf-8"))


def html(result: report.ReportResult) -> str:
    return result.html.read_text(encoding="utf-8")


def rows(result: report.ReportResult) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in facts(result)["traceability"]}


def test_report_hash_matches_html_footer_and_trail(world):
    result = world.approved
    assert result.json.parent.name == f"{world.cfg.resource_name(ENV)}-v1"
    assert result.html.parent == result.json.parent
    assert hashlib.sha256(result.json.read_bytes()).hexdigest() == result.sha256
    assert html(result).startswith("<!DOCTYPE html>")  # the template's own comment leaves nothing behind
    footer = re.search(r'id="report-sha256">([0-9a-f]{64})<', html(result))
    assert footer and footer.group(1) == result.sha256
    entries = world.steward.required_trail().entries()
    written = [e for e in entries if e["action"] == "report.written" and e["details"]["sha256"] == result.sha256]
    assert len(written) == 1
    assert written[0]["seq"] == result.audit_seq
    assert written[0]["subject"] == world.arn
    assert written[0]["details"]["path"].endswith("-v1/report.json")
    assert str(world.folder) not in written[0]["details"]["path"]
    assert world.steward.required_trail().verify(_trusted(world.steward)).ok


def test_signatures_are_visible_in_the_html(world):
    payload = world.decision.signature.payload
    page = html(world.approved)
    utc = f"{payload['time'][:10]} {payload['time'][11:19]} UTC"
    row = re.search(r'<td class="signer">(.*?)</tr>', page, flags=re.DOTALL)
    assert row, "no signature row in the HTML"
    assert STEWARD in row.group(0) and utc in row.group(0) and "approval" in row.group(0)
    assert signatures.MEANINGS["approval"] in row.group(0)
    assert "verifies" in row.group(0) and "does not verify" not in row.group(0)
    (fact,) = facts(world.approved)["signatures"]
    assert fact["printed_name"] == STEWARD and fact["time"] == payload["time"] and fact["meaning"] == "approval"
    assert fact["verifies"] and fact["seq"] == world.decision.audit_seq
    assert facts(world.approved)["approval"] == {"verifies": True, "problem": None}
    assert "No signature on this package yet" in html(world.pending)
    # Without a trail the report reads the signature the package itself carries.
    package = world.steward.package("1")
    (carried,) = report._signatures(None, package, world.arn, _trusted(world.steward))
    assert carried["printed_name"] == STEWARD and carried["time"] == payload["time"] and carried["verifies"]


def test_report_facts(world):
    data = facts(world.approved)
    lineage = data["lineage"]
    assert data["package"]["arn"] == world.arn and data["package"]["status"] == "Approved"
    assert lineage["git-commit"] == COMMIT and len(lineage["dataset-sha256"]) == 64
    assert set(lineage) >= {"image-uri", "dataset-uri", "training-job", "model-sha256", "registered-by"}
    assert data["hyperparameters"] and not any(k.startswith("esig.") for k in lineage)
    primary = data["metrics"]["primary"]
    assert primary["name"] == world.cfg.metric.name and primary["passes"] is True
    assert primary["value"] == data["metrics"]["values"][world.cfg.metric.name]
    assert data["audit"]["ok"] is True and data["audit"]["signatures"] == 1
    assert [s["step"] for s in data["execution"]["steps"]][:2] == ["Preprocess", "Train"]
    assert data["tuning"] is None  # the fixture's run trains without tuning
    assert data["tests"]["tests"] == len(all_passed()) and data["tests"]["failing"] == []
    assert data["checkov"]["passed"] == 42 and data["checkov"]["failed"] == 1 and data["checkov"]["skipped"] == 3
    assert data["checkov"]["failed_checks"][0]["check_id"] == "CKV_AWS_1"
    assert {p["name"] for p in data["plots"]} >= {"metrics", "baseline"}


def test_plots_are_embedded_and_deterministic(world):
    s3 = world.steward.client("s3")
    pending, approved = facts(world.pending), facts(world.approved)
    evaluation = [p for p in approved["plots"] if p["source"].startswith("s3://") and p["name"] != "baseline"]
    assert evaluation, "no ROC/PR or residual plot from the evaluation folder"
    for plot in evaluation:
        bucket, key = storage.split_uri(plot["source"])
        assert hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest() == plot["sha256"]
    page = html(world.approved)
    assert page.count("data:image/png;base64,") == len(approved["plots"])
    assert {p["name"]: p["sha256"] for p in pending["plots"]} == {p["name"]: p["sha256"] for p in approved["plots"]}


def test_matrix_pass_rows_point_at_existing_evidence(world):
    matrix = rows(world.approved)
    assert list(matrix) == PART_11 + LIFECYCLE
    trail = world.steward.required_trail()
    entries, chain_ok = trail.entries(), trail.verify(_trusted(world.steward)).ok
    registered = next(e for e in entries if e["action"] == "model.registered" and e["subject"] == world.arn)
    junit = ElementTree.parse(world.junit).getroot()
    passed = {
        f"{c.get('classname')}::{c.get('name')}"
        if "/" in c.get("classname")
        else f"{c.get('classname').replace('.', '/')}.py::{c.get('name')}"
        for c in junit.iter("testcase")
        if not list(c)
    }
    checked = 0
    for row in matrix.values():
        if row["status"] != "pass":
            continue
        assert row["evidence"] and all(e["status"] == "pass" for e in row["evidence"]), row["id"]
        source = next(r for r in traceability.ROWS if r.id == row["id"])
        for evidence in source.evidence:
            checked += 1
            if evidence.kind == "file":
                path = ROOT / evidence.path
                assert path.is_file(), (row["id"], evidence.path)
                assert evidence.contains is None or evidence.contains in path.read_text(encoding="utf-8")
            elif evidence.kind == "terraform":
                file, _, address = evidence.target.partition(":")
                kind, _, name = address.partition(".")
                text = (ROOT / "terraform" / file).read_text(encoding="utf-8")
                assert re.search(rf'^resource "{kind}" "{name}" ' + re.escape("{"), text, re.M), evidence.target
            elif evidence.kind == "audit":
                subject = {"package": world.arn, "execution": registered["details"]["execution"]}.get(evidence.scope)
                actions = evidence.target.split("|")
                assert chain_ok
                assert any(e["action"] in actions and subject in (None, e["subject"]) for e in entries), evidence
            else:
                assert any(p == evidence.target or p.startswith(evidence.target + "[") for p in passed), evidence
    assert checked, "no row passed: the matrix shows nothing to check"
    assert matrix["LC-registry"]["status"] == "pass"
    approval_tests = [
        e.target for r in traceability.ROWS if r.id == "LC-approval" for e in r.evidence if e.kind == "test"
    ]
    assert (matrix["LC-approval"]["status"] == "pass") == all(map(defined, approval_tests))


def test_rows_without_evidence_are_missing(world):
    for result in (world.pending, world.approved):
        matrix = rows(result)
        for row_id in [*NOT_EXERCISED, "11.10(i)", "11.10(j)", "11.100", "11.200", "11.300"]:
            row = matrix[row_id]
            assert row["status"] == "missing", row_id
            assert any(e["status"] == "missing" and e["detail"] for e in row["evidence"]), row_id
        page = html(result)
        for row_id in NOT_EXERCISED:
            assert re.search(rf'id="row-{re.escape(row_id)}" data-status="missing"', page)
    # No JUnit XML: no test evidence passes, so no row with test evidence passes.
    pending = rows(world.pending)
    for row in pending.values():
        tests = [e for e in row["evidence"] if e["kind"] == "test"]
        assert all(e["status"] == "missing" and "no JUnit XML" in e["detail"] for e in tests)
        if tests:
            assert row["status"] == "missing", row["id"]
    # Pending: the signature rows have no signature to show yet.
    assert pending["LC-approval"]["status"] == "missing" and pending["11.50"]["status"] == "missing"


def test_failed_test_in_junit_makes_its_row_missing(world):
    failing = "tests/test_local_run.py::test_package_lineage"
    skipped = "tests/test_definition.py::test_gate_compares_the_evaluated_metric_with_the_threshold"
    outcomes = {**all_passed(), f"{failing}[other data set]": "failed", skipped: "skipped"}
    junit = junit_xml(world.folder / "junit-failed.xml", outcomes)
    result = report.write_report(world.steward, "1", world.folder / "failed", junit=junit, root=ROOT)
    data = facts(result)
    assert data["tests"]["failures"] == 1 and data["tests"]["skipped"] == 1
    assert data["tests"]["failing"] == [f"{failing}[other data set]"]
    matrix = rows(result)
    for target, outcome in ((failing, "failed"), (skipped, "skipped")):
        citing = [r.id for r in traceability.ROWS if any(e.target == target for e in r.evidence)]
        assert citing, target
        for row_id in citing:
            evidence = next(e for e in matrix[row_id]["evidence"] if e["target"] == target)
            assert evidence["status"] == "missing" and outcome in evidence["detail"], (row_id, evidence)
            assert matrix[row_id]["status"] == "missing", row_id
    assert rows(world.approved)["LC-registry"]["status"] == "pass"
    assert matrix["LC-registry"]["status"] == "missing"  # one parametrized case failed: the test did not pass
    assert f"{failing}[other data set]" in html(result)


def test_model_card_follows_package_status(world):
    name = f"{world.cfg.resource_name(ENV)}-v1"
    assert world.pending.model_card == world.approved.model_card == name
    assert world.pending.card_status == "Draft" and world.pending_card["ModelCardStatus"] == "Draft"
    assert world.approved.card_status == "Approved"
    sm = world.steward.client("sagemaker")
    card = sm.describe_model_card(ModelCardName=name)
    assert card["ModelCardStatus"] == "Approved"
    content = json.loads(card["Content"])
    assert set(content) <= CARD_SECTIONS
    assert set(content) >= CARD_SECTIONS - {"business_details"}
    assert content["model_package_details"]["model_package_arn"] == world.arn
    assert content["model_package_details"]["model_approval_status"] == "Approved"
    assert content["model_overview"]["model_id"] == world.arn and content["model_overview"]["model_version"] == 1
    custom = content["additional_information"]["custom_details"]
    assert custom["validation_report_sha256"] in {world.approved.sha256} | {
        e["details"]["sha256"] for e in world.steward.required_trail().entries() if e["action"] == "report.written"
    }
    metric = next(
        m
        for m in content["evaluation_details"][0]["metric_groups"][0]["metric_data"]
        if m["name"] == world.cfg.metric.name
    )
    assert metric["type"] == "number" and metric["value"] == facts(world.approved)["metrics"]["primary"]["value"]
    versions = sm.list_model_card_versions(ModelCardName=name)["ModelCardVersionSummaryList"]
    assert len(versions) >= 2  # created while pending, updated once approved


def test_untrusted_signing_key_is_shown_as_such(world):
    """With a key the reader does not trust, nothing that rests on the signature or the chain passes."""
    result = report.write_report(world.steward, "1", world.folder / "untrusted", root=ROOT, trusted={"0" * 64})
    data = facts(result)
    (signature,) = data["signatures"]
    assert not signature["verifies"] and "not a trusted key" in signature["problem"]
    assert data["approval"]["verifies"] is False and data["audit"]["ok"] is False
    assert "does not verify" in html(result)
    for row in data["traceability"]:
        for evidence in row["evidence"]:
            if evidence["kind"] == "audit":
                assert evidence["status"] == "missing", (row["id"], evidence)
    assert result.card_status == "PendingReview"
    card = world.steward.client("sagemaker").describe_model_card(ModelCardName=result.model_card)
    assert card["ModelCardStatus"] == "PendingReview"


def test_report_json_is_sorted_and_names_no_local_paths(world):
    text = world.approved.json.read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert str(world.folder) not in text and str(ROOT) not in text
    assert data["tests"]["source"] == "junit.xml" and data["checkov"]["source"] == "checkov.json"


def test_write_report_is_quick(world):
    assert world.seconds < 30, f"write_report took {world.seconds:.1f} s"


# --- parsing and matrix units (no AWS) ----------------------------------------------------------------------------


def test_junit_ids_counts_and_worst_outcome(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_a" name="test_ok"/>'
        '<testcase classname="tests.test_a.TestGroup" name="test_in_class[1]"><skipped/></testcase>'
        '<testcase classname="tests.test_a" name="test_bad"><failure message="x"/></testcase>'
        '<testcase classname="tests.test_a" name="test_bad"><error message="teardown"/></testcase>'
        '<testcase classname="tests/model.tftest.hcl" name="deploy_approved_model"/>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    junit = ci_results.read_junit(path)
    assert junit.outcomes == {
        "tests/test_a.py::test_ok": "passed",
        "tests/test_a.py::TestGroup::test_in_class[1]": "skipped",
        "tests/test_a.py::test_bad": "error",
        "tests/model.tftest.hcl::deploy_approved_model": "passed",
    }
    assert junit.summary["tests"] == 4 and junit.summary["errors"] == 1 and junit.summary["skipped"] == 1
    assert junit.summary["failing"] == ["tests/test_a.py::test_bad"]
    assert (
        traceability.outcome_of("terraform/tests/model.tftest.hcl::deploy_approved_model", junit.outcomes) == "passed"
    )
    assert traceability.outcome_of("tests/test_a.py::test_missing", junit.outcomes) is None
    bad = tmp_path / "bad.xml"
    bad.write_text("<testsuites", encoding="utf-8")
    with pytest.raises(UsageError, match="JUnit"):
        ci_results.read_junit(bad)


def test_checkov_report_as_list_or_single_dict(tmp_path):
    listed, single, empty = tmp_path / "list.json", tmp_path / "one.json", tmp_path / "empty.json"
    listed.write_text(json.dumps(CHECKOV), encoding="utf-8")
    single.write_text(json.dumps(CHECKOV[0]), encoding="utf-8")
    empty.write_text(json.dumps({"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}), encoding="utf-8")
    assert ci_results.read_checkov(listed)["passed"] == 42
    assert ci_results.read_checkov(listed)["check_types"] == ["secrets", "terraform"]
    assert ci_results.read_checkov(single)["failed"] == 1
    assert ci_results.read_checkov(empty)["failed"] == 0
    (tmp_path / "text.json").write_text("not json", encoding="utf-8")
    with pytest.raises(UsageError, match="checkov"):
        ci_results.read_checkov(tmp_path / "text.json")


def test_matrix_is_one_well_formed_definition():
    ids = [row.id for row in traceability.ROWS]
    assert ids == PART_11 + LIFECYCLE and len(set(ids)) == len(ids)
    for row in traceability.ROWS:
        assert row.evidence, row.id
        for evidence in row.evidence:
            if evidence.kind == "terraform":
                assert traceability.TERRAFORM_ADDRESS.match(evidence.target), evidence.target
            elif evidence.kind == "test":
                file, _, name = evidence.target.partition("::")
                assert file.startswith(("tests/", "terraform/tests/")) and name, evidence.target


def test_audit_evidence_needs_a_verified_chain_and_a_trail():
    arn = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/m/1"
    entry = {"seq": 3, "action": "model.registered", "subject": arn}
    evidence = traceability.Evidence("audit", "model.registered")
    ok = traceability.Context(root=ROOT, package_arn=arn, entries=[entry], chain_ok=True)
    assert traceability.check(evidence, ok)[0] == "pass"
    broken = traceability.Context(root=ROOT, package_arn=arn, entries=[entry], chain_ok=False)
    assert traceability.check(evidence, broken) == (
        "missing",
        "model.registered is entry 3, but the chain does not verify",
    )
    off = traceability.Context(root=ROOT, package_arn=arn, entries=[], chain_ok=None)
    assert "switched off" in traceability.check(evidence, off)[1]
    other = traceability.Context(root=ROOT, package_arn=arn + "0", entries=[entry], chain_ok=True)
    assert traceability.check(evidence, other)[0] == "missing"
    no_root = traceability.Context(root=None, package_arn=arn)
    assert traceability.check(traceability.Evidence("file", "README.md"), no_root)[0] == "missing"
