"""The local AWS world lasts between commands, as AWS does: run, then list, then reset, each its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from {{ cookiecutter.package_name }} import cli, settings
from {{ cookiecutter.package_name }}.data.datasets import write_dataset

from conftest import write_project


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}.cli", *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_registered_package_outlives_the_command(tmp_path: Path, local_world: Path):
    project = write_project(tmp_path / "project.yaml", {"training.tuning.enabled": False})
    env = {**os.environ, settings.PROJECT_FILE_ENV: str(project), cli.LOCAL_DIR_ENV: str(local_world)}
    cfg = settings.load(project)
    write_dataset(cfg.dataset, tmp_path / "data")

    run = _cli("pipeline", "run", "--local", "--commit", "abc123", "--data-dir", "data", env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    arn = json.loads(run.stdout)["model_package_arn"]
    group = cfg.model_package_group("dev")
    assert arn == f"arn:aws:sagemaker:{cfg.region}:{cfg.account_id('dev')}:model-package/{group}/1"
    where = dict(line.split(":", 1) for line in run.stderr.splitlines()[-5:] if ":" in line)
    assert (tmp_path / where["Evaluation"].strip()).is_file()
    assert where["Next"].strip().endswith(f"{cfg.slug} registry list")

    listed = _cli("registry", "list", "--json", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    packages = json.loads(listed.stdout)
    assert [(p["version"], p["arn"], p["status"], p["commit"]) for p in packages] == [
        (1, arn, "PendingManualApproval", "abc123")
    ]
    assert packages[0]["metric"] is not None

    # The steward signs in a later command; the trail holds the run, the registration and the signature.
    approved = _cli("approve", "1", "--name", "Jane Steward", "--meaning", "approval", env=env, cwd=tmp_path)
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.startswith(f"Approved: {arn}")
    twice = _cli("approve", "1", "--name", "Jane Steward", "--meaning", "approval", env=env, cwd=tmp_path)
    assert twice.returncode == 1
    assert twice.stderr.strip().splitlines() == [
        "Error: refused: the package is Approved, not PendingManualApproval "
        "(recorded as audit entry 10; published to the model's topic)"
    ]
    shown = json.loads(_cli("audit", "show", "--json", env=env, cwd=tmp_path).stdout)
    assert [e["action"] for e in shown] == [
        "pipeline.started",
        *["step.finished"] * 4,
        "model.registered",
        "step.finished",
        "pipeline.finished",
        "model.approved",
        "signature.refused",
    ]
    assert "-pipeline/" in shown[0]["actor"] and "-approver/" in shown[8]["actor"]
    assert shown[7]["details"]["status"] == "Succeeded"
    verified = _cli("audit", "verify", env=env, cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "10 entries, 1 signatures verified" in verified.stdout

    # Offline: trust only a public key file. The model's key verifies; another key is named as untrusted.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    exported = _cli("audit", "public-key", env=env, cwd=tmp_path)
    assert exported.returncode == 0 and exported.stdout.startswith("-----BEGIN PUBLIC KEY-----"), exported.stderr
    (tmp_path / "model.pem").write_text(exported.stdout, encoding="utf-8")
    (tmp_path / "other.pem").write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    no_key = _cli("audit", "verify", "--offline", env=env, cwd=tmp_path)
    assert no_key.returncode == 2 and "--offline needs --public-key" in no_key.stderr
    offline = _cli("audit", "verify", "--offline", "--public-key", "model.pem", env=env, cwd=tmp_path)
    assert offline.returncode == 0, offline.stderr
    untrusted = _cli("audit", "verify", "--offline", "--public-key", "other.pem", env=env, cwd=tmp_path)
    assert untrusted.returncode == 1
    assert "entry 9: bad_signature" in untrusted.stderr and "not a trusted key" in untrusted.stderr

    again = _cli("pipeline", "run", "--local", "--commit", "abc123", "--data-dir", "data", env=env, cwd=tmp_path)
    assert json.loads(again.stdout)["model_package_arn"].endswith(f"{group}/2")

    reset = _cli("local", "reset", env=env, cwd=tmp_path)
    assert reset.returncode == 0 and reset.stdout.startswith("cleared")
    empty = _cli("registry", "list", "--json", env=env, cwd=tmp_path)
    assert json.loads(empty.stdout) == []
    assert not (local_world / "runs").exists()
