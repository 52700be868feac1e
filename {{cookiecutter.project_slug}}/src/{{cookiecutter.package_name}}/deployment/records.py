"""The deployment.* audit entries, written in one place so that `audit show`, the history and the report agree.

Each entry's subject is a package ARN and its details hold ``env``, ``target`` (``local`` or ``aws``), ``kind``
(``deploy`` or ``rollback``) and ``previous``, the package the target served before. The actor is whoever runs the
command (STS), as for every entry.

* ``deployment.refused``     the checks refused the package (``reason``); nothing moved
* ``deployment.started``     the checks passed; the target is about to change
* ``deployment.finished``    ``status`` succeeded, or failed with a ``reason`` (``unknown`` with a ``reason`` when
                             the outcome could not be told, e.g. the endpoint could not be read after the apply)
* ``deployment.rolled_back`` the package stopped serving: the rollback command (``cause: rollback``) or SageMaker
                             (``sagemaker``: a rollback alarm fired, or the new fleet failed)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..governance.context import Governance
from ..governance.trail import AuditError
from .candidates import DeploymentRefused, Refusal
from .history import FINISHED, SUCCEEDED

STARTED = "deployment.started"
REFUSED = "deployment.refused"
ROLLED_BACK = "deployment.rolled_back"
FAILED = "failed"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Attempt:
    env: str
    target: str  # local | aws
    kind: str  # deploy | rollback
    previous: str | None = None  # the package the target served before

    def details(self, **more: Any) -> dict[str, Any]:
        return {"env": self.env, "target": self.target, "kind": self.kind, "previous": self.previous, **more}


def refused(gov: Governance, attempt: Attempt, refusal: Refusal) -> DeploymentRefused:
    """Record the refusal (best effort: a missing permission must not hide it) and the error that reports it."""
    try:
        entry = gov.record(REFUSED, refusal.subject, attempt.details(reason=refusal.reason))
        note = f"recorded as audit entry {entry['seq']}" if entry else "the audit trail is off"
    except (AuditError, ClientError, BotoCoreError) as exc:
        note = f"could not be recorded in the audit trail: {exc}"
    return DeploymentRefused(f"{attempt.kind} refused: {refusal.reason} ({note})")


def started(gov: Governance, attempt: Attempt, arn: str, **more: Any) -> dict[str, Any] | None:
    return gov.record(STARTED, arn, attempt.details(**more))


def finished(
    gov: Governance, attempt: Attempt, arn: str, *, reason: str | None = None, status: str = FAILED, **more: Any
) -> None:
    """Succeeded without a ``reason``; with one, ``status`` (failed, or unknown when the outcome cannot be told)."""
    outcome = {"status": status, "reason": reason} if reason else {"status": SUCCEEDED}
    gov.record(FINISHED, arn, attempt.details(**outcome, **more))


def rolled_back(gov: Governance, attempt: Attempt, arn: str, *, cause: str, **more: Any) -> None:
    gov.record(ROLLED_BACK, arn, attempt.details(cause=cause, **more))
