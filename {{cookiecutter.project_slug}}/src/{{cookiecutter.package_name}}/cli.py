"""The project's command line: one entry point, one sub-command group per lifecycle step.

Settings are read once per command into the click context (``Project``), and every expected error
(``errors.MlopsError``, AWS refusals, missing credentials) becomes one line on stderr in one place,
``Cli.invoke``: no command prints a traceback for a problem a person can fix.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import shutil
import sys
from functools import cached_property
from pathlib import Path
from typing import Any

import click

from . import __version__, contract, settings
from .errors import MlopsError, UsageError
from .pipeline import layout

DATA_DIR = Path("data")
# Where the local world and runs live instead of <project>/.mlops (tests use a temporary folder).
LOCAL_DIR_ENV = "MLOPS_LOCAL_DIR"


class Project:
    """What every command shares: the settings (loaded on first use, once) and the local folders."""

    @cached_property
    def settings(self) -> settings.Settings:
        return settings.load()

    @cached_property
    def root(self) -> Path:
        """The repository folder (holds pyproject.toml), or the working directory outside one."""
        from .pipeline.targets import project_root

        return project_root() or Path.cwd()

    @property
    def local_dir(self) -> Path:
        """``.mlops/``: the local AWS world and the local runs, kept between commands."""
        override = os.environ.get(LOCAL_DIR_ENV)
        return Path(override) if override else self.root / ".mlops"


pass_project = click.make_pass_decorator(Project, ensure=True)


def _aws_message(exc: Exception) -> str:
    from botocore.exceptions import NoCredentialsError, NoRegionError, ProfileNotFound, TokenRetrievalError

    if isinstance(exc, NoCredentialsError | TokenRetrievalError):
        return (
            f"AWS credentials: {exc}. Fix: `aws sso login` or set AWS_PROFILE (or pass --profile); "
            "local commands (--local) need none."
        )
    if isinstance(exc, ProfileNotFound | NoRegionError):
        return f"AWS configuration: {exc}."
    return f"AWS: {' '.join(str(exc).split())}"


class Cli(click.Group):
    """Translates expected errors to one line on stderr and an exit code, for every command."""

    def invoke(self, ctx: click.Context):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return super().invoke(ctx)
        except MlopsError as exc:
            message, code = str(exc), exc.exit_code
        except (BotoCoreError, ClientError) as exc:
            message, code = _aws_message(exc), 1
        click.echo(f"Error: {message}", err=True)
        ctx.exit(code)


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
profile_option = click.option("--profile", default=None, help="AWS profile (default: the usual credential chain).")


@click.group(cls=Cli)
@click.version_option(__version__)
def main() -> None:
    """{{ cookiecutter.project_name }}: build, govern, deploy and monitor the model."""


@main.command("settings")
@click.option(
    "--env", type=click.Choice(settings.ENVIRONMENTS), default=None, help="Also show this environment's names and tags."
)
@click.option(
    "--get",
    "key",
    default=None,
    metavar="NAME",
    help="Print one name of --env only (e.g. resource, bucket.artifacts, state_key): for CI scripts.",
)
@click.option("--backend", is_flag=True, help="Print --env's Terraform S3 backend settings (a .tfbackend file).")
@pass_project
def show_settings(project: Project, env: str | None, key: str | None, backend: bool) -> None:
    """Check project.yaml and print the settings as JSON (exit 2 with one line per bad key)."""
    current = project.settings
    if (key or backend) and env is None:
        raise UsageError("--get and --backend need --env")
    if backend and env:
        from .deployment import terraform

        click.echo(terraform.backend_config(current, env), nl=False)
        return
    if key and env:
        names = current.names(env)
        if key not in names:
            raise UsageError(f"--get {key}: unknown name; use one of {', '.join(names)}")
        click.echo(names[key])
        return
    out = dataclasses.asdict(current)
    out["metric"]["goal"] = current.metric.goal
    if env:
        out["environment"] = {
            "name": env,
            "account_id": current.account_id(env),
            "names": current.names(env),
            "tags": current.tags(env),
        }
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
@pass_project
def write_data(project: Project, dataset: str | None, dest: Path, refresh_schema: bool) -> None:
    """Write the demo data set (from scikit-learn, offline) as CSV, with its schema.json."""
    from .data.datasets import write_dataset

    name = dataset or project.settings.dataset
    try:
        path = write_dataset(name, dest, refresh_schema=refresh_schema)
    except (KeyError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    click.echo(str(path))


@main.group()
def pipeline() -> None:
    """The SageMaker pipeline: definition, deployment to SageMaker, and local runs."""


def _source(commit: str | None):
    """The commit and cleanliness the definition records (``--commit`` names a commit: clean by definition)."""
    from .pipeline import targets

    return targets.Source(commit, False) if commit else targets.source()


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
@pass_project
def pipeline_definition(
    project: Project,
    env: str,
    commit: str | None,
    subnets: tuple[str, ...],
    security_groups: tuple[str, ...],
    output: Path | None,
) -> None:
    """Print the pipeline definition JSON. Offline: no AWS credentials, no network.

    Names (role, bucket, KMS alias, model package group, image) come from project.yaml's naming, as the
    Terraform root's do. The VPC comes from --subnet-id/--security-group-id; without them the jobs carry
    no VpcConfig (they still run with network isolation). `pipeline upsert` always uses the foundation's
    subnets and security group from SSM.
    """
    from .pipeline import targets

    cfg = project.settings
    code = _source(commit)
    target = targets.from_conventions(
        cfg, env, commit=code.commit, dirty=code.dirty, subnets=subnets, security_group_ids=security_groups
    )
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


@pipeline.command("upsert")
@env_option
@commit_option
@profile_option
@pass_project
def pipeline_upsert(project: Project, env: str, commit: str | None, profile: str | None) -> None:
    """Create or update the pipeline in SageMaker, with the names Terraform published in SSM.

    With compliance gxp, a definition built from uncommitted changes is refused: its lineage could not
    name the code that registers models.
    """
    from .pipeline import deploy, targets

    cfg = project.settings
    code = _source(commit)
    if code.commit == targets.NO_COMMIT:
        raise UsageError("no git commit: the image tag is the commit SHA; commit first or pass --commit")
    if code.dirty and cfg.compliance == "gxp":
        raise UsageError(
            f"compliance gxp: {code.note}; a registered model must trace to a commit. Commit (or stash) first."
        )
    ssm, sm = _aws_clients(cfg, profile)
    target = targets.from_ssm(cfg, env, ssm, commit=code.commit, dirty=code.dirty)
    click.echo(deploy.upsert(sm, cfg, target, _definition(cfg, target)))


@pipeline.command("start")
@env_option
@profile_option
@parameter_option
@pass_project
def pipeline_start(project: Project, env: str, profile: str | None, parameters: tuple[str, ...]) -> None:
    """Start an execution of the pipeline in SageMaker."""
    from .governance.context import Governance
    from .pipeline import deploy
    from .pipeline.local import emulator

    cfg = project.settings
    values = _key_values(parameters)
    with emulator.aws(cfg.region, profile) as aws:
        execution = deploy.start(aws.client("sagemaker"), cfg.pipeline_name(env), values)
        Governance(cfg, env, aws).record(
            "pipeline.started", execution, {"pipeline": cfg.pipeline_name(env), "parameters": values}
        )
    click.echo(execution)


@pipeline.command("status")
@env_option
@profile_option
@click.option("--execution-arn", default=None, help="Execution to show (default: the latest).")
@pass_project
def pipeline_status(project: Project, env: str, profile: str | None, execution_arn: str | None) -> None:
    """Show an execution of the pipeline in SageMaker and its steps."""
    from .pipeline import deploy

    cfg = project.settings
    _, sm = _aws_clients(cfg, profile)
    click.echo(json.dumps(deploy.status(sm, cfg.pipeline_name(env), execution_arn), indent=2, default=str))


def _local_aws(project: Project, env: str, emulated: bool, profile: str | None):
    """The local world under .mlops/world (kept between commands), or AWS itself."""
    from .pipeline.local import emulator, world

    cfg = project.settings
    if not emulated:
        return emulator.aws(cfg.region, profile)
    return world.open_world(
        project.local_dir / "world",
        account=cfg.account_id(env),
        region=cfg.region,
        cli=cfg.slug,
        waiting=lambda message: click.echo(message, err=True),
    )


def _pipeline_identity(cfg: settings.Settings, env: str, aws):
    """Locally the run acts as the pipeline role (as SageMaker does on AWS); on AWS as the caller."""
    from .governance import local as local_governance
    from .governance.context import Governance

    if aws.emulated:
        local_governance.ensure(aws, cfg, env)
        aws = local_governance.assume(aws, cfg.pipeline_role_arn(env), "local-pipeline-run")
    return Governance(cfg, env, aws), aws


emulator_option = click.option(
    "--emulator/--aws",
    "emulated",
    default=True,
    show_default=True,
    help="S3 and the model registry: the local world under .mlops/ (kept between commands), or AWS.",
)


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
    default=None,
    help="Where each execution keeps its /opt/ml folders, logs and execution.json (default: .mlops/runs).",
)
@emulator_option
@profile_option
@pass_project
def pipeline_run(
    project: Project,
    local: bool,
    env: str,
    commit: str | None,
    parameters: tuple[str, ...],
    definition_file: Path | None,
    data_dir: Path,
    work_dir: Path | None,
    emulated: bool,
    profile: str | None,
) -> None:
    """Execute the pipeline definition JSON locally: every step's command as a subprocess, no Docker."""
    from .pipeline import targets
    from .pipeline.local import runner

    cfg = project.settings
    code = _source(commit)
    target = targets.from_conventions(cfg, env, commit=code.commit, dirty=code.dirty)
    if code.dirty:
        click.echo(f"note: lineage records git-dirty=true ({code.note})", err=True)
    definition = (
        json.loads(definition_file.read_text(encoding="utf-8")) if definition_file else _definition(cfg, target)
    )
    with _local_aws(project, env, emulated, profile) as aws:
        gov, runs_as = _pipeline_identity(cfg, env, aws)
        result = runner.run_local(
            definition,
            runs_as,
            pipeline_name=cfg.pipeline_name(env),
            bucket=target.bucket,
            region=cfg.region,
            account=cfg.account_id(env),
            data_dir=data_dir,
            work_dir=work_dir or project.local_dir / "runs",
            parameters=_key_values(parameters),
            events=gov.record,
        )
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
    click.echo(_where(project, result, emulated), err=True)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _command(name: str) -> str:
    """This CLI as the person can type it: its name when on PATH, else its path in this virtual environment."""
    script = Path(sys.executable).parent / name
    if shutil.which(name) or not script.exists():
        return name
    return _shown(script)


