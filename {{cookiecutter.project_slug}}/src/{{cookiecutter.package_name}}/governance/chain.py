"""The audit trail's format: canonical JSON entries linked by domain-separated SHA-256 hashes. Pure, no I/O.

An entry is ``{format, seq, time, actor, action, subject, details, prev, hash}``. Its bytes are the RFC 8785
canonical JSON of that object (the ``rfc8785`` library), so one entry has exactly one valid encoding. Hashes use
one-byte domain prefixes, as RFC 6962 does for Merkle leaves and nodes, so an entry hash can never pass for a link:

* ``content = SHA-256(0x00 || canonical(entry without prev and hash))``
* ``hash    = SHA-256(0x01 || prev || content)``  (what the next entry names as its ``prev``)
* the first entry's ``prev`` is ``SHA-256(0x02 || canonical({"model": <model>}))``: a chain belongs to one model.

``action`` is an open, dotted name (``model.approved``, later ``drift.detected``): new kinds of event need no
format change; ``ACTIONS`` lists the ones this code writes, for people reading the trail.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import rfc8785

from ..errors import MlopsError

FORMAT = 1
FIELDS = ("format", "seq", "time", "actor", "action", "subject", "details", "prev", "hash")
_CONTENT, _LINK, _GENESIS = b"\x00", b"\x01", b"\x02"
ACTION_PATTERN = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")

# What each action records; later work adds names here, never fields to the entry.
ACTIONS = {
    "pipeline.started": "a pipeline execution started (subject: the execution ARN)",
    "pipeline.finished": "a pipeline execution ended (details: status, failed step and why)",
    "step.finished": "a pipeline step ended, succeeded or failed (details: step, type, status, seconds)",
    "model.registered": "a model package was registered (details: its lineage)",
    "model.approved": "a steward approved the package with an electronic signature (details.signature)",
    "model.rejected": "a steward rejected the package with an electronic signature (details.signature, reason)",
    "signature.refused": "a signing attempt was refused (details: reason, who, what)",
    "report.written": "the validation report of a package was written (details: sha256 of report.json)",
    "deployment.started": "a deployment or rollback passed its checks and started (details: env, target, previous)",
    "deployment.finished": "a deployment or rollback ended (details: env, target, previous, status, why it failed)",
    "deployment.refused": "a deployment or rollback was refused before anything moved (details: env, target, reason)",
    "deployment.rolled_back": "a package stopped serving (details: cause rollback or sagemaker, env, target)",
    "drift.detected": "the drift job found drifted features",
    "retraining.started": "retraining started (details: why)",
    "challenger.promoted": "a challenger became the champion",
}


class EntryError(MlopsError, ValueError):
    """An entry that cannot be written: bad action name, values JSON cannot hold (NaN, integers beyond 2**53)."""


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON (sorted keys, no whitespace, ECMAScript number form, UTF-8)."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise EntryError(f"not canonical JSON: {exc}") from exc


def genesis(model: str) -> str:
    """The ``prev`` of a model's first entry."""
    return hashlib.sha256(_GENESIS + canonical({"model": model})).hexdigest()


def _content(entry: dict[str, Any]) -> bytes:
    body = {k: entry[k] for k in FIELDS if k not in ("prev", "hash")}
    return hashlib.sha256(_CONTENT + canonical(body)).digest()


def link(entry: dict[str, Any]) -> str:
    """The entry's hash: its content chained to its ``prev``."""
    return hashlib.sha256(_LINK + bytes.fromhex(entry["prev"]) + _content(entry)).hexdigest()


def new_entry(
    *, seq: int, prev: str, time: str, actor: str, action: str, subject: str, details: dict[str, Any]
) -> dict[str, Any]:
    """A complete entry (hash included). ``time`` and ``actor`` come from the system and STS, never from users."""
    if not ACTION_PATTERN.match(action):
        raise EntryError(f"action {action!r}: use a dotted lower-case name such as model.approved")
    entry = {
        "format": FORMAT,
        "seq": seq,
        "time": time,
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": details,
        "prev": prev,
    }
    canonical(entry)  # refuses what JSON cannot hold before anything is written
    entry["hash"] = link(entry)
    return entry


def encode(entry: dict[str, Any]) -> bytes:
    return canonical(entry)


# --- verification ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """One entry as storage holds it: the sequence number of its key, its bytes, and what S3 versioning shows."""

    seq: int
    body: bytes | None  # None: the key's current version is a delete marker
    versions: int = 1


@dataclass(frozen=True)
class Finding:
    seq: int
    kind: str  # modified, missing, inserted, reordered, overwritten, deleted, unreadable, bad_signature
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.kind}: {self.reason}"


@dataclass(frozen=True)
class Verification:
    model: str
    checked: int
    signatures: int
    findings: tuple[Finding, ...]
    head: str  # hash of the last entry (the genesis hash for an empty trail)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def summary(self) -> str:
        if self.ok:
            return (
                f"audit trail of {self.model}: {self.checked} entries, {self.signatures} signatures verified; "
                f"head {self.head[:16]}"
            )
        return f"audit trail of {self.model}: {self.first} ({len(self.findings)} problem(s) in {self.checked} entries)"


