"""The validation report of a model package: one set of facts, written as JSON and rendered as HTML.

``write_report`` gathers the facts from the registry, S3 and the audit trail (identity, lineage, metrics against
the gate, every signature and whether it verifies, the chain's verification, test and checkov results when given,
the traceability matrix), writes ``<out>/<group>-v<N>/report.json`` (sorted keys), renders ``report.html`` from the
same facts with the plots embedded, and prints the JSON's SHA-256 in the HTML footer. The SHA-256 and path are then
recorded in the audit trail (``report.written``) and the SageMaker model card ``<group>-v<N>`` is created or updated
from the same facts (its ``custom_details`` name the report's SHA-256).

The HTML template uses ``[[ ]]``, ``[% %]`` and ``[# #]`` as Jinja delimiters, so the file reads the same before
and after the repository template is rendered.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .. import __version__, metrics
from ..errors import MlopsError
from ..pipeline.local import registry
from . import approval, signatures, traceability, trail
from .ci_results import JUnit, read_checkov, read_junit
from .context import Governance
from .model_card import CARD_NAME, card_content, card_name, card_status, write_card
from .report_plots import baseline_plot, evaluation_plots, figure, metrics_plot

FORMAT = 1
REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
TEMPLATE = "report.html.j2"
SIGNED_ACTIONS = tuple(trail.ACTION_DECISIONS)  # model.approved, model.rejected


class ReportError(MlopsError):
    """The report cannot be written: the package's evaluation report is missing, or the output folder fails."""


@dataclass(frozen=True)
class ReportResult:
    html: Path
    json: Path
    sha256: str  # of report.json's bytes
    audit_seq: int | None  # the report.written entry; None when the trail is off
    model_card: str | None  # the SageMaker model card name; None when it was not written
    card_status: str | None
    notes: tuple[str, ...] = ()  # what a person should know (card left unchanged, plots missing)


# --- facts ---------------------------------------------------------------------------------------------------------


def _time(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value) if value is not None else None


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def baseline_uri(package: Mapping[str, Any]) -> str | None:
    """The drift baseline the package was registered with (DriftCheckBaselines' model data statistics)."""
    baselines = package.get("DriftCheckBaselines", {})
    for section in ("ModelDataQuality", "ModelDataStatistics"):
        uri = baselines.get(section, {}).get("Statistics", {}).get("S3Uri") or baselines.get(section, {}).get("S3Uri")
        if uri:
            return str(uri)
    return None