def _where(project: Project, result, emulated: bool) -> str:
    """Where a person finds what the run made, and what to run next."""
    evaluation = sorted(result.work.glob(f"{layout.STEP_EVALUATE}/**/{contract.EVALUATION_JSON}"))
    plots = sorted(result.work.glob(f"{layout.STEP_EVALUATE}/**/*.png"))
    registry = "the local world (.mlops/world)" if emulated else "SageMaker"
    cli = _command(project.settings.slug)
    lines = [f"Project:    {project.root}"]
    if evaluation:
        lines.append(f"Evaluation: {_shown(evaluation[0])}")
    lines += [f"Plot:       {_shown(p)}" for p in plots]
    lines.append(f"Registered: {result.model_package_arn} (PendingManualApproval) in {registry}")
    lines.append(f"Next:       {cli} registry list" + ("" if emulated else " --aws"))
    return "\n".join(lines)


@main.group()
def registry() -> None:
    """The model registry: this model's package group."""


@registry.command("list")
@env_option
@emulator_option
@profile_option
@click.option("--json", "as_json", is_flag=True, help="Print the packages as JSON.")
@pass_project
def registry_list(project: Project, env: str, emulated: bool, profile: str | None, as_json: bool) -> None:
    """List the model packages of this model in ENV, oldest first: version, status, metric, commit."""
    from . import metrics
    from .pipeline.local import registry as model_registry

    cfg = project.settings
    with _local_aws(project, env, emulated, profile) as aws:
        packages = model_registry.summaries(
            aws.client("sagemaker"),
            aws.client("s3"),
            cfg.model_package_group(env),
            metrics.json_path(cfg.problem_type, cfg.metric.name),
        )
    if as_json:
        click.echo(json.dumps(packages, indent=2, default=str))
        return
    if not packages:
        click.echo(f"no model packages in {cfg.model_package_group(env)} yet; run `{cfg.slug} pipeline run --local`")
        return
    for p in packages:
        metric = "?" if p["metric"] is None else f"{p['metric']:.4g}"
        click.echo(
            f"{p['version']:>3}  {p['status']:<22} {cfg.metric.name}={metric}  "
            f"commit={p['commit'][:12]}{' (dirty)' if p['dirty'] else ''}  {p['arn']}"
        )


