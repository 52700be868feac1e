"""Serving figures: the project's model server against two usual ways of serving the same model, in one run.

Servers, all on 127.0.0.1 with the same model folder (model.joblib, schema.json, ...), started side by side
and put under load one at a time:

- project: the package's ``serve`` module as the image runs it, SAGEMAKER_MODEL_SERVER_WORKERS = cores;
- FastAPI + uvicorn (httptools, uvloop), 2 workers, OMP_NUM_THREADS=1: pandas DataFrame + ``predict_proba``;
- Flask + gunicorn, gevent workers, one per core: the SageMaker scikit-learn container's stack (its gunicorn
  flags, without the nginx in front), pandas DataFrame + ``predict_proba``, OMP_NUM_THREADS=1 as well.

The two comparison apps (benchmarks/serving_apps/) run from their own virtual environment,
build/bench-serving/venv, installed once from benchmarks/requirements-serving.txt (the model libraries pinned as
in pyproject.toml). The model is the demo's, trained by ``pipeline run --local``: tuned as project.yaml says, or
with the default hyperparameters under --quick.

Load: wrk, a separate process with one thread, POSTs text/csv to /invocations for a bounded time per cell
(1 and 8 connections x 1 and 100 rows per request) after a warm-up; figures are requests/s, p50, p99, non-2xx
responses and socket errors, and the CPU the server used and everything else on the machine (but wrk) used
meanwhile: other work running on the machine lowers every figure, and that column shows it. Memory: RSS (and
PSS, which counts pages the workers share once) summed over each server's process tree after its load. Then
malformed requests on raw sockets with a client-side timeout, and whether each server still answers afterwards.

Prints figures and whether the goals are met; asserts nothing. Needs wrk (Debian: apt-get install wrk).
Usage: python benchmarks/serving.py [--quick] [--duration 5] [--servers project,fastapi,flask]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import hashlib
import http.client
import io
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from {{ cookiecutter.package_name }} import cli, models, settings
from {{ cookiecutter.package_name }}.data import schema as schema_mod
from {{ cookiecutter.package_name }}.data.datasets import write_dataset

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
WORK = ROOT / "build" / "bench-serving"
APPS = HERE / "serving_apps"
REQUIREMENTS = HERE / "requirements-serving.txt"
CLI = [sys.executable, "-m", "{{ cookiecutter.package_name }}.cli"]
HOST = "127.0.0.1"
PORT = "<port>"  # in a server's command line: the port it gets
CORES = os.cpu_count() or 1
TICK = os.sysconf("SC_CLK_TCK")
ROWS = (1, 100)
CONNECTIONS = (1, 8)
SERVERS = ("project", "fastapi", "flask")
TITLES = {
    "project": "project server",
    "fastapi": "FastAPI + uvicorn",
    "flask": "Flask + gunicorn (gevent)",
}
BIG_BODY = 7 * 1024 * 1024  # over SageMaker's 6 MB payload limit
# Goals on 2 cores, at 8 connections.
GOAL_SPEEDUP_1_ROW = 3.0  # x FastAPI's requests/s, with a lower p99
GOAL_RPS_1_ROW = 5000.0
GOAL_P99_1_ROW_MS = 3.0
GOAL_SPEEDUP_100_ROWS = 2.0  # x FastAPI's requests/s


def say(message: str) -> None:
    """Progress, on stderr: stdout holds only the figures."""
    print(message, file=sys.stderr, flush=True)


def clean_env() -> dict[str, str]:
    """This environment without AWS credentials or an OpenMP thread count to leak into the steps and servers."""
    env = {
        **os.environ,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "OMP_NUM_THREADS"):
        env.pop(name, None)
    return env


# --- The model and the payloads ----------------------------------------------------------------------


def train_model(dest: Path, tuned: bool) -> str:
    """Train the demo model with ``pipeline run --local`` and unpack the evaluated model.tar.gz into ``dest``."""
    cfg = settings.load()
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        folder = Path(tmp)
        data = yaml.safe_load(settings.project_file().read_text(encoding="utf-8"))
        data["training"]["tuning"]["enabled"] = tuned
        project = folder / "project.yaml"
        project.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        write_dataset(cfg.dataset, folder / "data")
        env = {**clean_env(), settings.PROJECT_FILE_ENV: str(project), cli.LOCAL_DIR_ENV: str(folder / "mlops")}
        cmd = [*CLI, "pipeline", "run", "--local", "--commit", "bench-serving", "--data-dir", "data"]
        cmd += ["--work-dir", str(folder / "runs")]
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=folder, capture_output=True, text=True, check=False)  # noqa: S603
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-1500:]}\n{proc.stderr[-2000:]}")
        archives = sorted((folder / "runs").glob("*/Evaluate/processing/input/model/model.tar.gz"))
        if not archives:
            sys.exit(f"the local run left no evaluated model.tar.gz under {folder / 'runs'}")
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        with tarfile.open(archives[0]) as archive:
            archive.extractall(dest, filter="data")
        say(f"model trained in {time.perf_counter() - start:.1f} s")
    how = f"tuned, {cfg.tuning_max_jobs} trials" if tuned else "default hyperparameters"
    return f"{how}, trained by `pipeline run --local` on {cfg.dataset}"


def payloads(model_dir: Path, folder: Path) -> tuple[dict[int, Path], list[str]]:
    """CSV bodies (no header, features in schema order) of 1 and 100 rows of the demo data, written to files."""
    names = schema_mod.load(model_dir / schema_mod.SCHEMA_FILE).feature_names
    cfg = settings.load()
    data = folder / "data"
    write_dataset(cfg.dataset, data)
    with next(data.glob("*.csv")).open(encoding="utf-8", newline="") as handle:
        rows = [",".join(record[n] for n in names) for record in csv.DictReader(handle)]
    files = {}
    for count in ROWS:
        lines = [rows[i % len(rows)] for i in range(count)]
        files[count] = folder / f"rows-{count}.csv"
        files[count].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return files, names


def reference(model_dir: Path, body: bytes, names: list[str]) -> list[float]:
    """What the model itself answers for ``body``, in this process."""
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(body), header=None, names=names)
    return [float(v) for v in models.predict(models.load(model_dir), frame)]


# --- The comparison environment ------------------------------------------------------------------------


def comparison_python() -> Path:
    """build/bench-serving/venv's python, (re)installed when requirements-serving.txt changed."""
    venv = WORK / "venv"
    python = venv / "bin" / "python"
    stamp = venv / "requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == digest:
        return python
    say(f"installing the comparison servers into {venv} (once) ...")
    shutil.rmtree(venv, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)]
    if subprocess.run(pip, check=False).returncode != 0:  # noqa: S603
        sys.exit(f"cannot install {REQUIREMENTS.name} (needs the package index); --servers project runs without them")
    stamp.write_text(digest, encoding="utf-8")
    say(f"installed in {time.perf_counter() - start:.0f} s")
    return python


