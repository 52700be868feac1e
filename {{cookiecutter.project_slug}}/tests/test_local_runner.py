"""The local runner's parts: expressions, step order, conditions, parameters, S3 mirroring, Optuna ranges."""

from __future__ import annotations

import optuna
import pytest

from {{ cookiecutter.package_name }}.pipeline.local import emulator, jobs, runner, storage, tuning
from {{ cookiecutter.package_name }}.pipeline.local.expressions import (
    ExpressionError,
    Scope,
    condition_holds,
    parse_path,
    references,
    resolve,
)
from {{ cookiecutter.package_name }}.pipeline.local.progress import Progress


@pytest.fixture
def scope() -> Scope:
    return Scope(
        parameters={"Threshold": 0.9, "Bucket": "b"},
        execution={"PipelineExecutionId": "abc123"},
        steps={
            "Prep": {
                "ProcessingOutputConfig": {"Outputs": {"train": {"S3Output": {"S3Uri": "s3://b/train"}}}},
                "PropertyFiles": {"Report": {"metrics": {"auc": {"value": 0.95}}, "list": [{"x": 1}]}},
            },
            "Tune": {
                "TrainingJobSummaries": [{"TrainingJobName": "best"}, {"TrainingJobName": "second"}],
                "BestTrainingJob": {"TunedHyperParameters": {"max_depth": "4"}},
            },
        },
    )


def test_parse_path_handles_names_indexes_and_keys():
    assert parse_path("Steps.Tune.TrainingJobSummaries[0].TrainingJobName") == [
        "Steps",
        "Tune",
        "TrainingJobSummaries",
        0,
        "TrainingJobName",
    ]
    assert parse_path("Steps.Prep.ProcessingOutputConfig.Outputs['train'].S3Output") == [
        "Steps",
        "Prep",
        "ProcessingOutputConfig",
        "Outputs",
        "train",
        "S3Output",
    ]
    assert parse_path('a["b c"]') == ["a", "b c"]
    with pytest.raises(ExpressionError):
        parse_path("a..b[")