def parse(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    """(the entry, "") when ``raw`` is a well-formed entry (not yet verified), else (None, why not)."""
    try:
        entry = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"not JSON ({exc.__class__.__name__})"
    if not isinstance(entry, dict) or set(entry) != set(FIELDS):
        return None, f"not an audit entry (fields must be {', '.join(FIELDS)})"
    if entry["format"] != FORMAT or type(entry["seq"]) is not int:
        return None, f"format must be {FORMAT} and seq an integer"
    if not all(isinstance(entry[k], str) for k in ("time", "actor", "action", "subject", "prev", "hash")):
        return None, "time, actor, action, subject, prev and hash must be strings"
    if not re.fullmatch(r"[0-9a-f]{64}", entry["prev"]) or not isinstance(entry["details"], dict):
        return None, "prev is not a SHA-256 or details is not an object"
    return entry, ""


def verify(
    model: str,
    stored: Iterable[Stored],
    *,
    check_entry: Callable[[dict[str, Any]], str | None] | None = None,
) -> Verification:
    """Recompute the chain: every entry's bytes, hash, link to the one before, position, and signature.

    An entry links to the entry that says it is the one before it, wherever that is stored, so one tampered
    entry gives one finding, not a cascade. ``check_entry`` gets every intact entry and returns why its
    signature (or its lack of one) is bad, or None.
    """
    items = sorted(stored, key=lambda s: s.seq)
    parsed: dict[int, dict[str, Any] | None] = {}
    problems: dict[int, str] = {}
    for item in items:
        entry, problem = parse(item.body) if item.body is not None else (None, "")
        parsed[item.seq], problems[item.seq] = entry, problem
    claims = {e["seq"]: key for key, e in parsed.items() if e is not None}  # claimed seq -> stored at key
    rewritten: set[int] = set()

    findings: list[Finding] = []
    expected, signatures = 1, 0
    for item in items:
        after_gap = item.seq > expected
        if after_gap:
            gap = f"entry {expected}" if item.seq == expected + 1 else f"entries {expected} to {item.seq - 1}"
            findings.append(Finding(expected, "missing", f"{gap} not found: removed from the trail"))
        expected = item.seq + 1
        if item.versions > 1:
            findings.append(
                Finding(item.seq, "overwritten", f"storage holds {item.versions} versions: it was written again")
            )
        if item.body is None:
            findings.append(Finding(item.seq, "deleted", "the entry was deleted (a delete marker hides it)"))
            continue
        entry = parsed[item.seq]
        if entry is None:
            findings.append(Finding(item.seq, "unreadable", problems[item.seq]))
            continue
        try:
            encoded = canonical(entry)
            content_ok = link(entry) == entry["hash"]
        except EntryError as exc:
            findings.append(Finding(item.seq, "modified", str(exc)))
            continue
        if entry["seq"] != item.seq:
            other = parsed.get(entry["seq"])
            swapped = other is not None and other["seq"] == item.seq  # the two entries changed places
            kind = "reordered" if swapped else ("inserted" if entry["seq"] < item.seq else "modified")
            findings.append(Finding(item.seq, kind, f"stored as entry {item.seq} but says it is entry {entry['seq']}"))
            continue
        if encoded != item.body:
            findings.append(Finding(item.seq, "modified", "its bytes are not the canonical form of its content"))
            continue
        if not content_ok:
            findings.append(Finding(item.seq, "modified", "its content does not match its hash"))
            continue
        before_key = claims.get(item.seq - 1)
        before = parsed.get(before_key) if before_key is not None else None
        expected_prev = genesis(model) if item.seq == 1 else (before["hash"] if before else None)
        if expected_prev is not None and entry["prev"] != expected_prev and not after_gap:
            if item.seq > 1 and before_key == item.seq - 1 and item.seq - 1 not in rewritten:
                # The entry before is intact in itself, yet this one chains to another version of it.
                rewritten.add(item.seq - 1)
                findings.append(
                    Finding(item.seq - 1, "modified", f"rewritten with a new hash: entry {item.seq} links to another")
                )
            else:
                before_name = "the model's genesis" if item.seq == 1 else f"entry {item.seq - 1}"
                findings.append(
                    Finding(item.seq, "inserted", f"does not link to {before_name}: inserted or replaced before it")
                )
            continue
        if "signature" in entry["details"]:
            signatures += 1
        reason = check_entry(entry) if check_entry is not None else None
        if reason:
            findings.append(Finding(item.seq, "bad_signature", reason))
    findings.sort(key=lambda f: f.seq)
    last = next((parsed[s.seq] for s in reversed(items) if parsed.get(s.seq) is not None), None)
    return Verification(model, len(items), signatures, tuple(findings), last["hash"] if last else genesis(model))
