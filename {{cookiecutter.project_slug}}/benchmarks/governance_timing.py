"""Wall-time figures for governance on the demo model, each against an alternative measured in the same run.

1. `approve`, `report` and `audit verify` as a person runs them (a fresh process, the local world loaded and
   saved) vs. `registry list`: the floor any local command pays (imports, world load, one registry read).
2. Appending to the audit trail (read the head, build, hash, conditional create) vs. a blind `put_object` of
   the same bytes, per entry, against the in-process emulator.
3. `verify` (canonical form, hashes, links, versions) vs. only reading the same entries.

Prints figures; asserts nothing. Usage: python benchmarks/governance_timing.py [--entries 200]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from {{ cookiecutter.package_name }} import cli, settings
from {{ cookiecutter.package_name }}.data.datasets import write_dataset
from {{ cookiecutter.package_name }}.governance import chain
from {{ cookiecutter.package_name }}.governance.trail import AuditTrail
from {{ cookiecutter.package_name }}.pipeline.local import emulator

CLI = [sys.executable, "-m", "{{ cookiecutter.package_name }}.cli"]


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def commands(folder: Path) -> None:
    env = {
        **os.environ,
        cli.LOCAL_DIR_ENV: str(folder / "mlops"),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    write_dataset(settings.load().dataset, folder / "data")
    run = timed([*CLI, "pipeline", "run", "--local", "--commit", "bench", "--data-dir", "data"], env, folder)
    floor = timed([*CLI, "registry", "list"], env, folder)
    figures = {
        "report 1 (pending)": timed([*CLI, "report", "1", "--output-dir", "reports"], env, folder),
        "approve 1": timed([*CLI, "approve", "1", "--name", "Bench Steward", "--meaning", "approval"], env, folder),
        "audit verify": timed([*CLI, "audit", "verify"], env, folder),
    }
    print(f"pipeline run --local (setup)  {run:6.2f} s")
    print(f"registry list (floor)         {floor:6.2f} s")
    for name, seconds in figures.items():
        print(f"{name:29} {seconds:6.2f} s   {seconds / floor:5.2f}x the floor")


def appends(count: int) -> None:
    with emulator.emulator("eu-west-1", "111111111111") as aws:
        s3 = aws.client("s3")
        s3.create_bucket(
            Bucket="bench-audit",
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
            ObjectLockEnabledForBucket=True,
        )
        trail = AuditTrail(s3, "bench-audit", "bench", actor=lambda: "arn:aws:iam::111111111111:user/bench")
        start = time.perf_counter()
        for n in range(count):
            trail.append("step.finished", "bench", {"n": n})
        chained = (time.perf_counter() - start) / count
        body = chain.encode(trail.entries()[-1])
        start = time.perf_counter()
        for n in range(count):
            s3.put_object(Bucket="bench-audit", Key=f"blind/{n:012d}.json", Body=body)
        blind = (time.perf_counter() - start) / count
        start = time.perf_counter()
        result = trail.verify(set())  # no signatures among these entries
        verify = time.perf_counter() - start
        start = time.perf_counter()
        trail.stored()
        read = time.perf_counter() - start
    print(f"append, chained + conditional {chained * 1000:6.1f} ms/entry   {chained / blind:5.2f}x a blind put")
    print(f"blind put_object              {blind * 1000:6.1f} ms/entry")
    print(f"verify {count} entries           {verify:6.2f} s   {verify / read:5.2f}x only reading them ({result.ok=})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=200, help="audit entries for the append and verify figures")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}   python: {sys.version.split()[0]}")
    folder = Path(tempfile.mkdtemp(prefix="governance-bench-"))
    try:
        commands(folder)
        appends(args.entries)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