def test_resolve_get_join_and_jsonget(scope):
    assert resolve({"Get": "Parameters.Threshold"}, scope) == 0.9
    assert resolve({"Get": "Steps.Tune.BestTrainingJob.TunedHyperParameters['max_depth']"}, scope) == "4"
    joined = {
        "Std:Join": {
            "On": "/",
            "Values": ["s3:/", {"Get": "Parameters.Bucket"}, {"Get": "Execution.PipelineExecutionId"}, 1.5, True],
        }
    }
    assert resolve(joined, scope) == "s3://b/abc123/1.5/true"
    json_get = {
        "Std:JsonGet": {"PropertyFile": {"Get": "Steps.Prep.PropertyFiles.Report"}, "Path": "metrics.auc.value"}
    }
    assert resolve(json_get, scope) == 0.95
    assert (
        resolve(
            {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Prep.PropertyFiles.Report"}, "Path": "list[0].x"}}, scope
        )
        == 1
    )
    nested = {"A": [{"Get": "Steps.Tune.TrainingJobSummaries[1].TrainingJobName"}], "B": "plain"}
    assert resolve(nested, scope) == {"A": ["second"], "B": "plain"}


def test_resolve_names_what_is_missing(scope):
    with pytest.raises(ExpressionError, match="has not run"):
        resolve({"Get": "Steps.Evaluate.ProcessingJobName"}, scope)
    with pytest.raises(ExpressionError, match="Nope"):
        resolve({"Get": "Parameters.Nope"}, scope)


def test_references_find_step_dependencies():
    args = {
        "X": {"Std:Join": {"On": "", "Values": [{"Get": "Steps.A.Foo"}, {"Get": "Parameters.P"}]}},
        "Y": [{"Std:JsonGet": {"PropertyFile": {"Get": "Steps.B.PropertyFiles.F"}, "Path": "x"}}],
    }
    assert references(args) == {"A", "B"}


@pytest.mark.parametrize(
    ("kind", "left", "right", "expected"),
    [
        ("GreaterThanOrEqualTo", 0.95, 0.9, True),
        ("GreaterThanOrEqualTo", 0.85, 0.9, False),
        ("LessThanOrEqualTo", 60.0, 65, True),
        ("LessThanOrEqualTo", 70.0, 65, False),
        ("GreaterThan", 1, 1, False),
        ("LessThan", 0, 1, True),
        ("Equals", "a", "a", True),
    ],
)
def test_conditions(scope, kind, left, right, expected):
    assert condition_holds({"Type": kind, "LeftValue": left, "RightValue": right}, scope) is expected


def test_compound_conditions(scope):
    gate = {
        "Type": "GreaterThanOrEqualTo",
        "LeftValue": {
            "Std:JsonGet": {"PropertyFile": {"Get": "Steps.Prep.PropertyFiles.Report"}, "Path": "metrics.auc.value"}
        },
        "RightValue": {"Get": "Parameters.Threshold"},
    }
    assert condition_holds(gate, scope)
    assert not condition_holds({"Type": "Not", "Condition": gate}, scope)
    assert condition_holds({"Type": "Or", "Conditions": [{"Type": "Not", "Condition": gate}, gate]}, scope)
    assert condition_holds({"Type": "In", "QueryValue": "b", "Values": ["a", {"Get": "Parameters.Bucket"}]}, scope)


def test_order_follows_property_references_and_depends_on():
    steps = [
        {"Name": "C", "Type": "Processing", "Arguments": {"x": {"Get": "Steps.B.Foo"}}},
        {"Name": "B", "Type": "Processing", "Arguments": {}, "DependsOn": ["A"]},
        {"Name": "A", "Type": "Processing", "Arguments": {}},
    ]
    assert [s["Name"] for s in runner.order(steps)] == ["A", "B", "C"]
    steps[2]["DependsOn"] = ["C"]
    with pytest.raises(runner.DefinitionError, match="cycle"):
        runner.order(steps)


def test_parameter_overrides_take_the_declared_type():
    doc = {
        "Parameters": [
            {"Name": "N", "Type": "Integer", "DefaultValue": 1},
            {"Name": "F", "Type": "Float", "DefaultValue": 0.5},
            {"Name": "S", "Type": "String", "DefaultValue": "x"},
        ]
    }
    assert runner.parameter_values(doc, {"N": "3", "F": "0.75"}) == {"N": 3, "F": 0.75, "S": "x"}
    with pytest.raises(runner.DefinitionError, match="unknown parameter"):
        runner.parameter_values(doc, {"Nope": "1"})
    with pytest.raises(runner.DefinitionError, match="must be Integer"):
        runner.parameter_values(doc, {"N": "three"})
    for not_a_number in ("nan", "inf"):  # the audit trail's canonical JSON cannot hold them, nor can a gate
        with pytest.raises(runner.DefinitionError, match="must be Float"):
            runner.parameter_values(doc, {"F": not_a_number})


def test_unsupported_step_types_are_refused_before_anything_runs(tmp_path):
    doc = {"Parameters": [], "Steps": [{"Name": "T", "Type": "Transform", "Arguments": {}}]}

    class Offline(emulator.Aws):
        def client(self, service):
            return None  # never contacted: the runner refuses the definition first

    offline = Offline(session=None, endpoint_url="http://127.0.0.1:1")
    with pytest.raises(runner.DefinitionError, match="Transform"):
        runner.Runner(doc, offline, tmp_path, pipeline_name="p", region="eu-west-1", account="1").run()


def test_container_paths_are_remapped_under_the_work_folder(tmp_path):
    assert jobs.remap("/opt/ml/processing/input/data", tmp_path) == tmp_path / "processing" / "input" / "data"
    with pytest.raises(jobs.JobFailed):
        jobs.remap("/etc/passwd", tmp_path)


def test_container_command_uses_this_interpreter_and_the_image_programs():
    import sys

    assert jobs.command(["python", "-m", "pkg.step"], ["--x", "1"], "train") == [
        sys.executable,
        "-m",
        "pkg.step",
        "--x",
        "1",
    ]
    assert jobs.command(None, None, "train") == [sys.executable, "-m", f"{jobs.PACKAGE}.train"]


def test_metrics_are_parsed_with_the_definition_regex():
    out = "epoch 1\nvalidation:auc=0.91\nvalidation:auc=0.93\n"
    assert jobs.parse_metrics([{"Name": "validation:auc", "Regex": r"validation:auc=([-+0-9.eE]+)"}], out) == {
        "validation:auc": 0.93
    }


def test_s3_prefix_and_single_object_download_like_sagemaker(tmp_path):
    with emulator.emulator("eu-west-1") as aws:
        s3 = aws.client("s3")
        storage.ensure_bucket(s3, "bucket", "eu-west-1")
        for key in ("data/a.csv", "data/sub/b.csv", "data2/c.csv", "job/output/model.tar.gz"):
            s3.put_object(Bucket="bucket", Key=key, Body=b"x")
        got = storage.download(s3, "s3://bucket/data", tmp_path / "in")
        assert sorted(p.relative_to(tmp_path / "in").as_posix() for p in got) == ["a.csv", "sub/b.csv"]
        (model,) = storage.download(s3, "s3://bucket/job/output/model.tar.gz", tmp_path / "model")
        assert model == tmp_path / "model" / "model.tar.gz"
        keys = storage.upload(s3, tmp_path / "in", "s3://bucket/out/")
        assert keys == ["out/a.csv", "out/sub/b.csv"]
        assert storage.exists(s3, "s3://bucket/out/sub/b.csv")
        assert not storage.exists(s3, "s3://bucket/out/missing")
        with pytest.raises(FileNotFoundError):
            storage.download(s3, "s3://bucket/nothing", tmp_path / "none")


def test_emulator_starts_empty_each_time():
    with emulator.emulator("eu-west-1") as aws:
        storage.ensure_bucket(aws.client("s3"), "left-over", "eu-west-1")
    with emulator.emulator("eu-west-1") as aws:
        assert aws.emulated
        assert aws.client("s3").list_buckets()["Buckets"] == []


def test_optuna_searches_the_definition_ranges():
    ranges = {
        "ContinuousParameterRanges": [
            {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.3", "ScalingType": "Logarithmic"}
        ],
        "IntegerParameterRanges": [{"Name": "depth", "MinValue": "2", "MaxValue": "8", "ScalingType": "Auto"}],
        "CategoricalParameterRanges": [{"Name": "kind", "Values": ["a", "b"]}],
    }
    suggest = tuning.suggesters(ranges)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=tuning.SEED))
    trial = study.ask()
    values = {name: pick(trial) for name, pick in suggest.items()}
    assert 0.01 <= values["eta"] <= 0.3
    assert 2 <= values["depth"] <= 8 and isinstance(values["depth"], int)
    assert values["kind"] in {"a", "b"}
    assert trial.distributions["eta"].log is True
    assert trial.distributions["depth"].log is False


