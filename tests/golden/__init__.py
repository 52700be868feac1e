"""Golden file lists: the files a rendered project holds, for every combination of the choice options.

Checked-in text, read by ``tests/test_render_matrix.py``; nothing here renders the template:

- ``choices.txt``: the render matrix's axes, one choice option a line with its values, default first.
- ``files.txt``: every file of a render with default answers, one a line, sorted. Path parts equal to
  the package name or the repository name are written ``{package_name}`` / ``{project_slug}``, so one
  list holds for any project name; an empty folder would be written with a trailing ``/``.
- ``deltas.txt``: how the list changes when answers differ from their defaults. A ``[option=value]``
  header (several joined by `` & `` for an interaction of answers that single-answer sections do not
  explain) is followed by ``+ path`` (added) and ``- path`` (removed) lines. The expected list of a
  combination is ``files.txt`` with every section whose answers the combination holds applied, smaller
  sections first.

Tool caches that git never ships (``__pycache__``, ``.ruff_cache``, ...) are not listed.

After a deliberate change to the generated tree, regenerate from renders and review the diff::

    make golden        # = .venv/bin/python -m tests.golden --write
    git diff tests/golden/

``python -m tests.golden`` (no ``--write``) only compares renders with the golden lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
CHOICES_FILE = GOLDEN / "choices.txt"
FILES_FILE = GOLDEN / "files.txt"
DELTAS_FILE = GOLDEN / "deltas.txt"
REGENERATE = "make golden"
# Folders and suffixes of tool caches: ignored by git, so never part of the template anyone clones.
NOISE_PARTS = frozenset({".git", "__pycache__", ".ruff_cache", ".pytest_cache", ".mypy_cache", ".hypothesis"})
NOISE_SUFFIXES = frozenset({".pyc", ".pyo"})
# Answers whose value can name a path part, and how the golden lists write them.
PLACEHOLDERS = ("package_name", "project_slug")

Answer = tuple[str, str]


@dataclass(frozen=True)
class Delta:
    """Files added and removed when a combination holds every answer of ``when``."""

    when: frozenset[Answer]
    added: frozenset[str]
    removed: frozenset[str]

    def header(self) -> str:
        return "[" + " & ".join(f"{k}={v}" for k, v in sorted(self.when)) + "]"


def is_noise(relative: Path) -> bool:
    return any(part in NOISE_PARTS for part in relative.parts) or relative.suffix in NOISE_SUFFIXES


def listing(project: Path, answers: Mapping[str, str]) -> set[str]:
    """Every file (and empty folder, with a trailing /) under ``project``, as the golden lists write it."""
    names = {str(answers[key]): "{" + key + "}" for key in PLACEHOLDERS if answers.get(key)}
    out = set()
    for path in project.rglob("*"):
        relative = path.relative_to(project)
        if is_noise(relative):
            continue
        if path.is_dir() and not path.is_symlink():
            if any(path.iterdir()):
                continue
            suffix = "/"
        else:
            suffix = ""
        out.add("/".join(names.get(part, part) for part in relative.parts) + suffix)
    return out


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [line.rstrip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def load_choices() -> dict[str, list[str]]:
    """``option: default other ...`` lines, as a dict in file order."""
    out = {}
    for line in _lines(CHOICES_FILE):
        option, _, values = line.partition(":")
        out[option.strip()] = values.split()
    return out


def load_files() -> set[str]:
    return set(_lines(FILES_FILE))


def _parse_header(line: str) -> frozenset[Answer]:
    assert line.startswith("[") and line.endswith("]"), f"deltas.txt: expected a [option=value] header, got {line!r}"
    answers = []
    for part in line[1:-1].split(" & "):
        option, sep, value = part.strip().partition("=")
        assert sep and option and value, f"deltas.txt: bad answer {part!r} in {line!r}"
        answers.append((option, value))
    return frozenset(answers)


def load_deltas() -> list[Delta]:
    deltas: list[Delta] = []
    when: frozenset[Answer] | None = None
    added: set[str] = set()
    removed: set[str] = set()
    for line in _lines(DELTAS_FILE):
        if line.startswith("["):
            if when is not None:
                deltas.append(Delta(when, frozenset(added), frozenset(removed)))
            when, added, removed = _parse_header(line), set(), set()
            continue
        sign, _, path = line.partition(" ")
        assert when is not None and sign in {"+", "-"} and path, f"deltas.txt: bad line {line!r}"
        (added if sign == "+" else removed).add(path.strip())
    if when is not None:
        deltas.append(Delta(when, frozenset(added), frozenset(removed)))
    return ordered(deltas)


def ordered(deltas: Iterable[Delta]) -> list[Delta]:
    """The order deltas apply in: fewer answers first, then by header."""
    return sorted(deltas, key=lambda d: (len(d.when), d.header()))


def non_default(answers: Mapping[str, str], choices: Mapping[str, list[str]]) -> frozenset[Answer]:
    """The choice answers that differ from their defaults (the first value)."""
    given = {k: str(answers[k]) for k in choices if k in answers}
    return frozenset((k, v) for k, v in given.items() if v != choices[k][0])


def compose(base: set[str], deltas: Iterable[Delta], answers: frozenset[Answer]) -> set[str]:
    expected = set(base)
    for delta in ordered(deltas):
        if delta.when <= answers:
            expected = (expected - delta.removed) | delta.added
    return expected


def expected_files(answers: Mapping[str, str]) -> set[str]:
    """The golden file list of one combination of answers."""
    return compose(load_files(), load_deltas(), non_default(answers, load_choices()))


def difference(actual: set[str], expected: set[str]) -> str:
    """A readable report of how a render differs from its golden list; empty when they match."""
    missing, unexpected = sorted(expected - actual), sorted(actual - expected)
    if not missing and not unexpected:
        return ""
    lines = ["rendered files differ from tests/golden:"]
    lines += [f"  missing:    {path}" for path in missing]
    lines += [f"  unexpected: {path}" for path in unexpected]
    lines.append(f"If the change is deliberate, run `{REGENERATE}` and review `git diff tests/golden/`.")
    return "\n".join(lines)
