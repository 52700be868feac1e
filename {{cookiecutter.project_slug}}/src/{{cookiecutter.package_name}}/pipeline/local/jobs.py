"""Processing and Training jobs as subprocesses under the SageMaker container contract.

Each job gets a work folder standing in for the container's ``/opt/ml``; ``SM_ML_ROOT`` tells the step
modules where it is. Inputs are copied from S3 before the command starts, outputs are copied back after
it succeeds, and a Training job's ``model`` folder is packed into ``model.tar.gz`` like SageMaker does.
The archive depends only on the folder's names and contents (see :func:`pack`), so the same model gives the
same bytes and the same SHA-256 in every run.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ...errors import MlopsError
from .. import layout
from . import storage

# The project package: the image's programs and the step modules live in it.
PACKAGE = __name__.split(".")[0]


# On SageMaker every training job of a tuning job has its own instance; here trials share this
# machine, so each gets an equal share of the cores instead of all of them.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_share(parallel: int) -> dict[str, str]:
    share = str(max(1, (os.cpu_count() or 1) // max(1, parallel)))
    return dict.fromkeys(THREAD_VARIABLES, share)


class JobFailed(MlopsError):
    """A job's command exited non-zero; the message holds the reason the step gave."""


@dataclass
class JobResult:
    name: str
    stdout: str
    metrics: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    model_uri: str | None = None


def command(entrypoint: list[str] | None, arguments: list[str] | None, program: str) -> list[str]:
    """The container command on this machine: ``python`` is this interpreter; no entry point means the
    image's program (SageMaker runs ``<image> train``), which in the project image is the step module."""
    if entrypoint:
        cmd = [sys.executable if entrypoint[0] in {"python", "python3"} else entrypoint[0], *entrypoint[1:]]
    else:
        cmd = [sys.executable, "-m", f"{PACKAGE}.{layout.IMAGE_PROGRAMS[program]}"]
    return [*cmd, *(arguments or [])]


def remap(container_path: str, root: Path) -> Path:
    """/opt/ml/<rest> -> <root>/<rest>."""
    path = PurePosixPath(container_path)
    base = PurePosixPath(layout.ML_ROOT)
    if path != base and base not in path.parents:
        raise JobFailed(f"{container_path} is outside {layout.ML_ROOT}; the local runner maps only that tree")
    return root.joinpath(*path.relative_to(base).parts)


def _run(cmd: list[str], root: Path, env: dict[str, str], log: Path) -> str:
    full_env = {**os.environ, **env, "SM_ML_ROOT": str(root), "PYTHONUNBUFFERED": "1"}
    for name in env:  # thread limits the runner sets yield to the user's own
        if name in THREAD_VARIABLES and name in os.environ:
            full_env[name] = os.environ[name]
    proc = subprocess.run(cmd, cwd=root, env=full_env, capture_output=True, text=True, check=False)  # noqa: S603
    log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}", encoding="utf-8")
    if proc.returncode != 0:
        # Training jobs leave their reason in output/failure, processing jobs in output/message.
        reasons = [root / "output" / "failure", root / "output" / "message"]
        reason = next((r.read_text(encoding="utf-8").strip() for r in reasons if r.exists()), "")
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise JobFailed(f"exit code {proc.returncode}: {reason or last} (log: {log})")
    return proc.stdout


def processing(request: dict[str, Any], name: str, root: Path, s3: Any) -> JobResult:
    """Run a resolved CreateProcessingJob request."""
    root.mkdir(parents=True, exist_ok=True)
    for item in request.get("ProcessingInputs", []):
        source = item["S3Input"]
        storage.download(s3, source["S3Uri"], remap(source["LocalPath"], root))
    outputs = {}
    for item in request.get("ProcessingOutputConfig", {}).get("Outputs", []):
        local = remap(item["S3Output"]["LocalPath"], root)
        local.mkdir(parents=True, exist_ok=True)
        outputs[item["OutputName"]] = local
    app = request["AppSpecification"]
    if not app.get("ContainerEntrypoint"):
        raise JobFailed(f"{name}: a processing step needs a ContainerEntrypoint to run locally")
    cmd = command(app["ContainerEntrypoint"], app.get("ContainerArguments"), "train")
    stdout = _run(cmd, root, {k: str(v) for k, v in request.get("Environment", {}).items()}, root / "job.log")
    kms = request.get("ProcessingOutputConfig", {}).get("KmsKeyId")
    for item in request.get("ProcessingOutputConfig", {}).get("Outputs", []):
        storage.upload(s3, outputs[item["OutputName"]], item["S3Output"]["S3Uri"], kms)
    return JobResult(name=name, stdout=stdout, outputs=outputs)