# --- Servers -------------------------------------------------------------------------------------------


@dataclass
class Cell:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    server_cores: float = 0.0  # CPU the server's processes used, in cores
    other_cores: float = 0.0  # CPU everything else but wrk used meanwhile: other work skews the figures

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def clean(self) -> bool:
        return self.non_2xx == 0 and self.socket_errors == 0


@dataclass
class Server:
    key: str
    cmd: list[str]
    env: dict[str, str]
    cwd: Path
    detail: str
    port: int = 0
    proc: subprocess.Popen | None = None
    started: float = 0.0
    ready_s: float | None = None
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    memory: tuple[float, float, int] | None = None  # RSS MiB, PSS MiB, processes
    probes: dict[str, Probe] = field(default_factory=dict)
    still_serving: bool | None = None
    max_diff: float | None = None

    @property
    def title(self) -> str:
        return TITLES[self.key]

    def start(self, logs: Path) -> None:
        self.port = free_port()
        cmd = [part.replace(PORT, str(self.port)) for part in self.cmd]
        env = {**self.env, "SAGEMAKER_BIND_TO_PORT": str(self.port)}
        with (logs / f"{self.key}.log").open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                cmd, env=env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started = time.perf_counter()

    def wait_ready(self, logs: Path, limit: float = 120.0) -> None:
        assert self.proc is not None
        while time.perf_counter() - self.started < limit:
            if self.proc.poll() is not None:
                tail = (logs / f"{self.key}.log").read_text(encoding="utf-8", errors="replace")[-2000:]
                sys.exit(f"{self.title} exited with {self.proc.returncode} before it was ready:\n{tail}")
            if request(self.port, "GET", "/ping", timeout=1.0)[0] == 200:
                self.ready_s = time.perf_counter() - self.started
                return
            time.sleep(0.05)
        sys.exit(f"{self.title} not ready after {limit:.0f} s; see {logs / (self.key + '.log')}")

    def stop(self) -> None:
        """SIGTERM to the server's own process group (it was started in a new session), SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def servers(keys: list[str], model_dir: Path) -> list[Server]:
    env = {**clean_env(), "SM_MODEL_DIR": str(model_dir)}
    found = []
    for key in keys:
        if key == "project":
            workers = {"SAGEMAKER_MODEL_SERVER_WORKERS": str(CORES)}
            cmd = [sys.executable, "-m", "{{ cookiecutter.package_name }}.serve"]
            detail = f"python {' '.join(cmd[1:])}, SAGEMAKER_MODEL_SERVER_WORKERS={CORES}"
            found.append(Server(key, cmd, {**env, **workers}, ROOT, detail))
            continue
        python = str(comparison_python())
        others = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        others["OMP_NUM_THREADS"] = "1"
        if key == "fastapi":
            cmd = [python, "-m", "uvicorn", "fastapi_app:app", "--app-dir", str(APPS), "--host", HOST]
            cmd += ["--port", PORT, "--workers", "2", "--no-access-log", "--log-level", "warning"]
            found.append(Server(key, cmd, others, APPS, "2 workers, OMP_NUM_THREADS=1"))
        else:
            # sagemaker-containers' gunicorn command line: gevent, workers = cores, 1000 connections per worker.
            cmd = [python, "-m", "gunicorn", "--timeout", "60", "-k", "gevent", "-b", f"{HOST}:{PORT}"]
            cmd += ["--worker-connections", str(1000 * CORES), "-w", str(CORES), "--log-level", "info"]
            cmd += ["--chdir", str(APPS), "flask_app:app"]
            found.append(Server(key, cmd, others, APPS, f"{CORES} gevent workers, OMP_NUM_THREADS=1"))
    return found


def request(port: int, method: str, path: str, body: bytes | None = None, timeout: float = 5.0) -> tuple[int, Any]:
    """(status, decoded JSON or None); status 0 when the server cannot be reached or does not answer."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "text/csv"} if body else {})
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, None
    except OSError:
        return 0, None
    finally:
        conn.close()


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def memory(pid: int) -> tuple[float, float, int]:
    """(RSS MiB, PSS MiB, processes) summed over ``pid`` and its descendants."""
    tree = process_tree(pid)
    rss = pss = 0
    for member in tree:
        rss += _kib(Path(f"/proc/{member}/status"), "VmRSS:")
        pss += _kib(Path(f"/proc/{member}/smaps_rollup"), "Pss:")
    return rss / 1024, pss / 1024, len(tree)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / TICK


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy so far (every core), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / TICK


