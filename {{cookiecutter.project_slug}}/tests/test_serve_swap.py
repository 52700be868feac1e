"""The multi-process server as `deploy --local` runs it: hot swap under load, refused versions, graceful stop."""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import socket
import threading
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import schema as schema_mod
from {{ cookiecutter.package_name }}.serving import control


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def model(trained):
    run = trained["binary_classification"]
    schema = schema_mod.load(run["model_dir"] / "schema.json")
    rows = pd.read_csv(run["test_csv"])[schema.feature_names].head(2).to_csv(header=False, index=False).encode()
    return run["model_dir"], rows


def _broken_copy(model_dir: Path, tmp_path: Path, name: str) -> Path:
    """The model folder with one file replaced by bytes no loader accepts."""
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    (broken / name).write_bytes(b"not a model")
    return broken


@pytest.fixture
def state(tmp_path: Path):
    folder = tmp_path / "serving"
    yield folder
    control.stop(folder)


def _load(port: int, rows: bytes, stop: threading.Event, statuses: Counter, errors: list[str]) -> None:
    """One keep-alive client posting as fast as it can until ``stop``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while not stop.is_set():
        try:
            connection.request("POST", "/invocations", body=rows, headers={"Content-Type": "text/csv"})
            response = connection.getresponse()
            response.read()
            statuses[response.status] += 1
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.close()


def test_ten_swaps_under_load_fail_no_request(model, state, tmp_path: Path):
    model_dir, rows = model
    other = tmp_path / "copy"
    shutil.copytree(model_dir, other)
    port = _free_port()
    server = control.deploy(state, model_dir, version="v0", port=port, workers=2)
    assert server.version == "v0" and control.status(state) == server
    stop, statuses, errors = threading.Event(), Counter(), []
    clients = [threading.Thread(target=_load, args=(port, rows, stop, statuses, errors)) for _ in range(4)]
    for client in clients:
        client.start()
    try:
        for swap in range(1, 11):
            before = sum(statuses.values())
            served = control.deploy(state, other if swap % 2 else model_dir, version=f"v{swap}", port=port)
            assert served.version == f"v{swap}" and served.pid == server.pid  # swapped, not restarted
            deadline = time.monotonic() + 30
            while sum(statuses.values()) < before + 20 and time.monotonic() < deadline:  # load flows between swaps
                time.sleep(0.01)
    finally:
        stop.set()
        for client in clients:
            client.join(15)
    assert errors == [] and set(statuses) == {200} and statuses[200] >= 200
    with contextlib.closing(http.client.HTTPConnection("127.0.0.1", port, timeout=5)) as connection:
        connection.request("GET", "/ping")
        assert json.loads(connection.getresponse().read())["version"] == "v10"


def test_a_version_that_does_not_load_is_refused_and_the_old_one_serves(model, state, tmp_path: Path):
    model_dir, _ = model
    broken = _broken_copy(model_dir, tmp_path, "model.joblib")
    port = _free_port()
    control.deploy(state, model_dir, version="good", port=port, workers=2)
    with pytest.raises(control.ServerError, match=r"cannot load model version 'bad'.*keeps serving good"):
        control.deploy(state, broken, version="bad", port=port, timeout=30)
    assert control.status(state).version == "good"
    assert json.loads((state / control.POINTER).read_text())["version"] == "good"


def test_a_refusal_does_not_haunt_later_versions(model, state, tmp_path: Path):
    """Version labels that contain each other (package ARNs .../1 and .../10) and a refused earlier attempt."""
    model_dir, _ = model
    broken = _broken_copy(model_dir, tmp_path, "model.joblib")
    port = _free_port()
    control.deploy(state, model_dir, version="g/2", port=port, workers=2)
    with pytest.raises(control.ServerError):
        control.deploy(state, broken, version="g/10", port=port, timeout=30)
    assert control.deploy(state, model_dir, version="g/1", port=port).version == "g/1"
    assert control.deploy(state, model_dir, version="g/10", port=port).version == "g/10"


def test_a_malformed_pointer_does_not_stop_hot_swap(model, state):
    model_dir, _ = model
    port = _free_port()
    control.deploy(state, model_dir, version="a", port=port, workers=1)
    (state / control.POINTER).write_text("[]")
    time.sleep(0.5)
    assert control.deploy(state, model_dir, version="b", port=port, timeout=30).version == "b"


def test_a_server_whose_first_version_fails_is_not_left_running(model, state, tmp_path: Path):
    model_dir, _ = model
    broken = _broken_copy(model_dir, tmp_path, "schema.json")
    with pytest.raises(control.ServerError, match="cannot load model version 'v1'"):
        control.deploy(state, broken, version="v1", port=_free_port(), workers=1, timeout=30)
    assert control.status(state) is None and not (state / control.STATE).exists()


def test_a_reused_pid_is_not_taken_for_the_server(state):
    import json as json_mod
    import subprocess

    other = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        state.mkdir(parents=True)
        stale = {"pid": other.pid, "started": 1, "port": 1, "workers": 1}  # a start time that is not sleep's
        (state / control.STATE).write_text(json_mod.dumps(stale))
        assert control.status(state) is None and control.stop(state) is False
        assert other.poll() is None  # not signalled
    finally:
        other.kill()
        other.wait()


def test_stop_is_graceful_and_flushes_the_capture(model, state, tmp_path: Path):
    model_dir, rows = model
    port = _free_port()
    captures = tmp_path / "capture"
    control.deploy(state, model_dir, version="v1", port=port, workers=1, capture_dir=captures, endpoint_name="ep")
    ids = []
    for _ in range(5):
        with contextlib.closing(http.client.HTTPConnection("127.0.0.1", port, timeout=5)) as connection:
            connection.request("POST", "/invocations", body=rows, headers={"Content-Type": "text/csv"})
            response = connection.getresponse()
            response.read()
            ids.append(response.getheader("x-inference-id"))
    started = time.monotonic()
    assert control.stop(state) is True
    assert time.monotonic() - started < 30 and control.status(state) is None and control.stop(state) is False
    lines = [json.loads(line) for path in captures.rglob("*.jsonl") for line in path.read_text().splitlines()]
    assert sorted(r["eventMetadata"]["inferenceId"] for r in lines) == sorted(ids)


def test_a_request_in_flight_at_sigterm_is_answered(model, state):
    """Half a body is on the wire when the stop begins; the rest follows and the answer still comes."""
    model_dir, rows = model
    port = _free_port()
    control.deploy(state, model_dir, version="v1", port=port, workers=1)
    body = rows * 200
    head = f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: {len(body)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(head.encode() + body[: len(body) // 2])
        time.sleep(0.3)  # the server has begun reading this request
        stopping = threading.Thread(target=control.stop, args=(state,))
        stopping.start()
        time.sleep(0.5)  # SIGTERM delivered: no new connections, this one is in flight
        sock.sendall(body[len(body) // 2 :])
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        stopping.join(30)
    assert reply.startswith(b"HTTP/1.1 200") and len(json.loads(reply.partition(b"\r\n\r\n")[2])["predictions"]) == 400
    assert control.status(state) is None


def test_a_server_that_cannot_start_says_why(model, state):
    model_dir, _ = model
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(control.ServerError, match=r"exited|address already in use"):
            control.deploy(state, model_dir, version="v1", port=busy.getsockname()[1], workers=1, timeout=30)