def parse_metrics(definitions: list[dict[str, str]], text: str) -> dict[str, float]:
    """The last value each MetricDefinitions regex finds in the job's output, as SageMaker reports it."""
    found = {}
    for metric in definitions:
        values = re.findall(metric["Regex"], text)
        if values:
            last = values[-1]
            found[metric["Name"]] = float(last[0] if isinstance(last, tuple) else last)
    return found


def _normalized(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """No owner, time or umask of this run in the archive: owner 0, mtime 0, mode 644 (755 if executable)."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = 0
    info.mode = 0o755 if info.isdir() or info.mode & 0o111 else 0o644
    return info


def pack(folder: Path, archive: Path) -> Path:
    """``folder``'s tree as a gzipped tar, bit for bit the same for the same names and contents.

    Members in sorted order with the owner, time and mode normalized, and a gzip header with no file
    name and mtime 0 (``tarfile``'s ``w:gz`` writes the current time there).
    """
    with (
        archive.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False, filter=_normalized)
    return archive


def training(
    spec: dict[str, Any],
    name: str,
    hyperparameters: dict[str, str],
    root: Path,
    s3: Any,
    extra_env: dict[str, str] | None = None,
) -> JobResult:
    """Run a training job from a resolved CreateTrainingJob request or tuning TrainingJobDefinition.

    Writes ``<S3OutputPath>/<name>/output/model.tar.gz``, where SageMaker puts it.
    """
    root.mkdir(parents=True, exist_ok=True)
    channels = {}
    for channel in spec.get("InputDataConfig", []):
        local = root / "input" / "data" / channel["ChannelName"]
        storage.download(s3, channel["DataSource"]["S3DataSource"]["S3Uri"], local)
        channels[channel["ChannelName"]] = local
    config = root / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters, indent=2), encoding="utf-8")
    (config / "inputdataconfig.json").write_text(
        json.dumps(
            {c["ChannelName"]: {"ContentType": c.get("ContentType", "")} for c in spec.get("InputDataConfig", [])}
        ),
        encoding="utf-8",
    )
    model_dir = root / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    (root / "output" / "data").mkdir(parents=True, exist_ok=True)
    algorithm = spec["AlgorithmSpecification"]
    env = {
        **{k: str(v) for k, v in spec.get("Environment", {}).items()},
        **{f"SM_CHANNEL_{c.upper()}": str(path) for c, path in channels.items()},
        "SM_MODEL_DIR": str(model_dir),
        "SM_OUTPUT_DATA_DIR": str(root / "output" / "data"),
        "SM_HPS": json.dumps(hyperparameters),
        "TRAINING_JOB_NAME": name,
        **(extra_env or {}),
    }
    cmd = command(algorithm.get("ContainerEntrypoint"), algorithm.get("ContainerArguments"), "train")
    stdout = _run(cmd, root, env, root / "job.log")
    archive = pack(model_dir, root / "model.tar.gz")
    output = spec["OutputDataConfig"]
    bucket, prefix = storage.split_uri(output["S3OutputPath"])
    key = "/".join(p for p in (prefix.rstrip("/"), name, "output", "model.tar.gz") if p)
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": output["KmsKeyId"]} if output.get("KmsKeyId") else None
    s3.upload_file(str(archive), bucket, key, ExtraArgs=extra)
    return JobResult(
        name=name,
        stdout=stdout,
        metrics=parse_metrics(algorithm.get("MetricDefinitions", []), stdout),
        outputs={"model": archive},
        model_uri=f"s3://{bucket}/{key}",
    )