def _kib(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- Load ----------------------------------------------------------------------------------------------

WRK_SCRIPT = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/csv"
local f = assert(io.open([[{body}]], "rb"))
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("wrk-result %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.1f %.1f\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk(server: Server, script: Path, connections: int, seconds: int) -> Cell:
    assert server.proc is not None
    url = f"http://{HOST}:{server.port}/invocations"
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]
    tree = process_tree(server.proc.pid)

    def clocks() -> tuple[float, float, float, float]:
        return time.perf_counter(), cpu_seconds(tree), machine_busy_seconds(), _children_cpu()

    before = clocks()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=seconds + 60)  # noqa: S603
    wall, served, busy, load_cpu = (a - b for a, b in zip(clocks(), before, strict=True))
    found = re.search(r"^wrk-result (.+)$", proc.stdout, re.MULTILINE)
    if proc.returncode != 0 or not found:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    requests, duration_us, connect, read, write, status, timeout, p50, p99 = (float(v) for v in found[1].split())
    errors = int(connect + read + write + timeout)
    cell = Cell(int(requests), duration_us / 1e6, p50 / 1000, p99 / 1000, int(status), errors)
    cell.server_cores, cell.other_cores = served / wall, max(0.0, busy - served - load_cpu) / wall
    return cell


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for children: here, the finished wrk runs
    return usage.ru_utime + usage.ru_stime


