"""Preprocess (a SageMaker Processing job): validate the data, split it, record its SHA-256.

Reads every ``*.csv`` under /opt/ml/processing/input/data/ (in name order) with the ``schema.json``
beside them; writes train/, validation/ and test/ CSVs (train/ also gets the schema, which the training
job needs) and metadata/dataset.json. Bad data stops the step with a message naming the file, the column
and the fix, and leaves no output behind.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import contract
from .data import schema as schema_mod
from .data.datasets import CSV_OPTIONS
from .data.schema import DataError, Schema

METADATA = contract.PREPROCESS_OUTPUTS[-1]
SPLITS = contract.PREPROCESS_OUTPUTS[:-1]  # train, validation, test


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="preprocess", description=__doc__.splitlines()[0])
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args(argv)


def input_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*.csv") if p.is_file())
    if not files:
        raise DataError(f"{folder}: no *.csv data files. Fix: put the data set (CSV with a header row) there.")
    return files


def dataset_sha256(files: list[Path]) -> str:
    """SHA-256 over the bytes of the CSV files in name order: the data set's identity in the lineage."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def split_indices(
    labels: np.ndarray | None, rows: int, validation: float, test: float, seed: int
) -> dict[str, np.ndarray]:
    """A seeded shuffle split; stratified by class when ``labels`` is given (each split keeps the class mix)."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)] if labels is not None else [np.arange(rows)]
    parts: dict[str, list[np.ndarray]] = {name: [] for name in SPLITS}
    for group in groups:
        shuffled = rng.permutation(group)
        n_test = round(len(group) * test)
        n_validation = round(len(group) * validation)
        parts["test"].append(shuffled[:n_test])
        parts["validation"].append(shuffled[n_test : n_test + n_validation])
        parts["train"].append(shuffled[n_test + n_validation :])
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


def load(folder: Path) -> tuple[Schema, list[Path], pd.DataFrame]:
    files = input_files(folder)
    schema = schema_mod.load(folder / schema_mod.SCHEMA_FILE)
    frames = [schema_mod.read_csv(path, schema) for path in files]
    return schema, files, pd.concat(frames, ignore_index=True)


def split(frame: pd.DataFrame, schema: Schema, validation: float, test: float, seed: int) -> dict[str, pd.DataFrame]:
    if not (0 < validation < 1 and 0 < test < 1 and validation + test < 1):
        raise contract.StepError(
            f"--validation-fraction {validation} and --test-fraction {test} must each be in (0, 1) and sum to "
            "less than 1"
        )
    labels = frame[schema.target.name].to_numpy() if schema.target.type == "binary" else None
    parts = {name: frame.iloc[idx] for name, idx in split_indices(labels, len(frame), validation, test, seed).items()}
    for name, part in parts.items():
        classes = part[schema.target.name].nunique() if labels is not None else 2
        if len(part) < 2 or classes < 2:
            raise DataError(
                f"the data set has {len(frame)} rows: too few for a {name} split with both classes "
                f"({len(part)} rows). Fix: provide more data."
            )
    return parts


def write_csv(frame: pd.DataFrame, schema: Schema, path: Path) -> None:
    """The checked rows as CSV; whole-number columns stay whole numbers (48, not 48.0)."""
    whole = {f.name: "Int64" for f in schema.features if f.dtype == "int"}
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.astype(whole).to_csv(path, **CSV_OPTIONS)


def run(args: argparse.Namespace) -> dict:
    source = contract.processing_input("data")
    schema, files, frame = load(source)
    parts = split(frame, schema, args.validation_fraction, args.test_fraction, args.seed)
    outputs = {name: contract.processing_output(name) for name in (*SPLITS, METADATA)}
    metadata: dict[str, Any] = {
        "sha256": dataset_sha256(files),
        "rows": len(frame),
        "files": [
            {"name": p.relative_to(source).as_posix(), "bytes": p.stat().st_size, "sha256": dataset_sha256([p])}
            for p in files
        ],
        "schema_sha256": dataset_sha256([source / schema_mod.SCHEMA_FILE]),
        "split": {
            "seed": args.seed,
            "validation_fraction": args.validation_fraction,
            "test_fraction": args.test_fraction,
            "stratified_by": schema.target.name if schema.target.type == "binary" else None,
            **{name: len(part) for name, part in parts.items()},
        },
    }
    with contract.all_or_nothing(*outputs.values()):
        for name, part in parts.items():
            write_csv(part, schema, outputs[name] / f"{name}.csv")
        shutil.copyfile(source / schema_mod.SCHEMA_FILE, outputs["train"] / schema_mod.SCHEMA_FILE)
        outputs[METADATA].mkdir(parents=True, exist_ok=True)
        (outputs[METADATA] / contract.DATASET_JSON).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    print(
        f"preprocess: {len(frame)} rows from {len(files)} file(s), sha256 {metadata['sha256'][:12]}; split "
        + ", ".join(f"{name} {len(part)}" for name, part in parts.items()),
        file=sys.stderr,
    )
    return metadata


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return contract.run(lambda: run(args), contract.exit_message_file())


if __name__ == "__main__":
    sys.exit(main())
