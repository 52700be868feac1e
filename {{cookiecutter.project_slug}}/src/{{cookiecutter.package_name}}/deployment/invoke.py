"""Rows to the local server or the endpoint, predictions back: the smoke test CI runs after each deployment.

The file goes as it is (CSV: no header, the features in schema order, as the endpoint takes it). The answer must
be ``{"predictions": [...]}`` with one prediction per CSV row, or the smoke test fails.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ..errors import MlopsError, UsageError
from ..serving.config import MAX_PAYLOAD

CSV = "text/csv"


class InvokeFailed(MlopsError):
    """The server refused the rows, could not be reached, or answered something that is not one prediction per row."""


def read_body(path: Path) -> bytes:
    size = path.stat().st_size
    if size == 0:
        raise UsageError(f"--file {path} is empty: give at least one row")
    if size > MAX_PAYLOAD:
        raise UsageError(f"--file {path} has {size} bytes, over the {MAX_PAYLOAD}-byte payload limit: send fewer rows")
    return path.read_bytes()


def row_count(body: bytes, content_type: str) -> int | None:
    """How many rows a CSV body holds (None for other types: the server checks those)."""
    if content_type != CSV:
        return None
    return sum(1 for row in csv.reader(io.StringIO(body.decode("utf-8", errors="replace"))) if row)


def post(url: str, body: bytes, content_type: str, timeout: float = 60.0) -> bytes:
    """POST /invocations on the local server at ``url``; the server's own message when it refuses."""
    request = urllib.request.Request(  # noqa: S310 - the local server's http URL, from its state file
        f"{url}/invocations",
        data=body,
        method="POST",
        headers={"Content-Type": content_type, "Accept": "application/json"},
    )
    try:
        # No proxy: the local server is on 127.0.0.1, and HTTP_PROXY must not carry the rows elsewhere.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=timeout) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        raise InvokeFailed(f"{url} answered {exc.code}: {_message(exc.read())}") from exc
    except OSError as exc:
        raise InvokeFailed(f"{url} cannot be reached ({exc}); see `endpoint status --local`") from exc


def _message(body: bytes) -> str:
    try:
        doc = json.loads(body)
        return f"{doc['error']}" + (f" (field {doc['field']})" if doc.get("field") else "")
    except (ValueError, KeyError, TypeError):
        return body.decode("utf-8", errors="replace")[:200]


def predictions(answer: bytes, rows: int | None) -> list[Any]:
    """The predictions of an answer, one per row sent."""
    try:
        values = json.loads(answer)["predictions"]
        if not isinstance(values, list):
            raise TypeError("not a list")
    except (ValueError, KeyError, TypeError) as exc:
        shown = answer.decode("utf-8", errors="replace")[:200]
        raise InvokeFailed(f"the answer holds no list of predictions: {shown}") from exc
    if rows is not None and len(values) != rows:
        raise InvokeFailed(f"{len(values)} predictions came back for {rows} rows")
    return values
