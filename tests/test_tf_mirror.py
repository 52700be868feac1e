"""The offline provider mirror is found where it exists, and nothing is written where it doesn't.

The template and the generated repositories share one implementation: the generated repo's
tools/tf_mirror.py, which the template's tools/tf_mirror.py loads by path.
"""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import TEMPLATE
from tools.tf_mirror import implementation as tf_mirror


def test_explicit_mirror_is_used_and_config_written(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / tf_mirror.PROVIDER).mkdir(parents=True)
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(mirror))
    config = tf_mirror.write_cli_config(tmp_path / "cli.rc")
    text = config.read_text()
    assert f'path    = "{mirror}"' in text
    assert "filesystem_mirror" in text and "direct" in text


def test_no_mirror_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_PROVIDER_MIRROR", raising=False)
    monkeypatch.setattr(tf_mirror, "SEARCH_ROOTS", (str(tmp_path / "empty"),))
    assert tf_mirror.write_cli_config(tmp_path / "cli.rc") is None
    assert not (tmp_path / "cli.rc").exists()


def test_mirror_found_by_search(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_PROVIDER_MIRROR", raising=False)
    (tmp_path / "a/b/plugins" / tf_mirror.PROVIDER).mkdir(parents=True)
    monkeypatch.setattr(tf_mirror, "SEARCH_ROOTS", (str(tmp_path),))
    assert tf_mirror.find_mirror() == tmp_path / "a/b/plugins"


def test_one_implementation_shared_with_generated_repos():
    """The template runs the generated repo's file, so it must hold no template syntax (rendering leaves it as is)."""
    source = TEMPLATE / "{{cookiecutter.project_slug}}" / "tools" / "tf_mirror.py"
    assert tf_mirror.__file__ == str(source)
    text = source.read_text(encoding="utf-8")
    assert not any(mark in text for mark in ("{{", "{%", "{#", "cookiecutter"))
    assert not (source.parent / "__pycache__").exists(), "loading it must not leave bytecode in the template tree"


def test_command_line_prints_the_config_or_nothing(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / tf_mirror.PROVIDER).mkdir(parents=True)
    target = tmp_path / "out" / "cli.rc"
    command = [sys.executable, str(TEMPLATE / "tools" / "tf_mirror.py"), str(target)]
    found = subprocess.run(command, capture_output=True, text=True, check=True, env={"TF_PROVIDER_MIRROR": str(mirror)})
    assert found.stdout.strip() == str(target) and target.is_file()
