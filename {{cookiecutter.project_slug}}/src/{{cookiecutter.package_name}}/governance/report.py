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

import base64
import hashlib
import io
import itertools
import json
import math
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .. import __version__, metrics
from ..errors import MlopsError, UsageError
from ..pipeline.local import registry, storage
from . import approval, signatures, traceability, trail
from .context import Governance

FORMAT = 1
REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
TEMPLATE = "report.html.j2"
DPI = 80
MAX_FEATURE_PLOTS = 60
MAX_FAILED_CHECKS = 200
PLOT_TITLES = {
    "roc_curve": "ROC curve (test split)",
    "precision_recall_curve": "Precision-recall curve (test split)",
    "residuals": "Residuals (test split)",
}
SIGNED_ACTIONS = tuple(trail.ACTION_DECISIONS)  # model.approved, model.rejected
# The model card of a package version follows the package (AWS statuses: Draft, PendingReview, Approved, Archived).
CARD_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
PROBLEM_TYPES = {"binary_classification": "Binary Classification", "regression": "Regression"}
# The model card schema's objective-function facets (the SageMaker SDK's FacetEnum) for this project's metrics.
FACETS = {"auc": "AUC", "accuracy": "Accuracy", "rmse": "RMSE", "mae": "MAE"}


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


@dataclass(frozen=True)
class JUnit:
    summary: dict[str, Any]
    outcomes: dict[str, str]  # test id -> passed | failed | error | skipped


# --- inputs: JUnit XML and checkov JSON ----------------------------------------------------------------------------


def _case_id(case: ElementTree.Element) -> str:
    """A pytest-style id (``tests/test_x.py::TestY::test_z[p]``) from a JUnit testcase."""
    name = case.get("name", "")
    classname = case.get("classname", "") or ""
    file = case.get("file")
    if "/" in classname or classname.endswith((".py", ".hcl")):
        return f"{classname}::{name}"
    parts = classname.split(".") if classname else []
    classes: list[str] = []
    while parts and parts[-1][:1].isupper():
        classes.insert(0, parts.pop())
    module = file or ("/".join(parts) + ".py" if parts else "")
    return "::".join([module, *classes, name]) if module else name


_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


def read_junit(path: Path) -> JUnit:
    """Counts and per-test outcomes of a JUnit XML file (pytest ``--junitxml``, terraform test ``-junit-xml``)."""
    try:
        # Our own CI's test results, not untrusted input; expat refuses entity expansion attacks by default.
        root = ElementTree.parse(path).getroot()  # noqa: S314
    except FileNotFoundError as exc:
        raise UsageError(f"--junit {path}: no such file") from exc
    except (ElementTree.ParseError, OSError) as exc:
        raise UsageError(f"--junit {path}: not readable JUnit XML ({exc})") from exc
    outcomes: dict[str, str] = {}
    for case in root.iter("testcase"):
        if case.find("failure") is not None:
            outcome = "failed"
        elif case.find("error") is not None:
            outcome = "error"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        test_id = _case_id(case)
        previous = outcomes.get(test_id)
        if previous is None or _RANK[outcome] > _RANK[previous]:
            outcomes[test_id] = outcome
    counted = list(outcomes.values())
    summary = {
        "source": path.name,
        "tests": len(counted),
        "passed": counted.count("passed"),
        "failures": counted.count("failed"),
        "errors": counted.count("error"),
        "skipped": counted.count("skipped"),
        "failing": sorted(t for t, o in outcomes.items() if o in ("failed", "error")),
    }
    return JUnit(summary, outcomes)


