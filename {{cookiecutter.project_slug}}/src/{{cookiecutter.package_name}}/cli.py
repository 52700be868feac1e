"""The project's command line: one entry point, one sub-command group per lifecycle step."""

from __future__ import annotations

import dataclasses
import json

import click

from . import __version__, settings


@click.group()
@click.version_option(__version__)
def main() -> None:
    """{{ cookiecutter.project_name }}: build, govern, deploy and monitor the model."""


@main.command("settings")
@click.option(
    "--env", type=click.Choice(settings.ENVIRONMENTS), default=None, help="Also show this environment's tags."
)
def show_settings(env: str | None) -> None:
    """Print the project settings (from project.yaml) as JSON."""
    try:
        current = settings.load()
    except settings.SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    out = dataclasses.asdict(current)
    if env:
        out["environment"] = {"name": env, "account_id": current.account_id(env), "tags": current.tags(env)}
    click.echo(json.dumps(out, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
