"""Every setting the model server reads from its environment: SageMaker's own variables and ours.

SageMaker sets ``SAGEMAKER_BIND_TO_PORT`` and may set ``SAGEMAKER_MODEL_SERVER_WORKERS``; the model
folder is ``SM_MODEL_DIR`` or /opt/ml/model (``contract.model_dir``). The ``SERVE_*`` variables are
this server's: the local deploy sets them, and a container may too (hot swap, data capture).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import contract
from ..errors import UsageError

PORT = 8080  # SageMaker sends requests here
MAX_PAYLOAD = 6 * 1024 * 1024  # SageMaker's real-time payload limit
# A client that announces more body than it sends is answered 408 after this long, not waited on forever.
READ_TIMEOUT = 10.0
# SageMaker sends SIGTERM and kills the container 30 s later: in-flight requests get 20 s to finish.
GRACEFUL_STOP = 20.0
ALL_INTERFACES = "0.0.0.0"  # noqa: S104  SageMaker connects from outside the container


@dataclass(frozen=True)
class ServerConfig:
    model_dir: Path
    port: int = PORT
    host: str = ALL_INTERFACES
    workers: int = 1
    version: str = "initial"  # label of the model in model_dir, shown by /ping
    pointer: Path | None = None  # JSON file naming the version to serve; rewritten to hot-swap
    ack_dir: Path | None = None  # each worker writes <pid>.json there after every load
    cache_dir: Path | None = None  # where versions from S3 are unpacked
    capture_destination: str | None = None  # folder or s3://bucket/prefix
    capture_percent: float = 0.0
    endpoint_name: str = "local"
    variant_name: str = "AllTraffic"
    read_timeout: float = READ_TIMEOUT

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ServerConfig:
        env = dict(os.environ if env is None else env)

        def path(name: str) -> Path | None:
            return Path(env[name]) if env.get(name) else None

        capture = env.get("SERVE_CAPTURE_DESTINATION") or None
        return cls(
            model_dir=path("SM_MODEL_DIR") or contract.model_dir(),
            port=_number(env, "SAGEMAKER_BIND_TO_PORT", int, PORT, 0, 65535),
            host=env.get("SERVE_HOST") or ALL_INTERFACES,
            workers=_number(env, "SAGEMAKER_MODEL_SERVER_WORKERS", int, default_workers(), 1, 64),
            version=env.get("SERVE_MODEL_VERSION") or "initial",
            pointer=path("SERVE_MODEL_POINTER"),
            ack_dir=path("SERVE_ACK_DIR"),
            cache_dir=path("SERVE_MODEL_CACHE"),
            capture_destination=capture,
            capture_percent=_number(env, "SERVE_CAPTURE_PERCENT", float, 100.0 if capture else 0.0, 0.0, 100.0),
            endpoint_name=env.get("SERVE_ENDPOINT_NAME") or "local",
            variant_name=env.get("SERVE_VARIANT_NAME") or "AllTraffic",
            read_timeout=_number(env, "SERVE_READ_TIMEOUT", float, READ_TIMEOUT, 0.1, 300.0),
        )

    def to_env(self) -> dict[str, str]:
        """The variables that make ``from_env`` return this configuration (for a server started elsewhere)."""
        pairs = {
            "SM_MODEL_DIR": str(self.model_dir),
            "SAGEMAKER_BIND_TO_PORT": str(self.port),
            "SERVE_HOST": self.host,
            "SAGEMAKER_MODEL_SERVER_WORKERS": str(self.workers),
            "SERVE_MODEL_VERSION": self.version,
            "SERVE_MODEL_POINTER": str(self.pointer or ""),
            "SERVE_ACK_DIR": str(self.ack_dir or ""),
            "SERVE_MODEL_CACHE": str(self.cache_dir or ""),
            "SERVE_CAPTURE_DESTINATION": self.capture_destination or "",
            "SERVE_CAPTURE_PERCENT": str(self.capture_percent),
            "SERVE_ENDPOINT_NAME": self.endpoint_name,
            "SERVE_VARIANT_NAME": self.variant_name,
            "SERVE_READ_TIMEOUT": str(self.read_timeout),
        }
        return pairs


def default_workers() -> int:
    """One worker per core this process may run on: each worker predicts single-threaded."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _number(env: dict[str, str], name: str, kind: type, default, low, high):
    text = env.get(name)
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise UsageError(
            f"{name}={text!r} is not a {'whole ' if kind is int else ''}number; unset it or fix it"
        ) from None
    if not low <= value <= high:
        raise UsageError(f"{name}={text!r} is outside {low}..{high}; unset it or fix it")
    return value