def read_checkov(path: Path) -> dict[str, Any]:
    """Summary of ``checkov -o json`` output: one report (dict) or one per framework (list)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"--checkov {path}: no such file") from exc
    except (ValueError, OSError) as exc:
        raise UsageError(f"--checkov {path}: not checkov JSON ({exc})") from exc
    reports = data if isinstance(data, list) else [data]
    if not reports or not all(isinstance(r, dict) for r in reports):
        raise UsageError(f"--checkov {path}: expected checkov's JSON report (an object, or a list of them)")
    totals = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
    failed: list[dict[str, Any]] = []
    check_types = set()
    for report in reports:
        summary = report.get("summary", report if "passed" in report else {})
        for key in totals:
            value = summary.get(key, 0)
            totals[key] += value if isinstance(value, int) else 0
        if report.get("check_type"):
            check_types.add(str(report["check_type"]))
        for check in (report.get("results") or {}).get("failed_checks") or []:
            failed.append(
                {
                    "check_id": check.get("check_id"),
                    "check_name": check.get("check_name"),
                    "resource": check.get("resource"),
                    "file": check.get("file_path"),
                }
            )
    failed.sort(key=lambda c: (str(c["file"]), str(c["resource"]), str(c["check_id"])))
    return {
        "source": path.name,
        **totals,
        "check_types": sorted(check_types),
        "failed_checks": failed[:MAX_FAILED_CHECKS],
    }


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


def _read_json(s3: Any, uri: str | None) -> dict[str, Any] | None:
    if not uri:
        return None
    bucket, key = storage.split_uri(uri)
    try:
        value = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except (ClientError, ValueError):
        return None
    return value if isinstance(value, dict) else None


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
) -> dict[str, Any]:
    """Every fact of the report (JSON-ready) for a described package."""
    cfg = gov.cfg
    arn = package["ModelPackageArn"]
    s3 = gov.client("s3")
    evaluation = registry.evaluation_report(s3, dict(package))
    if evaluation is None:
        raise ReportError(f"{arn}: its evaluation report ({registry.evaluation_uri(dict(package))}) cannot be read")
    audit, entries = _audit(gov, trusted)
    execution = _execution(entries, arn)
    lineage, hyperparameters = _lineage(package)
    baseline = _read_json(s3, baseline_uri(package))
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


# --- plots ---------------------------------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})  # no version stamp: same facts, same bytes
    _pyplot().close(fig)
    return buffer.getvalue()


def metrics_plot(facts: Mapping[str, Any]) -> bytes | None:
    """Every metric as a bar; the primary one coloured by the gate, with the threshold marked."""
    values = facts["values"]
    primary = facts["primary"]
    if not values:
        return None
    plt = _pyplot()
    names = list(values)
    fig, ax = plt.subplots(figsize=(6.4, 0.55 * len(names) + 1.4))
    colours = [
        ("#2ca02c" if primary["passes"] else "#d62728") if name == primary["name"] else "#8c9db5" for name in names
    ]
    ax.barh(range(len(names)), [values[n] for n in names], color=colours)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    for i, name in enumerate(names):
        ax.annotate(f"{values[name]:.4g}", (values[name], i), xytext=(3, 0), textcoords="offset points", va="center")
    if primary["name"] in names:
        i = names.index(primary["name"])
        ax.plot(
            [primary["threshold"]] * 2,
            [i - 0.45, i + 0.45],
            color="black",
            linestyle="--",
            linewidth=2,
            label=f"gate: {primary['name']} {'>=' if primary['goal'] == 'maximize' else '<='} {primary['threshold']:g}",
        )
        ax.legend(loc="lower right")
    ax.set(title="Metrics on the held-out test split against the gate", xlabel="value")
    return _png(fig)


def _numeric_bars(ax: Any, feature: Mapping[str, Any]) -> bool:
    edges, counts = list(feature.get("edges", [])), list(feature.get("counts", []))
    low, high = feature.get("min"), feature.get("max")
    if not edges or low is None or high is None or sum(counts) == 0 or len(counts) != len(edges) + 1:
        return False
    bounds = [float(low), *[float(e) for e in edges], float(high)]
    span = max(bounds[-1] - bounds[0], 1e-12)
    widths = [max(b - a, span / 100) for a, b in itertools.pairwise(bounds)]
    total = sum(counts)
    heights = [c / total / w for c, w in zip(counts, widths, strict=True)]
    ax.bar(bounds[:-1], heights, width=widths, align="edge", color="#4c72b0", edgecolor="white", linewidth=0.3)
    return True


def baseline_plot(baseline: Mapping[str, Any] | None) -> tuple[bytes | None, int]:
    """(PNG, features drawn): one small distribution per feature of the drift baseline (training data)."""
    features = list((baseline or {}).get("features", {}).items())
    if not features:
        return None, 0
    shown = features[:MAX_FEATURE_PLOTS]
    plt = _pyplot()
    columns = min(5, len(shown))
    rows = math.ceil(len(shown) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 1.8 * rows), squeeze=False)
    for ax, (name, feature) in zip(axes.flat, shown, strict=False):
        drawn = False
        if feature.get("type") == "categorical" and feature.get("counts"):
            categories = list(feature["counts"])
            ax.bar(range(len(categories)), [feature["counts"][c] for c in categories], color="#4c72b0")
            ax.set_xticks(range(len(categories)), categories, fontsize=6, rotation=30)
            drawn = True
        elif feature.get("type") == "numeric":
            drawn = _numeric_bars(ax, feature)
            ax.tick_params(axis="x", labelsize=6)
        if not drawn:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, fontsize=7)
        ax.set_yticks([])
        ax.set_title(str(name)[:40], fontsize=7)
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    return _png(fig), len(shown)


def evaluation_plots(s3: Any, evaluation_uri: str | None) -> list[dict[str, Any]]:
    """The PNG plots the evaluate step left next to evaluation.json (ROC and PR curves, or residuals)."""
    if not evaluation_uri:
        return []
    bucket, key = storage.split_uri(evaluation_uri)
    prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    out = []
    for found in sorted(k for k in keys if k.endswith(".png") and "/" not in k[len(prefix) :]):
        data = s3.get_object(Bucket=bucket, Key=found)["Body"].read()
        stem = found.rsplit("/", 1)[-1].removesuffix(".png")
        title = PLOT_TITLES.get(stem, stem.replace("_", " "))
        out.append({"name": stem, "title": title, "source": f"s3://{bucket}/{found}", "png": data})
    return out


def _figure(name: str, title: str, data: bytes, source: str) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "source": source,
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": base64.b64encode(data).decode("ascii"),
    }


# --- model card ----------------------------------------------------------------------------------------------------


def card_name(cfg: Any, env: str, version: Any) -> str:
    return f"{cfg.resource_name(env)}-v{version}"


def card_status(facts: Mapping[str, Any]) -> str:
    """The model card's status for the package: Draft while pending, Approved once an approval verifies."""
    status = facts["package"]["status"]
    if status == "Approved":
        return "Approved" if (facts.get("approval") or {}).get("verifies") else "PendingReview"
    if status == "Rejected":
        return "Archived"
    return "Draft"