# --- governance: audit trail, e-signatures, validation report ----------------------------------------------------


@contextlib.contextmanager
def _governance(project: Project, env: str, emulated: bool, profile: str | None, *, signer: str | None = None):
    """The model's governance in ENV: the local world (resources made on first use) or AWS.

    Locally a ``signer`` acts as an emulator session of the approver role, named after them: an identity distinct
    from the pipeline's. On AWS the caller's credentials are the identity (the steward assumed the approver role).
    """
    from .governance import local as local_governance
    from .governance.context import Governance

    cfg = project.settings
    with _local_aws(project, env, emulated, profile) as aws:
        if aws.emulated:
            local_governance.ensure(aws, cfg, env)
            if signer is not None:
                aws = local_governance.assume(aws, cfg.approver_role_arn(env), signer, source_identity=signer)
        yield Governance(cfg, env, aws)


def _trusted_keys(gov, key_files: tuple[Path, ...], offline: bool) -> set[str]:
    """Fingerprints of the signing keys to trust: the model's KMS key (unless --offline) and any --public-key.

    Never the keys recorded beside the signatures: anyone can sign with a key of their own.
    """
    if offline and not key_files:
        raise UsageError("--offline needs --public-key: the signing key to trust (PEM or DER)")
    from cryptography.hazmat.primitives import serialization

    from .governance import signatures

    trusted: set[str] = set()
    for path in key_files:
        data = path.read_bytes()
        try:
            key = (
                serialization.load_pem_public_key(data)
                if data.lstrip().startswith(b"-----")
                else serialization.load_der_public_key(data)
            )
        except ValueError as exc:
            raise UsageError(f"--public-key {path}: not a PEM or DER public key ({exc})") from exc
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        trusted.add(signatures.fingerprint(base64.b64encode(der).decode()))
    if not offline:
        trusted.add(signatures.current_fingerprint(gov.client("kms"), gov.signing_key))
    return trusted


