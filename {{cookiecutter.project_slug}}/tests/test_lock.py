"""The hash-locked requirements agree with pyproject.toml, offline (`make lock` regenerates them).

Every exact pin of pyproject.toml is locked at its version (runtime pins in both locks, extras' pins in
the dev lock), every locked requirement is an exact pin carrying sha256 hashes, and the image's runtime
lock holds the dev lock's versions and files: the tests run what the image ships.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = ROOT / "requirements" / "runtime.lock"
DEV = ROOT / "requirements" / "dev.lock"
PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;]+)")
LOCKED = re.compile(
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)(?:\s*;\s*(?P<marker>.+?))?"
    r"(?P<hashes>(?:\s+--hash=\S+)*)"
)
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


class Locked(NamedTuple):
    name: str
    version: str
    marker: str
    hashes: frozenset[str]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    """The lock's logical lines (continuations joined), comments and blank lines left out."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def parse(path: Path) -> list[Locked]:
    entries = []
    for line in requirement_lines(path):
        match = LOCKED.fullmatch(line)
        assert match, f"{path.name}: not an exact pin with hashes: {line[:120]}"
        hashes = match["hashes"].split()
        assert hashes, f"{path.name}: {match['name']}=={match['version']} carries no hash"
        assert all(HASH.fullmatch(h) for h in hashes), f"{path.name}: {match['name']} has a malformed hash"
        entries.append(Locked(canonical(match["name"]), match["version"], match["marker"] or "", frozenset(hashes)))
    return entries


def pins(requirements: list[str]) -> dict[str, str]:
    """name -> version of pyproject requirements; the extra that pulls in the project itself is skipped."""
    out = {}
    for requirement in requirements:
        if canonical(requirement.split("[")[0]) == canonical(PROJECT["name"]):
            continue
        match = PIN.fullmatch(requirement)
        assert match, f"pyproject.toml: {requirement!r} is not an exact pin (name==version)"
        out[canonical(match["name"])] = match["version"]
    return out


RUNTIME_PINS = pins(PROJECT["dependencies"])
EXTRA_PINS = {
    name: version for extra in PROJECT["optional-dependencies"].values() for name, version in pins(extra).items()
}


@pytest.mark.parametrize("lock", [RUNTIME, DEV], ids=lambda p: p.name)
def test_every_locked_requirement_is_pinned_and_hashed(lock):
    entries = parse(lock)
    assert entries, f"{lock.name} locks nothing"
    assert len({(e.name, e.marker) for e in entries}) == len(entries), f"{lock.name} locks a package twice"


@pytest.mark.parametrize(
    ("lock", "expected"),
    [(RUNTIME, RUNTIME_PINS), (DEV, {**RUNTIME_PINS, **EXTRA_PINS})],
    ids=["runtime.lock", "dev.lock"],
)
def test_every_pin_of_pyproject_is_locked_at_its_version(lock, expected):
    locked: dict[str, set[str]] = {}
    for entry in parse(lock):
        locked.setdefault(entry.name, set()).add(entry.version)
    wrong = {name: (version, sorted(locked.get(name, ()))) for name, version in expected.items()
             if locked.get(name) != {version}}  # fmt: skip
    assert not wrong, f"{lock.name} disagrees with pyproject.toml (pin, locked): {wrong}; run `make lock`"


def test_runtime_lock_holds_the_dev_lock_versions_and_files():
    dev = {(e.name, e.marker): e for e in parse(DEV)}
    differ = [f"{e.name}=={e.version}" for e in parse(RUNTIME) if dev.get((e.name, e.marker)) != e]
    assert not differ, f"runtime.lock differs from dev.lock for {differ}; run `make lock`"