WRITE_REPORT = (
    "import json, os, pathlib; out = pathlib.Path(os.environ['SM_ML_ROOT'], 'processing/output/report'); "
    "out.mkdir(parents=True, exist_ok=True); (out / 'report.json').write_text(json.dumps({'score': 0.5}))"
)
FAIL_WITH_MESSAGE = (
    "import os, pathlib, sys; out = pathlib.Path(os.environ['SM_ML_ROOT'], 'output'); out.mkdir(parents=True); "
    "(out / 'message').write_text('column age is missing'); sys.exit(1)"
)


def _definition(code: str) -> dict:
    """A small definition in the SageMaker language: a processing job, a gate, a Fail step."""
    report = {"Get": "Steps.Score.PropertyFiles.Report"}
    score = {"Std:JsonGet": {"PropertyFile": report, "Path": "score"}}
    return {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.4}],
        "Steps": [
            {
                "Name": "Score",
                "Type": "Processing",
                "Arguments": {
                    "AppSpecification": {"ImageUri": "image", "ContainerEntrypoint": ["python", "-c", code]},
                    "ProcessingOutputConfig": {
                        "Outputs": [
                            {
                                "OutputName": "report",
                                "S3Output": {
                                    "S3Uri": {
                                        "Std:Join": {
                                            "On": "/",
                                            "Values": [
                                                "s3://bucket/runs",
                                                {"Get": "Execution.PipelineExecutionId"},
                                                "report",
                                            ],
                                        }
                                    },
                                    "LocalPath": "/opt/ml/processing/output/report",
                                    "S3UploadMode": "EndOfJob",
                                },
                            }
                        ]
                    },
                },
                "PropertyFiles": [{"PropertyFileName": "Report", "OutputName": "report", "FilePath": "report.json"}],
            },
            {
                "Name": "Gate",
                "Type": "Condition",
                "Arguments": {
                    "Conditions": [
                        {
                            "Type": "GreaterThanOrEqualTo",
                            "LeftValue": score,
                            "RightValue": {"Get": "Parameters.Threshold"},
                        }
                    ],
                    "IfSteps": [],
                    "ElseSteps": [
                        {
                            "Name": "TooLow",
                            "Type": "Fail",
                            "Arguments": {
                                "ErrorMessage": {
                                    "Std:Join": {
                                        "On": " ",
                                        "Values": ["score", score, "<", {"Get": "Parameters.Threshold"}],
                                    }
                                }
                            },
                        }
                    ],
                },
            },
        ],
    }


