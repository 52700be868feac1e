"""Regenerate the generated repository's hash-locked requirements, for every framework, in one template.

Run from the template's virtual environment (cookiecutter and the pinned uv) after changing a pin in
``{{cookiecutter.project_slug}}/pyproject.toml``:

    .venv/bin/python tools/lock.py [--upgrade]

For each framework it renders the template with default answers and runs that repository's own
``tools/lock.py`` (what ``make lock`` runs there; loaded by path, one implementation), with the locks
the template ships as preferences. The results are merged into one Jinja file per lock: lines only
one framework needs sit in ``{% if cookiecutter.framework ... %}`` blocks and the project name
becomes ``{{ cookiecutter.project_slug }}``. Each merged file is rendered back for every framework
and must equal the compiled lock byte for byte before anything is written, so a generated
repository's ``make lock`` reproduces the file it was generated with.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from cookiecutter.environment import StrictEnvironment
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
PROJECT_TREE = TEMPLATE / "{{cookiecutter.project_slug}}"
sys.path.insert(0, str(TEMPLATE / "hooks"))
from mlops_hooks.locate import load_project_module  # noqa: E402
from mlops_hooks.validation import choices  # noqa: E402

SLUG = "{{ cookiecutter.project_slug }}"


def generated_lock_tool() -> ModuleType:
    return load_project_module(TEMPLATE, "tools/lock.py", "generated_lock")


def compile_framework(framework: str, workdir: Path, tool: ModuleType, uv: str, upgrade: bool) -> dict[str, str]:
    """Render the template for ``framework``, lock it, and return each lock with the project name templated."""
    project = Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context={"framework": framework},
                                output_dir=str(workdir / framework)))  # fmt: skip
    locks = {}
    for path in tool.compile_locks(project, uv=uv, upgrade=upgrade):
        text = path.read_text(encoding="utf-8").replace(f"{project.name} (pyproject.toml)", f"{SLUG} (pyproject.toml)")
        if project.name in text or "{%" in text or "{#" in text:
            raise SystemExit(f"{path.name} for {framework} holds the project name or Jinja syntax where not expected")
        locks[path.name] = text
    return locks


def merge(variants: dict[str, str]) -> str:
    """One Jinja text from two frameworks' texts: shared lines as they are, the rest in if/else blocks."""
    if len(variants) != 2:
        raise SystemExit(f"merging {len(variants)} frameworks is not implemented (two are)")
    (_, base), (other, variant) = variants.items()
    when, unless = (f'{{%- if cookiecutter.framework {op} "{other}" %}}\n' for op in ("==", "!="))
    a, b = base.splitlines(keepends=True), variant.splitlines(keepends=True)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out += a[i1:i2]
        elif tag == "insert":
            out += [when, *b[j1:j2], "{%- endif %}\n"]
        elif tag == "delete":
            out += [unless, *a[i1:i2], "{%- endif %}\n"]
        else:
            out += [when, *b[j1:j2], "{%- else %}\n", *a[i1:i2], "{%- endif %}\n"]
    return "".join(out)


def render(text: str, framework: str, slug: str) -> str:
    environment = StrictEnvironment(context={"cookiecutter": {}}, keep_trailing_newline=True)
    return environment.from_string(text).render(cookiecutter={"framework": framework, "project_slug": slug})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="move every transitive dependency to its newest")
    args = parser.parse_args(argv)
    tool = generated_lock_tool()
    uv = tool.find_uv()
    frameworks = choices(TEMPLATE)["framework"]
    with tempfile.TemporaryDirectory(prefix="lock-") as tmp:
        compiled = {fw: compile_framework(fw, Path(tmp), tool, uv, args.upgrade) for fw in frameworks}
    names = sorted(compiled[frameworks[0]])
    merged = {name: merge({fw: compiled[fw][name] for fw in frameworks}) for name in names}
    for name, text in merged.items():
        for fw in frameworks:
            if render(text, fw, "some-model") != compiled[fw][name].replace(SLUG, "some-model"):
                raise SystemExit(f"merged {name} does not render back to the {fw} lock; nothing written")
    for name, text in merged.items():
        target = PROJECT_TREE / "requirements" / name
        target.parent.mkdir(exist_ok=True)
        target.write_text(text, encoding="utf-8")
        blocks = text.count("{%- if")
        print(f"{target.relative_to(TEMPLATE)}: {len(text.encode()):,} bytes, {blocks} framework block(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
