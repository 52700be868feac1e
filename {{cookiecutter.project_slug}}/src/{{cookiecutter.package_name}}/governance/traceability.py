"""The traceability matrix: 21 CFR Part 11 clauses and lifecycle requirements against the evidence for each.

``ROWS`` is the one definition of the matrix. Each row names its evidence; each piece of evidence is checked when a
report is written, never assumed:

* ``file``: a path relative to the project root exists (and, with ``contains``, holds that text);
* ``terraform``: ``terraform/<file>`` declares ``resource "<type>" "<name>"`` (or ``data "<type>" "<name>"``),
  written ``<file>:<type>.<name>`` or ``<file>:data.<type>.<name>``;
* ``audit``: the trail holds an entry with that action (``a|b``: either) for this package (``scope="package"``), for
  the pipeline execution that registered it (``"execution"``) or for any subject (``"any"``), and the chain verifies;
* ``test``: a test id (``tests/test_x.py::test_y``) passed in the JUnit XML given; no JUnit XML, not run, skipped or
  failed is missing.

A row passes only when every piece of its evidence is found; anything else is ``missing``, with what would satisfy
it. Rows for what is not built yet name the evidence that will satisfy them once it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASS, MISSING = "pass", "missing"
KINDS = ("file", "terraform", "audit", "test")
SCOPES = ("package", "execution", "any")
TERRAFORM_DIR = "terraform"
# File targets name the package folder as {src}: src/<package> of this repository.
SRC = "src/" + __name__.split(".")[0]


@dataclass(frozen=True)
class Evidence:
    kind: str  # one of KINDS
    target: str
    note: str = ""
    contains: str | None = None  # file: text the file must hold
    scope: str = "package"  # audit: whose entries count (SCOPES)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"evidence kind {self.kind!r}: use one of {', '.join(KINDS)}")
        if self.scope not in SCOPES:
            raise ValueError(f"audit scope {self.scope!r}: use one of {', '.join(SCOPES)}")

    @property
    def path(self) -> str:
        """The target with ``{src}`` filled in (file evidence)."""
        return self.target.replace("{src}", SRC)

    def describe(self) -> str:
        if self.kind == "file":
            return f"{self.path} contains {self.contains!r}" if self.contains else self.path
        if self.kind == "terraform":
            file, _, address = self.target.partition(":")
            return f"{TERRAFORM_DIR}/{file} {address}"
        if self.kind == "audit":
            whose = {"package": "for this package", "execution": "for its pipeline execution", "any": "(any subject)"}
            return f"audit entry {self.target} {whose[self.scope]}"
        return self.target


@dataclass(frozen=True)
class Row:
    id: str
    clause: str  # "21 CFR 11.10(a)", or "lifecycle"
    requirement: str
    evidence: tuple[Evidence, ...]
    note: str = ""


@dataclass
class Context:
    """What the checks look at: the project files, the trail and the test results."""

    root: Path | None  # the project root; None: not found (file and terraform evidence is missing)
    package_arn: str
    entries: Sequence[dict[str, Any]] = ()
    chain_ok: bool | None = None  # None: no audit trail (switched off)
    tests: Mapping[str, str] | None = None  # test id -> passed | failed | error | skipped; None: no JUnit XML
    execution: str | None = field(default=None)  # the pipeline execution that registered the package


# --- the matrix ----------------------------------------------------------------------------------------------------

_PLAN = "docs/validation/validation-plan.md"
_TAMPER = "tests/test_audit.py::test_tamper_detected_property"
_WRITERS = "tests/test_audit.py::test_concurrent_writers_one_chain"
_REFUSALS = "tests/test_audit.py::test_approval_refusals"
_OFFLINE = "tests/test_audit.py::test_approval_verifies_offline"
_SIGNED = "model.approved|model.rejected"
_IDP = Evidence(
    "file",
    "docs/validation/identity-provider-controls.md",
    "procedural: the organisation's identity provider (SSO) controls, outside this repository; add this file "
    "(or a reference to the IdP's validation) to satisfy it",
)
_DEPLOYMENTS = "tests/test_deployment.py"

ROWS: tuple[Row, ...] = (
    Row(
        "11.10(a)",
        "21 CFR 11.10(a)",
        "Validation: accuracy, reliability, consistent intended performance, and the ability to discern invalid or "
        "altered records",
        (
            Evidence("file", _PLAN, "the validation plan (IQ, OQ, PQ)", contains="Installation qualification"),
            Evidence("test", _TAMPER, "altered, inserted or removed trail entries are detected"),
            Evidence("test", "tests/test_reproducible.py::test_same_model_file_and_archive", "same inputs, same model"),
            Evidence("audit", "model.registered", "PQ: this model passed the metric gate before it was registered"),
        ),
    ),
    Row(
        "11.10(b)",
        "21 CFR 11.10(b)",
        "Accurate and complete copies of records in human readable and electronic form",
        (
            Evidence("file", "{src}/governance/report.py", "this report: HTML for people, JSON with the same facts"),
            Evidence(
                "test",
                "tests/test_report.py::test_report_hash_matches_html_footer_and_trail",
                "the JSON's SHA-256 is in the HTML and in the trail",
            ),
            Evidence(
                "file", "{src}/cli.py", "`audit show --json` exports the trail's entries", contains="def audit_show"
            ),
        ),
    ),
    Row(
        "11.10(c)",
        "21 CFR 11.10(c)",
        "Protection of records for accurate and ready retrieval throughout the retention period",
        (
            Evidence(
                "terraform",
                "storage.tf:aws_s3_bucket_object_lock_configuration.this",
                "Object Lock retention on the artifact and audit buckets (COMPLIANCE mode with gxp)",
            ),
            Evidence(
                "terraform", "storage.tf:aws_s3_bucket_versioning.this", "overwritten or deleted objects stay versions"
            ),
            Evidence("terraform", "storage.tf:aws_s3_bucket_policy.this", "audit entries are create-only"),
        ),
    ),
    Row(
        "11.10(d)",
        "21 CFR 11.10(d)",
        "Limiting system access to authorized individuals",
        (
            Evidence("terraform", "iam.tf:aws_iam_role.approver", "the steward's role, MFA and source identity"),
            Evidence("terraform", "iam.tf:aws_iam_role.pipeline", "the pipeline's own role; it may not approve"),
            Evidence("terraform", "storage.tf:aws_s3_bucket_public_access_block.this", "no public access to records"),
            Evidence("terraform", "kms.tf:aws_kms_key.model", "records encrypted with the model's key"),
        ),
        "People reach these roles through the organisation's identity provider (rows 11.200, 11.300).",
    ),
    Row(
        "11.10(e)",
        "21 CFR 11.10(e)",
        "Secure, computer-generated, time-stamped audit trails of operator entries and actions, retained as long "
        "as the records",
        (
            Evidence(
                "file",
                "{src}/governance/trail.py",
                "hash-chained entries, conditional create, time from the system clock, actor from STS",
            ),
            Evidence("audit", "model.registered", "this model's registration is in the verified trail"),
            Evidence("test", _WRITERS, "concurrent writers can never fork the chain"),
            Evidence(
                "terraform",
                "storage.tf:aws_s3_bucket_object_lock_configuration.this",
                "entries are retained under Object Lock",
            ),
            Evidence(
                "file",
                "terraform/main.tf",
                "CloudTrail (every API call, log file validation, Object Lock) is the account foundation's; this "
                "root reads its ARN from SSM <prefix>/<env>/cloudtrail-arn (a plan fails without it) and outputs it",
                contains="cloudtrail-arn",
            ),
        ),
    ),
    Row(
        "11.10(f)",
        "21 CFR 11.10(f)",
        "Operational system checks enforce the permitted sequencing of steps and events",
        (
            Evidence(
                "file",
                "{src}/pipeline/definition.py",
                "registration only after the metric gate; otherwise the pipeline fails",
                contains="FailStep",
            ),
            Evidence("test", "tests/test_definition.py::test_gate_compares_the_evaluated_metric_with_the_threshold"),
            Evidence("test", _REFUSALS, "signing only a pending package with its gate result and unchanged artifact"),
            Evidence("audit", "step.finished", "this model's pipeline steps, in order", scope="execution"),
        ),
    ),
    Row(
        "11.10(g)",
        "21 CFR 11.10(g)",
        "Authority checks: only authorized individuals sign, alter records or perform the operation",
        (
            Evidence("terraform", "kms.tf:aws_kms_key.signing", "key policy: only the approver role may sign"),
            Evidence("terraform", "iam.tf:aws_iam_role.approver"),
            Evidence(
                "file",
                "terraform/iam.tf",
                "every other role denies UpdateModelPackage and kms:Sign",
                contains="OnlyTheApproverApprovesOrSigns",
            ),
            Evidence("test", _REFUSALS, "self-approval and unqualified packages are refused"),
        ),
    ),
    Row(
        "11.10(h)",
        "21 CFR 11.10(h)",
        "Device checks: validity of the source of data input or operational instruction",
        (
            Evidence(
                "file",
                "{src}/governance/trail.py",
                "every entry's actor comes from STS, never from arguments",
                contains="get_caller_identity",
            ),
            Evidence("audit", "model.registered", "lineage: data set SHA-256, commit and image of this model"),
            Evidence("test", "tests/test_local_run.py::test_package_lineage"),
        ),
    ),
    Row(
        "11.10(i)",
        "21 CFR 11.10(i)",
        "People who develop, maintain or use the system have the education, training and experience for their tasks",
        (
            Evidence(
                "file",
                "docs/validation/training-records.md",
                "procedural: training records of developers and stewards (or a reference to them); add this file to "
                "satisfy it",
            ),
        ),
    ),
    Row(
        "11.10(j)",
        "21 CFR 11.10(j)",
        "Written policies hold individuals accountable for actions under their electronic signatures",
        (
            Evidence(
                "file", _PLAN, "the plan states the accountability", contains="## Electronic signature accountability"
            ),
            Evidence(
                "file",
                "docs/validation/signature-policy.md",
                "procedural: the organisation's signed policy (or a reference to it); add this file to satisfy it",
            ),
        ),
    ),
    Row(
        "11.10(k)",
        "21 CFR 11.10(k)",
        "Controls over systems documentation: distribution, access, revision and change control",
        (
            Evidence("file", ".gitlab/CODEOWNERS", "changes need the model owner's approval"),
            Evidence("file", ".gitlab/merge_request_templates/Default.md", "every change goes through a merge request"),
            Evidence("file", _PLAN, "change control", contains="## Change control"),
        ),
    ),
    Row(
        "11.50",
        "21 CFR 11.50",
        "Signature manifestations: printed name, date and time, and meaning of every signature, shown in every "
        "human readable form",
        (
            Evidence("audit", _SIGNED, "the signed decision on this package"),
            Evidence("file", "{src}/governance/signatures.py", "the signed payload", contains="printed_name"),
            Evidence(
                "test",
                "tests/test_report.py::test_signatures_are_visible_in_the_html",
                "the report shows name, UTC time and meaning",
            ),
        ),
    ),
    Row(
        "11.70",
        "21 CFR 11.70",
        "Signature/record linking: signatures cannot be excised, copied or transferred to falsify a record",
        (
            Evidence("test", _OFFLINE, "the signature binds the package ARN and the artifact's SHA-256"),
            Evidence("audit", _SIGNED, "the signature is an entry of the hash chain"),
            Evidence("terraform", "kms.tf:aws_kms_key.signing", "asymmetric key: verifiable offline"),
        ),
    ),
    Row(
        "11.100",
        "21 CFR 11.100",
        "Each electronic signature is unique to one individual; identity verified before issue; certification to "
        "the FDA",
        (
            Evidence("terraform", "iam.tf:aws_iam_role.approver"),
            Evidence(
                "file",
                "terraform/iam.tf",
                "the steward's source identity is required to assume the approver role",
                contains="sts:SourceIdentity",
            ),
            Evidence(
                "file",
                "docs/validation/signature-certification.md",
                "procedural: identity verification before issuing signatures (b) and the organisation's "
                "certification to the FDA (c); add this file (or a reference) to satisfy it",
            ),
        ),
    ),
    Row(
        "11.200",
        "21 CFR 11.200",
        "Electronic signature components and controls: two distinct identification components, used only by their "
        "owners",
        (
            Evidence(
                "file",
                "terraform/iam.tf",
                "the approver role needs MFA on top of the sign-in",
                contains="aws:MultiFactorAuthPresent",
            ),
            Evidence("test", _REFUSALS, "signing as another identity (self-approval) is refused"),
            _IDP,
        ),
    ),
    Row(
        "11.300",
        "21 CFR 11.300",
        "Controls for identification codes and passwords: uniqueness, revision, loss management, transaction "
        "safeguards, device testing",
        (
            Evidence(
                "file",
                "{src}/governance/approval.py",
                "(d) refused attempts are recorded",
                contains="signature.refused",
            ),
            Evidence("terraform", "events.tf:aws_sns_topic.events", "(d) and published to the model's topic"),
            Evidence("test", _REFUSALS),
            _IDP,
        ),
    ),
    Row(
        "LC-registry",
        "lifecycle",
        "Model registry: every model version is registered pending approval, with metrics, drift baseline and lineage",
        (
            Evidence("terraform", "ecr.tf:aws_sagemaker_model_package_group.this"),
            Evidence("audit", "model.registered", "this package's registration"),
            Evidence("test", "tests/test_definition.py::test_registration_carries_metrics_baseline_and_lineage"),
            Evidence("test", "tests/test_local_run.py::test_package_lineage"),
        ),
    ),
    Row(
        "LC-approval",
        "lifecycle",
        "Approval: a steward approves with an electronic signature; the approver role is distinct from every role "
        "that trains or registers models",
        (
            Evidence("audit", "model.approved", "this package's signed approval"),
            Evidence("terraform", "iam.tf:aws_iam_role.approver"),
            Evidence("test", _REFUSALS),
            Evidence("test", _OFFLINE),
        ),
    ),
    Row(
        "LC-deployment-gate",
        "lifecycle",
        "Deployment gate: a deployment verifies the approval signature before the endpoint moves",
        (
            Evidence(
                "file",
                "{src}/governance/approval.py",
                "the check a deployment runs",
                contains="def verify_approval",
            ),
            Evidence(
                "file",
                "{src}/deployment/candidates.py",
                "`deploy` and `rollback` call it with the artifact re-hashed, then check the trail and the metric gate",
                contains="approval.verify_approval",
            ),
            Evidence("terraform", "events.tf:aws_cloudwatch_event_rule.approved", "an approval starts the deployment"),
            Evidence(
                "test",
                f"{_DEPLOYMENTS}::test_deploy_refuses",
                "unapproved, unsigned, re-signed, changed-artifact and below-gate packages are refused and recorded",
            ),
            Evidence(
                "audit",
                "deployment.started|deployment.refused",
                "this model's deployments go through the gate: each is recorded as started or refused",
                scope="any",
            ),
        ),
    ),
    Row(
        "LC-drift",
        "lifecycle",
        "Drift monitoring: captured requests are compared with the training baseline (PSI, KS, Jensen-Shannon); the "
        "alarm starts retraining",
        (
            Evidence("file", "{src}/baseline.py", "the training baseline each package carries"),
            Evidence(
                "file", "terraform/sagemaker.tf", "the endpoint captures requests", contains="data_capture_config"
            ),
            Evidence("terraform", "monitoring.tf:aws_cloudwatch_metric_alarm.drift"),
            Evidence("terraform", "events.tf:aws_cloudwatch_event_rule.drift"),
            Evidence(
                "test",
                "tests/test_monitor.py::test_drift_job_flags_shifted_features",
                "the drift job is not built yet (monitoring); its test against this baseline satisfies this",
            ),
        ),
        "Missing until the drift job (monitoring) lands.",
    ),
    Row(
        "LC-rollback",
        "lifecycle",
        "Rollback: CloudWatch alarms roll a deployment back (SageMaker deployment guardrails), the deployment records "
        "it, and `rollback` returns to the previous approved package",
        (
            Evidence("terraform", "sagemaker.tf:aws_sagemaker_endpoint.this"),
            Evidence("file", "terraform/sagemaker.tf", "alarm rollback", contains="auto_rollback_configuration"),
            Evidence("terraform", "monitoring.tf:aws_cloudwatch_metric_alarm.errors_5xx"),
            Evidence("terraform", "monitoring.tf:aws_cloudwatch_metric_alarm.latency"),
            Evidence(
                "test",
                "terraform/tests/model.tftest.hcl::deploy_approved_model",
                "terraform test asserts the rollback alarms; counts when its result is in the JUnit XML",
            ),
            Evidence(
                "file",
                "{src}/deployment/endpoint.py",
                "after the apply, `deploy` asks the endpoint what it serves and records an alarm rollback",
                contains="rolled the deployment back",
            ),
            Evidence("test", f"{_DEPLOYMENTS}::test_the_endpoint_check_tells_an_alarm_rollback_from_a_deployment"),
            Evidence("test", f"{_DEPLOYMENTS}::test_rollback_restores_the_previous_version"),
            Evidence(
                "audit",
                "deployment.finished",
                "this model's deployments are recorded with their outcome (an alarm rollback as failed)",
                scope="any",
            ),
        ),
    ),
)


# --- checks --------------------------------------------------------------------------------------------------------


def _inside(root: Path, relative: str) -> Path | None:
    path = (root / relative).resolve()
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return None
    return path


def _read(root: Path | None, relative: str) -> tuple[str | None, str]:
    """(text, why not) of a project file."""
    if root is None:
        return None, "the project root was not found (run from the repository)"
    path = _inside(root, relative)
    if path is None or not path.is_file():
        return None, f"{relative} does not exist"
    try:
        return path.read_text(encoding="utf-8"), ""
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{relative} cannot be read ({exc.__class__.__name__})"


def _file(evidence: Evidence, ctx: Context) -> tuple[str, str]:
    text, why = _read(ctx.root, evidence.path)
    if text is None:
        return MISSING, why
    if evidence.contains and evidence.contains not in text:
        return MISSING, f"{evidence.path} does not contain {evidence.contains!r}"
    return PASS, f"{evidence.path} exists" + (f" and contains {evidence.contains!r}" if evidence.contains else "")


TERRAFORM_ADDRESS = re.compile(r"^(?P<file>[\w.-]+\.tf):(?P<data>data\.)?(?P<type>[a-z0-9_]+)\.(?P<name>[\w-]+)$")


def terraform_block(text: str, address: str) -> bool:
    """Whether Terraform source declares ``<type>.<name>`` (``data.<type>.<name>`` for a data source)."""
    data = address.startswith("data.")
    kind, _, name = address.removeprefix("data.").partition(".")
    keyword = "data" if data else "resource"
    pattern = rf'^\s*{keyword}\s+"{re.escape(kind)}"\s+"{re.escape(name)}"\s*' + re.escape("{")
    return re.search(pattern, text, flags=re.MULTILINE) is not None


def _terraform(evidence: Evidence, ctx: Context) -> tuple[str, str]:
    match = TERRAFORM_ADDRESS.match(evidence.target)
    if not match:
        raise ValueError(f"terraform evidence {evidence.target!r}: write <file>.tf:<type>.<name>")
    relative = f"{TERRAFORM_DIR}/{match['file']}"
    text, why = _read(ctx.root, relative)
    if text is None:
        return MISSING, why
    address = evidence.target.split(":", 1)[1]
    if not terraform_block(text, address):
        return MISSING, f"{relative} declares no {address}"
    return PASS, f"{relative} declares {address}"


def _audit(evidence: Evidence, ctx: Context) -> tuple[str, str]:
    if ctx.chain_ok is None:
        return MISSING, "the audit trail is switched off (governance.audit_trail)"
    actions = set(evidence.target.split("|"))
    if evidence.scope == "package":
        subject: str | None = ctx.package_arn
    elif evidence.scope == "execution":
        if not ctx.execution:
            return MISSING, "no model.registered entry names the pipeline execution of this package"
        subject = ctx.execution
    else:
        subject = None
    found = [e for e in ctx.entries if e.get("action") in actions and (subject is None or e.get("subject") == subject)]
    if not found:
        return MISSING, f"no {evidence.target} entry {'for this subject ' if subject else ''}in the trail"
    if not ctx.chain_ok:
        return MISSING, f"{evidence.target} is entry {found[0].get('seq')}, but the chain does not verify"
    seqs = ", ".join(str(e.get("seq")) for e in found[:5]) + (", ..." if len(found) > 5 else "")
    return PASS, f"entry {seqs} ({found[0].get('action')}), chain verified"


def _split_id(test_id: str) -> tuple[str, str]:
    path, _, name = test_id.partition("::")
    return path, name


def _same_file(a: str, b: str) -> bool:
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def outcome_of(test_id: str, tests: Mapping[str, str]) -> str | None:
    """The outcome of ``test_id`` in JUnit results: every parametrized case of it must pass; None if not run."""
    path, name = _split_id(test_id)
    outcomes = []
    for case, outcome in tests.items():
        case_path, case_name = _split_id(case)
        if _same_file(case_path, path) and (case_name == name or case_name.split("[", 1)[0] == name):
            outcomes.append(outcome)
    if not outcomes:
        return None
    for worst in ("error", "failed", "skipped"):
        if worst in outcomes:
            return worst
    return "passed"


def _test(evidence: Evidence, ctx: Context) -> tuple[str, str]:
    if ctx.tests is None:
        return MISSING, "no JUnit XML given: test results are unknown"
    outcome = outcome_of(evidence.target, ctx.tests)
    if outcome is None:
        return MISSING, "not in the JUnit XML"
    if outcome != "passed":
        return MISSING, f"{outcome} in the JUnit XML"
    return PASS, "passed in the JUnit XML"


_CHECKS = {"file": _file, "terraform": _terraform, "audit": _audit, "test": _test}


def check(evidence: Evidence, ctx: Context) -> tuple[str, str]:
    """(pass | missing, what was found) for one piece of evidence."""
    return _CHECKS[evidence.kind](evidence, ctx)


def evaluate(ctx: Context, rows: Sequence[Row] = ROWS) -> list[dict[str, Any]]:
    """The matrix as data (the report's JSON and HTML): every row, its evidence and their status."""
    out = []
    for row in rows:
        items = []
        for evidence in row.evidence:
            status, detail = check(evidence, ctx)
            items.append(
                {
                    "kind": evidence.kind,
                    "target": evidence.target,
                    "what": evidence.describe(),
                    "note": evidence.note,
                    "status": status,
                    "detail": detail,
                }
            )
        passed = bool(items) and all(i["status"] == PASS for i in items)
        out.append(
            {
                "id": row.id,
                "clause": row.clause,
                "requirement": row.requirement,
                "note": row.note,
                "status": PASS if passed else MISSING,
                "evidence": items,
            }
        )
    return out


def summary(matrix: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return {
        PASS: sum(1 for r in matrix if r["status"] == PASS),
        MISSING: sum(1 for r in matrix if r["status"] != PASS),
    }
