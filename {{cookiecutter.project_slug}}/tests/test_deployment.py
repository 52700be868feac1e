"""deploy, rollback and endpoint: what is refused, the local server serving the approved model, rollback, and an
audit trail that records each step and verifies. Terraform itself is not run here (it needs an AWS account):
its commands are checked as built, and the check deploy makes of the endpoint after an apply runs against the
emulator."""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import tarfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from {{ cookiecutter.package_name }} import cli, metrics, models, settings
from {{ cookiecutter.package_name }}.data import schema as schema_mod
from {{ cookiecutter.package_name }}.deployment import endpoint, history, invoke, local, terraform
from {{ cookiecutter.package_name }}.governance import approval, signatures
from {{ cookiecutter.package_name }}.governance import local as local_governance
from {{ cookiecutter.package_name }}.governance.chain import canonical
from {{ cookiecutter.package_name }}.governance.context import Governance
from {{ cookiecutter.package_name }}.pipeline.local import emulator, jobs, registry, world
from {{ cookiecutter.package_name }}.serving import control

ENV = "dev"
ROOT = Path(__file__).resolve().parents[1]
STEWARD = "Jane Steward"


# --- a local world with packages registered by the pipeline role and approved by a steward ----------------------


@pytest.fixture(scope="module")
def model(trained, tmp_path_factory):
    """The archive a training job makes, rows to score (no header, schema order) and the model's own scores."""
    run = trained[settings.load().problem_type]
    folder = tmp_path_factory.mktemp("deployment")
    archive = jobs.pack(run["model_dir"], folder / "model.tar.gz").read_bytes()
    schema = schema_mod.load(run["model_dir"] / "schema.json")
    test = schema_mod.read_csv(run["test_csv"], schema)[schema.feature_names].head(5)  # categories typed
    rows = folder / "rows.csv"
    test.to_csv(rows, header=False, index=False)
    expected = models.predict(models.load(run["model_dir"]), test)
    return {"archive": archive, "rows": rows, "expected": expected}