def _run_small(tmp_path, code: str, parameters=None):
    with emulator.emulator("eu-west-1") as aws:
        storage.ensure_bucket(aws.client("s3"), "bucket", "eu-west-1")
        result = runner.Runner(
            _definition(code),
            aws,
            tmp_path,
            pipeline_name="p",
            region="eu-west-1",
            account="111111111111",
            parameters=parameters,
            progress=Progress(quiet=True),
        ).run()
        keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket="bucket").get("Contents", [])]
    return result, keys


def test_runner_uploads_outputs_reads_property_files_and_passes_the_gate(tmp_path):
    result, keys = _run_small(tmp_path, WRITE_REPORT)
    assert result.succeeded, result.failure
    assert keys == [f"runs/{result.execution_id}/report/report.json"]
    assert result.properties["Score"]["PropertyFiles"]["Report"] == {"score": 0.5}
    assert [(s.name, s.status) for s in result.steps] == [
        ("Score", "Succeeded"),
        ("Gate", "Succeeded"),
        ("TooLow", "NotExecuted"),
    ]


def test_runner_stops_at_the_fail_step_with_its_message(tmp_path):
    result, _ = _run_small(tmp_path, WRITE_REPORT, {"Threshold": "0.75"})
    assert not result.succeeded
    assert result.failed_step == "TooLow"
    assert result.failure == "score 0.5 < 0.75"


def test_a_failing_job_stops_the_run_with_its_reason(tmp_path):
    result, keys = _run_small(tmp_path, FAIL_WITH_MESSAGE)
    assert result.failed_step == "Score"
    assert "column age is missing" in result.failure
    assert keys == []  # nothing uploaded from a failed job
    assert [(s.name, s.status) for s in result.steps] == [("Score", "Failed"), ("Gate", "NotExecuted")]


# --- Tuning order: what the sampler is asked does not depend on which trial finishes first ----------------

# More trials than TPE's 10 random start-up trials, so the later asks depend on the results told so far.
BUDGET, FAILING = 14, 3  # trial 3 (counted from 1) fails


def _tuning_request(parallel: int) -> dict:
    ranges = {
        "ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "1", "ScalingType": "Linear"}],
        "IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "9", "ScalingType": "Auto"}],
    }
    return {
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "score"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": BUDGET, "MaxParallelTrainingJobs": parallel},
            "ParameterRanges": ranges,
        },
        "TrainingJobDefinition": {"StaticHyperParameters": {"seed": 42}},
    }


def _score(tuned: dict[str, str]) -> float:
    return -((float(tuned["x"]) - 0.3) ** 2) - abs(int(tuned["n"]) - 4) / 10


