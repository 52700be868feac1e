"""Print the project_slug that cookiecutter.json's defaults produce (used by `make demo`)."""

import sys
from pathlib import Path

from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

TEMPLATE = Path(__file__).resolve().parent.parent
# cookiecutter.json's _extensions name a module of this template (hooks.mlops_hooks...): cookiecutter and
# cruft put the template folder on sys.path while rendering; so does this script.
if str(TEMPLATE) not in sys.path:
    sys.path.insert(0, str(TEMPLATE))


def default_answers() -> dict:
    context = generate_context(context_file=str(TEMPLATE / "cookiecutter.json"))
    return prompt_for_config(context, no_input=True)


if __name__ == "__main__":
    print(default_answers()["project_slug"])
