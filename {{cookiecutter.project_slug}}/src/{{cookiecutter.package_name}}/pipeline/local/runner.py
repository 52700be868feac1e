"""Execute a pipeline definition JSON locally: the JSON SageMaker would run, step by step.

The runner knows the definition language, not this project's pipeline: it resolves Parameters,
Execution variables, step Properties, Std:Join and Std:JsonGet, orders the steps by DependsOn and the
properties they read, runs Processing, Training and Tuning steps as local jobs against S3 (emulated or
real), evaluates Condition steps, registers models with CreateModelPackage, and stops at a Fail step
with its message.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import UsageError
from . import jobs, registry, storage, tuning
from .emulator import Aws
from .expressions import Scope, condition_holds, references, resolve
from .progress import Progress


def _boolean(value: Any) -> bool:
    return str(value).lower() == "true"


# What the run tells the audit trail: (action, subject ARN, details); see governance.chain.ACTIONS.
Events = Callable[[str, str, dict[str, Any]], Any]


def _finite(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


PARAMETER_TYPES: dict[str, Callable[[Any], Any]] = {
    "String": str,
    "Integer": int,
    "Float": _finite,
    "Boolean": _boolean,
}


class DefinitionError(UsageError, ValueError):
    """The definition cannot run locally: a cycle, an unknown parameter, an unsupported step type."""


class StepFailed(RuntimeError):
    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


@dataclass
class StepRecord:
    name: str
    type: str
    status: str = "NotStarted"
    seconds: float = 0.0
    detail: str = ""


@dataclass
class RunResult:
    execution_id: str
    status: str
    work: Path
    steps: list[StepRecord] = field(default_factory=list)
    failure: str | None = None
    failed_step: str | None = None
    model_package_arn: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status == "Succeeded"


def parameter_values(definition: dict[str, Any], overrides: dict[str, str] | None) -> dict[str, Any]:
    """Defaults from the definition, then overrides converted to the parameter's declared type."""
    declared = {p["Name"]: p for p in definition.get("Parameters", [])}
    unknown = set(overrides or {}) - set(declared)
    if unknown:
        raise DefinitionError(
            f"unknown parameter(s) {', '.join(sorted(unknown))}; the definition has {', '.join(declared)}"
        )
    values = {}
    for name, spec in declared.items():
        convert = PARAMETER_TYPES[spec.get("Type", "String")]
        if overrides and name in overrides:
            try:
                values[name] = convert(overrides[name])
            except ValueError as exc:
                raise DefinitionError(f"parameter {name} must be {spec.get('Type')}: {overrides[name]!r}") from exc
        elif "DefaultValue" in spec:
            values[name] = spec["DefaultValue"]
        else:
            raise DefinitionError(f"parameter {name} has no default; give it a value")
    return values


def _dependencies(step: dict[str, Any]) -> set[str]:
    deps = set(step.get("DependsOn", [])) | references(step.get("Arguments", {}))
    deps |= references(step.get("PropertyFiles", []))
    branch = step.get("Arguments", {}).get("IfSteps", []) + step.get("Arguments", {}).get("ElseSteps", [])
    for inner in branch:
        deps |= _dependencies(inner)
    return deps - {step["Name"]} - {inner["Name"] for inner in branch}


