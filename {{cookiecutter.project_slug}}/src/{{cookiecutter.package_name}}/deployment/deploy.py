"""A deployment or a rollback from start to end: the checks, the audit entries and the target's own mechanism.

    check     the package (``candidates``), the trail and what the target served (``history``);
              a failed check is recorded as deployment.refused and nothing moves
    prepare   local: fetch, check and unpack the archive; aws: terraform init, plan, plan as JSON
              (``plan_only`` stops here, recording nothing: nothing moved); ``apply_plan``: init only, after
              checking that the saved plan's model_package_arn is the verified candidate (refused otherwise)
    start     deployment.started
    move      local: start or hot-swap the server; aws: apply the saved plan (SageMaker shifts traffic blue/green)
    confirm   aws: the endpoint serves the package, or SageMaker rolled it back (deployment.rolled_back)
    finish    deployment.finished, succeeded, failed or (the endpoint unreadable after the apply) unknown; a
              rollback also records deployment.rolled_back. Every deployment.started gets its finish, whatever
              raises after it

The local world is locked while it is open, so it is opened to check and to record, never held while the server
starts; an apply, which lasts as long as the blue/green bake times, holds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MlopsError, UsageError
from ..governance.context import Governance
from ..serving import control
from . import candidates, endpoint, local, records, terraform
from .candidates import Candidate, Refusal
from .history import ROLLBACK, History, history

LOCAL, AWS = "local", "aws"
TARGETS = (LOCAL, AWS)
DEPLOY = "deploy"
KINDS = (DEPLOY, ROLLBACK)

OpenGovernance = Callable[[], AbstractContextManager[Governance]]


class NotServing(MlopsError):
    """After the apply the endpoint does not serve the package: SageMaker rolled it back (a rollback alarm fired,
    or the new fleet failed), or the endpoint is not InService."""


@dataclass(frozen=True)
class Request:
    env: str
    target: str  # LOCAL or AWS
    root: Path  # the project root: terraform/ and build/
    local_dir: Path  # .mlops/: the local server's folders under serving/<env>
    kind: str = DEPLOY  # DEPLOY or ROLLBACK
    port: int = local.DEFAULT_PORT
    workers: int | None = None  # local server worker processes (None: one per core)
    plan_only: bool = False
    apply_plan: bool = False  # aws: apply the plan --plan-only saved (for this very package), never a fresh one


@dataclass(frozen=True)
class Result:
    package_arn: str
    version: int | None
    previous: str | None
    applied: bool  # False when the plan only was made
    server: control.LocalServer | None = None


def run(open_gov: OpenGovernance, trust: Callable[[Governance], set[str]], request: Request) -> Result:
    """Deploy (or roll back) as ``request`` says; raises DeploymentRefused, TerraformFailed, ServerError..."""
    if request.target not in TARGETS or request.kind not in KINDS:
        raise ValueError(f"target {request.target!r} or kind {request.kind!r}")
    if request.plan_only and request.target == LOCAL:
        raise UsageError("--plan-only plans the Terraform deployment; --local has no plan")
    if request.apply_plan and (request.target == LOCAL or request.plan_only):
        raise UsageError("--apply-plan applies the saved Terraform plan: not with --local or --plan-only")
    with open_gov() as gov:
        candidate, attempt = _check(gov, trust(gov), request)
        model_dir = _prepare(gov, candidate, attempt, request)
        if request.plan_only:
            return Result(candidate.arn, candidate.version, attempt.previous, applied=False)
        records.started(gov, attempt, candidate.arn, version=candidate.version)
        endpoint_name = gov.cfg.resource_name(request.env)  # the endpoint's name, and the local captures'
    try:
        server = _move(candidate, request, model_dir, endpoint_name)
    except BaseException as exc:  # an interrupted apply is an outcome the trail must hold too
        _record_failure(open_gov, attempt, candidate.arn, exc)
        raise
    with open_gov() as gov:
        if request.target == AWS:
            try:
                serving = endpoint.describe(gov.client("sagemaker"), endpoint_name)
            except Exception as exc:  # applied, but what the endpoint serves cannot be told
                unread = f"applied, but endpoint {endpoint_name} cannot be read: {str(exc) or exc.__class__.__name__}"
                records.finished(gov, attempt, candidate.arn, reason=unread, status=records.UNKNOWN)
                raise MlopsError(f"{unread}; recorded in the audit trail as unknown") from exc
            why = endpoint.problem(serving, endpoint_name, candidate.arn)
            if why:
                records.finished(gov, attempt, candidate.arn, reason=why)
                if serving is not None and serving.status == endpoint.IN_SERVICE:  # back on the previous fleet
                    records.rolled_back(gov, attempt, candidate.arn, cause="sagemaker", reason=why)
                raise NotServing(f"{why}; recorded in the audit trail")
        records.finished(gov, attempt, candidate.arn, **({"url": server.url} if server else {}))
        if request.kind == ROLLBACK and attempt.previous:
            records.rolled_back(gov, attempt, attempt.previous, cause="rollback", to=candidate.arn)
    return Result(candidate.arn, candidate.version, attempt.previous, applied=True, server=server)


def _check(gov: Governance, trusted: set[str], request: Request) -> tuple[Candidate, records.Attempt]:
    """The package to deploy, checked; a refusal is recorded and raised."""
    trail = gov.trail
    verification = trail.verify(trusted, require_signatures=gov.cfg.e_signatures) if trail else None
    entries = trail.entries() if trail else []
    past = history(entries, env=request.env, target=request.target)
    attempt = records.Attempt(request.env, request.target, request.kind, past.current)
    if request.kind == ROLLBACK:
        package = _rollback_target(gov, request, trail is not None, past)
    else:
        package = candidates.newest_approved(gov)
    if isinstance(package, Refusal):
        raise records.refused(gov, attempt, package)
    verdict = candidates.check(gov, package, trusted=trusted, verification=verification, entries=entries)
    if isinstance(verdict, Refusal):
        raise records.refused(gov, attempt, verdict)
    return verdict, attempt


def _rollback_target(gov: Governance, request: Request, trail_on: bool, past: History) -> dict[str, Any] | Refusal:
    """The package the target served before the current one, described."""
    if not trail_on:
        return Refusal(
            gov.group, "a rollback reads the deployments from the audit trail; governance.audit_trail is false"
        )
    if past.previous is None:
        before = f"before {past.current}" if past.current else "at all"
        return Refusal(
            past.current or gov.group,
            f"nothing to return to: the audit trail records no {request.target} deployment in {request.env} {before}",
        )
    try:
        return gov.package(past.previous)
    except MlopsError as exc:
        return Refusal(past.previous, str(exc))


def _prepare(gov: Governance, candidate: Candidate, attempt: records.Attempt, request: Request) -> Path | None:
    """Local: the unpacked, checked model folder. AWS: the saved plan (None)."""
    if request.target == AWS and request.apply_plan:
        why = terraform.saved_plan(request.root, request.env, candidate.arn)
        if why:
            raise records.refused(gov, attempt, Refusal(candidate.arn, why))
        terraform.init(request.root, gov.cfg, request.env, candidate.arn)
        return None
    if request.target == AWS:
        terraform.plan(request.root, gov.cfg, request.env, candidate.arn)
        return None
    state = local.state_dir(request.local_dir, request.env)
    try:
        return local.fetch(gov.client("s3"), candidate.package, candidate.model_sha256, state)
    except local.ArchiveRefused as exc:
        raise records.refused(gov, attempt, Refusal(candidate.arn, str(exc))) from exc
    except Exception as exc:  # S3 or the disk: nothing moved, but the attempt and its failure go in the trail
        why = f"the model archive could not be fetched: {str(exc) or exc.__class__.__name__}"
        records.started(gov, attempt, candidate.arn, version=candidate.version)
        records.finished(gov, attempt, candidate.arn, reason=why)
        raise MlopsError(f"{why}; recorded in the audit trail") from exc


def _move(
    candidate: Candidate, request: Request, model_dir: Path | None, endpoint_name: str
) -> control.LocalServer | None:
    if model_dir is None:
        terraform.run(request.root, terraform.commands(request.env, candidate.arn).apply)
        return None
    state = local.state_dir(request.local_dir, request.env)
    return local.serve(
        state, model_dir, version=candidate.arn, port=request.port, endpoint_name=endpoint_name, workers=request.workers
    )


def _record_failure(open_gov: OpenGovernance, attempt: records.Attempt, arn: str, exc: BaseException) -> None:
    reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else (str(exc) or exc.__class__.__name__)
    try:
        with open_gov() as gov:
            records.finished(gov, attempt, arn, reason=reason)
    except Exception as failed:
        raise MlopsError(f"{reason}; and this failure could not be recorded in the audit trail: {failed}") from exc
