"""`cruft create` from the template, a new template commit, then `cruft update` applies cleanly."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import TEMPLATE

CRUFT = [str(Path(sys.executable).with_name("cruft"))]
# About 7 s (two renders, three git repositories): cheap enough for `make test-fast`, so not marked slow.
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="cruft needs git")


def git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=Template Test", "-c", "user.email=template@example.com"]
    return subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def template_repo(destination: Path) -> Path:
    """A git repository holding the template's current working tree (tracked and new files)."""
    files = git(TEMPLATE, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for relative in files:
        source = TEMPLATE / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(destination, "init", "-q", "-b", "main")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "template v1")
    return destination


def cruft(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CRUFT, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_cruft_update_applies_a_new_template_commit(tmp_path):
    template = template_repo(tmp_path / "template")
    created = cruft(tmp_path, "create", str(template), "--no-input", "--output-dir", str(tmp_path / "out"))
    assert created.returncode == 0, created.stderr
    project = next((tmp_path / "out").iterdir())
    first = json.loads((project / ".cruft.json").read_text())
    assert first["template"] == str(template)
    assert first["commit"] == git(template, "rev-parse", "HEAD").strip()
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "generated")

    # The model team edits its own file; the template team ships a change elsewhere.
    notes = project / "NOTES.md"
    notes.write_text("team notes\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "team change")
    slug_dir = template / "{{cookiecutter.project_slug}}"
    (slug_dir / "CHANGELOG.md").write_text("# Changelog for {{ cookiecutter.project_name }}\n")
    readme = slug_dir / "README.md"
    readme.write_text(readme.read_text() + "\n## Support\n\nAsk the platform team.\n")
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", "template v2")

    assert cruft(project, "check").returncode != 0, "cruft check must report the template is ahead"
    updated = cruft(project, "update", "--skip-apply-ask")
    assert updated.returncode == 0, updated.stdout + updated.stderr

    assert (
        project / "CHANGELOG.md"
    ).read_text() == f"# Changelog for {first['context']['cookiecutter']['project_name']}\n"
    assert "Ask the platform team." in (project / "README.md").read_text()
    assert notes.read_text() == "team notes\n"
    assert not list(project.rglob("*.rej"))
    assert json.loads((project / ".cruft.json").read_text())["commit"] == git(template, "rev-parse", "HEAD").strip()
    assert cruft(project, "check").returncode == 0
