"""Render the README's options table from cookiecutter.json and project.schema.json, so they cannot drift apart.

`python tools/options_table.py --write` rewrites README.md between the option markers;
`--check` exits 1 when README.md is stale (the template's tests run it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
START, END = "<!-- options:start -->", "<!-- options:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(options: dict, choices: dict[str, list[str]]) -> str:
    prompts = options.get("__prompts__", {})
    rows = ["| option | question | default | allowed |", "| --- | --- | --- | --- |"]
    for name, default in options.items():
        if name.startswith("_"):
            continue
        question = prompts.get(name, name)
        shown = f"`{_cell(str(default))}`" if "{{" not in str(default) else f"derived: `{_cell(str(default))}`"
        if name in choices:
            allowed = ", ".join(f"`{value}`" for value in choices[name])
        else:
            allowed = "free text, checked against project.schema.json before generation"
        rows.append(f"| `{name}` | {_cell(question)} | {shown} | {allowed} |")
    return "\n".join(rows)


def render(readme: str, options: dict) -> str:
    sys.path.insert(0, str(TEMPLATE / "hooks"))
    from mlops_hooks.validation import choices

    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table(options, choices(TEMPLATE))}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    readme_path = TEMPLATE / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    options = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    wanted = render(readme, options)
    if args.write:
        readme_path.write_text(wanted, encoding="utf-8")
        return 0
    if wanted != readme:
        print("README.md options table is stale: run `make readme`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
