"""AWS for the local run: the in-process emulator (moto server on 127.0.0.1) or AWS itself.

Both give the runner the same thing, an ``Aws`` with boto3 clients; only the endpoint differs.
``emulator`` starts empty every time (tests); ``world.open_world`` is the same server with state kept on disk.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from ...errors import MlopsError

# Placeholders the emulator accepts; never used against AWS.
EMULATOR_CREDENTIALS = {"aws_access_key_id": "emulator", "aws_secret_access_key": "emulator"}
# moto reads the account of a request from this header (moto.core.responses.BaseResponse.get_current_account).
# A header per request, not MOTO_ACCOUNT_ID: that variable is process-global and beats the header.
ACCOUNT_HEADER = "x-moto-account-id"
_CLIENT_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"})

# moto keeps its state in module globals: one emulator state per process. Whoever holds it (an `emulator()` or an
# open world) owns it until they exit; a second holder would reset or overwrite the first one's state.
_state_lock = threading.Lock()
_holder: str | None = None


class EmulatorBusy(MlopsError):
    """The emulator state of this process is already held by another open emulator or world."""


@dataclass(frozen=True)
class Aws:
    """boto3 clients for one place: the emulator (``endpoint_url`` set) or AWS (``endpoint_url`` None)."""

    session: boto3.Session
    endpoint_url: str | None

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url, config=_CLIENT_CONFIG)

    @property
    def emulated(self) -> bool:
        return self.endpoint_url is not None


@contextlib.contextmanager
def hold(what: str) -> Iterator[None]:
    """Own this process's emulator state for the block; refuse (no waiting) if someone else holds it."""
    global _holder
    if not _state_lock.acquire(blocking=False):
        raise EmulatorBusy(
            f"cannot open {what}: {_holder} is already open in this process "
            "(the emulator keeps one state per process; close the first one before opening another)"
        )
    _holder = what
    try:
        yield
    finally:
        _holder = None
        _state_lock.release()


@contextlib.contextmanager
def server() -> Iterator[str]:
    """moto's server on 127.0.0.1 at a free port; yields its endpoint URL and stops it on exit.

    The state it serves is the process's moto state, as it is: callers hold it (``hold``) and reset or load it.
    """
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto_server.start()
    host, port = moto_server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        _stop(moto_server, host, port)


def _stop(moto_server: Any, host: str, port: int) -> None:
    """Stop the server now: its loop looks for the stop request every 0.5 s, or as soon as a connection comes."""
    stopping = threading.Thread(target=moto_server.stop, daemon=True)
    stopping.start()
    while stopping.is_alive():
        try:
            socket.create_connection((host, port), timeout=1).close()  # wakes the loop; an empty request
        except Exception:  # best effort: without it the loop still stops within 0.5 s
            break
        stopping.join(0.01)
    stopping.join()


def reset_state(endpoint: str) -> None:
    """Empty every service of the emulator (moto's own reset endpoint)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310 - local http
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - the emulator on 127.0.0.1
        pass


def emulator_session(
    region: str, account: str | None = None, credentials: dict[str, str] | None = None
) -> boto3.Session:
    """A session for the emulator; with ``account``, every request it makes is in that account.

    ``credentials`` (boto3 session keyword arguments) are an identity the emulator issued (``sts.assume_role``);
    without them requests are the emulator's default user.

    The header goes on at signing time, on every request of every client made from the session afterwards,
    the multipart requests of ``upload_file`` / ``download_file`` included (they go through the same client).
    """
    session = boto3.Session(region_name=region, **(credentials or EMULATOR_CREDENTIALS))
    if account is not None:

        def add_account(request: Any, **_: Any) -> None:
            # Retries sign the same request again: replace, never append a second header.
            del request.headers[ACCOUNT_HEADER]
            request.headers[ACCOUNT_HEADER] = account

        session.events.register("before-sign", add_account)
    return session


@contextlib.contextmanager
def emulator(region: str, account: str | None = None) -> Iterator[Aws]:
    """Start moto's server on 127.0.0.1 at a free port, with empty state; stop it on exit.

    ``account`` is the account id the emulator sees (moto's 123456789012 if None).
    """
    with hold("the AWS emulator"), server() as endpoint:
        reset_state(endpoint)  # moto keeps its state per process: start every run from nothing.
        yield Aws(emulator_session(region, account), endpoint)


@contextlib.contextmanager
def aws(region: str, profile: str | None = None) -> Iterator[Aws]:
    """Real AWS with the usual credential chain (environment, profile, SSO, instance role)."""
    yield Aws(boto3.Session(region_name=region, profile_name=profile), None)