def load(server: Server, scripts: dict[int, Path], duration: int, warm_up: int, every_cell: bool) -> None:
    for n, (rows, connections) in enumerate((r, c) for r in ROWS for c in CONNECTIONS):
        if warm_up and (every_cell or n == 0):
            wrk(server, scripts[rows], connections, warm_up)
        server.cells[rows, connections] = cell = wrk(server, scripts[rows], connections, duration)
        say(f"  {server.key:8} {rows:3} rows x{connections}: {cell.rps:8.0f} req/s  p99 {cell.p99_ms:.2f} ms")
    assert server.proc is not None
    server.memory = memory(server.proc.pid)


# --- Malformed requests ----------------------------------------------------------------------------------


@dataclass
class Probe:
    status: int | None
    text: str
    ok: bool

    @property
    def label(self) -> str:
        return ("ok  " if self.ok else "BAD ") + self.text


def probe_requests(row: bytes, big: bytes) -> dict[str, tuple[bytes, str]]:
    """Raw requests, each with what a well-behaved server answers: 'scored' (200 + one prediction) or '4xx'."""

    def raw(method: str, headers: str, body: bytes = b"") -> bytes:
        return f"{method} /invocations HTTP/1.1\r\nHost: bench\r\n{headers}\r\n".encode() + body

    csv_type = "Content-Type: text/csv\r\n"
    half = len(row) // 2
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (row[:half], row[half:])) + b"0\r\n\r\n"
    return {
        "Content-Length: abc": (raw("POST", csv_type + "Content-Length: abc\r\n", row), "4xx"),
        "Content-Length: -1": (raw("POST", csv_type + "Content-Length: -1\r\n", row), "4xx"),
        "Content-Length > body sent": (raw("POST", csv_type + f"Content-Length: {len(row) + 100}\r\n", row), "4xx"),
        "chunked body": (raw("POST", csv_type + "Transfer-Encoding: chunked\r\n", chunks), "scored"),
        "PUT /invocations": (raw("PUT", csv_type + f"Content-Length: {len(row)}\r\n", row), "4xx"),
        "DELETE /invocations": (raw("DELETE", ""), "4xx"),
        "7 MB body": (raw("POST", csv_type + f"Content-Length: {len(big)}\r\n", big), "4xx"),
    }


