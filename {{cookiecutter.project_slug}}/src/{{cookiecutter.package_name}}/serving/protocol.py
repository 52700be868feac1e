"""uvicorn's httptools protocol with the limits it lacks, and JSON answers for requests it cannot parse.

uvicorn 0.54 accepts request heads of any size and waits forever for a head that stops arriving (its
keep-alive timer is cancelled by the first byte). This subclass caps the request line plus headers at
``MAX_HEAD`` bytes (431) and gives a started head ``HEAD_TIMEOUT`` seconds (408); a connection that never
starts a request is closed after the keep-alive timeout, as an idle one is. Requests the parser refuses
(a ``Content-Length`` of ``abc`` or ``-1``, a bad chunk size) get 400 with a JSON body like every error.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import READ_TIMEOUT

MAX_HEAD = 16 * 1024  # request line + headers; SageMaker's own requests are a few hundred bytes
HEAD_TIMEOUT = READ_TIMEOUT


class _HeadTooLarge(Exception):
    pass


class Protocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_bytes = 0
        self._head_too_large = False
        self._head_timer: asyncio.TimerHandle | None = self.loop.call_later(self.timeout_keep_alive, self._idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _idle(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self._send_error(408, f"the request head did not arrive within {HEAD_TIMEOUT:g} s")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._disarm()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_too_slow)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD:
            self._head_too_large = True
            raise _HeadTooLarge  # the parser stops; uvicorn answers through send_400_response

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        self._disarm()
        if self._head_too_large:
            self._send_error(431, f"the request line and headers exceed {MAX_HEAD} bytes")
        else:
            self._send_error(400, "malformed HTTP request (check Content-Length, Transfer-Encoding and chunk sizes)")

    def _send_error(self, status: int, message: str) -> None:
        body = orjson.dumps({"error": message})
        reason = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        head: list[Any] = [b"HTTP/1.1 %d %s\r\n" % (status, reason)]
        head += [b"%s: %s\r\n" % pair for pair in self.server_state.default_headers]
        head.append(b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self.transport.close()