public_key_option = click.option(
    "--public-key",
    "key_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also trust this signing public key (PEM or DER), e.g. one that was replaced.",
)
offline_option = click.option(
    "--offline", is_flag=True, help="Do not ask KMS for the current key: trust only --public-key files."
)


@main.group()
def audit() -> None:
    """The model's hash-chained audit trail (one S3 object per entry, Object Lock)."""


def _short(arn: str) -> str:
    """The readable end of an ARN: role/session, model-package/group/3, execution id."""
    return arn.split(":", 5)[-1].removeprefix("assumed-role/") if arn.startswith("arn:") else arn


def _printable(value: object) -> str:
    """One line of text: a name holding a newline must not forge a row of the table."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))


def _summary(entry: dict) -> str:
    details = entry["details"]
    signature = details.get("signature")
    content = signature.get("payload") if isinstance(signature, dict) else None
    if isinstance(content, dict):
        return f"{content.get('printed_name')} ({content.get('meaning')}) {details.get('decision', '')}".strip()
    for key in ("reason", "step", "status", "cause", "sha256"):
        if key in details:
            return f"{key}={str(details[key])[:60]}"
    return ""


def _row(seq: int, entry: dict | None, problem: str) -> str:
    if entry is None:
        return f"{seq:>5}  UNREADABLE: {problem or 'deleted'} (run `audit verify`)"
    line = (
        f"{seq:>5}  {entry['time'][:19]}Z  {entry['action']:<22} {_short(entry['actor']):<45} "
        f"{_short(entry['subject'])}  {_summary(entry)}"
    )
    return _printable(line.rstrip())


@audit.command("show")
@env_option
@emulator_option
@profile_option
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@click.option("--last", type=click.IntRange(min=1), default=None, help="Only the last N entries.")
@pass_project
def audit_show(
    project: Project, env: str, emulated: bool, profile: str | None, as_json: bool, last: int | None
) -> None:
    """List the audit trail's entries, oldest first: seq, UTC time, action, actor, subject."""
    from .governance import chain

    with _governance(project, env, emulated, profile) as gov:
        stored = gov.required_trail().stored()
    stored = stored[-last:] if last else stored
    rows = [(item.seq, *(chain.parse(item.body) if item.body is not None else (None, ""))) for item in stored]
    if as_json:
        click.echo(json.dumps([entry for _, entry, _ in rows if entry is not None], indent=2))
        return
    if not rows:
        click.echo(f"the audit trail of {project.settings.slug} in {env} is empty")
        return
    click.echo(f"{'seq':>5}  {'time (UTC)':<20} {'action':<22} {'actor':<45} subject")
    for seq, entry, problem in rows:
        click.echo(_row(seq, entry, problem))