def _clip(text: Any, limit: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def card_content(facts: Mapping[str, Any], report_sha256: str, report_path: str) -> dict[str, Any]:
    """Model card content (SageMaker model card JSON schema) from the report's facts."""
    model, package, lineage = facts["model"], facts["package"], facts["lineage"]
    primary = facts["metrics"]["primary"]
    arn = package["arn"]
    image = [package["image"]] if package.get("image") else []
    overview: dict[str, Any] = {
        "model_id": arn,
        "model_name": _clip(f"{model['name']} ({model['environment']})", 1024),
        "model_description": _clip(model["description"], 1024),
        "model_version": package["version"],
        "problem_type": PROBLEM_TYPES.get(model["problem_type"], model["problem_type"]),
        "algorithm_type": f"gradient-boosted trees ({model['framework']})",
        "model_owner": _clip(f"{model['owner']['name']} <{model['owner']['email']}>", 1024),
        "model_creator": _clip(model["owner"]["name"], 1024),
        "model_artifact": [package["model_data_url"]] if package.get("model_data_url") else [],
        "inference_environment": {"container_image": image},
    }
    function = {
        "function": "Maximize" if primary["goal"] == "maximize" else "Minimize",
        "condition": _clip(
            f"{primary['name']} {'>=' if primary['goal'] == 'maximize' else '<='} {primary['threshold']:g}", 63
        ),
    }
    if primary["name"] in FACETS:
        function["facet"] = FACETS[primary["name"]]
    tuning = facts.get("tuning")
    account, region = model["account"], model["region"]
    job = lineage.get("training-job")
    training_job: dict[str, Any] = {
        "training_datasets": [lineage["dataset-uri"]] if lineage.get("dataset-uri") else [],
        "training_environment": {"container_image": image},
        "hyper_parameters": [{"name": k, "value": _clip(v, 1024)} for k, v in facts["hyperparameters"].items()][:100],
    }
    if job:
        training_job["training_arn"] = f"arn:aws:sagemaker:{region}:{account}:training-job/{job}"
    observations = (
        f"Bayesian tuning: {tuning['summary']} (budget {tuning['max_jobs']} trials)"
        if tuning
        else "Trained with the hyperparameters of project.yaml (no tuning)."
    )
    metric_data = [
        {
            "name": name,
            "type": "number",
            "value": value,
            **(
                {"notes": f"primary metric; gate {function['condition']}: {'pass' if primary['passes'] else 'fail'}"}
                if name == primary["name"]
                else {}
            ),
        }
        for name, value in facts["metrics"]["values"].items()
    ]
    audit = facts["audit"]
    signed = [
        f"{s['printed_name']} ({s['meaning']}, {s['decision']}, {s['time']}): "
        f"{'verifies' if s['verifies'] else 'DOES NOT VERIFY'}"
        for s in facts["signatures"]
    ]
    custom = {
        "validation_report_sha256": report_sha256,
        "validation_report": report_path,
        "git_commit": lineage.get("git-commit", ""),
        "git_dirty": lineage.get("git-dirty", ""),
        "dataset_sha256": lineage.get("dataset-sha256", ""),
        "model_sha256": lineage.get("model-sha256", ""),
        "compliance": model["compliance"],
        "data_classification": model["data_classification"],
        "audit_trail": audit["summary"],
        "signatures": "; ".join(signed) or "none",
        "traceability": "{pass} pass, {missing} missing".format(**facts["traceability_summary"]),
    }
    containers = [{"image": package["image"], "model_data_url": package["model_data_url"]}] if image else []
    return {
        "model_overview": overview,
        "intended_uses": {
            "purpose_of_model": _clip(model["description"], 2048),
            "risk_rating": "Unknown",
            "explanations_for_risk_rating": "Not rated in project.yaml: the model owner's risk assessment sets it.",
        },
        "training_details": {
            "objective_function": {
                "function": function,
                "notes": "The pipeline registers the model only if it passes.",
            },
            "training_observations": _clip(observations, 1024),
            "training_job_details": training_job,
        },
        "evaluation_details": [
            {
                "name": "held-out test split",
                "evaluation_observation": _clip(
                    f"{primary['name']} = {primary['value']} against the gate {function['condition']}: "
                    f"{'pass' if primary['passes'] else 'fail'}.",
                    2096,
                ),
                "datasets": [lineage["dataset-uri"]] if lineage.get("dataset-uri") else [],
                "metadata": {"evaluation_report": _clip(package.get("evaluation_uri"), 1024)},
                "metric_groups": [{"name": "model quality", "metric_data": metric_data}],
            }
        ],
        "additional_information": {
            "caveats_and_recommendations": _clip(
                f"See the validation report {report_path} (SHA-256 of report.json {report_sha256}) for lineage, "
                "signatures, the audit trail's verification and the Part 11 traceability matrix.",
                2048,
            ),
            "custom_details": {k: _clip(v, 1024) for k, v in custom.items()},
        },
        "model_package_details": _present(
            {
                "model_package_arn": arn,
                "model_package_group_name": package.get("group"),
                "model_package_version": package.get("version"),
                "model_package_description": _clip(package.get("description"), 1024),
                "model_package_status": package.get("package_status"),
                "model_approval_status": package.get("status"),
                "inference_specification": {"containers": containers} if containers else None,
            }
        ),
    }


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that have a value (the schema has no nulls)."""
    return {k: v for k, v in values.items() if v is not None and v != ""}


def write_card(sm: Any, name: str, content: Mapping[str, Any], status: str) -> tuple[str, str | None]:
    """Create the model card, or update it; (status now, note). An archived card is left as it is."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    try:
        current = sm.describe_model_card(ModelCardName=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("ResourceNotFound", "ResourceNotFoundException"):
            raise
        sm.create_model_card(ModelCardName=name, Content=text, ModelCardStatus=status)
        return status, None
    if current.get("ModelCardStatus") == "Archived":
        return "Archived", f"model card {name} is archived: left unchanged"
    if current.get("Content") != text or current.get("ModelCardStatus") != status:
        sm.update_model_card(ModelCardName=name, Content=text, ModelCardStatus=status)
    return status, None


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
        _, current = signatures.public_key(gov.client("kms"), gov.signing_key)
        trusted = {signatures.fingerprint(current)}

    junit_facts = read_junit(junit) if junit else None
    checkov_facts = read_checkov(checkov) if checkov else None
    package = gov.package(ref)
    facts = gather(gov, package, junit=junit_facts, checkov=checkov_facts, root=root or project_root(), trusted=trusted)
    s3 = gov.client("s3")
    notes: list[str] = []

    figures: dict[str, Any] = {"metrics": None, "evaluation": [], "baseline": None, "baseline_features": 0}
    metrics_png = metrics_plot(facts["metrics"])
    if metrics_png:
        figures["metrics"] = _figure("metrics", "Metrics against the gate", metrics_png, "this report")
    for plot in evaluation_plots(s3, facts["package"]["evaluation_uri"]):
        figures["evaluation"].append(_figure(plot["name"], plot["title"], plot["png"], plot["source"]))
    if not figures["evaluation"]:
        notes.append("the package's evaluation folder holds no plots")
    baseline_png, drawn = baseline_plot(_read_json(s3, facts["package"]["baseline_uri"]))
    if baseline_png:
        figures["baseline"] = _figure(
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
