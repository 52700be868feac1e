"""The project's command line: one entry point, one sub-command group per lifecycle step."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

from . import __version__, settings

DATA_DIR = Path("data")
WORK_DIR = Path(".mlops") / "runs"


def _settings() -> settings.Settings:
    try:
        return settings.load()
    except settings.SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _key_values(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r}: use Name=Value", param_hint="--parameter")
        out[name] = value
    return out


env_option = click.option(
    "--env", type=click.Choice(settings.ENVIRONMENTS), default="dev", show_default=True, help="Target environment."
)
commit_option = click.option(
    "--commit", default=None, help="Git commit the image was built from (default: CI_COMMIT_SHA or git HEAD)."
)
parameter_option = click.option(
    "--parameter", "-p", "parameters", multiple=True, metavar="NAME=VALUE", help="Override a pipeline parameter."
)


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
    current = _settings()
    out = dataclasses.asdict(current)
    if env:
        out["environment"] = {"name": env, "account_id": current.account_id(env), "tags": current.tags(env)}
    click.echo(json.dumps(out, indent=2, sort_keys=True))


@main.command("data")
@click.option("--dataset", default=None, help="Demo data set to write (default: the one in project.yaml).")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=DATA_DIR,
    show_default=True,
    help="The project's data folder.",
)
@click.option(
    "--refresh-schema",
    is_flag=True,
    help="Derive schema.json again from the data (it is reviewed and committed, so this is a deliberate change).",
)
def write_data(dataset: str | None, dest: Path, refresh_schema: bool) -> None:
    """Write the demo data set (from scikit-learn, offline) as CSV, with its schema.json."""
    from .data.datasets import write_dataset

    name = dataset or _settings().dataset
    try:
        path = write_dataset(name, dest, refresh_schema=refresh_schema)
    except (KeyError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(path))


@main.group()
def pipeline() -> None:
    """The SageMaker pipeline: definition, deployment to SageMaker, and local runs."""


@pipeline.command("definition")
@env_option
@commit_option
@click.option("--subnet-id", "subnets", multiple=True, help="VPC subnet for every job (repeat for more).")
@click.option("--security-group-id", "security_groups", multiple=True, help="Security group for every job.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of stdout.",
)
def pipeline_definition(
    env: str, commit: str | None, subnets: tuple[str, ...], security_groups: tuple[str, ...], output: Path | None
) -> None:
    """Print the pipeline definition JSON. Offline: no AWS credentials, no network.

    Names (role, bucket, KMS alias, model package group, image) come from the naming conventions the
    Terraform root uses. The VPC comes from --subnet-id/--security-group-id; without them the jobs carry
    no VpcConfig (they still run with network isolation). `pipeline upsert` always uses the foundation's
    subnets and security group from SSM.
    """
    from .pipeline import targets

    cfg = _settings()
    try:
        target = targets.from_conventions(
            cfg, env, commit=commit or targets.git_commit(), subnets=subnets, security_group_ids=security_groups
        )
    except settings.SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    if not target.has_vpc:
        click.echo(
            "note: no --subnet-id/--security-group-id: jobs carry no VpcConfig (upsert uses the foundation's from SSM)",
            err=True,
        )
    text = json.dumps(_definition(cfg, target), indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(str(output), err=True)
    else:
        click.echo(text)


def _definition(cfg: settings.Settings, target) -> dict:
    from .pipeline import definition

    return definition.definition(cfg, target)


def _aws_clients(cfg: settings.Settings, profile: str | None):
    import boto3

    session = boto3.Session(region_name=cfg.region, profile_name=profile)
    return session.client("ssm"), session.client("sagemaker")


profile_option = click.option("--profile", default=None, help="AWS profile (default: the usual credential chain).")


@pipeline.command("upsert")
@env_option
@commit_option
@profile_option
def pipeline_upsert(env: str, commit: str | None, profile: str | None) -> None:
    """Create or update the pipeline in SageMaker, with the names Terraform published in SSM."""
    from .pipeline import deploy, targets

    cfg = _settings()
    commit = commit or targets.git_commit()
    if commit == targets.NO_COMMIT:
        raise click.ClickException("no git commit: the image tag is the commit SHA; commit first or pass --commit")
    ssm, sm = _aws_clients(cfg, profile)
    try:
        target = targets.from_ssm(cfg, env, ssm, commit=commit)
        arn = deploy.upsert(sm, cfg, target, _definition(cfg, target))
    except (settings.SettingsError, deploy.DeployError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(arn)


@pipeline.command("start")
@env_option
@profile_option
@parameter_option
def pipeline_start(env: str, profile: str | None, parameters: tuple[str, ...]) -> None:
    """Start an execution of the pipeline in SageMaker."""
    from .pipeline import deploy

    cfg = _settings()
    _, sm = _aws_clients(cfg, profile)
    try:
        click.echo(deploy.start(sm, cfg.pipeline_name(env), _key_values(parameters)))
    except deploy.DeployError as exc:
        raise click.ClickException(str(exc)) from exc


@pipeline.command("status")
@env_option
@profile_option
@click.option("--execution-arn", default=None, help="Execution to show (default: the latest).")
def pipeline_status(env: str, profile: str | None, execution_arn: str | None) -> None:
    """Show an execution of the pipeline in SageMaker and its steps."""
    from .pipeline import deploy

    cfg = _settings()
    _, sm = _aws_clients(cfg, profile)
    try:
        report = deploy.status(sm, cfg.pipeline_name(env), execution_arn)
    except deploy.DeployError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(report, indent=2, default=str))


@pipeline.command("run")
@click.option(
    "--local",
    "local",
    is_flag=True,
    required=True,
    help="Run on this machine (the only mode here; `pipeline start` runs on SageMaker).",
)
@env_option
@commit_option
@parameter_option
@click.option(
    "--definition",
    "definition_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Run this definition JSON instead of building one.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DATA_DIR,
    show_default=True,
    help="Data set to stage at InputDataUri before the run.",
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=WORK_DIR,
    show_default=True,
    help="Where each execution keeps its /opt/ml folders, logs and execution.json.",
)
@click.option(
    "--emulator/--aws",
    "emulated",
    default=True,
    show_default=True,
    help="S3 and the model registry: the in-process emulator, or AWS (credentials from the usual chain).",
)
@profile_option
def pipeline_run(
    local: bool,
    env: str,
    commit: str | None,
    parameters: tuple[str, ...],
    definition_file: Path | None,
    data_dir: Path,
    work_dir: Path,
    emulated: bool,
    profile: str | None,
) -> None:
    """Execute the pipeline definition JSON locally: every step's command as a subprocess, no Docker."""
    from botocore.exceptions import BotoCoreError, ClientError

    from .pipeline import targets
    from .pipeline.local import emulator, runner

    cfg = _settings()
    target = targets.from_conventions(cfg, env, commit=commit or targets.git_commit())
    definition = (
        json.loads(definition_file.read_text(encoding="utf-8")) if definition_file else _definition(cfg, target)
    )
    place = emulator.emulator(cfg.region) if emulated else emulator.aws(cfg.region, profile)
    try:
        with place as aws:
            result = runner.run_local(
                definition,
                aws,
                pipeline_name=cfg.pipeline_name(env),
                bucket=target.bucket,
                region=cfg.region,
                account=cfg.account_id(env),
                data_dir=data_dir,
                work_dir=work_dir,
                parameters=_key_values(parameters),
            )
    except (runner.DefinitionError, FileNotFoundError, BotoCoreError, ClientError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        json.dumps(
            {
                "execution_id": result.execution_id,
                "status": result.status,
                "model_package_arn": result.model_package_arn,
                "work": str(result.work),
            },
            indent=2,
        )
    )
    if not result.succeeded:
        click.echo(f"Error: {result.failed_step}: {result.failure}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
