"""Serve (the image's ``serve`` program): the SageMaker inference contract over HTTP, standard library only.

SageMaker starts the container with ``serve``, unpacks the model into /opt/ml/model and talks to port
8080: ``GET /ping`` must answer 200 once the model is ready, ``POST /invocations`` gets the payload.
Accepted payloads, checked against the model's schema.json before the model sees them:

- ``text/csv``: one row per line, no header, the features in schema order;
- ``application/json``: ``{"instances": [{"<feature>": value, ...}, ...]}``.

The answer is ``{"predictions": [...]}``: the probability of the positive class for a classifier, the
predicted value for a regressor. A bad payload gets 400 and a message naming the field; another content
type 415.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd

from . import contract, models
from .data import schema as schema_mod

PORT = 8080  # SageMaker sends requests here
MAX_PAYLOAD = 6 * 1024 * 1024  # SageMaker's real-time payload limit
CONTENT_TYPES = ("text/csv", "application/json")


class BadRequest(ValueError):
    """The payload cannot be scored; the message says which field is wrong."""


class Model:
    """The model and its schema, loaded once (in the background, so /ping answers meanwhile)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.ready = threading.Event()  # loaded: /ping answers 200
        self.attempted = threading.Event()  # loaded or failed trying
        self.error: str | None = None
        self.bundle: dict[str, Any] = {}
        self.schema: schema_mod.Schema | None = None

    def load(self) -> None:
        try:
            self.schema = schema_mod.load(self.folder / schema_mod.SCHEMA_FILE)
            self.bundle = models.load(self.folder)
        except Exception as exc:
            self.error = f"cannot load the model from {self.folder}: {exc}"
            print(self.error, file=sys.stderr)
        else:
            self.ready.set()
        finally:
            self.attempted.set()

    def frame(self, body: bytes, content_type: str) -> pd.DataFrame:
        assert self.schema is not None
        names = self.schema.feature_names
        text = body.decode("utf-8")
        if content_type == "text/csv":
            rows = [row for row in csv.reader(io.StringIO(text)) if row]
            for number, row in enumerate(rows, start=1):
                if len(row) != len(names):
                    raise BadRequest(
                        f"CSV row {number} has {len(row)} values, expected {len(names)} (no header; features in "
                        f"this order: {', '.join(names)})"
                    )
            records = [{n: (v.strip() or None) for n, v in zip(names, row, strict=True)} for row in rows]
        else:
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as exc:
                raise BadRequest(f"the body is not valid JSON ({exc})") from exc
            found = doc.get("instances") if isinstance(doc, dict) else None
            if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
                raise BadRequest('expected {"instances": [{"<feature>": value, ...}, ...]}')
            records = found
            for number, record in enumerate(records, start=1):
                missing = [n for n in names if n not in record]
                extra = [k for k in record if k not in names]
                if missing or extra:
                    problem = f"missing field {missing[0]!r}" if missing else f"unknown field {extra[0]!r}"
                    raise BadRequest(f"instance {number}: {problem}; the features are {', '.join(names)}")
        if not records:
            raise BadRequest("the payload holds no rows")
        frame = pd.DataFrame(records, columns=names)
        try:
            # Missing values are the model's to handle; the schema's share limit is for data sets.
            relaxed = schema_mod.Schema(self.schema.features, self.schema.target, max_missing_fraction=1.0)
            return schema_mod.validate(frame, relaxed, "request", with_target=False)
        except schema_mod.DataError as exc:
            raise BadRequest(str(exc).split(" Fix:")[0].replace("row ", "instance ")) from exc

    def predict(self, body: bytes, content_type: str) -> list[float]:
        return [float(v) for v in models.predict(self.bundle, self.frame(body, content_type))]


class Handler(BaseHTTPRequestHandler):
    model: Model  # set by make_server
    server_version = "model-server"

    def _reply(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path != "/ping":
            self._reply(HTTPStatus.NOT_FOUND, {"error": f"no such path {self.path}; use GET /ping"})
        elif self.model.ready.is_set():
            self._reply(HTTPStatus.OK, {"status": "ok"})
        else:
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"status": self.model.error or "loading"})

    def do_POST(self) -> None:
        if self.path != "/invocations":
            self._reply(HTTPStatus.NOT_FOUND, {"error": f"no such path {self.path}; use POST /invocations"})
            return
        if not self.model.ready.is_set():
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": self.model.error or "the model is loading"})
            return
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type not in CONTENT_TYPES:
            supported = " or ".join(CONTENT_TYPES)
            message = f"content type {content_type or '(none)'!r} is not supported; use {supported}"
            self._reply(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": message})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"payload over {MAX_PAYLOAD} bytes"})
            return
        try:
            predictions = self.model.predict(self.rfile.read(length), content_type)
        except (BadRequest, UnicodeDecodeError) as exc:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        self._reply(HTTPStatus.OK, {"predictions": predictions})

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


# SageMaker connects from outside the container: the container binds every interface.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104


def make_server(model_dir: Path, host: str = ALL_INTERFACES, port: int = PORT) -> tuple[ThreadingHTTPServer, Model]:
    """A server for the model in ``model_dir``; the model loads in a background thread."""
    model = Model(model_dir)
    handler = type("ModelHandler", (Handler,), {"model": model})
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=model.load, name="model-load", daemon=True).start()
    return server, model


def main() -> int:
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", PORT))
    server, _ = make_server(contract.model_dir(), port=port)
    print(f"serving {contract.model_dir()} on port {port}", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
