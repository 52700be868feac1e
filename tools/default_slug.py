"""Print the project_slug that cookiecutter.json's defaults produce (used by `make demo`)."""

from pathlib import Path

from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

TEMPLATE = Path(__file__).resolve().parent.parent


def default_answers() -> dict:
    context = generate_context(context_file=str(TEMPLATE / "cookiecutter.json"))
    return prompt_for_config(context, no_input=True)


if __name__ == "__main__":
    print(default_answers()["project_slug"])
