"""The approved package on this machine: its archive from (emulated) S3, checked against the SHA-256 the approval
vouches for, unpacked without leaving its folder, then served by the local server (``serving.control``).

Everything lives under ``<local dir>/serving/<env>/``: the server's state, ``models/<package version>/`` and the
data capture in ``capture/``, laid out as the endpoint's so the drift job reads either alike.
"""

from __future__ import annotations

import hashlib
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from ..errors import MlopsError
from ..governance import approval
from ..pipeline.local import storage
from ..serving import control

DEFAULT_PORT = 8080


class ArchiveRefused(MlopsError):
    """The package's archive is not the approved one, or would unpack outside its folder."""


def state_dir(local_dir: Path, env: str) -> Path:
    return local_dir / "serving" / env


def fetch(s3: Any, package: dict[str, Any], sha256: str, state: Path) -> Path:
    """Download the package's model archive, check its hash and unpack it into ``models/<version>/``."""
    arn, uri = package["ModelPackageArn"], approval.model_data_url(package)
    if not uri:
        raise ArchiveRefused(f"{arn}: the package names no model artifact (ModelDataUrl)")
    models = state / "models"
    models.mkdir(parents=True, exist_ok=True)
    target = models / arn.rsplit("/", 1)[-1]  # the package version, the last part of a versioned package's ARN
    with tempfile.TemporaryDirectory(dir=models, prefix=".fetch-") as work:
        archive = Path(work) / "model.tar.gz"
        digest = _download(s3, uri, archive)
        if digest != sha256:  # replaced since the checks read it: serve nothing rather than an unapproved model
            raise ArchiveRefused(
                f"{arn}: {uri} now hashes to {digest[:16]}..., the approved archive to {sha256[:16]}..."
            )
        unpack(archive, Path(work) / "model")
        if target.exists():  # a redeployment: the running server holds its model in memory, not these files
            target.rename(Path(work) / "replaced")
        (Path(work) / "model").rename(target)
    return target


def _download(s3: Any, uri: str, dest: Path) -> str:
    """Stream the object to ``dest``; returns its SHA-256 (hashed as written, not read back)."""
    bucket, key = storage.split_uri(uri)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    digest = hashlib.sha256()
    with dest.open("wb") as out:
        for chunk in iter(lambda: body.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def unpack(archive: Path, dest: Path) -> None:
    """Extract with tarfile's ``data`` filter: no absolute or ``..`` paths, no links out of ``dest``, no devices."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveRefused(f"{archive.name} does not unpack safely: {exc}") from exc


def serve(
    state: Path, model_dir: Path, *, version: str, port: int, endpoint_name: str, workers: int | None = None
) -> control.LocalServer:
    """Start the local server on ``model_dir``, or hot-swap the running one; returns once every worker serves it."""
    return control.deploy(
        state,
        model_dir,
        version=version,
        port=port,
        capture_dir=state / "capture",
        endpoint_name=endpoint_name,
        workers=workers,
    )
