"""A model version loaded for serving, and the slot that swaps versions without failing a request.

A version is a folder (or an S3 prefix unpacked into the cache) holding model.joblib, schema.json and
maybe the compiled predictor. ``ModelSlot`` loads a new version beside the one serving, scores a probe
row with it, and only then replaces the reference in one assignment: a request in flight keeps the
version it started with, the next one gets the new version, none sees a half-loaded model.

Which version to serve comes from a pointer file (``SERVE_MODEL_POINTER``), a small JSON document
``{"version": "<label>", "model_dir": "<folder>", "generation": <n>}`` (or ``"source": "s3://bucket/prefix/"``
instead of ``model_dir``) that the deployer rewrites atomically, numbering each write. Every worker polls its
stat (cheap) and acknowledges each load in ``SERVE_ACK_DIR/<pid>.json`` (the generation it serves, the one it
last tried and why that failed), which is how ``control.deploy`` knows when all workers serve a version.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import os
import shutil
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from .. import models
from ..data import schema as schema_mod
from . import openapi
from .config import ServerConfig
from .payload import Parser

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2  # how often a worker looks at the pointer file
ARCHIVE = "model.tar.gz"


class LoadedModel:
    """One version, ready to score: parser for its schema, estimator, compiled predictor when exported."""

    def __init__(self, folder: Path, version: str):
        self.folder = folder
        self.version = version
        self.schema = schema_mod.load(folder / schema_mod.SCHEMA_FILE)
        self.bundle = models.load(folder)
        if list(self.bundle["features"]) != list(self.schema.feature_names):
            raise ValueError(f"{folder}: model.joblib's features differ from schema.json's; retrain the model")
        # The parser codes a category as its index in schema.json's list; the model must index the same list.
        categories = {f.name: list(f.categories) for f in self.schema.features if f.dtype == "category"}
        if self.bundle["categories"] != categories:
            raise ValueError(f"{folder}: model.joblib's categories differ from schema.json's; retrain the model")
        self.compiled = models.load_compiled(folder)
        self.parser = Parser(self.schema)
        self.openapi = json.dumps(openapi.document(self.schema, version)).encode()
        self.predict(self._probe())  # a version that cannot score a plain row never goes live

    def _probe(self) -> np.ndarray:
        """One in-range row: numeric features at their midpoint (whole for int features), categories at the first."""
        low, high, whole = self.parser.low, self.parser.high, self.parser.whole
        row = np.zeros(len(low))
        finite = np.isfinite(low) & np.isfinite(high)
        row[finite] = (low[finite] + high[finite]) / 2
        row[whole] = np.floor(row[whole])
        return row.reshape(1, -1)

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        return models.predict_array(self.bundle, self.compiled, matrix)


class ModelSlot:
    """The version a worker serves (``current``), and the loop that swaps in the pointer's version."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.current: LoadedModel | None = None
        self.error: str | None = None  # why the last load failed
        # Pointer generations (the deployer numbers each pointer it writes): the one serving, the one last tried.
        self.served: int | None = None
        self.generation: int | None = None
        self._seen: tuple[int, int, int] | None = None

    @property
    def status(self) -> str:
        return self.error or "loading"

    async def follow(self) -> None:
        """Swap in each version the pointer names, until cancelled; a bad pointer is logged, never fatal."""
        if self.config.pointer is None:
            return
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                spec = self._changed_pointer()
                if spec is not None and spec.get("generation") != self.generation:
                    await asyncio.to_thread(self.load, spec)
            except Exception:  # the loop must survive whatever the file holds
                log.exception("model pointer %s", self.config.pointer)

    def load_first(self) -> None:
        spec = self._changed_pointer() if self.config.pointer else None
        self.load(spec or {"version": self.config.version, "model_dir": str(self.config.model_dir)})

    def load(self, spec: dict) -> None:
        started = time.perf_counter()
        self.generation = spec.get("generation")
        try:
            model = LoadedModel(self._folder(spec), spec["version"])
        except Exception as exc:  # a bad version must not take the serving one down
            self.error = f"cannot load model version {spec.get('version')!r}: {exc}"
            log.error(self.error)
        else:
            self.current, self.served, self.error = model, self.generation, None  # the swap: one assignment
            # The libraries and model are ~130k long-lived objects: a full collection over them took 54 ms,
            # a stall in the middle of serving. Freezing moves them out of the collector's sight.
            gc.freeze()
            log.info("serving version %s (loaded in %.2f s)", model.version, time.perf_counter() - started)
        self._acknowledge()

    def _changed_pointer(self) -> dict | None:
        pointer = self.config.pointer
        assert pointer is not None
        try:
            stat = pointer.stat()
        except FileNotFoundError:
            return None
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if key == self._seen:
            return None
        self._seen = key
        try:
            spec = json.loads(pointer.read_text(encoding="utf-8"))
            if (
                not isinstance(spec, dict)
                or not isinstance(spec.get("version"), str)
                or not (spec.get("model_dir") or spec.get("source"))
            ):
                raise ValueError(
                    'expected {"version": ..., "model_dir": ...} or {"version": ..., "source": "s3://..."}'
                )
        except (OSError, ValueError) as exc:
            self.error = f"{pointer}: {exc}"
            log.error(self.error)
            self._acknowledge()
            return None
        return spec

    def _folder(self, spec: dict[str, str]) -> Path:
        if spec.get("model_dir"):
            return Path(spec["model_dir"])
        return fetch(spec["source"], spec["version"], self.config.cache_dir)

    def _acknowledge(self) -> None:
        if self.config.ack_dir is None:
            return
        ack = {
            "pid": os.getpid(),
            "version": self.current.version if self.current else None,
            "served": self.served,
            "attempted": self.generation,
            "error": self.error,
        }
        write_atomically(self.config.ack_dir / f"{os.getpid()}.json", json.dumps(ack).encode())


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never a part; on disk before it is renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        try:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:  # a full disk leaves no stray temporary file behind
            os.unlink(handle.name)
            raise
    os.replace(handle.name, path)