def _tune_with_fake_training(monkeypatch, root, parallel, slow, score=_score, failing=FAILING):
    """tuning.tune with a fake training job that takes 30 ms longer for the trials ``slow(number)`` picks.

    Returns the tuning job's properties, the on_trial reports and the order in which the trials finished.
    """
    import time

    finished = []

    def training(spec, job, hyperparameters, root, s3, extra_env=None):
        number = int(job.split("-")[-2])
        time.sleep(0.03 if slow(number) else 0.0)
        finished.append(number)
        if number == failing:
            raise jobs.JobFailed(f"{job}: exit code 1")
        value = score(hyperparameters)
        return jobs.JobResult(name=job, stdout="", metrics={"score": value}, model_uri=f"s3://b/{job}/model.tar.gz")

    monkeypatch.setattr(jobs, "training", training)
    reports = []
    request = _tuning_request(parallel)
    props = tuning.tune(request, "tune-abc", root, None, on_trial=lambda *report: reports.append(report))
    return props, reports, finished


def _spec_order(parallel: int) -> list[str]:
    """The job names the rule gives, as a plain loop: trial k is asked once trials 0 .. k - parallel are told,
    and trials are told in trial order."""
    config = _tuning_request(parallel)["HyperParameterTuningJobConfig"]
    sampler = tuning.sampler(int(config["ResourceLimits"]["MaxNumberOfTrainingJobs"]), parallel)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    suggest = tuning.suggesters(config["ParameterRanges"])
    asked = []

    def tell(trial, tuned):
        if trial.number + 1 == FAILING:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, _score(tuned))

    for k in range(BUDGET):
        trial = study.ask()
        asked.append((trial, {name: tuning._as_hyperparameter(pick(trial)) for name, pick in suggest.items()}))
        if k >= parallel - 1:
            tell(*asked[k - parallel + 1])
    for trial, tuned in asked[BUDGET - parallel + 1 :]:
        tell(trial, tuned)
    return [tuning._job_name("tune-abc", trial.number, tuned) for trial, tuned in asked]


@pytest.mark.parametrize("parallel", [1, 3])
def test_tuning_asks_the_same_trials_whichever_trial_finishes_first(monkeypatch, tmp_path, parallel):
    odd_slow = _tune_with_fake_training(monkeypatch, tmp_path / "a", parallel, lambda number: number % 2 == 1)
    even_slow = _tune_with_fake_training(monkeypatch, tmp_path / "b", parallel, lambda number: number % 2 == 0)
    (props, reports, _), (other_props, other_reports, _) = odd_slow, even_slow
    assert reports == other_reports
    assert props == other_props
    assert [job for _, _, job, _, _ in reports] == _spec_order(parallel)


def test_tuning_reports_every_trial_in_order_and_ranks_the_completed_ones(monkeypatch, tmp_path):
    props, reports, finished = _tune_with_fake_training(monkeypatch, tmp_path, 3, lambda number: number % 3 == 1)
    assert finished != sorted(finished)  # the trials did overtake each other
    assert [number for number, *_ in reports] == list(range(1, BUDGET + 1))
    assert {number for number, budget, _, value, _ in reports if value is None and budget == BUDGET} == {FAILING}
    assert "exit code 1" in reports[FAILING - 1][4]
    assert props["TrainingJobStatusCounters"] == {"Completed": BUDGET - 1, "Failed": 1}
    values = [s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for s in props["TrainingJobSummaries"]]
    assert values == sorted(values, reverse=True)
    assert props["BestTrainingJob"] == props["TrainingJobSummaries"][0]


def test_tuning_ties_go_to_the_lowest_trial_number(monkeypatch, tmp_path):
    props, _, _ = _tune_with_fake_training(
        monkeypatch, tmp_path, 3, lambda number: number == 1, score=lambda tuned: 0.5, failing=None
    )
    numbers = [int(s["TrainingJobName"].split("-")[-2]) for s in props["TrainingJobSummaries"]]
    assert numbers == list(range(1, BUDGET + 1))
    assert props["BestTrainingJob"] == props["TrainingJobSummaries"][0]
