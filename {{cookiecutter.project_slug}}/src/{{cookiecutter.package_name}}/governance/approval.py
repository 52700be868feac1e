"""The steward's decision on a model package: approve or reject, with an electronic signature.

Every check runs before anything is signed; a refused attempt is recorded in the audit trail as
``signature.refused`` and published to the model's topic, then reported in one line. The package status changes
only after the signature is in the trail. ``verify_approval`` is what a deployment calls: it trusts nothing but
the package, the artifact in S3 and the public key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .. import metrics
from ..errors import MlopsError
from ..pipeline.local import registry, storage
from . import signatures
from .chain import canonical
from .context import Governance
from .trail import AuditError, principal, utc_now

PENDING = "PendingManualApproval"
STATUS = {"approved": "Approved", "rejected": "Rejected"}
ACTION = {"approved": "model.approved", "rejected": "model.rejected"}
MAX_NAME = 128
MAX_REASON = 400
CLOCK_SKEW = timedelta(hours=1)  # registry and trail clocks are different machines' clocks
MAX_DESCRIPTION = 1024  # the signed payload goes into ApprovalDescription, which holds at most this
METADATA_PREFIX = "esig"


class SigningRefused(MlopsError):
    """A signature was refused (and the attempt recorded); the message says why."""


class ApprovalInvalid(MlopsError):
    """A package's approval does not verify: the deployment must not go on."""


@dataclass(frozen=True)
class Decision:
    package_arn: str
    version: int | None
    decision: str
    status: str
    identity: str
    audit_seq: int | None
    signature: signatures.Signature | None


