"""Data capture in SageMaker's format, so the drift job reads a local server's captures and an endpoint's alike.

Each sampled request becomes one JSON line::

    {"captureData": {"endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",
                                        "data": "<body>", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                                        "data": "<answer>", "encoding": "JSON"}},
     "eventMetadata": {"eventId": "<uuid>", "inferenceId": "<id>", "inferenceTime": "2026-11-23T10:00:00.123Z"},
     "eventVersion": "0"}

in files laid out as SageMaker lays them out:
``<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl``.
The request path serialises its line (a few microseconds with orjson) and appends it to a buffer; a
background thread writes the buffer every second (or every ``MAX_BUFFER`` records), to a folder (write +
rename: no half-written file is ever visible) or with one PutObject to S3. Serialising in that thread
instead would hold the GIL for milliseconds per batch and show up in the server's tail latency.
Payloads that are not UTF-8 text are stored BASE64-encoded.
"""

from __future__ import annotations

import base64
import logging
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from .model import write_atomically

log = logging.getLogger(__name__)
FLUSH_SECONDS = 1.0
MAX_BUFFER = 1000
MAX_PENDING = 20 * MAX_BUFFER  # beyond this (the writer cannot keep up) records are dropped and counted
_ENCODINGS = {"text/csv": "CSV", "application/json": "JSON"}


def _part(mode: str, content_type: str, body: bytes) -> dict[str, str]:
    encoding = _ENCODINGS.get(content_type.split(";", 1)[0].strip().lower())
    if encoding:
        try:
            return {
                "observedContentType": content_type,
                "mode": mode,
                "data": body.decode("utf-8"),
                "encoding": encoding,
            }
        except UnicodeDecodeError:
            pass
    data = base64.b64encode(body).decode("ascii")
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": "BASE64"}


def iso_time(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}Z"


def line(event: tuple[str, str, float, str, bytes, str, bytes]) -> bytes:
    event_id, inference_id, when, in_type, in_body, out_type, out_body = event
    record: dict[str, Any] = {
        "captureData": {
            "endpointInput": _part("INPUT", in_type, in_body),
            "endpointOutput": _part("OUTPUT", out_type, out_body),
        },
        "eventMetadata": {"eventId": event_id, "inferenceId": inference_id, "inferenceTime": iso_time(when)},
        "eventVersion": "0",
    }
    return orjson.dumps(record) + b"\n"


class Capture:
    """Samples ``percent`` of the requests and writes them under ``destination`` (a folder or s3://bucket/prefix)."""

    def __init__(self, destination: str, percent: float, endpoint: str, variant: str):
        if not 0.0 <= percent <= 100.0:
            raise ValueError(f"capture percent {percent} is outside 0..100")
        self.destination = destination.rstrip("/")
        self.percent = percent
        self.prefix = f"{endpoint}/{variant}"
        self.written = 0  # records written
        self.failed = 0  # records lost to a failed write (logged)
        self.dropped = 0  # records not kept because the writer fell behind (logged)
        self._lines: list[tuple[float, bytes]] = []  # (time, JSON line)
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # flush() returns only after a write in progress has finished
        self._wake = threading.Event()
        self._stopping = False
        self._s3: Any = None
        self._thread = threading.Thread(target=self._loop, name="data-capture", daemon=True)
        self._thread.start()

    def sampled(self) -> bool:
        return self.percent >= 100.0 or random.random() * 100.0 < self.percent  # noqa: S311  sampling, not secrets

    def record(
        self, event_id: str, inference_id: str, in_type: str, in_body: bytes, out_type: str, out_body: bytes
    ) -> None:
        now = time.time()
        data = line((event_id, inference_id, now, in_type, in_body, out_type, out_body))
        with self._lock:
            if len(self._lines) >= MAX_PENDING:
                self.dropped += 1
                return
            self._lines.append((now, data))
            full = len(self._lines) >= MAX_BUFFER
        if full:
            self._wake.set()

    def _loop(self) -> None:
        while not self._stopping:
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self._writing:
            with self._lock:
                lines, self._lines = self._lines, []
            for start in range(0, len(lines), MAX_BUFFER):  # bounded files, bounded joins
                self._flush(lines[start : start + MAX_BUFFER])
            if self.dropped:
                log.warning("data capture: %d record(s) dropped so far: the writer fell behind", self.dropped)

    def _flush(self, lines: list[tuple[float, bytes]]) -> None:
        first = lines[0][0]
        name = f"{self.prefix}/{time.strftime('%Y/%m/%d/%H', time.gmtime(first))}/"
        name += f"{time.strftime('%M-%S', time.gmtime(first))}-{int(first * 1000) % 1000:03d}-{uuid.uuid4()}.jsonl"
        body = b"".join(data for _, data in lines)
        try:
            self._write(name, body)
        except Exception as exc:  # capture must never take serving down; the loss is counted and logged
            self.failed += len(lines)
            log.error("data capture: %d record(s) not written to %s/%s: %s", len(lines), self.destination, name, exc)
        else:
            self.written += len(lines)

    def _write(self, name: str, body: bytes) -> None:
        if not self.destination.startswith("s3://"):
            write_atomically(Path(self.destination) / name, body)
            return
        bucket, _, prefix = self.destination[5:].partition("/")
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3")
        key = f"{prefix}/{name}" if prefix else name
        self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/jsonl")

    def close(self) -> None:
        """Stop the writer and write what is buffered (on shutdown)."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=10)
        self.flush()
