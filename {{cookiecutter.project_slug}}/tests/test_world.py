"""The local world keeps the emulator's state between commands (separate processes), in the project's account."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.pipeline.local import emulator, world

ACCOUNT = "210987654321"  # not moto's 123456789012
REGION = "eu-west-1"
BUCKET = "world-bucket"
GROUP = "world-group"

# Run in a process of its own: python -c WRITE <world module> <folder> <account>
WRITE = textwrap.dedent(
    """
    import base64, importlib, json, sys
    from pathlib import Path

    from boto3.s3.transfer import TransferConfig

    world = importlib.import_module(sys.argv[1])
    folder, account = Path(sys.argv[2]), sys.argv[3]
    with world.open_world(folder, account=account, region="eu-west-1") as aws:
        s3, kms, sm, ssm = aws.client("s3"), aws.client("kms"), aws.client("sagemaker"), aws.client("ssm")
        s3.create_bucket(Bucket="world-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(Bucket="world-bucket", Key="small.txt", Body=b"hello")
        big = folder.parent / "big.bin"
        big.write_bytes(bytes(range(256)) * 24_000)  # 6 MB in two parts: the transfer manager's multipart upload
        s3.upload_file(str(big), "world-bucket", "big.bin", Config=TransferConfig(multipart_threshold=5 * 2**20))
        signatures = []
        for spec, algorithm in (("RSA_2048", "RSASSA_PSS_SHA_256"), ("ECC_NIST_P256", "ECDSA_SHA_256")):
            arn = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
            signature = kms.sign(KeyId=arn, Message=b"model", SigningAlgorithm=algorithm)["Signature"]
            signatures.append([arn, algorithm, base64.b64encode(signature).decode()])
        group = sm.create_model_package_group(ModelPackageGroupName="world-group")["ModelPackageGroupArn"]
        package = sm.create_model_package(
            ModelPackageGroupName="world-group",
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [{"Image": "image:1", "ModelDataUrl": "s3://world-bucket/big.bin"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
        ssm.put_parameter(Name="/world/p", Value="v", Type="String", Tags=[{"Key": "k", "Value": "t"}])
    print(json.dumps({"signatures": signatures, "group": group, "package": package}))
    """
)

# Holds the world a while: python -c HOLD <world module> <folder> <account> <ready file>
HOLD = textwrap.dedent(
    """
    import importlib, sys, time
    from pathlib import Path

    world = importlib.import_module(sys.argv[1])
    folder, account, ready = Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    with world.open_world(folder, account=account, region="eu-west-1") as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="held", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        ready.write_text("holding")
        time.sleep(1.0)
        s3.put_object(Bucket="held", Key="late.txt", Body=b"written while the other one waited")
    """
)


def _python(code: str, *args: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-c", code, world.__name__, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def _open(folder: Path, **kwargs):
    return world.open_world(folder, account=ACCOUNT, region=REGION, cli="mlops", **kwargs)


def test_the_world_outlives_the_process_that_wrote_it(tmp_path):
    folder = tmp_path / "world"
    written = json.loads(_python(WRITE, folder, ACCOUNT).stdout)
    header = json.loads(world.state_file(folder).read_bytes().split(b"\n", 1)[0])
    assert header["format"] == world.FORMAT and header["account"] == ACCOUNT and header["moto"]

    with _open(folder) as aws:
        kms, s3, sm, ssm = aws.client("kms"), aws.client("s3"), aws.client("sagemaker"), aws.client("ssm")
        for arn, algorithm, signature in written["signatures"]:
            verified = kms.verify(
                KeyId=arn, Message=b"model", Signature=base64.b64decode(signature), SigningAlgorithm=algorithm
            )
            assert verified["SignatureValid"], arn
        assert s3.get_object(Bucket=BUCKET, Key="small.txt")["Body"].read() == b"hello"
        assert s3.get_object(Bucket=BUCKET, Key="big.bin")["Body"].read() == bytes(range(256)) * 24_000
        packages = sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
        assert [p["ModelPackageArn"] for p in packages] == [written["package"]]
        assert ssm.get_parameter(Name="/world/p")["Parameter"]["Value"] == "v"
        assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/world/p")["TagList"] == [
            {"Key": "k", "Value": "t"}
        ]

        # Every ARN is in the project's account, and so are the bucket and its objects, the multipart one too.
        arns = [written["group"], written["package"], *(arn for arn, _, _ in written["signatures"])]
        assert all(f":{ACCOUNT}:" in arn for arn in arns), arns
        assert aws.client("sts").get_caller_identity()["Account"] == ACCOUNT
        from moto.backends import get_backend

        bucket = get_backend("s3")[ACCOUNT]["aws"].buckets[BUCKET]
        assert {key.account_id for key in bucket.keys.values()} == {ACCOUNT}
        # The bucket namespace came back too: creating it again is refused, not a silent empty bucket.
        with pytest.raises(s3.exceptions.ClientError, match="BucketAlreadyOwnedByYou"):
            s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})


def test_the_world_is_saved_when_the_command_fails(tmp_path):
    with pytest.raises(RuntimeError, match="step failed"), _open(tmp_path) as aws:
        aws.client("s3").create_bucket(Bucket="kept", CreateBucketConfiguration={"LocationConstraint": REGION})
        raise RuntimeError("step failed")
    with _open(tmp_path) as aws:
        assert [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]] == ["kept"]


def test_every_object_version_is_kept(tmp_path):
    """An object written again keeps its old version across commands (the audit trail's overwrite evidence)."""
    with _open(tmp_path) as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="versions", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket="versions", VersioningConfiguration={"Status": "Enabled"})
        for body in (b"first", b"second"):
            s3.put_object(Bucket="versions", Key="k", Body=body)
    with _open(tmp_path) as aws:
        s3 = aws.client("s3")
        versions = s3.list_object_versions(Bucket="versions")["Versions"]
        assert len(versions) == 2
        oldest = next(v for v in versions if not v["IsLatest"])
        assert s3.get_object(Bucket="versions", Key="k", VersionId=oldest["VersionId"])["Body"].read() == b"first"
        assert s3.get_object(Bucket="versions", Key="k")["Body"].read() == b"second"


def test_object_bodies_survive_an_emulator_used_before_the_world(tmp_path):
    """moto's reset disposes every S3 object it tracks: the world must load its state only after resetting."""
    with _open(tmp_path) as aws:
        aws.client("s3").create_bucket(Bucket="kept", CreateBucketConfiguration={"LocationConstraint": REGION})
        aws.client("s3").put_object(Bucket="kept", Key="k", Body=b"entry")
    with emulator.emulator(REGION) as aws:
        aws.client("s3").create_bucket(Bucket="other", CreateBucketConfiguration={"LocationConstraint": REGION})
        aws.client("s3").put_object(Bucket="other", Key="k", Body=b"x")
    for _ in range(2):
        with _open(tmp_path) as aws:
            assert aws.client("s3").get_object(Bucket="kept", Key="k")["Body"].read() == b"entry"


def test_reset_empties_the_world(tmp_path):
    assert not world.reset(tmp_path / "never-opened")
    with _open(tmp_path) as aws:
        aws.client("s3").create_bucket(Bucket="gone", CreateBucketConfiguration={"LocationConstraint": REGION})
    assert world.reset(tmp_path)
    assert not world.state_file(tmp_path).exists()
    assert not world.reset(tmp_path)
    with _open(tmp_path) as aws:
        assert aws.client("s3").list_buckets()["Buckets"] == []


def _state(header: dict[str, object], body: bytes = b"") -> bytes:
    import moto

    fields = {"kind": world.KIND, "format": world.FORMAT, "moto": moto.__version__, "account": ACCOUNT, **header}
    return json.dumps(fields).encode() + b"\n" + body


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"not a world\n", "corrupt"),
        (_state({}, b"not a pickle"), "corrupt"),
        (_state({"moto": "0.0.1"}), "moto 0.0.1"),
        (_state({"format": 99}), "format 99"),
        (_state({"account": "999999999999"}), "account 999999999999"),
    ],
    ids=["not a world", "not a pickle", "other moto", "other format", "other account"],
)
def test_an_unreadable_state_names_the_file_and_the_reset(tmp_path, content, problem):
    path = world.state_file(tmp_path)
    path.write_bytes(content)
    with pytest.raises(world.WorldError) as error, _open(tmp_path):
        pytest.fail("opened an unreadable world")
    message = str(error.value)
    assert problem in message and str(path) in message and "`mlops local reset`" in message
    assert path.read_bytes() == content  # left as it was, not overwritten by an empty world
    assert world.reset(tmp_path)


def test_the_lock_makes_a_second_command_wait_for_the_first(tmp_path):
    folder, ready = tmp_path / "world", tmp_path / "ready"
    args = [world.__name__, folder, ACCOUNT, ready]
    first = subprocess.Popen([sys.executable, "-c", HOLD, *map(str, args)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline, "the first command never opened the world"
            time.sleep(0.02)

        with pytest.raises(world.WorldError) as busy, _open(folder, timeout=0.1):
            pytest.fail("opened a world another process holds")
        assert str(folder / world.LOCK_FILE) in str(busy.value) and f"process {first.pid}" in str(busy.value)

        told: list[str] = []
        with _open(folder, waiting=told.append) as aws:
            body = aws.client("s3").get_object(Bucket="held", Key="late.txt")["Body"].read()
        assert body == b"written while the other one waited"
        assert len(told) == 1 and f"process {first.pid}" in told[0]
    finally:
        _, stderr = first.communicate(timeout=60)
    assert first.returncode == 0, stderr


def test_one_world_or_emulator_at_a_time_in_a_process(tmp_path):
    with _open(tmp_path / "a") as aws:
        aws.client("s3").create_bucket(Bucket="mine", CreateBucketConfiguration={"LocationConstraint": REGION})
        with pytest.raises(world.WorldError, match="already open"), _open(tmp_path / "b"):
            pytest.fail("a second world in the same process")
        with pytest.raises(emulator.EmulatorBusy, match="already open"), emulator.emulator(REGION):
            pytest.fail("the emulator would have reset the open world")
        with pytest.raises(world.WorldError, match="already open"):
            world.reset(tmp_path / "a")
        assert [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]] == ["mine"]
    # Closed: the process keeps nothing of it, and a fresh emulator starts empty.
    with emulator.emulator(REGION) as aws:
        assert aws.client("s3").list_buckets()["Buckets"] == []


def test_every_kept_service_is_a_moto_backend_of_that_name():
    from moto.backends import get_backend

    assert {name: get_backend(name).service_name for name in world.SERVICES} == {n: n for n in world.SERVICES}