def raw_probe(port: int, payload: bytes, expect: str, timeout: float) -> Probe:
    """Send ``payload`` on a fresh socket; read one response within ``timeout`` seconds of the start."""
    start = time.perf_counter()
    deadline = start + timeout
    received = b""
    problem = ""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            try:
                sock.sendall(payload)
            except OSError:  # the server may answer and close before reading it all
                problem = "send failed"
            while not _complete(received):
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise TimeoutError
                sock.settimeout(remaining)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
    except TimeoutError:
        if not received:
            return Probe(None, f"hung: nothing in {timeout:.0f} s", False)
    except ConnectionResetError:
        problem = "reset"
    except OSError as exc:
        problem = exc.__class__.__name__
    elapsed = time.perf_counter() - start
    found = re.match(rb"HTTP/1\.[01] (\d{3})", received)
    if not found:
        return Probe(None, f"{problem or 'closed'}, no reply ({elapsed:.1f} s)", False)
    status = int(found[1])
    if expect == "scored":
        _, _, body = received.partition(b"\r\n\r\n")
        if b"chunked" in received.split(b"\r\n\r\n", 1)[0].lower():
            body = _unchunk(body)
        try:
            count = len(json.loads(body)["predictions"])
        except (ValueError, KeyError, TypeError):
            count = 0
        return Probe(status, f"{status}, {count} prediction(s) ({elapsed:.1f} s)", status == 200 and count == 1)
    return Probe(status, f"{status} ({elapsed:.1f} s)", 400 <= status < 500)


def _complete(received: bytes) -> bool:
    """A whole response: headers, then Content-Length bytes or the last chunk (no length: read until closed)."""
    head, sep, body = received.partition(b"\r\n\r\n")
    if not sep:
        return False
    found = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
    if found:
        return len(body) >= int(found[1])
    if re.search(rb"\r\ntransfer-encoding:\s*chunked", head, re.IGNORECASE):
        return body.endswith(b"0\r\n\r\n")
    return False


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        length = int(size.split(b";")[0] or b"0", 16)
        if length == 0:
            break
        out += rest[:length]
        body = rest[length + 2 :]
    return out