@audit.command("verify")
@env_option
@emulator_option
@profile_option
@public_key_option
@offline_option
@pass_project
def audit_verify(
    project: Project, env: str, emulated: bool, profile: str | None, key_files: tuple[Path, ...], offline: bool
) -> None:
    """Recompute the whole chain and every signature; exit 1 naming the first bad entry and why."""
    with _governance(project, env, emulated, profile) as gov:
        trail = gov.required_trail()
        trusted = _trusted_keys(gov, key_files, offline)
        result = trail.verify(trusted, require_signatures=gov.cfg.e_signatures)
    if not result.ok:
        for finding in result.findings[1:]:
            click.echo(f"  also {finding}", err=True)
        raise MlopsError(result.summary())
    click.echo(result.summary())


@audit.command("public-key")
@env_option
@emulator_option
@profile_option
@pass_project
def audit_public_key(project: Project, env: str, emulated: bool, profile: str | None) -> None:
    """Print the model's signing public key (PEM): what `audit verify --offline --public-key` trusts."""
    from cryptography.hazmat.primitives import serialization

    with _governance(project, env, emulated, profile) as gov:
        der = gov.client("kms").get_public_key(KeyId=gov.signing_key)["PublicKey"]
    key = serialization.load_der_public_key(der)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    click.echo(pem.decode().rstrip())


package_argument = click.argument("package")
# Not click-required: a missing name or meaning is a refused signing attempt, recorded like the others.
name_option = click.option("--name", "printed_name", default=None, help="Your printed full name (Part 11 §11.50).")
meaning_option = click.option(
    "--meaning",
    default=None,
    metavar="review|approval|responsibility",
    help="What your signature means (Part 11 §11.50).",
)


