"""Mirror S3 prefixes to and from a job's work folder, as SageMaker does for File-mode inputs and outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse


def split_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an S3 URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def download(s3: Any, uri: str, dest: Path) -> list[Path]:
    """Copy every object under ``uri`` into ``dest``, keeping paths relative to the prefix.

    A URI naming one object (``.../model.tar.gz``) lands as ``dest/model.tar.gz``, like SageMaker's S3Prefix.
    """
    bucket, prefix = split_uri(uri)
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    folder = prefix if prefix.endswith("/") or not prefix else prefix + "/"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key == prefix:
                relative = Path(key).name
            elif key.startswith(folder):
                relative = key[len(folder) :]
            else:  # same leading characters, another "folder": s3://b/data2 under prefix s3://b/data
                continue
            if not relative or relative.endswith("/"):
                continue
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
            written.append(target)
    if not written:
        raise FileNotFoundError(f"no objects under {uri}")
    return written


def upload(s3: Any, source: Path, uri: str, kms_key: str | None = None) -> list[str]:
    """Copy every file under ``source`` to ``uri``/<relative path>; returns the keys written."""
    bucket, prefix = split_uri(uri)
    prefix = prefix.rstrip("/")
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else None
    keys = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        key = f"{prefix}/{path.relative_to(source).as_posix()}" if prefix else path.relative_to(source).as_posix()
        s3.upload_file(str(path), bucket, key, ExtraArgs=extra)
        keys.append(key)
    return keys


def exists(s3: Any, uri: str) -> bool:
    bucket, key = split_uri(uri)
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError:
        return False
    return True


def ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    """Create the bucket if it is missing (the emulator starts empty; on AWS, Terraform made it)."""
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except s3.exceptions.ClientError:
        pass
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