def probe_all(targets: list[Server], row: bytes, timeout: float) -> None:
    """Every malformed request against every server at once (so a hang costs the timeout only once)."""
    big_rows = row * (BIG_BODY // len(row) + 1)
    cases = probe_requests(row, big_rows[:BIG_BODY].rsplit(b"\n", 1)[0] + b"\n")
    with concurrent.futures.ThreadPoolExecutor(len(cases) * len(targets)) as pool:
        futures = {
            (server.key, name): pool.submit(raw_probe, server.port, payload, expect, timeout)
            for server in targets
            for name, (payload, expect) in cases.items()
        }
        for server in targets:
            server.probes = {name: futures[server.key, name].result() for name in cases}
    for server in targets:
        pinged = request(server.port, "GET", "/ping")[0] == 200
        scored = request(server.port, "POST", "/invocations", row)[0] == 200
        server.still_serving = pinged and scored


# --- Report --------------------------------------------------------------------------------------------


def report(targets: list[Server], header: list[str], row: bytes) -> None:
    for line in header:
        print(line)
    for server in targets:
        print()
        ready = f"ready in {server.ready_s:.1f} s" if server.ready_s is not None else ""
        print(f"{server.title} ({server.detail}), {ready}")
        print("  rows  conns     req/s   p50 ms   p99 ms   non-2xx  socket errors   CPU: server  others")
        for (rows, connections), cell in server.cells.items():
            print(
                f"  {rows:4}  {connections:5}  {cell.rps:8,.0f}  {cell.p50_ms:7.2f}  {cell.p99_ms:7.2f}  "
                f"{cell.non_2xx:8}  {cell.socket_errors:13}   {cell.server_cores:11.2f}  {cell.other_cores:6.2f}"
            )
        if server.memory:
            rss, pss, count = server.memory
            print(f"  memory after load: RSS {rss:.0f} MiB, PSS {pss:.0f} MiB ({count} processes)")
        if server.max_diff is not None:
            print(f"  predictions for 100 rows: max |difference| from the model in-process {server.max_diff:.2g}")
    by_key = {s.key: s for s in targets}
    project = by_key.get("project")
    for other in (by_key.get("fastapi"), by_key.get("flask")):
        if project is None or other is None or not project.cells:
            continue
        print()
        print(f"project / {other.title}: requests/s (higher is better), p50 and p99 (lower is better)")
        for key, cell in project.cells.items():
            theirs = other.cells[key]
            rows, connections = key
            print(
                f"  {rows:3} row{'s' if rows > 1 else ' '} x{connections}   req/s {_ratio(cell.rps, theirs.rps)}   "
                f"p50 {_ratio(cell.p50_ms, theirs.p50_ms)}   p99 {_ratio(cell.p99_ms, theirs.p99_ms)}"
            )
    if any(s.probes for s in targets):
        print()
        print(f"malformed requests (raw socket, {len(row)}-byte row; good: a 4xx, the chunked body scored)")
        names = list(targets[0].probes)
        width = max(len(n) for n in names) + 2
        print((f"  {'':{width}}" + "".join(f"{s.title[: COLUMN - 2]:{COLUMN}}" for s in targets)).rstrip())
        for name in names:
            cells = "".join(f"{s.probes[name].label:{COLUMN}}" for s in targets)
            print(f"  {name:{width}}{cells}".rstrip())
        alive = "".join(f"{'yes' if s.still_serving else 'NO':{COLUMN}}" for s in targets)
        print(f"  {'still serving afterwards':{width}}{alive}".rstrip())
    if project is not None and project.cells:
        print()
        print(f"goals (stated for 2 cores; {CORES} here), at 8 connections, with no error in the cell:")
        for line in goals(project, by_key.get("fastapi")):
            print(f"  {line}")


COLUMN = 34  # width of a server's column in the malformed-request table


def _ratio(mine: float, theirs: float) -> str:
    return f"{mine / theirs:6.2f}x" if theirs else "     -"


def goals(project: Server, fastapi: Server | None) -> list[str]:
    def verdict(met: bool) -> str:
        return "met    " if met else "NOT MET"

    one, hundred = project.cells[1, 8], project.cells[100, 8]
    lines = []
    if fastapi is not None and fastapi.cells:
        theirs = fastapi.cells[1, 8]
        met = one.clean and one.rps >= GOAL_SPEEDUP_1_ROW * theirs.rps and one.p99_ms < theirs.p99_ms
        lines.append(
            f"{verdict(met)}  1 row: >= {GOAL_SPEEDUP_1_ROW:g}x FastAPI's req/s with a lower p99 "
            f"({one.rps / theirs.rps:.2f}x; p99 {one.p99_ms:.2f} vs {theirs.p99_ms:.2f} ms)"
        )
        theirs = fastapi.cells[100, 8]
        met = hundred.clean and hundred.rps >= GOAL_SPEEDUP_100_ROWS * theirs.rps
        lines.append(
            f"{verdict(met)}  100 rows: >= {GOAL_SPEEDUP_100_ROWS:g}x FastAPI's req/s ({hundred.rps / theirs.rps:.2f}x)"
        )
    met = one.clean and one.rps >= GOAL_RPS_1_ROW and one.p99_ms <= GOAL_P99_1_ROW_MS
    lines.append(
        f"{verdict(met)}  1 row: >= {GOAL_RPS_1_ROW:,.0f} req/s with p99 <= {GOAL_P99_1_ROW_MS:g} ms "
        f"({one.rps:,.0f} req/s, p99 {one.p99_ms:.2f} ms)"
    )
    if project.probes:
        bad = [name for name, probe in project.probes.items() if not probe.ok]
        met = not bad and bool(project.still_serving)
        why = f"not: {', '.join(bad)}" if bad else "all"
        if not project.still_serving:
            why += "; stopped serving"
        lines.append(f"{verdict(met)}  malformed requests get a 4xx (chunked: scored), no hang ({why})")
    return lines


# --- Main ----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short run: untuned model, 1 s cells, one warm-up each")
    parser.add_argument("--duration", type=int, help="seconds of load per cell (default 5; --quick 1)")
    parser.add_argument("--warm-up", type=int, help="seconds of load before each cell, discarded (default 1)")
    parser.add_argument("--probe-timeout", type=float, default=15.0, help="client-side timeout for malformed requests")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated subset of {','.join(SERVERS)}")
    parser.add_argument("--model-dir", type=Path, help="serve this model folder instead of training one")
    args = parser.parse_args()
    keys = [k.strip() for k in args.servers.split(",") if k.strip()]
    if unknown := sorted(set(keys) - set(SERVERS)):
        parser.error(f"unknown server(s) {', '.join(unknown)}; choose from {', '.join(SERVERS)}")
    duration = args.duration or (1 if args.quick else 5)
    warm_up = 1 if args.warm_up is None else args.warm_up
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: it generates the load (Debian/Ubuntu: apt-get install wrk)")

    start = time.perf_counter()
    load_before = os.getloadavg()[0]
    WORK.mkdir(parents=True, exist_ok=True)
    logs = WORK / "logs"
    logs.mkdir(exist_ok=True)
    if args.model_dir:
        model_dir, how = args.model_dir.resolve(), f"from {args.model_dir}"
    else:
        model_dir = WORK / "model"
        say("training the model with `pipeline run --local` ...")
        how = train_model(model_dir, tuned=not args.quick and settings.load().tuning_enabled)
    bundle = models.load(model_dir)
    files, names = payloads(model_dir, WORK)
    scripts = {}
    for rows, body in files.items():
        scripts[rows] = WORK / f"wrk-{rows}.lua"
        scripts[rows].write_text(WRK_SCRIPT.format(body=body), encoding="utf-8")
    row, hundred = files[1].read_bytes(), files[100].read_bytes()
    expected = reference(model_dir, hundred, names)

    targets = servers(keys, model_dir)
    try:
        say(f"starting {', '.join(s.title for s in targets)} ...")
        for server in targets:
            server.start(logs)
        for server in targets:
            server.wait_ready(logs)
            status, answer = request(server.port, "POST", "/invocations", hundred, timeout=30)
            if status != 200 or not isinstance(answer, dict) or len(answer.get("predictions", [])) != len(expected):
                sys.exit(f"{server.title} answered {status} {str(answer)[:300]} to 100 rows")
            server.max_diff = max(abs(a - b) for a, b in zip(answer["predictions"], expected, strict=True))
        for server in targets:
            say(f"load on {server.title} ...")
            load(server, scripts, duration, warm_up, every_cell=not args.quick)
        say(f"malformed requests (timeout {args.probe_timeout:.0f} s) ...")
        probe_all(targets, row, args.probe_timeout)
    finally:
        for server in targets:
            server.stop()

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split()  # noqa: S607
    hyperparameters = " ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in bundle["hyperparameters"].items()
    )
    warm = f"{warm_up} s warm-up {'before each cell' if not args.quick else 'per server'}" if warm_up else "no warm-up"
    header = [
        f"cores: {CORES}   python: {platform.python_version()}   wrk: {wrk_version[1] if len(wrk_version) > 1 else '?'}"
        f"   load average before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f} (1 min; other work skews it)",
        f"load: wrk -t1, {duration} s per cell after {warm}; text/csv POST /invocations on {HOST}; "
        "CPU in cores: the server's processes, and everything else but wrk (others' work skews the figures)",
        f"model: {type(bundle['estimator']).__name__}, {how}: {hyperparameters}",
        f"payloads: 1 row = {len(row)} B, 100 rows = {len(hundred):,} B ({len(names)} features); "
        f"model files: {', '.join(sorted(p.name for p in model_dir.iterdir()))}",
    ]
    report(targets, header, row)
    say(f"done in {time.perf_counter() - start:.0f} s; server logs in {logs}")


if __name__ == "__main__":
    main()
