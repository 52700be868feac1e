"""Wall-time figures for the pipeline, each against an alternative measured in the same run.

1. `pipeline definition` (a fresh process, imports included; goal <= 2 s)
   vs. `python -c 'import sagemaker'` (the floor any SDK-built definition pays).
2. `pipeline run --local` with tuning at 10 trials on the breast-cancer data (goal <= 30 s on 2 cores)
   vs. the same run untuned (one training job), and with --sequential also vs. one trial at a time.

Prints figures; asserts nothing. Usage: python benchmarks/pipeline_timing.py [--repeat 3] [--sequential]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.data.datasets import write_dataset

CLI = [sys.executable, "-m", "{{ cookiecutter.package_name }}.cli"]
TRIALS = 10


def wall(cmd: list[str], env: dict[str, str], repeat: int, warm_up: bool = True) -> float:
    """Median wall time of ``cmd`` over ``repeat`` runs (after a warm-up run that fills file caches)."""
    times = []
    for attempt in range(repeat + 1 if warm_up else repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
        if attempt or not warm_up:
            times.append(elapsed)
    return statistics.median(times)


def project_file(folder: Path, tuning: bool, parallel: int) -> Path:
    """The shipped project.yaml on the breast-cancer data (classification, AUC), with this tuning set-up."""
    data = yaml.safe_load(settings.project_file().read_text(encoding="utf-8"))
    data["model"].update(problem_type="binary_classification", dataset="breast_cancer")
    data["model"]["primary_metric"] = {"name": "auc", "threshold": 0.9}
    data["training"]["tuning"] = {"enabled": tuning, "max_jobs": TRIALS, "max_parallel_jobs": parallel}
    path = folder / f"project-{'tuned' if tuning else 'untuned'}-{parallel}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure for the definition (median)")
    parser.add_argument("--sequential", action="store_true", help="also time the tuned run one trial at a time")
    args = parser.parse_args()

    base_env = {
        **os.environ,
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        base_env.pop(name, None)

    print(f"cores: {os.cpu_count()}   python: {sys.version.split()[0]}")
    definition = wall([*CLI, "pipeline", "definition", "--env", "dev", "--commit", "bench"], base_env, args.repeat)
    sdk_import = wall([sys.executable, "-c", "import sagemaker"], base_env, args.repeat)
    print(f"pipeline definition        {definition:6.2f} s   (goal <= 2 s)")
    print(f"import sagemaker (floor)   {sdk_import:6.2f} s")
    print(f"ratio definition / import  {definition / sdk_import:6.2f}x")

    cfg = settings.load()
    folder = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    try:
        data = folder / "data"
        write_dataset("breast_cancer", data)
        runs = {"tuned": (True, cfg.tuning_max_parallel_jobs), "untuned": (False, 1)}
        if args.sequential:
            runs["tuned, sequential"] = (True, 1)
        figures = {}
        for label, (tuning, parallel) in runs.items():
            env = {**base_env, settings.PROJECT_FILE_ENV: str(project_file(folder, tuning, parallel))}
            cmd = [
                *CLI,
                "pipeline",
                "run",
                "--local",
                "--commit",
                "bench",
                "--data-dir",
                str(data),
                "--work-dir",
                str(folder / "runs"),
            ]
            figures[label] = wall(cmd, env, 1, warm_up=False)
        tuned = figures["tuned"]
        heading = f"local run, {TRIALS} trials x{cfg.tuning_max_parallel_jobs}"
        print(f"{heading:27}{tuned:6.2f} s   (goal <= 30 s on 2 cores)")
        print(f"local run, untuned          {figures['untuned']:6.2f} s")
        print(f"ratio tuned / untuned       {tuned / figures['untuned']:6.2f}x")
        if args.sequential:
            print(f"local run, {TRIALS} trials x1       {figures['tuned, sequential']:6.2f} s")
            print(f"ratio sequential / parallel {figures['tuned, sequential'] / tuned:6.2f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
