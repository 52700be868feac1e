"""README.md opens with exactly the two set-up commands, and its options table is current."""

from __future__ import annotations

import re

from tests.helpers import OPTIONS, TEMPLATE
from tools import options_table

README = (TEMPLATE / "README.md").read_text(encoding="utf-8")


def first_code_block(text: str) -> list[str]:
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert block, "README.md has no code block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_the_two_setup_commands():
    before_block = README.split("```", 1)[0]
    assert before_block.count("\n") <= 2, "the set-up commands must come first"
    assert first_code_block(README) == ["make demo", "make test"]


def test_setup_commands_exist_as_make_targets():
    makefile = (TEMPLATE / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_ci_runs_the_readme_test_command():
    ci = (TEMPLATE / ".ci/run").read_text(encoding="utf-8")
    assert re.search(r"^(time )?make test$", ci, re.M)


def test_options_table_is_generated_from_cookiecutter_json():
    assert options_table.render(README, OPTIONS) == README, "run `make readme`"
    for name in OPTIONS:
        if not name.startswith("_"):
            assert f"| `{name}` |" in README


def test_every_option_has_a_readable_prompt():
    prompts = OPTIONS["__prompts__"]
    assert {name for name in OPTIONS if not name.startswith("_")} == set(prompts)


def test_cruft_update_is_documented_in_both_readmes():
    generated = (TEMPLATE / "{{cookiecutter.project_slug}}" / "README.md").read_text(encoding="utf-8")
    for text in (README, generated):
        assert "cruft update" in text


CHANGELOG = TEMPLATE / "CHANGELOG.md"


def test_changelog_opens_with_an_unreleased_section_that_lists_changes():
    """Keep a Changelog: `## [Unreleased]` first, then dated sections, each naming what changed."""
    assert CHANGELOG.is_file(), "CHANGELOG.md is missing from the template root"
    text = CHANGELOG.read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    assert sections, "CHANGELOG.md has no ## sections"
    assert sections[0].startswith("[Unreleased]\n"), "the first section must be ## [Unreleased]"
    for section in sections:
        title, _, body = section.partition("\n")
        assert title == "[Unreleased]" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", title), f"## {title}: use a date"
        assert re.search(r"^### (Added|Changed|Deprecated|Removed|Fixed|Security)$", body, re.M), f"## {title}"
        assert re.search(r"^- \S", body, re.M), f"## {title} lists no change"
    dates = [s.partition("\n")[0] for s in sections[1:]]
    assert dates == sorted(dates, reverse=True), "dated sections go newest first"


def test_changelog_is_named_where_cruft_update_is_explained():
    cruft_section = README.split("## Keep generated repositories up to date", 1)[1].split("\n## ", 1)[0]
    assert "CHANGELOG.md" in cruft_section


def test_readme_names_the_fast_and_golden_targets():
    makefile = (TEMPLATE / "Makefile").read_text(encoding="utf-8")
    tests_section = README.split("## Tests", 1)[1]
    for target in ("test-fast", "golden"):
        assert re.search(rf"^{target}:", makefile, re.M), target
        assert f"make {target}" in tests_section, target
