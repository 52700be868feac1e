"""The audit trail in S3: one object per entry, ``audit/<model>/<12-digit seq>.json``, created conditionally.

``append`` writes with ``If-None-Match: *``: S3 creates the key only if it does not exist, so two writers can
never take the same sequence number. The loser reads the entry that won, and tries the next number (bounded).
The bucket has Object Lock and versioning: an entry written again or deleted stays visible as an extra version or
a delete marker, which ``stored`` reports for ``verify``.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..errors import MlopsError
from . import chain, signatures

PREFIX = "audit"
DIGITS = 12
BACKOFF_BASE, BACKOFF_CAP = 0.01, 0.5  # seconds
MAX_ATTEMPTS = 100  # conflicts one append survives (8 writers appending at full speed need far fewer)


class AuditError(MlopsError):
    """The trail cannot be read or appended to (no bucket, no permission, too many concurrent writers)."""


def utc_now() -> str:
    """The system's UTC time, to the microsecond, ISO 8601 with Z."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def caller(sts: Any) -> str:
    """The identity AWS sees for these credentials (an assumed-role session ARN, a user ARN)."""
    return sts.get_caller_identity()["Arn"]


def principal(arn: str) -> str:
    """The IAM principal behind an identity, comparable across spellings: ``<account>:role/<name>`` (a session's
    role, path and partition dropped, IAM names are case-insensitive) or ``<account>:user/<name>``."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return arn.lower()
    account, resource = parts[4], parts[5]
    if parts[2] == "sts" and resource.startswith("assumed-role/"):
        return f"{account}:role/{resource.split('/')[1].lower()}"
    if parts[2] == "iam" and resource.startswith(("role/", "user/")):
        kind, *_, name = resource.split("/")
        return f"{account}:{kind}/{name.lower()}"
    return arn.lower()


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


class AuditTrail:
    """A model's trail in a bucket. ``actor`` is fetched from STS once, on the first append."""

    def __init__(
        self, s3: Any, bucket: str, model: str, *, actor: Callable[[], str], clock: Callable[[], str] = utc_now
    ):
        self.s3 = s3
        self.bucket = bucket
        self.model = model
        self._actor_source = actor
        self._actor: str | None = None
        self._clock = clock
        self._head: tuple[int, str] | None = None

    @property
    def prefix(self) -> str:
        return f"{PREFIX}/{self.model}/"

    def key(self, seq: int) -> str:
        return f"{self.prefix}{seq:0{DIGITS}d}.json"

    def _seq(self, key: str) -> int | None:
        name = key[len(self.prefix) :]
        stem = name.removesuffix(".json")
        return int(stem) if name.endswith(".json") and stem.isdigit() and len(stem) == DIGITS else None

    @property
    def actor(self) -> str:
        if self._actor is None:
            self._actor = self._actor_source()
        return self._actor

    # --- writing ---------------------------------------------------------------------------------------------

    def _read(self, seq: int) -> dict[str, Any]:
        body = self.s3.get_object(Bucket=self.bucket, Key=self.key(seq))["Body"].read()
        try:
            entry = _json(body)
            if not isinstance(entry["hash"], str):
                raise ValueError("hash is not a string")
        except (ValueError, KeyError) as exc:
            raise AuditError(
                f"audit entry {seq} is unreadable ({exc.__class__.__name__}): nothing can chain to it; "
                "run `audit verify` and restore it"
            ) from exc
        return entry

    def head(self, after: int = 0) -> tuple[int, str]:
        """(sequence number, hash) of the last entry; (0, genesis) for an empty trail.

        ``after``: an entry known to exist; only keys after it are listed (a writer that lost a race).
        """
        last = after
        listing: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix}
        if after:
            listing["StartAfter"] = self.key(after)
        for page in self.s3.get_paginator("list_objects_v2").paginate(**listing):
            for obj in page.get("Contents", []):
                seq = self._seq(obj["Key"])
                if seq is not None:
                    last = max(last, seq)
        if last == 0:
            return 0, chain.genesis(self.model)
        return last, self._read(last)["hash"]

    def _forward(self, seq: int, prev: str) -> tuple[int, str]:
        """From a known entry to the head: read the entries after it until a number is free (GETs, no listing)."""
        while True:
            try:
                entry = self._read(seq + 1)
            except ClientError as exc:
                if _code(exc) in ("NoSuchKey", "404"):
                    return seq, prev
                raise
            seq, prev = seq + 1, entry["hash"]

    def append(self, action: str, subject: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write the next entry; returns it. Time from the system clock, actor from STS, never from arguments."""
        try:
            # Start from the real head: a writer that trusted its own last entry would always beat those that lost
            # a race, and starve them.
            seq, prev = self._forward(*self._head) if self._head else self.head()
            for attempt in range(MAX_ATTEMPTS):
                entry = chain.new_entry(
                    seq=seq + 1,
                    prev=prev,
                    time=self._clock(),
                    actor=self.actor,
                    action=action,
                    subject=subject,
                    details=details or {},
                )
                try:
                    self.s3.put_object(
                        Bucket=self.bucket,
                        Key=self.key(seq + 1),
                        Body=chain.encode(entry),
                        ContentType="application/json",
                        IfNoneMatch="*",
                    )
                except ClientError as exc:
                    if _code(exc) not in ("PreconditionFailed", "ConditionalRequestConflict"):
                        raise
                    # Another writer took seq + 1: back off (full jitter, capped), walk to the new head, chain to it
                    # and try again. Backing off thins out the writers racing for the next number.
                    time.sleep(random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)))  # noqa: S311 - jitter
                    seq, prev = self._forward(seq, prev)
                    continue
                self._head = (seq + 1, entry["hash"])
                return entry
        except ClientError as exc:
            raise AuditError(f"audit trail s3://{self.bucket}/{self.prefix}: {_code(exc)}: {exc}") from exc
        raise AuditError(f"audit trail {self.prefix}: {MAX_ATTEMPTS} writers got there first; try again")

    # --- reading ---------------------------------------------------------------------------------------------

    def stored(self) -> list[chain.Stored]:
        """Every key's current bytes, with how many versions S3 keeps of it and whether it was deleted."""
        versions: dict[int, int] = {}
        deleted: set[int] = set()
        try:
            pages = self.s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for version in page.get("Versions", []):
                    seq = self._seq(version["Key"])
                    if seq is not None:
                        versions[seq] = versions.get(seq, 0) + 1
                for marker in page.get("DeleteMarkers", []):
                    seq = self._seq(marker["Key"])
                    if seq is not None and marker.get("IsLatest"):
                        deleted.add(seq)
            out = []
            for seq in sorted(versions):
                body = (
                    None if seq in deleted else self.s3.get_object(Bucket=self.bucket, Key=self.key(seq))["Body"].read()
                )
                out.append(chain.Stored(seq, body, versions[seq]))
            return out
        except ClientError as exc:
            raise AuditError(f"audit trail s3://{self.bucket}/{self.prefix}: {_code(exc)}: {exc}") from exc

    def since(self, start: str) -> list[dict[str, Any]]:
        """The readable entries written at or after UTC time ``start`` (ISO 8601), newest first.

        Walks back from the head one entry at a time: what a decision on a package needs (its registration and
        any other decision on it) costs the entries since the package was registered, not the whole trail.
        """
        seq, _ = self.head()
        out = []
        while seq > 0:
            try:
                entry = self._read(seq)
            except (AuditError, ClientError):
                seq -= 1
                continue  # unreadable or deleted: `audit verify` names it; the walk goes on
            if str(entry.get("time", "")) < start:
                break
            out.append(entry)
            seq -= 1
        return out

    def entries(self) -> list[dict[str, Any]]:
        """The readable entries, in order (``verify`` is what says whether they can be trusted)."""
        out = []
        for item in self.stored():
            if item.body is not None:
                try:
                    out.append(_json(item.body))
                except ValueError:
                    continue
        return out

    def verify(self, trusted: set[str], *, require_signatures: bool = True) -> chain.Verification:
        """The chain and every signature, against the ``trusted`` key fingerprints (never the recorded keys alone)."""
        return chain.verify(
            self.model, self.stored(), check_entry=lambda e: entry_signature_problem(e, trusted, require_signatures)
        )


ACTION_DECISIONS = {"model.approved": "approved", "model.rejected": "rejected"}


def entry_signature_problem(entry: dict[str, Any], trusted: set[str], required: bool = True) -> str | None:
    """A decision entry holds only if its signature verifies and signs this entry's package, decision and actor."""
    decision = ACTION_DECISIONS.get(entry["action"])
    if "signature" not in entry["details"]:
        return f"{entry['action']} without a signature" if decision and required else None
    try:
        signature = signatures.from_record(entry["details"]["signature"])
    except ValueError as exc:
        return str(exc)
    content = signature.payload
    if content.get("package_arn") != entry["subject"]:
        return f"the signature is for {content.get('package_arn')}, not {entry['subject']}"
    if decision and content.get("decision") != decision:
        return f"the signature says {content.get('decision')!r}, the entry {entry['action']}"
    if content.get("identity") != entry["actor"]:
        return f"signed by {content.get('identity')}, recorded by {entry['actor']}"
    if content.get("meaning") not in signatures.MEANINGS:
        return f"the meaning {content.get('meaning')!r} is not one of {', '.join(signatures.MEANINGS)}"
    return signatures.problem(signature, trusted)


def _json(body: bytes) -> dict[str, Any]:
    value = json.loads(body)
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value