def _decide(project: Project, env: str, emulated: bool, profile: str | None, package: str, **kwargs) -> None:
    from .governance import approval

    with _governance(project, env, emulated, profile, signer=kwargs["printed_name"] or "unnamed") as gov:
        done = approval.decide(gov, package, **kwargs)
    where = f"audit entry {done.audit_seq}" if done.audit_seq else "the package"
    signed = f"signed with {done.signature.key_id} ({done.signature.algorithm})" if done.signature else "unsigned"
    click.echo(f"{done.status}: {done.package_arn}")
    click.echo(f"  by {done.identity}, {signed}; recorded in {where}")


@main.command("approve")
@package_argument
@name_option
@meaning_option
@env_option
@emulator_option
@profile_option
@pass_project
def approve(
    project: Project,
    package: str,
    printed_name: str | None,
    meaning: str | None,
    env: str,
    emulated: bool,
    profile: str | None,
) -> None:
    """Approve model PACKAGE (version number or ARN) with your electronic signature.

    Refused, and recorded as a failed attempt, when you registered it yourself, it is not PendingManualApproval,
    its artifact changed since registration or its metric gate result is missing. Locally you sign as an
    emulator session of the approver role; on AWS as the approver role your credentials assumed.
    """
    _decide(project, env, emulated, profile, package, printed_name=printed_name, meaning=meaning, decision="approved")


@main.command("reject")
@package_argument
@name_option
@meaning_option
@click.option("--reason", default=None, help="Why the model is rejected (recorded and signed; required).")
@env_option
@emulator_option
@profile_option
@pass_project
def reject(
    project: Project,
    package: str,
    printed_name: str | None,
    meaning: str | None,
    reason: str | None,
    env: str,
    emulated: bool,
    profile: str | None,
) -> None:
    """Reject model PACKAGE (version number or ARN) with your electronic signature and a reason."""
    _decide(
        project,
        env,
        emulated,
        profile,
        package,
        printed_name=printed_name,
        meaning=meaning,
        decision="rejected",
        reason=reason,
    )


@main.command("report")
@package_argument
@env_option
@emulator_option
@profile_option
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where reports/<model>-v<N>/ goes.",
)
@click.option(
    "--junit",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JUnit XML of the test run to include (CI passes its own).",
)
@click.option(
    "--checkov",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="checkov JSON output (`checkov -o json`) to include.",
)
@public_key_option
@offline_option
@pass_project
def report(
    project: Project,
    package: str,
    env: str,
    emulated: bool,
    profile: str | None,
    output_dir: Path,
    junit: Path | None,
    checkov: Path | None,
    key_files: tuple[Path, ...],
    offline: bool,
) -> None:
    """Write the validation report of PACKAGE (HTML + JSON) and create or update its SageMaker Model Card.

    Holds lineage, metrics against the gate, every signature, the audit chain's verification, test and checkov
    results when given, and the Part 11 traceability matrix (missing evidence shows as missing). The JSON's
    SHA-256 is printed in the HTML footer and recorded in the audit trail.
    """
    from .governance import report as validation_report

    with _governance(project, env, emulated, profile) as gov:
        trusted = _trusted_keys(gov, key_files, offline)
        done = validation_report.write_report(
            gov, package, output_dir, junit=junit, checkov=checkov, root=project.root, trusted=trusted
        )
    click.echo(f"Report:     {_shown(done.html)}")
    click.echo(f"JSON:       {_shown(done.json)} (sha256 {done.sha256})")
    if done.model_card:
        click.echo(f"Model card: {done.model_card} ({done.card_status})")
    if done.audit_seq is not None:
        click.echo(f"Recorded:   audit entry {done.audit_seq}")
    for note in done.notes:
        click.echo(f"note: {note}", err=True)


# --- deployment: the SageMaker endpoint (Terraform) or the local server -------------------------------------------