def order(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Topological order by DependsOn and property references; definition order breaks ties."""
    names = [s["Name"] for s in steps]
    deps = {s["Name"]: _dependencies(s) & set(names) for s in steps}
    done: list[str] = []
    while len(done) < len(names):
        ready = [n for n in names if n not in done and deps[n] <= set(done)]
        if not ready:
            raise DefinitionError(
                f"steps depend on each other in a cycle: {', '.join(n for n in names if n not in done)}"
            )
        done.append(ready[0])
    by_name = {s["Name"]: s for s in steps}
    return [by_name[n] for n in done]


def _job_name(pipeline: str, step: str, execution_id: str) -> str:
    """SageMaker job names: at most 63 characters of letters, digits and hyphens."""
    base = f"{pipeline}-{step}".lower()[: 63 - len(execution_id) - 1]
    return f"{base}-{execution_id}"


class Runner:
    def __init__(
        self,
        definition: dict[str, Any],
        aws: Aws,
        work: Path,
        *,
        pipeline_name: str,
        region: str,
        account: str,
        parameters: dict[str, str] | None = None,
        progress: Progress | None = None,
        events: Events | None = None,
    ) -> None:
        self.definition = definition
        self.events = events or (lambda action, subject, details: None)
        self.aws = aws
        self.s3 = aws.client("s3")
        self.sm = aws.client("sagemaker")
        self.pipeline = pipeline_name
        self.progress = progress or Progress()
        self.execution_id = secrets.token_hex(6)
        self.work = work.resolve() / self.execution_id
        started = datetime.now(UTC).isoformat()
        self.scope = Scope(
            parameters=parameter_values(definition, parameters),
            execution={
                "PipelineExecutionId": self.execution_id,
                "PipelineName": pipeline_name,
                "PipelineExecutionArn": f"arn:aws:sagemaker:{region}:{account}:pipeline/{pipeline_name}/execution/"
                f"{self.execution_id}",
                "StartDateTime": started,
                "CurrentDateTime": started,
            },
        )
        self.result = RunResult(execution_id=self.execution_id, status="Executing", work=self.work)
        self._pending: list[dict[str, Any]] = []
        self._skipped: list[tuple[dict[str, Any], str]] = []

    # --- steps --------------------------------------------------------------------------------------

    def _processing(self, step: dict[str, Any]) -> str:
        request = resolve(step["Arguments"], self.scope)
        name = _job_name(self.pipeline, step["Name"], self.execution_id)
        job = jobs.processing(request, name, self.work / step["Name"], self.s3)
        props: dict[str, Any] = {
            **request,
            "ProcessingJobName": name,
            "ProcessingJobStatus": "Completed",
            "ProcessingOutputConfig": {
                **request.get("ProcessingOutputConfig", {}),
                "Outputs": {o["OutputName"]: o for o in request.get("ProcessingOutputConfig", {}).get("Outputs", [])},
            },
            "PropertyFiles": {},
        }
        for spec in step.get("PropertyFiles", []):
            path = job.outputs[spec["OutputName"]] / spec["FilePath"]
            try:
                props["PropertyFiles"][spec["PropertyFileName"]] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise StepFailed(step["Name"], f"property file {spec['FilePath']} not readable: {exc}") from exc
        self.scope.steps[step["Name"]] = props
        return ""

    def _training(self, step: dict[str, Any]) -> str:
        request = resolve(step["Arguments"], self.scope)
        name = _job_name(self.pipeline, step["Name"], self.execution_id)
        hyperparameters = {k: str(v) for k, v in request.get("HyperParameters", {}).items()}
        job = jobs.training(request, name, hyperparameters, self.work / step["Name"], self.s3)
        self.scope.steps[step["Name"]] = {
            **request,
            "TrainingJobName": name,
            "TrainingJobStatus": "Completed",
            "ModelArtifacts": {"S3ModelArtifacts": job.model_uri},
            "FinalMetricDataList": [{"MetricName": k, "Value": v} for k, v in job.metrics.items()],
        }
        return ", ".join(f"{k}={v:.4g}" for k, v in job.metrics.items())

    def _tuning(self, step: dict[str, Any]) -> str:
        request = resolve(step["Arguments"], self.scope)
        name = f"{step['Name'].lower()}-{self.execution_id}"[:32]

        def on_trial(number: int, budget: int, job: str, value: float | None, error: str) -> None:
            outcome = f"{value:.4g}" if value is not None else f"failed: {error}"
            self.progress.note(f"trial {number}/{budget} {job}: {outcome}")

        try:
            props = tuning.tune(request, name, self.work / step["Name"], self.s3, on_trial=on_trial)
        except tuning.TuningFailed as exc:
            raise StepFailed(step["Name"], str(exc)) from exc
        self.scope.steps[step["Name"]] = props
        best = props["BestTrainingJob"]
        metric = best["FinalHyperParameterTuningJobObjectiveMetric"]
        return f"best {metric['MetricName']}={metric['Value']:.4g} of {len(props['TrainingJobSummaries'])} trials"

    def _register(self, step: dict[str, Any]) -> str:
        request = resolve(step["Arguments"], self.scope)
        group = request.get("ModelPackageGroupName")
        if self.aws.emulated and group:
            registry.ensure_group(self.sm, group, f"Model versions of {self.pipeline}", {})
        try:
            arn = registry.register(self.sm, self.s3, request)
        except registry.RegistrationFailed as exc:
            raise StepFailed(step["Name"], str(exc)) from exc
        self.scope.steps[step["Name"]] = {"ModelPackageArn": arn}
        self.result.model_package_arn = arn
        self.events(
            "model.registered",
            arn,
            {
                "execution": self.scope.execution["PipelineExecutionArn"],
                "group": group,
                "status": request.get("ModelApprovalStatus"),
                "lineage": request.get("CustomerMetadataProperties", {}),
            },
        )
        return arn

    def _condition(self, step: dict[str, Any]) -> str:
        args = step["Arguments"]
        outcome = all(condition_holds(c, self.scope) for c in args.get("Conditions", []))
        self.scope.steps[step["Name"]] = {"Outcome": outcome}
        chosen, other = ("IfSteps", "ElseSteps") if outcome else ("ElseSteps", "IfSteps")
        self._skipped = [
            (inner, f"condition {step['Name']} is {str(outcome).lower()}") for inner in args.get(other, [])
        ]
        self._pending = order(args.get(chosen, [])) + self._pending
        return f"outcome {str(outcome).lower()}"

    def _fail(self, step: dict[str, Any]) -> str:
        message = resolve(step.get("Arguments", {}).get("ErrorMessage", ""), self.scope)
        raise StepFailed(step["Name"], str(message))

    HANDLERS: ClassVar[dict[str, Any]] = {
        "Processing": _processing,
        "Training": _training,
        "Tuning": _tuning,
        "RegisterModel": _register,
        "Condition": _condition,
        "Fail": _fail,
    }

    # --- execution ----------------------------------------------------------------------------------

    def run(self) -> RunResult:
        self.work.mkdir(parents=True, exist_ok=True)
        (self.work / "definition.json").write_text(json.dumps(self.definition, indent=2), encoding="utf-8")
        self._pending = order(self.definition.get("Steps", []))
        self._skipped = []
        unsupported = {s["Type"] for s in self._all_steps() if s["Type"] not in self.HANDLERS}
        if unsupported:
            raise DefinitionError(f"step type(s) {', '.join(sorted(unsupported))} cannot run locally")
        self.result.status = "Succeeded"
        execution_arn = self.scope.execution["PipelineExecutionArn"]
        self.events("pipeline.started", execution_arn, {"pipeline": self.pipeline, "parameters": self.scope.parameters})
        while self._pending:
            step = self._pending.pop(0)
            record = StepRecord(step["Name"], step["Type"], "Executing")
            self.result.steps.append(record)
            self.progress.start(step["Name"], step["Type"])
            self.scope.execution["CurrentDateTime"] = datetime.now(UTC).isoformat()
            started = time.perf_counter()
            try:
                record.detail = self.HANDLERS[step["Type"]](self, step)
            except (StepFailed, jobs.JobFailed, FileNotFoundError, ValueError, BotoCoreError, ClientError) as exc:
                record.seconds = time.perf_counter() - started
                record.status = "Failed"
                message = exc.message if isinstance(exc, StepFailed) else str(exc)
                record.detail = message
                self.progress.failed(step["Name"], message)
                self.result.status = "Failed"
                self.result.failure = message
                self.result.failed_step = step["Name"]
                for rest in self._pending:
                    self.result.steps.append(StepRecord(rest["Name"], rest["Type"], "NotExecuted"))
                self._finished(record)
                break
            record.seconds = time.perf_counter() - started
            record.status = "Succeeded"
            self.progress.done(step["Name"], record.detail)
            self._finished(record)
            for inner, reason in self._skipped:
                self.result.steps.append(StepRecord(inner["Name"], inner["Type"], "NotExecuted"))
                self.progress.skipped(inner["Name"], reason)
            self._skipped = []
        self.result.properties = self.scope.steps
        self._write_summary()
        self.events(
            "pipeline.finished",
            execution_arn,
            {"status": self.result.status, "failed_step": self.result.failed_step, "failure": self.result.failure},
        )
        return self.result

    def _finished(self, record: StepRecord) -> None:
        self.events(
            "step.finished",
            self.scope.execution["PipelineExecutionArn"],
            {
                "step": record.name,
                "type": record.type,
                "status": record.status,
                "seconds": round(record.seconds, 3),
                "detail": record.detail[:500],
            },
        )

    def _all_steps(self) -> list[dict[str, Any]]:
        found = []
        stack = list(self.definition.get("Steps", []))
        while stack:
            step = stack.pop()
            found.append(step)
            stack.extend(step.get("Arguments", {}).get("IfSteps", []) + step.get("Arguments", {}).get("ElseSteps", []))
        return found

    def _write_summary(self) -> None:
        summary = {
            "execution_id": self.execution_id,
            "pipeline": self.pipeline,
            "status": self.result.status,
            "failed_step": self.result.failed_step,
            "failure": self.result.failure,
            "model_package_arn": self.result.model_package_arn,
            "parameters": self.scope.parameters,
            "steps": [asdict(s) for s in self.result.steps],
        }
        (self.work / "execution.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")


def stage_data(aws: Aws, data_dir: Path, uri: str, region: str) -> list[str]:
    """Put the local data set where the pipeline reads it (the InputDataUri parameter)."""
    s3 = aws.client("s3")
    bucket, _ = storage.split_uri(uri)
    if aws.emulated:
        storage.ensure_bucket(s3, bucket, region)
    files = sorted(p for p in data_dir.glob("*") if p.is_file() and p.suffix in {".csv", ".json"})
    if not any(p.suffix == ".csv" for p in files):
        raise DefinitionError(f"no CSV files in {data_dir}; write the demo data set first (`data` command)")
    bucket, prefix = storage.split_uri(uri)
    keys = []
    for path in files:
        key = f"{prefix.rstrip('/')}/{path.name}" if prefix else path.name
        s3.upload_file(str(path), bucket, key)
        keys.append(key)
    return keys


def run_local(
    definition: dict[str, Any],
    aws: Aws,
    *,
    pipeline_name: str,
    bucket: str,
    region: str,
    account: str,
    data_dir: Path | None,
    work_dir: Path,
    parameters: dict[str, str] | None = None,
    progress: Progress | None = None,
    events: Events | None = None,
) -> RunResult:
    """Stage the data set at InputDataUri, then run the definition (what `pipeline run --local` does)."""
    values = parameter_values(definition, parameters)
    if aws.emulated:
        storage.ensure_bucket(aws.client("s3"), bucket, region)
    if data_dir is not None and values.get("InputDataUri"):
        stage_data(aws, data_dir, values["InputDataUri"], region)
    return Runner(
        definition,
        aws,
        work_dir,
        pipeline_name=pipeline_name,
        region=region,
        account=account,
        parameters=parameters,
        progress=progress,
        events=events,
    ).run()
