"""AWS for the local run: the in-process emulator (moto server on 127.0.0.1) or AWS itself.

Both give the runner the same thing, an ``Aws`` with boto3 clients; only the endpoint differs.
"""

from __future__ import annotations

import contextlib
import logging
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

# Placeholders the emulator accepts; never used against AWS.
EMULATOR_CREDENTIALS = {"aws_access_key_id": "emulator", "aws_secret_access_key": "emulator"}
_CLIENT_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"})


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
def emulator(region: str) -> Iterator[Aws]:
    """Start moto's server on 127.0.0.1 at a free port, with empty state; stop it on exit."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # moto keeps its state per process: start every run from nothing.
        request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310 - local http
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - the emulator on 127.0.0.1
            pass
        yield Aws(boto3.Session(region_name=region, **EMULATOR_CREDENTIALS), endpoint)
    finally:
        server.stop()


@contextlib.contextmanager
def aws(region: str, profile: str | None = None) -> Iterator[Aws]:
    """Real AWS with the usual credential chain (environment, profile, SSO, instance role)."""
    yield Aws(boto3.Session(region_name=region, profile_name=profile), None)
