"""Which package a deployment takes, and whether it may: judged from the package, its artifact in S3, the audit
trail and project.yaml, never from what the caller says.

A deployment takes the newest ``Approved`` package of the model's group; a rollback names the package it returns
to. Either is refused, with a one-line reason, when the approval signature does not verify (a trusted key, this
package, this artifact as S3 holds it now), when the metric misses project.yaml's gate as it is now (a threshold
raised since the approval counts, judged on the very report bytes the signature covers), or when the audit trail
does not verify or its latest decision on the package is not the approval signed on it (a rejection since, or a
status set back to Approved without a signed decision).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .. import metrics
from ..errors import MlopsError
from ..governance import approval
from ..governance.chain import Verification
from ..governance.context import Governance
from ..pipeline.local import registry

APPROVED = "Approved"


class DeploymentRefused(MlopsError):
    """A deployment or rollback was refused; the message is the reason and where the refusal was recorded."""


@dataclass(frozen=True)
class Refusal:
    subject: str  # the package ARN, or the model package group when there is no package to name
    reason: str


@dataclass(frozen=True)
class Candidate:
    package: dict[str, Any]
    model_sha256: str  # what the archive must hash to: the signed hash (the registered one without e-signatures)

    @property
    def arn(self) -> str:
        return str(self.package["ModelPackageArn"])

    @property
    def version(self) -> int | None:
        return self.package.get("ModelPackageVersion")


def newest_approved(gov: Governance) -> dict[str, Any] | Refusal:
    """The group's Approved package with the highest version."""
    sm = gov.client("sagemaker")
    try:
        found = registry.packages(sm, gov.group)
    except sm.exceptions.ClientError as exc:
        if "does not exist" not in str(exc):
            raise
        found = []
    approved = [p for p in found if p.get("ModelApprovalStatus") == APPROVED]
    if not approved:
        return Refusal(gov.group, f"no {APPROVED} package in {gov.group}; approve one (`{gov.cfg.slug} approve N`)")
    return approved[-1]


def check(
    gov: Governance,
    package: dict[str, Any],
    *,
    trusted: set[str],
    verification: Verification | None,
    entries: Sequence[dict[str, Any]],
) -> Candidate | Refusal:
    """The package as a deployable candidate, or why not. ``verification``/``entries``: the trail (None: it is off)."""
    arn = str(package["ModelPackageArn"])
    try:
        sha256, report = _approved(gov, package, trusted)
    except approval.ApprovalInvalid as exc:
        return Refusal(arn, str(exc))
    except (ClientError, BotoCoreError, ValueError) as exc:
        return Refusal(arn, f"{arn}: the model artifact cannot be read to hash it ({exc})")
    missed = _gate(gov, package, report)
    if missed:
        return Refusal(arn, missed)
    if verification is not None:
        if not verification.ok:
            return Refusal(
                arn, f"the audit trail does not verify: {verification.first} (see `{gov.cfg.slug} audit verify`)"
            )
        why = _latest_decision(gov, package, entries)
        if why:
            return Refusal(arn, why)
    return Candidate(package, sha256)


def _latest_decision(gov: Governance, package: dict[str, Any], entries: Sequence[dict[str, Any]]) -> str | None:
    """Why the trail's latest decision on the package is not the approval the package carries, or None."""
    arn = str(package["ModelPackageArn"])
    decisions = [e for e in entries if e.get("action") in approval.ACTION.values() and e.get("subject") == arn]
    if not decisions:
        return f"{arn}: the audit trail holds no model.approved entry for it"
    latest = max(decisions, key=lambda e: int(e.get("seq", 0)))
    if latest.get("action") != approval.ACTION["approved"]:
        return (
            f"{arn}: the audit trail's latest decision on it is {latest.get('action')} (entry {latest.get('seq')}), "
            "not an approval"
        )
    if gov.cfg.e_signatures:
        carried = package.get("CustomerMetadataProperties", {}).get(f"{approval.METADATA_PREFIX}.approved.signature")
        recorded = (latest.get("details") or {}).get("signature") or {}
        if not carried or recorded.get("signature") != carried:
            return (
                f"{arn}: the signature on the package is not the one of the latest approval in the audit trail "
                f"(entry {latest.get('seq')})"
            )
    return None


def _approved(gov: Governance, package: dict[str, Any], trusted: set[str]) -> tuple[str, dict[str, Any] | None]:
    """The artifact hash the approval vouches for, after checking the artifact in S3 still has it, and the
    evaluation report (with e-signatures: parsed from bytes checked against the signed hash)."""
    s3 = gov.client("s3")
    if gov.cfg.e_signatures:
        signed = approval.verify_approval(package, trusted=trusted, s3=s3)
        report = approval.signed_report(s3, package, str(signed.payload.get("evaluation_sha256") or ""))
        return str(signed.payload["model_sha256"]), report
    # e-signatures off (compliance standard): the approval is unsigned, the artifact must still be the registered one.
    arn = package.get("ModelPackageArn")
    if package.get("ModelApprovalStatus") != APPROVED:
        raise approval.ApprovalInvalid(f"{arn} is {package.get('ModelApprovalStatus')}, not {APPROVED}")
    registered = package.get("CustomerMetadataProperties", {}).get("model-sha256", "")
    uri = approval.model_data_url(package)
    if not registered or not uri:
        raise approval.ApprovalInvalid(f"{arn}: no model artifact, or no registered SHA-256 of it (model-sha256)")
    if approval.artifact_sha256(s3, uri) != registered:
        raise approval.ApprovalInvalid(f"{arn}: the artifact {uri} is not the one that was registered")
    return str(registered), registry.evaluation_report(s3, package)


def _gate(gov: Governance, package: dict[str, Any], report: dict[str, Any] | None) -> str | None:
    """Why the package's evaluated metric (in ``report``, the checked report) misses project.yaml's gate, or None."""
    arn, metric = package.get("ModelPackageArn"), gov.cfg.metric
    measured = registry.metric_value(report, metrics.json_path(gov.cfg.problem_type, metric.name))
    if measured is None:
        return f"{arn}: its evaluation report holds no {metric.name}, so the metric gate cannot be checked"
    if not metric.passes(measured):
        return (
            f"{arn}: {metric.name} = {measured:.4g} misses the gate ({metric.goal}, threshold {metric.threshold:g} "
            "in project.yaml)"
        )
    return None