def artifact_sha256(s3: Any, uri: str) -> str:
    """SHA-256 of an S3 object, streamed (a model archive can be large)."""
    bucket, key = storage.split_uri(uri)
    digest = hashlib.sha256()
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    for chunk in iter(lambda: body.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def report_bytes(s3: Any, package: dict[str, Any]) -> bytes:
    """The package's evaluation report as S3 holds it now (raises ClientError, ValueError when it cannot be read)."""
    uri = registry.evaluation_uri(package)
    if not uri:
        raise ValueError("the package names no evaluation report (ModelMetrics.ModelQuality.Statistics)")
    bucket, key = storage.split_uri(uri)
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def parse_report(body: bytes) -> dict[str, Any] | None:
    """An evaluation report's JSON object, or None when the bytes hold none."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def signed_report(s3: Any, package: dict[str, Any], evaluation_sha256: str) -> dict[str, Any] | None:
    """The evaluation report, read once and parsed from the very bytes whose SHA-256 is checked against the signed
    one: the metric gate judges exactly what the steward signed. Raises ApprovalInvalid when it changed."""
    arn = package.get("ModelPackageArn", "?")
    try:
        body = report_bytes(s3, package)
    except (ClientError, BotoCoreError, ValueError) as exc:
        raise ApprovalInvalid(f"{arn}: the evaluation report cannot be read to hash it ({exc})") from exc
    if not evaluation_sha256 or hashlib.sha256(body).hexdigest() != evaluation_sha256:
        raise ApprovalInvalid(f"{arn}: the evaluation report changed after signing")
    return parse_report(body)


def model_data_url(package: dict[str, Any]) -> str | None:
    containers = package.get("InferenceSpecification", {}).get("Containers", [])
    return containers[0].get("ModelDataUrl") if containers else None


def _lineage(package: dict[str, Any]) -> dict[str, str]:
    return dict(package.get("CustomerMetadataProperties", {}))


def _checks(
    gov: Governance,
    package: dict[str, Any],
    identity: str,
    name: str | None,
    meaning: str | None,
    decision: str,
    reason: str | None,
) -> tuple[str | None, str, str, str]:
    """(why refused or None, model sha256 recomputed, evaluation report sha256, dataset sha256) for a decision."""
    lineage = _lineage(package)
    if not (name or "").strip():
        return "the printed name of the signer is missing (--name)", "", "", ""
    if len(name or "") > MAX_NAME or not (name or "").isprintable():
        return f"the printed name must be at most {MAX_NAME} printable characters", "", "", ""
    if not meaning:
        return f"the meaning of the signature is missing (--meaning {'|'.join(signatures.MEANINGS)})", "", "", ""
    if meaning not in signatures.MEANINGS:
        return f"the meaning {meaning!r} is not one of {', '.join(signatures.MEANINGS)}", "", "", ""
    if decision == "rejected" and not (reason or "").strip():
        return "a rejection needs a reason (--reason)", "", "", ""
    if reason and (len(reason) > MAX_REASON or not reason.isprintable()):
        return f"the reason must be at most {MAX_REASON} printable characters", "", "", ""
    status = package.get("ModelApprovalStatus")
    if status != PENDING:
        return f"the package is {status}, not {PENDING}", "", "", ""
    registered_by = lineage.get("registered-by", "")
    if not registered_by:
        return (
            "the package does not record who registered it (registered-by): self-approval cannot be ruled out",
            "",
            "",
            "",
        )
    registrars = {principal(registered_by)} | {principal(actor) for actor in _registered_by_trail(gov, package)}
    if principal(identity) in registrars:
        return f"self-approval: {identity} is the identity that registered the package", "", "", ""
    try:
        report_body = report_bytes(gov.client("s3"), package)
    except (ClientError, BotoCoreError, ValueError):
        report_body = b""  # no report: reported below as no metric gate result
    report = parse_report(report_body)
    value = metrics.json_path(gov.cfg.problem_type, gov.cfg.metric.name)
    measured = registry.metric_value(report, value)
    if measured is None:
        return (
            f"the package's evaluation report holds no {gov.cfg.metric.name}: the metric gate result is missing",
            "",
            "",
            "",
        )
    if not gov.cfg.metric.passes(measured):
        return (
            f"{gov.cfg.metric.name} = {measured:.4g} does not pass the gate ({gov.cfg.metric.goal}, "
            f"threshold {gov.cfg.metric.threshold:g})",
            "",
            "",
            "",
        )
    registered_sha = lineage.get("model-sha256", "")
    uri = model_data_url(package)
    if not registered_sha or not uri:
        return "the package records no model artifact SHA-256 (model-sha256) or no artifact", "", "", ""
    try:
        now_sha = artifact_sha256(gov.client("s3"), uri)
    except (ClientError, BotoCoreError, ValueError) as exc:
        return f"the model artifact {uri} cannot be read to hash it ({exc})", "", "", ""
    if now_sha != registered_sha:
        why = f"the model artifact's SHA-256 is {now_sha[:16]}..., the registered one {registered_sha[:16]}..."
        return why, "", "", ""
    dataset_sha = lineage.get("dataset-sha256", "")
    if not dataset_sha:
        return "the package's lineage has no dataset-sha256", "", "", ""
    return None, now_sha, hashlib.sha256(report_body).hexdigest(), dataset_sha


def _since_registration(package: dict[str, Any]) -> str:
    """The UTC time from which the trail can hold entries about the package (its creation, less clock skew)."""
    created = package.get("CreationTime")
    if not isinstance(created, datetime):
        return ""
    return (created.astimezone(UTC) - CLOCK_SKEW).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _about(gov: Governance, package: dict[str, Any], actions: set[str]) -> list[dict[str, Any]]:
    """Entries with one of ``actions`` about the package, newest first (none when the trail is off)."""
    if gov.trail is None:
        return []
    arn = package["ModelPackageArn"]
    return [
        e
        for e in gov.trail.since(_since_registration(package))
        if e.get("action") in actions and e.get("subject") == arn
    ]


def _registered_by_trail(gov: Governance, package: dict[str, Any]) -> list[str]:
    """Who the audit trail says registered the package (the identity STS saw, not what the definition claims)."""
    return [str(e.get("actor")) for e in _about(gov, package, {"model.registered"})]


def _refuse(gov: Governance, subject: str, identity: str, why: str, attempt: dict[str, Any]) -> SigningRefused:
    """Record and publish the refused attempt (best effort: a missing permission must not hide the refusal)."""
    notes = []
    details = {"reason": why, **attempt}
    try:
        entry = gov.record("signature.refused", subject, details)
        if entry:
            notes.append(f"recorded as audit entry {entry['seq']}")
    except (AuditError, ClientError, BotoCoreError) as exc:
        notes.append(f"could not be recorded in the audit trail: {exc}")
    try:
        gov.client("sns").publish(
            TopicArn=gov.topic_arn,
            Subject=f"Refused signing attempt: {gov.cfg.slug} ({gov.env})"[:100],
            Message=json.dumps({"event": "signature.refused", "subject": subject, "identity": identity, **details}),
        )
        notes.append("published to the model's topic")
    except (ClientError, BotoCoreError) as exc:
        notes.append(f"could not be published ({exc.__class__.__name__})")
    return SigningRefused(f"refused: {why} ({'; '.join(notes)})")


def decide(
    gov: Governance,
    ref: str,
    *,
    printed_name: str | None,
    meaning: str | None,
    decision: str,
    reason: str | None = None,
) -> Decision:
    """Approve or reject the package ``ref`` (version number or ARN) as the caller's identity."""
    if decision not in ACTION:
        raise ValueError(f"decision {decision!r}")
    identity = gov.identity
    attempt = {"decision": decision, "printed_name": printed_name, "meaning": meaning, "identity": identity}
    try:
        package = gov.package(ref)
    except MlopsError as exc:
        raise _refuse(gov, ref, identity, str(exc), attempt) from exc
    arn = package["ModelPackageArn"]
    why, model_sha, evaluation_sha, dataset_sha = _checks(
        gov, package, identity, printed_name, meaning, decision, reason
    )
    if why:
        raise _refuse(gov, arn, identity, why, attempt)

    signed: signatures.Signature | None = None
    content = signatures.payload(
        package_arn=arn,
        model_sha256=model_sha,
        evaluation_sha256=evaluation_sha,
        dataset_sha256=dataset_sha,
        printed_name=(printed_name or "").strip(),
        identity=identity,
        meaning=meaning or "",
        decision=decision,
        time=utc_now(),
        reason=reason.strip() if reason else None,
    )
    if len(canonical(content).decode()) > MAX_DESCRIPTION:
        raise _refuse(gov, arn, identity, "the signed statement would not fit ApprovalDescription; shorten it", attempt)
    if gov.cfg.e_signatures:
        try:
            signed = signatures.sign(gov.client("kms"), gov.signing_key, content)
        except (ClientError, BotoCoreError) as exc:
            raise _refuse(gov, arn, identity, f"KMS refused to sign with {gov.signing_key}: {exc}", attempt) from exc
    details: dict[str, Any] = {"decision": decision, "version": package.get("ModelPackageVersion")}
    if signed:
        details["signature"] = signed.record()
    else:
        details["unsigned"] = content  # e_signatures off (compliance standard): who, what and when, unsigned
    entry = gov.record(ACTION[decision], arn, details)  # the signature is in the trail before the status moves
    if entry is not None:
        earlier = [e for e in _about(gov, package, set(ACTION.values())) if e["seq"] < entry["seq"]]
        if earlier:  # another steward decided between our checks and our entry: theirs stands
            first = earlier[-1]
            raise MlopsError(
                f"{first['action']} by {first['actor']} was recorded first (audit entry {first['seq']}); yours is "
                f"entry {entry['seq']} and the package status was left as that decision set it"
            )

    metadata = _lineage(package)
    if signed:
        prefix = f"{METADATA_PREFIX}.{decision}"
        metadata.update(
            {
                f"{prefix}.signature": signed.signature,
                f"{prefix}.key-id": signed.key_id,
                f"{prefix}.public-key": signed.public_key,
                f"{prefix}.algorithm": signed.algorithm,
                f"{prefix}.audit-seq": str(entry["seq"]) if entry else "",
            }
        )
    update: dict[str, Any] = {"ModelPackageArn": arn, "CustomerMetadataProperties": metadata}
    update["ModelApprovalStatus"] = STATUS[decision]
    update["ApprovalDescription"] = canonical(content).decode()
    sm = gov.client("sagemaker")
    try:
        sm.update_model_package(**update)
    except (ClientError, BotoCoreError) as exc:
        where = f"audit entry {entry['seq']}" if entry else "the package metadata"
        raise MlopsError(f"signed and recorded ({where}), but the registry refused the update: {exc}") from exc
    return Decision(
        package_arn=arn,
        version=package.get("ModelPackageVersion"),
        decision=decision,
        status=STATUS[decision],
        identity=identity,
        audit_seq=entry["seq"] if entry else None,
        signature=signed,
    )


def approval_signature(package: dict[str, Any]) -> signatures.Signature:
    """The signature that approved the package, from the package alone (ApprovalDescription + metadata)."""
    metadata = _lineage(package)
    prefix = f"{METADATA_PREFIX}.approved"
    try:
        content = json.loads(package.get("ApprovalDescription", ""))
        return signatures.Signature(
            payload=content,
            signature=metadata[f"{prefix}.signature"],
            key_id=metadata[f"{prefix}.key-id"],
            public_key=metadata[f"{prefix}.public-key"],
            algorithm=metadata.get(f"{prefix}.algorithm", signatures.ALGORITHM),
        )
    except (ValueError, KeyError) as exc:
        raise ApprovalInvalid(
            f"{package.get('ModelPackageArn')}: no approval signature on the package ({exc.__class__.__name__})"
        ) from exc


def verify_approval(package: dict[str, Any], *, trusted: set[str], s3: Any | None = None) -> signatures.Signature:
    """The checks a deployment runs: Approved, signed for this package, artifact and data, by someone other than
    the registrar, with a trusted key, and (with ``s3``) the evaluation report unchanged since signing. Raises
    ApprovalInvalid with the reason.

    ``trusted``: fingerprints of the accepted signing keys (``signatures.fingerprint`` of KMS GetPublicKey, or of
    a key file): the key recorded in the package is never trusted on its own. ``s3``: re-hash the artifact and the
    evaluation report now.
    """
    arn = package.get("ModelPackageArn", "?")
    if package.get("ModelApprovalStatus") != "Approved":
        raise ApprovalInvalid(f"{arn} is {package.get('ModelApprovalStatus')}, not Approved")
    signed = approval_signature(package)
    if canonical(signed.payload).decode() != package.get("ApprovalDescription"):
        raise ApprovalInvalid(f"{arn}: ApprovalDescription is not the canonical form of the signed statement")
    why = signatures.problem(signed, trusted)
    if why:
        raise ApprovalInvalid(f"{arn}: {why}")
    content, lineage = signed.payload, _lineage(package)
    if content.get("package_arn") != arn or content.get("decision") != "approved":
        raise ApprovalInvalid(f"{arn}: the signature approves {content.get('package_arn')} ({content.get('decision')})")
    if content.get("model_sha256") != lineage.get("model-sha256"):
        raise ApprovalInvalid(f"{arn}: the signed artifact hash differs from the registered one")
    if content.get("dataset_sha256") != lineage.get("dataset-sha256"):
        raise ApprovalInvalid(f"{arn}: the signed data set hash differs from the registered one")
    if principal(str(content.get("identity"))) == principal(lineage.get("registered-by", "")):
        raise ApprovalInvalid(f"{arn}: signed by the identity that registered it (self-approval)")
    uri = model_data_url(package)
    if s3 is not None and uri and artifact_sha256(s3, uri) != content.get("model_sha256"):
        raise ApprovalInvalid(f"{arn}: the artifact {uri} is not the one that was signed")
    if s3 is not None:
        signed_report(s3, package, str(content.get("evaluation_sha256") or ""))
    return signed