class Registry:
    """Register, approve and tamper with packages in the test's local world, each call in one world session."""

    def __init__(self, folder: Path, archive: bytes):
        self.folder, self.archive = folder, archive
        self.cfg = settings.load()

    def open(self):
        return world.open_world(self.folder, account=self.cfg.account_id(ENV), region=self.cfg.region)

    def register(self, *, approve: bool = True) -> str:
        """A package as the pipeline registers it (metric just past the gate), approved by a steward."""
        cfg = self.cfg
        with self.open() as aws:
            local_governance.ensure(aws, cfg, ENV)
            pipeline = local_governance.assume(aws, cfg.pipeline_role_arn(ENV), "run")
            sm, s3, group = pipeline.client("sagemaker"), aws.client("s3"), cfg.model_package_group(ENV)
            registry.ensure_group(sm, group, "test", {})
            version = len(registry.packages(sm, group)) + 1
            bucket = cfg.artifact_bucket(ENV)
            s3.put_object(Bucket=bucket, Key=f"models/{version}/model.tar.gz", Body=self.archive)
            value = cfg.metric.threshold + (0.01 if cfg.metric.goal == "maximize" else -0.01)
            section, name = metrics.json_path(cfg.problem_type, cfg.metric.name).split(".")[:2]
            report = json.dumps({section: {name: {"value": value}}}).encode()
            s3.put_object(Bucket=bucket, Key=f"evaluation/{version}.json", Body=report)
            arn = registry.register(
                sm,
                s3,
                {
                    "ModelPackageGroupName": group,
                    "ModelApprovalStatus": "PendingManualApproval",
                    "InferenceSpecification": {
                        "Containers": [
                            {"Image": "image:1", "ModelDataUrl": f"s3://{bucket}/models/{version}/model.tar.gz"}
                        ],
                        "SupportedContentTypes": ["text/csv"],
                        "SupportedResponseMIMETypes": ["application/json"],
                    },
                    "ModelMetrics": {
                        "ModelQuality": {
                            "Statistics": {
                                "ContentType": "application/json",
                                "S3Uri": f"s3://{bucket}/evaluation/{version}.json",
                            }
                        }
                    },
                    "CustomerMetadataProperties": {
                        "model-sha256": hashlib.sha256(self.archive).hexdigest(),
                        "dataset-sha256": "d" * 64,
                        "registered-by": cfg.pipeline_role_arn(ENV),
                    },
                },
            )
            if approve:
                steward = local_governance.assume(aws, cfg.approver_role_arn(ENV), STEWARD)
                approval.decide(
                    Governance(cfg, ENV, steward), arn, printed_name=STEWARD, meaning="approval", decision="approved"
                )
        return arn

    def update(self, arn: str, **changes) -> None:
        """Change the package in the registry, as someone with UpdateModelPackage could."""
        with self.open() as aws:
            sm = aws.client("sagemaker")
            package = sm.describe_model_package(ModelPackageName=arn)
            kept = ("ModelApprovalStatus", "ApprovalDescription", "CustomerMetadataProperties")
            # The emulator clears what an update leaves out; AWS keeps it.
            fields = {k: package[k] for k in kept if k in package}
            sm.update_model_package(ModelPackageArn=arn, **{**fields, **changes})

    def replace_report(self, arn: str, body: bytes) -> None:
        with self.open() as aws:
            package = aws.client("sagemaker").describe_model_package(ModelPackageName=arn)
            bucket, key = registry.evaluation_uri(package)[len("s3://") :].split("/", 1)
            aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body)

    def revoke(self, arn: str) -> None:
        """A signed rejection recorded after the approval (a revocation), the package left Approved."""
        with self.open() as aws:
            steward = Governance(self.cfg, ENV, local_governance.assume(aws, self.cfg.approver_role_arn(ENV), STEWARD))
            package = steward.package(arn)
            lineage = package["CustomerMetadataProperties"]
            content = signatures.payload(
                package_arn=arn,
                model_sha256=lineage["model-sha256"],
                evaluation_sha256=json.loads(package["ApprovalDescription"])["evaluation_sha256"],
                dataset_sha256=lineage["dataset-sha256"],
                printed_name=STEWARD,
                identity=steward.identity,
                meaning="review",
                decision="rejected",
                time="2026-01-01T00:00:00.000000Z",
                reason="revoked",
            )
            signed = signatures.sign(steward.client("kms"), steward.signing_key, content)
            steward.record("model.rejected", arn, {"decision": "rejected", "signature": signed.record()})

    def replace_artifact(self, arn: str, body: bytes) -> None:
        with self.open() as aws:
            package = aws.client("sagemaker").describe_model_package(ModelPackageName=arn)
            bucket, key = approval.model_data_url(package)[len("s3://") :].split("/", 1)
            aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body)

    def entries(self) -> list[dict]:
        """The trail's entries, once the chain and every signature in it verify against the model's key."""
        with self.open() as aws:
            gov = Governance(self.cfg, ENV, aws)
            trail = gov.required_trail()
            verified = trail.verify({signatures.current_fingerprint(gov.client("kms"), gov.signing_key)})
            assert verified.ok, verified.findings
            return trail.entries()


@pytest.fixture
def packages(local_world: Path, model) -> Registry:
    return Registry(local_world / "world", model["archive"])


