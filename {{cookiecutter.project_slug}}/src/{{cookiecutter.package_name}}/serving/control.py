"""The local model server's lifecycle, for ``deploy --local``, ``rollback --local`` and ``endpoint``.

State lives in one folder per environment (``<local dir>/serving/<env>``):

    server.json    pid (the uvicorn supervisor, leader of its own process group), its start time, port, workers
    current.json   the pointer: the version every worker must serve, numbered (see model.py)
    acks/<pid>     what each worker serves now, the pointer generation it last tried and why that failed
    server.log     the server's output
    lock           held while a command starts, swaps or stops the server: one at a time

``deploy`` starts a server on a version, or, when one runs, rewrites the pointer and waits until every
worker has loaded the new version beside the old and switched (no request fails meanwhile). A version
that fails to load is refused: the pointer goes back and the old version keeps serving; a server that
could not load its first version is stopped.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import MlopsError
from .config import ServerConfig, default_workers
from .model import write_atomically

STATE, POINTER, ACKS, LOG, LOCK = "server.json", "current.json", "acks", "server.log", "lock"
HOST = "127.0.0.1"  # the local server is for this machine only
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 never goes through a proxy


class ServerError(MlopsError):
    """The local server did not start, or did not take the new version; the message says why."""


@dataclass(frozen=True)
class LocalServer:
    pid: int
    port: int
    url: str
    version: str | None  # the version every worker serves; None while they disagree or load


def _started(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else int(fields[19])  # a zombie has exited


def _alive(pid: int, started: int | None = None) -> bool:
    """The process runs; with ``started``, it is the same process, not a later one that got its pid."""
    now = _started(pid)
    return now is not None and (started is None or now == started)


def _read(path: Path) -> dict | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _acks(state_dir: Path) -> list[dict]:
    found = [_read(p) for p in sorted((state_dir / ACKS).glob("*.json"))]
    return [a for a in found if a and _alive(int(a["pid"]))]


def _info(state_dir: Path) -> dict | None:
    info = _read(state_dir / STATE)
    return info if info and _alive(int(info["pid"]), info.get("started")) else None


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, even if the command is killed
        yield


def status(state_dir: Path) -> LocalServer | None:
    """The server running from ``state_dir``, or None."""
    info = _info(state_dir)
    if info is None:
        return None
    acks = _acks(state_dir)
    served = {(a.get("served"), a.get("version")) for a in acks}
    version = served.pop()[1] if len(acks) >= info["workers"] and len(served) == 1 else None
    return LocalServer(int(info["pid"]), int(info["port"]), f"http://{HOST}:{info['port']}", version)


def deploy(
    state_dir: Path,
    model_dir: Path,
    *,
    version: str,
    port: int = 8080,
    capture_dir: Path | None = None,
    capture_percent: float = 100.0,
    endpoint_name: str = "local",
    workers: int | None = None,
    timeout: float = 120.0,
) -> LocalServer:
    """Serve ``model_dir`` as ``version``: hot-swap the running server, or start one. Returns once all serve it."""
    with _locked(state_dir):
        previous = _read(state_dir / POINTER)
        generation = time.time_ns()  # unique per write, whatever the pointer held before (even garbage)
        pointer = {"version": version, "model_dir": str(model_dir.resolve()), "generation": generation}
        write_atomically(state_dir / POINTER, json.dumps(pointer).encode())
        running = _info(state_dir)
        if running is None:
            _start(state_dir, model_dir, version, port, capture_dir, capture_percent, endpoint_name, workers)
        try:
            return _wait(state_dir, version, generation, timeout)
        except BaseException:  # refused, timed out or interrupted: serve what served before, or nothing
            if running is None:
                _stop(state_dir, timeout=30.0)
            elif previous is not None:
                write_atomically(state_dir / POINTER, json.dumps({**previous, "generation": time.time_ns()}).encode())
            raise


def _start(state_dir, model_dir, version, port, capture_dir, capture_percent, endpoint_name, workers) -> None:
    for old in (state_dir / ACKS).glob("*.json"):
        old.unlink()
    config = ServerConfig(
        model_dir=model_dir.resolve(),
        port=port,
        host=HOST,
        workers=workers or default_workers(),
        version=version,
        pointer=state_dir / POINTER,
        ack_dir=state_dir / ACKS,
        cache_dir=state_dir / "cache",
        capture_destination=str(capture_dir) if capture_dir else None,
        capture_percent=capture_percent if capture_dir else 0.0,
        endpoint_name=endpoint_name,
    )
    with (state_dir / LOG).open("ab") as log:
        process = subprocess.Popen(  # noqa: S603  our own interpreter and module
            [sys.executable, "-m", f"{__package__.rsplit('.', 1)[0]}.serve"],
            env={**os.environ, **config.to_env()},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the command that started it; stopped as one process group
        )
    state = {"pid": process.pid, "started": _started(process.pid), "port": port, "workers": config.workers}
    write_atomically(state_dir / STATE, json.dumps(state).encode())


def _log_tail(state_dir: Path, lines: int = 8) -> str:
    try:
        text = (state_dir / LOG).read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def _ping(port: int) -> bool:
    try:
        with _DIRECT.open(f"http://{HOST}:{port}/ping", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _wait(state_dir: Path, version: str, generation: int, timeout: float) -> LocalServer:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = _info(state_dir)
        if info is None:
            raise ServerError(f"the local server exited: {_log_tail(state_dir) or 'no output'}")
        acks = _acks(state_dir)
        failed = [a for a in acks if a.get("attempted") == generation and a.get("error")]
        if failed:
            serving = failed[0]["version"]
            keeps = f"; the server keeps serving {serving}" if serving else ""
            raise ServerError(f"{failed[0]['error']}{keeps}")
        done = [a for a in acks if a.get("served") == generation and a.get("version") == version]
        if len(done) >= info["workers"] and len(done) == len(acks) and _ping(info["port"]):
            return LocalServer(int(info["pid"]), int(info["port"]), f"http://{HOST}:{info['port']}", version)
        time.sleep(0.1)
    raise ServerError(f"the local server did not serve {version} within {timeout:g} s: {_log_tail(state_dir)}")


def stop(state_dir: Path, timeout: float = 30.0) -> bool:
    """Stop the server (SIGTERM: in-flight requests finish, captures are flushed); True if one was running."""
    with _locked(state_dir):
        return _stop(state_dir, timeout)


def _stop(state_dir: Path, timeout: float) -> bool:
    info = _info(state_dir)
    running = info is not None
    if info is not None:
        pid = int(info["pid"])
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid, info.get("started")) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid, info.get("started")):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    (state_dir / STATE).unlink(missing_ok=True)
    for ack in (state_dir / ACKS).glob("*.json"):
        ack.unlink()
    return running