local_target_option = click.option(
    "--local",
    "to_local",
    is_flag=True,
    help="The local server on this machine (.mlops/serving/<env>) instead of the SageMaker endpoint.",
)
port_option = click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8080,
    show_default=True,
    help="Port of the local server when it starts (a running one keeps its port).",
)
workers_option = click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Local server processes when it starts (default: one per core).",
)
plan_only_option = click.option(
    "--plan-only",
    is_flag=True,
    help="Check and write the Terraform plan (build/<env>.tfplan, .tfplan.json for CI to show), apply nothing.",
)
apply_plan_option = click.option(
    "--apply-plan",
    is_flag=True,
    help="Check again, then apply the plan --plan-only saved (build/<env>.tfplan) without planning again; refused "
    "unless its model_package_arn is the verified package.",
)


def _deployment_options(command):
    """The options deploy and rollback share, in the order --help lists them."""
    for option in reversed(
        (env_option, local_target_option, plan_only_option, apply_plan_option, port_option, workers_option,
         public_key_option, offline_option, emulator_option, profile_option)
    ):  # fmt: skip
        command = option(command)
    return command


def _deploy(
    project: Project,
    kind: str,
    *,
    env: str,
    to_local: bool,
    plan_only: bool,
    apply_plan: bool,
    port: int,
    workers: int | None,
    key_files: tuple[Path, ...],
    offline: bool,
    emulated: bool,
    profile: str | None,
) -> None:
    """Run a deployment or rollback and print where it went."""
    from .deployment import deploy, terraform

    if emulated and not to_local:
        raise UsageError(
            f"{kind} to the SageMaker endpoint takes the package from the registry on AWS: add --aws "
            "(or --local to serve on this machine)"
        )
    request = deploy.Request(
        env=env,
        target=deploy.LOCAL if to_local else deploy.AWS,
        kind=kind,
        root=project.root,
        local_dir=project.local_dir,
        port=port,
        workers=workers,
        plan_only=plan_only,
        apply_plan=apply_plan,
    )
    done = deploy.run(
        lambda: _governance(project, env, emulated, profile),
        lambda gov: _trusted_keys(gov, key_files, offline),
        request,
    )
    cli = _command(project.settings.slug)
    if not done.applied:
        click.echo(f"Planned:  {done.package_arn} for {env}; nothing applied")
        click.echo(f"Plan:     {terraform.plan_file(env)} (JSON: {terraform.plan_json(env)})")
        click.echo(f"Apply:    {cli} {kind} --env {env} --aws --apply-plan")
        return
    where = "the local server" if to_local else f"endpoint {project.settings.resource_name(env)}"
    click.echo(f"{'Deployed' if kind == deploy.DEPLOY else 'Rolled back to'}: {done.package_arn} on {where} ({env})")
    click.echo(f"Previous: {done.previous or 'none'}")
    if done.server:
        click.echo(f"Serving:  {done.server.url} (pid {done.server.pid})")
    click.echo(f"Next:     {cli} endpoint invoke --env {env}{' --local' if to_local else ''} --file rows.csv")


@main.command("deploy")
@_deployment_options
@pass_project
def deploy_command(project: Project, **options: Any) -> None:
    """Deploy the newest Approved package of ENV to the SageMaker endpoint (--aws) or the local server (--local).

    Refused, recorded as deployment.refused and exit 1, when its approval signature does not verify (artifact
    re-hashed), the audit trail does not verify or lacks the approval, or its metric misses the gate. On AWS it
    plans terraform/ with the package ARN (build/<env>.tfplan), applies that plan (SageMaker shifts traffic
    blue/green and rolls back on an alarm) and checks that the endpoint serves the package. --plan-only stops
    after the plan; --apply-plan then checks again and applies that saved plan, not a fresh one, once its
    model_package_arn is the verified package. Locally it starts the server, or hot-swaps the running one.
    """
    _deploy(project, "deploy", **options)


@main.command("rollback")
@_deployment_options
@pass_project
def rollback_command(project: Project, **options: Any) -> None:
    """Return ENV's endpoint (--aws) or local server (--local) to the package it served before, as deploy does.

    The earlier package comes from the audit trail and must still be Approved and pass every deploy check.
    """
    _deploy(project, "rollback", **options)


