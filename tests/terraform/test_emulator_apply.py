"""Apply then destroy both roots against moto server, the way CI applies them to AWS.

moto 5.2 lacks three things these roots use, switched off here only, through variables that
default to on: AWS Config conformance packs (`create_conformance_pack`), deleting model package
groups (`create_model_package_group`) and Budgets' DescribeSubscribersForNotification, which the
provider reads back (`create_budget`). Everything else is created, read back, planned again
without changes, and destroyed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest

from tests.terraform.conftest import copy_root, render_model_root
from tests.terraform.emulator import MOTO_ACCOUNT, moto_server, override
from tests.terraform.tf import FOUNDATION, init, terraform

# A moto server and two full applies and destroys: minutes, so outside `make test-fast`.
pytestmark = pytest.mark.slow
REGION = "eu-west-1"
SLUG = "breast-cancer-classifier"
UNSUPPORTED_BY_MOTO = {"create_conformance_pack": False}
MODEL_UNSUPPORTED_BY_MOTO = {**UNSUPPORTED_BY_MOTO, "create_model_package_group": False, "create_budget": False}


def prepare(root: Path, url: str, env: dict[str, str], variables: dict) -> Path:
    (root / "emulator_override.tf").write_text(override(url))
    (root / "emulator.auto.tfvars.json").write_text(json.dumps(variables))
    init(root, env, backend=True)
    return root


# With max_retries = 1 the provider does not retry a keep-alive connection that moto's threaded
# server closed under it. Only that transport error earns one more apply/destroy, which converges
# from the state already written; any other failure fails the test at once.
TRANSIENT = ("use of closed network connection", "connection reset by peer")


def timed(args: list[str], root: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    command = [*args, "-input=false", "-auto-approve", "-no-color"]
    result = terraform(command, root, env, check=False)
    if result.returncode != 0 and any(t in result.stdout + result.stderr for t in TRANSIENT):
        result = terraform(command, root, env, check=False)
    output = f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    assert result.returncode == 0, f"terraform {' '.join(args)} failed:\n{output}"
    return time.perf_counter() - start


def client(service: str, url: str):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")  # fmt: skip


def assert_no_drift(root: Path, env: dict[str, str]) -> None:
    """A second plan changes nothing, but for one moto gap: it does not read back a bucket's
    EventBridge notification switch, so `eventbridge` shows false -> true again."""
    terraform(["plan", "-input=false", "-out=replan.tfplan", "-var-file=env/dev.tfvars"], root, env)
    plan = json.loads(terraform(["show", "-json", "replan.tfplan"], root, env).stdout)
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if actions in (["no-op"], ["read"]):
            continue
        before, after = change["change"]["before"], change["change"]["after"]
        diff = {k for k in after if before.get(k) != after.get(k)}
        assert change["type"] == "aws_s3_bucket_notification" and actions == ["update"] and diff == {"eventbridge"}, (
            f"{change['address']} would {actions} on a second plan: {sorted(diff)}"
        )


def test_both_roots_apply_and_destroy_on_the_emulator(tmp_path, tf_env):
    timings: dict[str, float] = {}
    with moto_server() as url:
        env = {**tf_env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION}
        foundation = prepare(copy_root(FOUNDATION, tmp_path / "foundation"), url, env, {
            "account_id": MOTO_ACCOUNT, "region": REGION, "environments": ["dev"],
            "models": {SLUG: f"acme/ml/{SLUG}"}, **UNSUPPORTED_BY_MOTO,
            # moto, like S3, writes access logs while the other buckets are destroyed.
            "access_logs_force_destroy": True,
        })  # fmt: skip
        model = render_model_root(
            tmp_path / "model", aws_account_id_dev=MOTO_ACCOUNT, aws_region=REGION, compliance="gxp"
        )
        prepare(model, url, env, MODEL_UNSUPPORTED_BY_MOTO)

        timings["foundation apply"] = timed(["apply"], foundation, env)
        # The model root reads the foundation only through the SSM parameters it just published.
        timings["model apply"] = timed(["apply", "-var-file=env/dev.tfvars"], model, env)

        assert_no_drift(model, env)

        s3, ssm, kms = client("s3", url), client("ssm", url), client("kms", url)
        artifacts = ssm.get_parameter(Name=f"/mlops/models/{SLUG}/dev/artifact-bucket")["Parameter"]["Value"]
        assert artifacts == f"{SLUG}-dev-artifacts-{MOTO_ACCOUNT}"
        lock = s3.get_object_lock_configuration(Bucket=artifacts)["ObjectLockConfiguration"]
        assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"  # compliance=gxp
        encryption = s3.get_bucket_encryption(Bucket=artifacts)["ServerSideEncryptionConfiguration"]["Rules"][0]
        model_key = ssm.get_parameter(Name=f"/mlops/models/{SLUG}/dev/kms-key-arn")["Parameter"]["Value"]
        assert encryption["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == model_key
        signing = ssm.get_parameter(Name=f"/mlops/models/{SLUG}/dev/signing-key-arn")["Parameter"]["Value"]
        spec = kms.describe_key(KeyId=signing)["KeyMetadata"]
        assert (spec["KeySpec"], spec["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
        subnets = ssm.get_parameter(Name="/mlops/foundation/dev/private-subnet-ids")["Parameter"]["Value"].split(",")
        assert len(subnets) == 2

        timings["model destroy"] = timed(["destroy", "-var-file=env/dev.tfvars"], model, env)
        timings["foundation destroy"] = timed(["destroy"], foundation, env)

        assert s3.list_buckets()["Buckets"] == []
        assert ssm.describe_parameters()["Parameters"] == []
    print("emulator wall times: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
