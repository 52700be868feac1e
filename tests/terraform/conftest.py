"""Fixtures of the Terraform tests: CLI config for the offline mirror, rendered model roots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import render
from tools.tf_mirror import write_cli_config


@pytest.fixture(scope="session")
def tf_env(tmp_path_factory) -> dict[str, str]:
    """Environment for terraform: the mirror's CLI config where a mirror exists, else untouched."""
    config = write_cli_config(tmp_path_factory.mktemp("terraform") / "cli.tfrc")
    return {"TF_CLI_CONFIG_FILE": str(config)} if config else {}


def copy_root(source: Path, target: Path) -> Path:
    """A clean copy of a root without local state or provider caches."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
    return target


def render_model_root(tmp_path: Path, **answers: str) -> Path:
    return render(tmp_path, **answers) / "terraform"
