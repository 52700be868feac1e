"""What a target (the endpoint or the local server) of one environment served, from the audit trail alone.

Every successful deployment is a ``deployment.finished`` entry with ``status: succeeded``. Read in order, they
form a stack: a deployment pushes its package, a rollback pops back to the package it returned to. So rolling
back twice goes two deployments back, never forth again to the package the first rollback left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

FINISHED = "deployment.finished"
SUCCEEDED = "succeeded"
ROLLBACK = "rollback"


@dataclass(frozen=True)
class History:
    served: tuple[str, ...]  # package ARNs, oldest first; the last one is serving now

    @property
    def current(self) -> str | None:
        return self.served[-1] if self.served else None

    @property
    def previous(self) -> str | None:
        return self.served[-2] if len(self.served) > 1 else None


def history(entries: Iterable[dict[str, Any]], *, env: str, target: str) -> History:
    """The packages ``target`` in ``env`` served, from the trail's entries (in trail order)."""
    stack: list[str] = []
    for entry in entries:
        details = entry.get("details", {})
        if entry.get("action") != FINISHED or details.get("status") != SUCCEEDED:
            continue
        if details.get("env") != env or details.get("target") != target:
            continue
        arn = str(entry.get("subject"))
        if details.get("kind") == ROLLBACK and arn in stack:
            del stack[len(stack) - stack[::-1].index(arn) :]  # back to its latest time on the stack
        elif not stack or stack[-1] != arn:
            stack.append(arn)
    return History(tuple(stack))