def _lineage(package: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(lineage, hyperparameters) from the package's metadata; signature metadata is reported with signatures."""
    props = dict(package.get("CustomerMetadataProperties", {}))
    lineage = {k: v for k, v in props.items() if not k.startswith((f"{approval.METADATA_PREFIX}.", "hyperparameter."))}
    hyperparameters = {
        k.removeprefix("hyperparameter."): v for k, v in props.items() if k.startswith("hyperparameter.")
    }
    return dict(sorted(lineage.items())), dict(sorted(hyperparameters.items()))


def _metrics(cfg: Any, report: dict[str, Any] | None, threshold_at_run: Any) -> dict[str, Any]:
    section = (report or {}).get(metrics.SECTIONS[cfg.problem_type], {})
    values = {}
    for name in metrics.METRICS[cfg.problem_type]:
        value = _finite(section.get(name, {}).get("value")) if isinstance(section.get(name), dict) else None
        if value is not None:
            values[name] = value
    measured = registry.metric_value(report, metrics.json_path(cfg.problem_type, cfg.metric.name))
    measured = _finite(measured)
    out: dict[str, Any] = {
        "primary": {
            "name": cfg.metric.name,
            "value": measured,
            "threshold": cfg.metric.threshold,
            "goal": cfg.metric.goal,
            "passes": cfg.metric.passes(measured) if measured is not None else False,
            "threshold_at_registration": _finite(threshold_at_run),
        },
        "values": values,
    }
    if isinstance(section.get("confusion_matrix"), dict):
        out["confusion_matrix"] = section["confusion_matrix"]
    return out


def _signature_fact(entry: Mapping[str, Any] | None, record: Any, problem: str | None, unsigned: bool) -> dict:
    payload = record.get("payload", {}) if isinstance(record, dict) and not unsigned else (record or {})
    meaning = payload.get("meaning")
    fact = {
        "seq": entry.get("seq") if entry else None,
        "action": entry.get("action") if entry else None,
        "printed_name": payload.get("printed_name"),
        "time": payload.get("time"),
        "meaning": meaning,
        "meaning_text": signatures.MEANINGS.get(str(meaning), ""),
        "decision": payload.get("decision"),
        "reason": payload.get("reason"),
        "identity": payload.get("identity"),
        "model_sha256": payload.get("model_sha256"),
        "signed": not unsigned,
        "key_id": None,
        "key_fingerprint": None,
        "algorithm": None,
        "verifies": problem is None and not unsigned,
        "problem": "not signed (governance.e_signatures is off): who, what and when only" if unsigned else problem,
    }
    if not unsigned and isinstance(record, dict):
        fact["key_id"] = record.get("key_id")
        fact["algorithm"] = record.get("algorithm", signatures.ALGORITHM)
        if isinstance(record.get("public_key"), str):
            try:
                fact["key_fingerprint"] = signatures.fingerprint(record["public_key"])
            except ValueError:
                fact["key_fingerprint"] = None
    return fact


def _signatures(
    entries: Sequence[Mapping[str, Any]] | None, package: Mapping[str, Any], arn: str, trusted: set[str]
) -> list[dict[str, Any]]:
    """Every signature on the package: from the trail, or (``entries`` None: no trail) from the package itself."""
    if entries is None:
        return _package_signatures(package, trusted)
    out = []
    for entry in entries:
        if entry.get("action") not in SIGNED_ACTIONS or entry.get("subject") != arn:
            continue
        details = entry.get("details", {})
        if "signature" in details:
            problem = trail.entry_signature_problem(dict(entry), trusted)
            out.append(_signature_fact(entry, details["signature"], problem, unsigned=False))
        elif "unsigned" in details:
            out.append(_signature_fact(entry, details["unsigned"], None, unsigned=True))
    return out


def _package_signatures(package: Mapping[str, Any], trusted: set[str]) -> list[dict[str, Any]]:
    metadata = package.get("CustomerMetadataProperties", {})
    out = []
    for decision in signatures.DECISIONS:
        prefix = f"{approval.METADATA_PREFIX}.{decision}"
        if f"{prefix}.signature" not in metadata:
            continue
        try:
            payload = json.loads(package.get("ApprovalDescription", ""))
            signed = signatures.Signature(
                payload=payload,
                signature=metadata[f"{prefix}.signature"],
                key_id=metadata[f"{prefix}.key-id"],
                public_key=metadata[f"{prefix}.public-key"],
                algorithm=metadata.get(f"{prefix}.algorithm", signatures.ALGORITHM),
            )
        except (ValueError, KeyError):
            continue
        out.append(_signature_fact(None, signed.record(), signatures.problem(signed, trusted), unsigned=False))
    return out


def _approval(gov: Governance, package: Mapping[str, Any], trusted: set[str]) -> dict[str, Any] | None:
    """What a deployment would check on an approved package (signature, binding, artifact hash now)."""
    if package.get("ModelApprovalStatus") != "Approved":
        return None
    try:
        approval.verify_approval(dict(package), s3=gov.client("s3"), trusted=trusted)
    except approval.ApprovalInvalid as exc:
        return {"verifies": False, "problem": str(exc)}
    except (ClientError, BotoCoreError, ValueError) as exc:
        return {"verifies": False, "problem": f"the artifact could not be read to hash it ({exc})"}
    return {"verifies": True, "problem": None}


def _execution(entries: Sequence[Mapping[str, Any]], arn: str) -> dict[str, Any] | None:
    """The pipeline execution that registered the package, its parameters and steps, from the trail."""
    registered = next((e for e in entries if e.get("action") == "model.registered" and e.get("subject") == arn), None)
    execution = (registered or {}).get("details", {}).get("execution")
    if not execution:
        return None
    started = next(
        (e for e in entries if e.get("action") == "pipeline.started" and e.get("subject") == execution), None
    )
    steps = [
        {
            "step": d.get("step"),
            "type": d.get("type"),
            "status": d.get("status"),
            "seconds": d.get("seconds"),
            "detail": d.get("detail", ""),
        }
        for e in entries
        if e.get("action") == "step.finished" and e.get("subject") == execution
        for d in [e.get("details", {})]
    ]
    return {
        "arn": execution,
        "started": started.get("time") if started else None,
        "parameters": (started or {}).get("details", {}).get("parameters", {}),
        "steps": steps,
    }


def _tuning(cfg: Any, execution: Mapping[str, Any] | None) -> dict[str, Any] | None:
    step = next((s for s in (execution or {}).get("steps", []) if s.get("type") == "Tuning"), None)
    if step is None:
        return None
    return {
        "step": step.get("step"),
        "status": step.get("status"),
        "summary": step.get("detail", ""),
        "seconds": step.get("seconds"),
        "max_jobs": cfg.tuning_max_jobs,
        "max_parallel_jobs": cfg.tuning_max_parallel_jobs,
    }


def _audit(gov: Governance, trusted: set[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(verification facts, entries) of the trail; both empty-ish when the trail is off."""
    if gov.trail is None:
        return {"enabled": False, "ok": None, "summary": "the audit trail is switched off (governance.audit_trail)"}, []
    result = gov.trail.verify(trusted, require_signatures=gov.cfg.e_signatures)
    facts = {
        "enabled": True,
        "ok": result.ok,
        "model": result.model,
        "checked": result.checked,
        "signatures": result.signatures,
        "head": result.head,
        "findings": [str(f) for f in result.findings],
        "summary": result.summary(),
        "trusted_keys": sorted(trusted),
    }
    return facts, gov.trail.entries()


def gather(
    gov: Governance,
    package: Mapping[str, Any],
    *,
    junit: JUnit | None,
    checkov: dict[str, Any] | None,
    root: Path | None,
    trusted: set[str],
    baseline: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Every fact of the report (JSON-ready) for a described package and its drift baseline (read by the caller,
    which also plots it)."""
    cfg = gov.cfg
    arn = package["ModelPackageArn"]
    s3 = gov.client("s3")
    evaluation = registry.evaluation_report(s3, dict(package))
    if evaluation is None:
        raise ReportError(f"{arn}: its evaluation report ({registry.evaluation_uri(dict(package))}) cannot be read")
    audit, entries = _audit(gov, trusted)
    execution = _execution(entries, arn)
    lineage, hyperparameters = _lineage(package)
    threshold_at_run = ((execution or {}).get("parameters") or {}).get("MetricThreshold")
    matrix = traceability.evaluate(
        traceability.Context(
            root=root,
            package_arn=arn,
            entries=entries,
            chain_ok=audit["ok"],
            tests=junit.outcomes if junit else None,
            execution=(execution or {}).get("arn"),
        )
    )
    containers = package.get("InferenceSpecification", {}).get("Containers", [])
    return {
        "format": FORMAT,
        "generated": {"time": trail.utc_now(), "by": gov.identity, "tool": f"{__name__.split('.')[0]} {__version__}"},
        "model": {
            "name": cfg.name,
            "slug": cfg.slug,
            "description": cfg.description,
            "owner": {"name": cfg.owner_name, "email": cfg.owner_email},
            "framework": cfg.framework,
            "problem_type": cfg.problem_type,
            "environment": gov.env,
            "region": cfg.region,
            "account": cfg.account_id(gov.env),
            "compliance": cfg.compliance,
            "data_classification": cfg.data_classification,
        },
        "package": {
            "arn": arn,
            "group": package.get("ModelPackageGroupName"),
            "version": package.get("ModelPackageVersion"),
            "status": package.get("ModelApprovalStatus"),
            "package_status": package.get("ModelPackageStatus"),
            "description": package.get("ModelPackageDescription"),
            "created": _time(package.get("CreationTime")),
            "image": containers[0].get("Image") if containers else None,
            "model_data_url": approval.model_data_url(dict(package)),
            "evaluation_uri": registry.evaluation_uri(dict(package)),
            "baseline_uri": baseline_uri(package),
        },
        "lineage": lineage,
        "hyperparameters": hyperparameters,
        "tuning": _tuning(cfg, execution),
        "execution": execution,
        "metrics": _metrics(cfg, evaluation, threshold_at_run),
        "baseline": {
            "rows": baseline.get("rows"),
            "bins": baseline.get("bins"),
            "features": len(baseline.get("features", {})),
        }
        if baseline
        else None,
        "signatures": _signatures(entries if audit["enabled"] else None, package, arn, trusted),
        "approval": _approval(gov, package, trusted),
        "audit": audit,
        "tests": junit.summary if junit else None,
        "checkov": checkov,
        "traceability": matrix,
        "traceability_summary": traceability.summary(matrix),
    }


# --- rendering -----------------------------------------------------------------------------------------------------


def _utc(value: Any) -> str:
    """ISO 8601 (``...Z``) as ``YYYY-MM-DD HH:MM:SS UTC``; anything else as given."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_html(facts: Mapping[str, Any], figures: Mapping[str, Any], sha256: str) -> str:
    import jinja2

    env = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        block_start_string="[%",
        block_end_string="%]",
        variable_start_string="[[",
        variable_end_string="]]",
        comment_start_string="[#",
        comment_end_string="#]",
    )
    env.filters["utc"] = _utc
    source = resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")
    return env.from_string(source).render(facts=facts, figures=figures, sha256=sha256)


def _shown(path: Path) -> str:
    """The path as the trail records it: relative to the working directory, else ``<folder>/<file>``."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return f"{path.parent.name}/{path.name}"


def write_report(
    gov: Governance,
    ref: str,
    out_dir: Path,
    *,
    junit: Path | None = None,
    checkov: Path | None = None,
    root: Path | None = None,
    trusted: set[str] | None = None,
) -> ReportResult:
    """Write ``out_dir/<group>-v<N>/report.json`` and ``report.html`` for package ``ref`` (version or ARN).

    ``junit``: JUnit XML of the test run (test evidence counts only from it). ``checkov``: ``checkov -o json``
    output. ``root``: the project root for file and Terraform evidence (default: the repository of this package).
    ``trusted``: fingerprints of the signing keys accepted (None: the model's current KMS signing key).
    """
    from ..pipeline.targets import project_root

    if trusted is None:
        trusted = {signatures.current_fingerprint(gov.client("kms"), gov.signing_key)}

    junit_facts = read_junit(junit) if junit else None
    checkov_facts = read_checkov(checkov) if checkov else None
    package = gov.package(ref)
    s3 = gov.client("s3")
    baseline = registry.read_json(s3, baseline_uri(package))
    facts = gather(
        gov,
        package,
        junit=junit_facts,
        checkov=checkov_facts,
        root=root or project_root(),
        trusted=trusted,
        baseline=baseline,
    )
    notes: list[str] = []

    figures: dict[str, Any] = {"metrics": None, "evaluation": [], "baseline": None, "baseline_features": 0}
    metrics_png = metrics_plot(facts["metrics"])
    if metrics_png:
        figures["metrics"] = figure("metrics", "Metrics against the gate", metrics_png, "this report")
    for plot in evaluation_plots(s3, facts["package"]["evaluation_uri"]):
        figures["evaluation"].append(figure(plot["name"], plot["title"], plot["png"], plot["source"]))
    if not figures["evaluation"]:
        notes.append("the package's evaluation folder holds no plots")
    baseline_png, drawn = baseline_plot(baseline)
    if baseline_png:
        figures["baseline"] = figure(
            "baseline", "Feature distributions of the drift baseline", baseline_png, facts["package"]["baseline_uri"]
        )
        figures["baseline_features"] = drawn
    facts["plots"] = [
        {k: f[k] for k in ("name", "title", "source", "sha256")}
        for f in [figures["metrics"], *figures["evaluation"], figures["baseline"]]
        if f
    ]

    folder = out_dir / card_name(gov.cfg, gov.env, facts["package"]["version"])
    json_path, html_path = folder / REPORT_JSON, folder / REPORT_HTML
    body = (json.dumps(facts, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    sha256 = hashlib.sha256(body).hexdigest()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        json_path.write_bytes(body)
        html_path.write_text(render_html(facts, figures, sha256), encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write the report to {folder}: {exc}") from exc

    shown = _shown(json_path)
    entry = gov.record("report.written", facts["package"]["arn"], {"sha256": sha256, "path": shown})

    name: str | None = card_name(gov.cfg, gov.env, facts["package"]["version"])
    status: str | None = None
    if not CARD_NAME.match(name or ""):
        notes.append(f"model card not written: {name!r} is not a valid model card name (63 characters at most)")
        name = None
    else:
        try:
            status, note = write_card(
                gov.client("sagemaker"), str(name), card_content(facts, sha256, shown), card_status(facts)
            )
            if note:
                notes.append(note)
        except (ClientError, BotoCoreError) as exc:
            notes.append(f"model card {name} not written: {exc}")
            name = None
    return ReportResult(
        html=html_path,
        json=json_path,
        sha256=sha256,
        audit_seq=entry["seq"] if entry else None,
        model_card=name,
        card_status=status,
        notes=tuple(notes),
    )