def fetch(source: str, version: str, cache_dir: Path | None) -> Path:
    """An S3 prefix (a model.tar.gz in it is unpacked) as a local folder, downloaded once per version."""
    import boto3  # only versions from S3 need it

    if not source.startswith("s3://") or "/" not in source[5:]:
        raise ValueError(f"source {source!r} is not an s3://bucket/prefix/ URL")
    bucket, prefix = source[5:].split("/", 1)
    if not prefix.strip("/"):
        raise ValueError(f"source {source!r} names a whole bucket; name the version's prefix")
    prefix = prefix.rstrip("/") + "/"  # models/1/ must not match models/10/
    root = cache_dir or Path(tempfile.gettempdir()) / "model-versions"
    target = root / hashlib.sha256(f"{source}\n{version}".encode()).hexdigest()[:16]
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix=".download-"))
    try:
        s3 = boto3.client("s3")
        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                for o in page.get("Contents", [])]  # fmt: skip
        if not keys:
            raise ValueError(f"nothing under {source}")
        archive = next((k for k in keys if k.endswith("/" + ARCHIVE) or k == ARCHIVE), None)
        if archive:
            s3.download_file(bucket, archive, str(work / ARCHIVE))
            with tarfile.open(work / ARCHIVE) as tar:
                tar.extractall(work, filter="data")  # refuses absolute paths, links out, devices
            (work / ARCHIVE).unlink()
        else:
            for key in keys:
                relative = key[len(prefix) :].lstrip("/")
                if not relative or relative.endswith("/") or ".." in Path(relative).parts:
                    continue
                (work / relative).parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, key, str(work / relative))
        try:
            os.replace(work, target)
        except OSError:  # another worker unpacked the same version first
            shutil.rmtree(work, ignore_errors=True)
        return target
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