@pytest.fixture
def port(local_world: Path):
    """A free port for the local server, which is stopped after the test."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    yield free
    control.stop(local.state_dir(local_world, ENV))


def _cli(*args: str):
    return CliRunner().invoke(cli.main, list(args))


def _deploy(port: int, command: str = "deploy"):
    return _cli(command, "--env", ENV, "--local", "--port", str(port), "--workers", "1")


def _deployments(entries: list[dict]) -> list[tuple[str, str, dict]]:
    return [(e["action"], e["subject"], e["details"]) for e in entries if e["action"].startswith("deployment.")]


# --- refusals -----------------------------------------------------------------------------------------------------


def _nothing(packages: Registry, arn: str, project) -> None:
    pass


def _approve_without_signing(packages: Registry, arn: str, project) -> None:
    packages.update(arn, ModelApprovalStatus="Approved")


def _tamper_with_the_signed_statement(packages: Registry, arn: str, project) -> None:
    with packages.open() as aws:
        package = aws.client("sagemaker").describe_model_package(ModelPackageName=arn)
    statement = json.loads(package["ApprovalDescription"])
    statement["printed_name"] = "Mallory"
    packages.update(arn, ApprovalDescription=canonical(statement).decode())


def _replace_the_artifact(packages: Registry, arn: str, project) -> None:
    packages.replace_artifact(arn, b"another model")


def _improve_the_report(packages: Registry, arn: str, project) -> None:
    cfg = settings.load()
    value = cfg.metric.threshold + (0.5 if cfg.metric.goal == "maximize" else -0.5)
    section, name = metrics.json_path(cfg.problem_type, cfg.metric.name).split(".")[:2]
    packages.replace_report(arn, json.dumps({section: {name: {"value": value}}}).encode())


def _revoke_the_approval(packages: Registry, arn: str, project) -> None:
    packages.revoke(arn)


def _raise_the_gate(packages: Registry, arn: str, project) -> None:
    cfg = settings.load()
    beyond = 0.02 if cfg.metric.goal == "maximize" else -0.02
    project({"model.primary_metric.threshold": cfg.metric.threshold + beyond})


# case: (approved by a steward, what happens next, the reason deploy gives)
REFUSALS = {
    "unapproved": (False, _nothing, "no Approved package in"),
    "approved without a signature": (False, _approve_without_signing, "no approval signature on the package"),
    "tampered signature": (True, _tamper_with_the_signed_statement, "does not match"),
    "artifact changed after signing": (True, _replace_the_artifact, "is not the one that was signed"),
    "gate raised since approval": (True, _raise_the_gate, "misses the gate"),
    "report changed after signing": (True, _improve_the_report, "the evaluation report changed after signing"),
    "rejected after approval": (True, _revoke_the_approval, "latest decision on it is model.rejected"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_deploy_refuses(case, packages, project, local_world, port):
    approved, then, reason = REFUSALS[case]
    then(packages, packages.register(approve=approved), project)
    result = _deploy(port)
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: deploy refused: ") and reason in line and "recorded as audit entry" in line
    refused = [d for d in _deployments(packages.entries()) if d[0] == "deployment.refused"]
    assert len(refused) == 1 and reason in refused[0][2]["reason"]
    assert refused[0][2]["target"] == "local" and refused[0][2]["env"] == ENV
    assert control.status(local.state_dir(local_world, ENV)) is None  # nothing started


def test_a_server_that_refuses_the_model_finishes_the_deployment_as_failed(local_world, port):
    """The checks pass, the server cannot load the archive: deployment.started gets its deployment.finished."""
    info = tarfile.TarInfo("model.joblib")
    info.size = 16
    garbage = Registry(local_world / "world", _archive([info]))
    arn = garbage.register()
    result = _deploy(port)
    assert result.exit_code == 1, result.output
    actions = _deployments(garbage.entries())
    assert [(a, s) for a, s, _ in actions] == [("deployment.started", arn), ("deployment.finished", arn)]
    assert actions[-1][2]["status"] == "failed" and actions[-1][2]["reason"]


def test_deploy_to_the_endpoint_takes_packages_from_aws_and_plans_only_there(no_network):
    to_endpoint = _cli("deploy", "--env", ENV)
    assert to_endpoint.exit_code == 2 and "add --aws" in to_endpoint.stderr
    plan_locally = _cli("deploy", "--env", ENV, "--local", "--plan-only")
    assert plan_locally.exit_code == 2 and "--local has no plan" in plan_locally.stderr


# --- the local server ---------------------------------------------------------------------------------------------


def test_deploy_local_serves_the_approved_model(packages, model, local_world, port):
    arn = packages.register()
    result = _deploy(port)
    assert result.exit_code == 0, result.output
    assert f"Deployed: {arn} on the local server" in result.stdout
    assert f"Serving:  http://127.0.0.1:{port}" in result.stdout

    status = _cli("endpoint", "status", "--env", ENV, "--local")
    assert f"serves {arn}" in status.stdout
    scored = _cli("endpoint", "invoke", "--env", ENV, "--local", "--file", str(model["rows"]))
    assert scored.exit_code == 0, scored.output
    served = np.array([float(line) for line in scored.stdout.splitlines()])
    assert np.allclose(served, model["expected"], atol=1e-5)

    actions = [(action, subject) for action, subject, _ in _deployments(packages.entries())]
    assert actions == [("deployment.started", arn), ("deployment.finished", arn)]
    finished = _deployments(packages.entries())[-1][2]
    assert finished["status"] == "succeeded" and finished["target"] == "local" and finished["previous"] is None

    stopped = _cli("endpoint", "stop", "--env", ENV, "--local")
    assert stopped.stdout.strip() == f"stopped the local server of {ENV}"
    gone = _cli("endpoint", "invoke", "--env", ENV, "--local", "--file", str(model["rows"]))
    assert gone.exit_code == 2 and "no local server runs for dev" in gone.stderr


def test_rollback_restores_the_previous_version(packages, local_world, port):
    state = local.state_dir(local_world, ENV)
    first = packages.register()
    assert _deploy(port).exit_code == 0
    pid = control.status(state).pid
    second = packages.register()
    assert _deploy(port).exit_code == 0
    assert control.status(state).version == second

    back = _deploy(port, "rollback")
    assert back.exit_code == 0, back.output
    assert f"Rolled back to: {first}" in back.stdout and f"Previous: {second}" in back.stdout
    server = control.status(state)
    assert server.version == first and server.pid == pid  # hot-swapped, never restarted

    assert _deployments(packages.entries()) == [
        ("deployment.started", first, {**_details("deploy", None), "version": 1}),
        ("deployment.finished", first, {**_details("deploy", None), "status": "succeeded", "url": server.url}),
        ("deployment.started", second, {**_details("deploy", first), "version": 2}),
        ("deployment.finished", second, {**_details("deploy", first), "status": "succeeded", "url": server.url}),
        ("deployment.started", first, {**_details("rollback", second), "version": 1}),
        ("deployment.finished", first, {**_details("rollback", second), "status": "succeeded", "url": server.url}),
        ("deployment.rolled_back", second, {**_details("rollback", second), "cause": "rollback", "to": first}),
    ]

    # Rolled back once, the trail holds nothing earlier than the first package: refused, not forth to the second.
    again = _deploy(port, "rollback")
    assert again.exit_code == 1 and f"records no local deployment in {ENV} before {first}" in again.stderr
    # A rollback target is checked like any deployment: its artifact must still be the signed one.
    assert _deploy(port).exit_code == 0 and control.status(state).version == second
    packages.replace_artifact(first, b"another model")
    tampered = _deploy(port, "rollback")
    assert tampered.exit_code == 1 and "is not the one that was signed" in tampered.stderr
    assert control.status(state).version == second
    verified = _cli("audit", "verify", "--env", ENV)
    assert verified.exit_code == 0, verified.output


def _details(kind: str, previous: str | None) -> dict:
    return {"env": ENV, "target": "local", "kind": kind, "previous": previous}


# --- the parts, on their own --------------------------------------------------------------------------------------


def test_history_returns_to_earlier_deployments_and_never_forth():
    def finished(arn: str, kind: str = "deploy", target: str = "local", status: str = "succeeded") -> dict:
        details = {"env": ENV, "target": target, "kind": kind, "status": status}
        return {"action": "deployment.finished", "subject": arn, "details": details}

    entries = [
        finished("a"),
        finished("b"),
        finished("x", target="aws"),
        finished("c", status="failed"),
        finished("c"),
        finished("b", kind="rollback"),
    ]
    past = history.history(entries, env=ENV, target="local")
    assert past.served == ("a", "b") and (past.current, past.previous) == ("b", "a")
    assert history.history([*entries, finished("a", kind="rollback")], env=ENV, target="local").served == ("a",)
    assert history.history(entries, env=ENV, target="aws").served == ("x",)


def test_terraform_plans_with_the_package_and_applies_the_saved_plan():
    cfg = settings.load()
    arn = Governance(cfg, "qa", None).package_arn(3)  # names only: no AWS
    steps = terraform.commands("qa", arn)
    chdir = ("terraform", "-chdir=terraform")
    assert steps.init == (*chdir, "init", "-input=false", "-reconfigure", "-backend-config=../build/qa.s3.tfbackend")
    assert steps.plan == (
        *chdir,
        "plan",
        "-input=false",
        "-var-file=env/qa.tfvars",
        "-var",
        f"model_package_arn={arn}",
        "-out=../build/qa.tfplan",
    )
    assert steps.show == (*chdir, "show", "-json", "../build/qa.tfplan")
    assert steps.apply == (*chdir, "apply", "-input=false", "../build/qa.tfplan")
    for env in settings.ENVIRONMENTS:
        assert (ROOT / "terraform" / "env" / f"{env}.tfvars").is_file()
    # The ARN passes the variable's own validation in terraform/variables.tf.
    variables = (ROOT / "terraform" / "variables.tf").read_text(encoding="utf-8")
    pattern = variables.split('variable "model_package_arn"')[1].split('can(regex("')[1].split('", var.')[0]
    assert re.fullmatch(pattern, arn), pattern
    backend = _cli("settings", "--env", "qa", "--backend")
    assert backend.stdout == terraform.backend_config(cfg, "qa")


def test_apply_plan_takes_only_a_saved_plan_of_the_verified_package(tmp_path: Path, no_network):
    arn, other = (Governance(settings.load(), "qa", None).package_arn(n) for n in (3, 2))
    shown = {"format_version": "1.2", "variables": {"model_package_arn": {"value": arn}}}
    assert terraform.plan_problem(shown, arn) is None
    assert f"the saved plan deploys {arn}, not the verified candidate {other}" in terraform.plan_problem(shown, other)
    assert terraform.plan_problem({"variables": {}}, arn) == "the saved plan sets no model_package_arn"
    with pytest.raises(Exception, match="run deploy --plan-only first"):
        terraform.saved_plan(tmp_path, "qa", arn)
    (tmp_path / "build").mkdir()
    (tmp_path / terraform.plan_file("qa")).write_bytes(b"plan")
    (tmp_path / terraform.plan_json("qa")).write_text(json.dumps(shown), encoding="utf-8")
    assert terraform.saved_plan(tmp_path, "qa", arn) is None
    assert "not the verified candidate" in terraform.saved_plan(tmp_path, "qa", other)
    local_apply = _cli("deploy", "--env", ENV, "--local", "--apply-plan")
    assert local_apply.exit_code == 2 and "--apply-plan applies the saved Terraform plan" in local_apply.stderr
    assert "--apply-plan" in _cli("deploy", "--help").stdout


def test_the_endpoint_check_tells_an_alarm_rollback_from_a_deployment():
    cfg = settings.load()
    old, new = (Governance(cfg, ENV, None).package_arn(n) for n in (1, 2))
    name = cfg.resource_name(ENV)
    with emulator.emulator(cfg.region, cfg.account_id(ENV)) as aws:
        sm = aws.client("sagemaker")
        assert endpoint.describe(sm, name) is None
        for n, arn in ((1, old), (2, new)):
            sm.create_model(
                ModelName=f"{name}-{n}",
                ExecutionRoleArn=f"arn:aws:iam::{cfg.account_id(ENV)}:role/{name}-endpoint",
                PrimaryContainer={"ModelPackageName": arn},
            )
            sm.create_endpoint_config(
                EndpointConfigName=f"{name}-{n}",
                ProductionVariants=[
                    {
                        "VariantName": "primary",
                        "ModelName": f"{name}-{n}",
                        "InstanceType": "ml.m5.large",
                        "InitialInstanceCount": 1,
                    }
                ],
            )
        sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-1")  # still on the old package
        serving = endpoint.describe(sm, name)
        assert serving is not None and serving.package_arn == old
        assert "rolled the deployment back" in endpoint.problem(serving, name, new)
        assert endpoint.problem(serving, name, old) is None
        sm.delete_endpoint_config(EndpointConfigName=f"{name}-1")  # what an apply that missed the rollback does
        gone = endpoint.describe(sm, name)
        assert gone is not None and gone.package_arn is None and "no longer exists" in gone.note
        assert "still serves an unknown package" in endpoint.problem(gone, name, new)
    updating = endpoint.Serving(name, "Updating", f"{name}-2", None, "alarm fired")
    expected = f"endpoint {name} is Updating, not InService; SageMaker says: alarm fired"
    assert endpoint.problem(updating, name, new) == expected
    assert "does not exist" in endpoint.problem(None, name, new)


def _archive(members: list[tarfile.TarInfo]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info in members:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return buffer.getvalue()


@pytest.mark.parametrize("escape", ["../evil.txt", "link"])
def test_an_archive_that_escapes_its_folder_is_refused(tmp_path: Path, escape: str):
    info = tarfile.TarInfo(escape)
    if escape == "link":
        info.type, info.linkname = tarfile.SYMTYPE, "../../outside"
    else:
        info.size = 1
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(_archive([info]))
    with pytest.raises(local.ArchiveRefused, match="does not unpack safely"):
        local.unpack(archive, tmp_path / "model")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "model" / "link").is_symlink()


def test_an_absolute_path_in_an_archive_lands_inside_its_folder(tmp_path: Path):
    outside = tmp_path / "outside.txt"
    info = tarfile.TarInfo(str(outside))
    info.size = 1
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(_archive([info]))
    local.unpack(archive, tmp_path / "model")
    assert not outside.exists() and (tmp_path / "model" / str(outside).lstrip("/")).is_file()


def test_a_smoke_test_needs_one_prediction_per_row(tmp_path: Path):
    rows = tmp_path / "rows.csv"
    rows.write_text("1,2\n3,4\n\n", encoding="utf-8")
    body = invoke.read_body(rows)
    assert invoke.row_count(body, "text/csv") == 2 and invoke.row_count(body, "application/json") is None
    assert invoke.predictions(b'{"predictions": [0.1, 0.9]}', 2) == [0.1, 0.9]
    with pytest.raises(invoke.InvokeFailed, match="1 predictions came back for 2 rows"):
        invoke.predictions(b'{"predictions": [0.1]}', 2)
    with pytest.raises(invoke.InvokeFailed, match="no list of predictions"):
        invoke.predictions(b'{"error": "CSV row 1 has 2 values"}', 2)
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(Exception, match="is empty"):
        invoke.read_body(tmp_path / "empty.csv")
