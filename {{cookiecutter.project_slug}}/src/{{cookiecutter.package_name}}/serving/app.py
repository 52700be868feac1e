"""The ASGI application: SageMaker's inference contract, lean enough to answer in well under a millisecond.

    GET  /ping          200 {"status": "ok", "version": ...} while a model is loaded, else 503
    POST /invocations   text/csv or application/json in; JSON or CSV out, chosen by Accept
    GET  /openapi.json  the OpenAPI description of this model's endpoint

A plain ASGI callable, not a framework: three routes do not need a router, and the request path is
header lookup, one body read, the NumPy parse and the predictor (uvicorn's httptools parser has
already refused malformed requests: a bad Content-Length gets 400 before this code runs). Every
client mistake is a 4xx with ``{"error": ..., "field": ...}``; a 5xx means a bug here.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import orjson

from .capture import Capture
from .config import MAX_PAYLOAD, ServerConfig
from .model import ModelSlot
from .payload import CONTENT_TYPES, PayloadError, answer_type, render

log = logging.getLogger(__name__)
_JSON = b"application/json"
_INFERENCE_HEADER = b"x-inference-id"
_MAX_ID = 64  # SageMaker's InferenceId limit
_DRAIN_LIMIT = 8 * MAX_PAYLOAD


class _Gone(Exception):
    """The client disconnected before sending the whole body."""


class App:
    def __init__(self, config: ServerConfig, slot: ModelSlot | None = None, capture: Capture | None = None):
        self.config = config
        self.slot = slot or ModelSlot(config)
        self.capture = capture
        self._loader: asyncio.Task | None = None

    async def __call__(self, scope: dict[str, Any], receive, send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _limit_threads()
                if self.capture is None and self.config.capture_destination and self.config.capture_percent > 0:
                    self.capture = Capture(
                        self.config.capture_destination,
                        self.config.capture_percent,
                        self.config.endpoint_name,
                        self.config.variant_name,
                    )
                # The first version loads before this worker accepts a connection: SageMaker (and a restarted
                # worker's share of traffic) must never meet a worker whose /ping would answer 503.
                await asyncio.to_thread(self.slot.load_first)
                self._loader = asyncio.create_task(self.slot.follow())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._loader:
                    self._loader.cancel()
                if self.capture:
                    await asyncio.to_thread(self.capture.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope, receive, send) -> None:
        path, method = scope["path"], scope["method"]
        if path == "/invocations":
            if method == "POST":
                await self._invoke(scope, receive, send)
            else:
                await _error(send, 405, f"{method} is not allowed on /invocations; use POST", allow=b"POST")
        elif path == "/ping":
            if method in ("GET", "HEAD"):
                model = self.slot.current
                if model is None:
                    await _reply(send, 503, orjson.dumps({"status": self.slot.status}))
                else:
                    await _reply(send, 200, orjson.dumps({"status": "ok", "version": model.version}))
            else:
                await _error(send, 405, f"{method} is not allowed on /ping; use GET", allow=b"GET")
        elif path == "/openapi.json":
            model = self.slot.current
            if method not in ("GET", "HEAD"):
                await _error(send, 405, f"{method} is not allowed on /openapi.json; use GET", allow=b"GET")
            elif model is None:
                await _reply(send, 503, orjson.dumps({"status": self.slot.status}))
            else:
                await _reply(send, 200, model.openapi)
        else:
            await _error(send, 404, f"no such path {path[:100]!r}; use GET /ping or POST /invocations")

    async def _invoke(self, scope, receive, send) -> None:
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        media = content_type.split(";", 1)[0].strip().lower()
        if media not in CONTENT_TYPES:
            shown = content_type[:100] or "(none)"
            await _error(send, 415, f"content type {shown!r} is not supported; use text/csv or application/json")
            return
        answer = answer_type(headers.get(b"accept", b"").decode("latin-1"))
        if answer is None:
            await _error(send, 406, "Accept names no type this endpoint answers; use application/json or text/csv")
            return
        declared = headers.get(b"content-length")
        if declared is not None and int(declared) > MAX_PAYLOAD:  # httptools has checked it is a number
            # uvicorn discards the unread body of an answered request, so a modest one is drained and the
            # client reads its 413 (closing on a sender makes its kernel drop the reply); a huge one is cut off.
            close = int(declared) > _DRAIN_LIMIT
            await _error(send, 413, f"payload over {MAX_PAYLOAD} bytes; send fewer rows per request", close=close)
            return
        try:
            body = await self._body(receive)
        except TimeoutError:  # asyncio.timeout: the announced body did not arrive
            await _error(send, 408, f"the body did not arrive within {self.config.read_timeout:g} s", close=True)
            return
        except PayloadError as exc:
            await _error(send, exc.status, str(exc), close=True)
            return
        except _Gone:
            return
        model = self.slot.current  # this request keeps this version even if a swap happens meanwhile
        if model is None:
            await _error(send, 503, f"no model loaded ({self.slot.status}); retry when GET /ping answers 200")
            return
        try:
            predictions = model.predict(model.parser.parse(body, media))
        except PayloadError as exc:
            await _reply(send, exc.status, orjson.dumps(exc.to_dict()))
            return
        inference_id = _inference_id(headers.get(_INFERENCE_HEADER))
        out = render(predictions, answer, inference_id)
        if self.capture is not None and self.capture.sampled():  # before answering: an answered request is captured
            self.capture.record(str(uuid.uuid4()), inference_id, content_type, body, answer, out)
        await _reply(send, 200, out, answer.encode(), extra=((b"x-inference-id", inference_id.encode()),))

    async def _body(self, receive) -> bytes:
        async with asyncio.timeout(self.config.read_timeout):
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Gone
            body = message.get("body", b"")
            if not message.get("more_body"):
                return body
            chunks, size = [body], len(body)
            while True:  # a chunked body, or one larger than a socket read
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise _Gone
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                if size > MAX_PAYLOAD:
                    raise PayloadError(413, f"payload over {MAX_PAYLOAD} bytes; send fewer rows per request")
                if not message.get("more_body"):
                    return b"".join(chunks)
        raise AssertionError("unreachable")  # pragma: no cover


def _inference_id(given: bytes | None) -> str:
    """The client's id when it sent a printable ASCII one of SageMaker's length (1-64), else a new UUID."""
    if given:
        text = given.decode("latin-1").strip()
        if 0 < len(text) <= _MAX_ID and text.isascii() and text.isprintable():
            return text
    return str(uuid.uuid4())


async def _reply(send, status: int, body: bytes, content_type: bytes = _JSON, *, extra=(), close: bool = False) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra]
    if close:  # the rest of an unread body must not be parsed as the next request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send, status: int, message: str, *, allow: bytes | None = None, close: bool = False) -> None:
    extra = ((b"allow", allow),) if allow else ()
    await _reply(send, status, orjson.dumps({"error": message}), extra=extra, close=close)


def _limit_threads() -> None:
    """One thread per worker process, set once: workers are as many as cores, OpenMP pools would fight."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def create() -> App:
    """uvicorn's factory: each worker process builds its app from the environment."""
    return App(ServerConfig.from_env())