@main.group()
def endpoint() -> None:
    """The model's endpoint in an environment, or the local server (--local): invoke, status, stop."""


def _local_server(project: Project, env: str):
    from .deployment import local
    from .serving import control

    return control.status(local.state_dir(project.local_dir, env))


@endpoint.command("invoke")
@env_option
@local_target_option
@click.option(
    "--file",
    "rows_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Rows to score: CSV without a header, features in schema order (JSON with --content-type).",
)
@click.option(
    "--content-type", type=click.Choice(["text/csv", "application/json"]), default="text/csv", show_default=True
)
@profile_option
@pass_project
def endpoint_invoke(
    project: Project, env: str, to_local: bool, rows_file: Path, content_type: str, profile: str | None
) -> None:
    """Send the rows of --file and print one prediction per line (exit 1 unless one came back per row)."""
    from .deployment import endpoint as sagemaker_endpoint
    from .deployment import invoke
    from .pipeline.local import emulator

    body = invoke.read_body(rows_file)
    if to_local:
        server = _local_server(project, env)
        if server is None:
            raise UsageError(f"no local server runs for {env}: `{project.settings.slug} deploy --local --env {env}`")
        answer = invoke.post(server.url, body, content_type)
    else:
        cfg = project.settings
        with emulator.aws(cfg.region, profile) as aws:
            runtime = aws.client("sagemaker-runtime")
            answer = sagemaker_endpoint.invoke(runtime, cfg.resource_name(env), body, content_type)
    for value in invoke.predictions(answer, invoke.row_count(body, content_type)):
        click.echo(json.dumps(value))


@endpoint.command("status")
@env_option
@local_target_option
@profile_option
@pass_project
def endpoint_status(project: Project, env: str, to_local: bool, profile: str | None) -> None:
    """Show what the endpoint (or the local server) of ENV serves, and SageMaker's failure reason if any."""
    from .deployment import endpoint as sagemaker_endpoint
    from .pipeline.local import emulator

    if to_local:
        server = _local_server(project, env)
        if server is None:
            click.echo(f"no local server runs for {env}")
            return
        serving = server.version or "(workers are loading or disagree)"
        click.echo(f"local server of {env}: {server.url} (pid {server.pid}) serves {serving}")
        return
    cfg = project.settings
    name = cfg.resource_name(env)
    with emulator.aws(cfg.region, profile) as aws:
        found = sagemaker_endpoint.describe(aws.client("sagemaker"), name)
    if found is None:
        click.echo(f"endpoint {name} does not exist: nothing was deployed to {env} yet")
        return
    click.echo(f"endpoint {name}: {found.status}")
    click.echo(f"  serves:        {found.package_arn or found.note}")
    click.echo(f"  configuration: {found.config}")
    if found.failure:
        click.echo(f"  SageMaker:     {found.failure}")


@endpoint.command("stop")
@env_option
@click.option("--local", "to_local", is_flag=True, required=True, help="The local server (the only one stopped here).")
@pass_project
def endpoint_stop(project: Project, env: str, to_local: bool) -> None:
    """Stop the local server of ENV: in-flight requests finish and captured data is flushed."""
    from .deployment import local
    from .serving import control

    stopped = control.stop(local.state_dir(project.local_dir, env))
    click.echo(f"stopped the local server of {env}" if stopped else f"no local server runs for {env}")


@main.group()
def local() -> None:
    """The local AWS world under .mlops/ that local commands share."""


@local.command("reset")
@pass_project
def local_reset(project: Project) -> None:
    """Clear the local world (buckets, registry, keys) and the local runs."""
    from .pipeline.local import world

    removed = world.reset(project.local_dir / "world")
    runs = project.local_dir / "runs"
    if runs.exists():
        shutil.rmtree(runs)
        removed = True
    click.echo(f"cleared {_shown(project.local_dir)}" if removed else "nothing to clear")


if __name__ == "__main__":
    main()
