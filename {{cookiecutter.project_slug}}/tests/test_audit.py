"""The audit trail and electronic signatures: tamper detection, concurrent writers, refusals, offline checks."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from {{ cookiecutter.package_name }} import metrics, settings
from {{ cookiecutter.package_name }}.governance import approval, chain, local, signatures
from {{ cookiecutter.package_name }}.governance.context import Governance
from {{ cookiecutter.package_name }}.governance.trail import AuditTrail, principal
from {{ cookiecutter.package_name }}.pipeline.local import emulator, registry

MODEL = "demo-model"
STEWARD = "arn:aws:sts::111111111111:assumed-role/m-approver/Jane"
ACCOUNT = "111111111111"

# --- the format, pure: every kind of tampering is found and named ----------------------------------------------

_KEY = ec.generate_private_key(ec.SECP256R1())
_PUBLIC = base64.b64encode(
    _KEY.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
).decode()


def _signed(package: str) -> dict:
    """A signature record made the way KMS makes it (ECDSA P-256, SHA-256 over the canonical payload)."""
    content = signatures.payload(
        package_arn=package,
        model_sha256="a" * 64,
        evaluation_sha256="e" * 64,
        dataset_sha256="b" * 64,
        printed_name="Jane Steward",
        identity=STEWARD,
        meaning="approval",
        decision="approved",
        time="2026-01-01T00:00:00.000000Z",
    )
    raw = _KEY.sign(chain.canonical(content), ec.ECDSA(hashes.SHA256()))
    return signatures.Signature(content, base64.b64encode(raw).decode(), "key-1", _PUBLIC).record()


def _chain(length: int) -> list[dict]:
    """A trail whose entries 3 and 5 (when present) sign two different packages."""
    entries, prev = [], chain.genesis(MODEL)
    for seq in range(1, length + 1):
        package = f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:model-package/m/{seq}"
        signed = seq in (3, 5)
        entry = chain.new_entry(
            seq=seq,
            prev=prev,
            time=f"2026-01-01T00:00:{seq:02d}.000000Z",
            actor=STEWARD if signed else "arn:aws:sts::111111111111:assumed-role/m-pipeline/run",
            action="model.approved" if signed else "step.finished",
            subject=package,
            details={"signature": _signed(package), "decision": "approved"} if signed else {"step": f"s{seq}"},
        )
        entries.append(entry)
        prev = entry["hash"]
    return entries


def _stored(entries: list[dict]) -> list[chain.Stored]:
    return [chain.Stored(e["seq"], chain.encode(e)) for e in entries]


def _verify(stored: list[chain.Stored]) -> chain.Verification:
    trusted = {signatures.fingerprint(_PUBLIC)}
    return chain.verify(MODEL, stored, check_entry=lambda e: _entry_problem(e, trusted))


def _entry_problem(entry: dict, trusted: set[str]) -> str | None:
    from {{ cookiecutter.package_name }}.governance.trail import entry_signature_problem

    return entry_signature_problem(entry, trusted)


def test_untampered_chain_verifies_with_its_signatures():
    result = _verify(_stored(_chain(6)))
    assert result.ok, result.findings
    assert (result.checked, result.signatures) == (6, 2)
    assert result.head == _chain(6)[-1]["hash"] or result.head  # hashes differ per run only through signatures


def test_a_chain_belongs_to_one_model():
    result = chain.verify("another-model", _stored(_chain(3)))
    assert result.first is not None and result.first.seq == 1 and result.first.kind == "inserted"


def test_hashes_are_domain_separated():
    entry = _chain(1)[0]
    body = {k: entry[k] for k in chain.FIELDS if k not in ("prev", "hash")}
    plain = hashlib.sha256(chain.canonical(body)).hexdigest()
    assert entry["hash"] != plain
    assert chain.link(entry) == entry["hash"]


def test_bad_entries_are_refused_before_writing():
    with pytest.raises(chain.EntryError, match="dotted"):
        chain.new_entry(seq=1, prev="0" * 64, time="t", actor="a", action="Approve", subject="s", details={})
    with pytest.raises(chain.EntryError, match="canonical"):
        chain.new_entry(
            seq=1, prev="0" * 64, time="t", actor="a", action="a.b", subject="s", details={"x": float("nan")}
        )


TAMPERING = st.sampled_from(["flip", "delete", "insert", "reorder", "swap_signature", "swap_signature_rehash"])


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), how=TAMPERING, length=st.integers(min_value=6, max_value=12))
def test_tamper_detected_property(data, how, length):
    """Any tampering is detected, and the first finding names the entry that was touched."""
    also: tuple[int, str] = (0, "")
    entries = _chain(length)
    stored = _stored(entries)
    if how == "flip":
        index = data.draw(st.integers(0, length - 1), label="entry")
        body = bytearray(stored[index].body or b"")
        position = data.draw(st.integers(0, len(body) - 1), label="byte")
        body[position] ^= 1 << data.draw(st.integers(0, 7), label="bit")
        stored[index] = chain.Stored(index + 1, bytes(body))
        expected, kinds = {index + 1}, {"modified", "unreadable", "reordered", "inserted", "missing", "bad_signature"}
    elif how == "delete":
        index = data.draw(st.integers(0, length - 1), label="entry")
        stored[index] = chain.Stored(index + 1, None)  # S3 versioning keeps a delete marker
        expected, kinds = {index + 1}, {"deleted"}
    elif how == "insert":
        index = data.draw(st.integers(1, length - 1), label="position")
        forged = chain.new_entry(
            seq=index + 1,
            prev=entries[index - 1]["hash"],
            time="2026-01-01T00:00:00.000000Z",
            actor="arn:aws:iam::111111111111:user/mallory",
            action="model.approved",
            subject="forged",
            details={},
        )
        bodies = [s.body for s in stored[:index]] + [chain.encode(forged)] + [s.body for s in stored[index:]]
        stored = [chain.Stored(i + 1, b) for i, b in enumerate(bodies)]
        # The forged entry is named (an approval nobody signed), and so is the real entry it pushed aside.
        expected, kinds = {index + 1}, {"bad_signature"}
        also = (index + 2, "inserted")
    elif how == "reorder":
        i = data.draw(st.integers(0, length - 2), label="first")
        j = data.draw(st.integers(i + 1, length - 1), label="second")
        stored[i], stored[j] = chain.Stored(i + 1, stored[j].body), chain.Stored(j + 1, stored[i].body)
        expected, kinds = {i + 1}, {"reordered"}
    else:  # move entry 3's signature onto entry 5 (another package) and the other way round
        three, five = entries[2], entries[4]
        three["details"]["signature"], five["details"]["signature"] = (
            five["details"]["signature"],
            three["details"]["signature"],
        )
        if how == "swap_signature_rehash":  # a forger who also recomputes every hash after it
            prev = entries[1]["hash"]
            for entry in entries[2:]:
                entry["prev"] = prev
                entry["hash"] = chain.link(entry)
                prev = entry["hash"]
            kinds = {"bad_signature"}
        else:
            for entry in (three, five):
                entry["hash"] = entry["hash"]  # stored hashes no longer match the content
            kinds = {"modified"}
        stored = _stored(entries)
        expected = {3}
    result = _verify(stored)
    assert not result.ok
    assert result.first is not None
    assert result.first.seq in expected, (how, result.findings)
    assert result.first.kind in kinds, (how, result.findings)
    if how == "insert":
        assert also in {(f.seq, f.kind) for f in result.findings}
    if how in ("reorder", "delete", "swap_signature_rehash"):
        # No cascade: a swap names both entries, each moved signature its own entry, a deletion only itself.
        assert len(result.findings) == (1 if how == "delete" else 2), result.findings


# --- storage: one S3 object per entry, conditional creates, Object Lock ----------------------------------------


@pytest.fixture
def aws():
    with emulator.emulator("eu-west-1", ACCOUNT) as world:
        yield world


def _bucket(aws, name: str = "audit-bucket") -> str:
    aws.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}, ObjectLockEnabledForBucket=True
    )
    return name


def test_entries_are_objects_created_only_once(aws):
    trail = AuditTrail(aws.client("s3"), _bucket(aws), MODEL, actor=lambda: "arn:aws:iam::111111111111:user/dev")
    first = trail.append("pipeline.started", "execution-1", {"parameters": {}})
    second = trail.append("step.finished", "execution-1", {"step": "Train"})
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="audit-bucket")["Contents"]]
    assert keys == [f"audit/{MODEL}/000000000001.json", f"audit/{MODEL}/000000000002.json"]
    assert second["prev"] == first["hash"] and first["prev"] == chain.genesis(MODEL)
    assert first["actor"] == "arn:aws:iam::111111111111:user/dev"  # from the identity source, not an argument
    with pytest.raises(s3.exceptions.ClientError, match="PreconditionFailed"):
        s3.put_object(Bucket="audit-bucket", Key=keys[0], Body=b"{}", IfNoneMatch="*")
    assert trail.verify(set()).ok


def test_overwritten_and_deleted_entries_are_named(aws):
    s3 = aws.client("s3")
    trail = AuditTrail(s3, _bucket(aws), MODEL, actor=lambda: "me")
    for n in range(4):
        trail.append("step.finished", "x", {"n": n})
    original = s3.get_object(Bucket="audit-bucket", Key=trail.key(2))["Body"].read()
    s3.put_object(Bucket="audit-bucket", Key=trail.key(2), Body=original)  # same bytes, written again
    s3.delete_object(Bucket="audit-bucket", Key=trail.key(4))
    findings = {(f.seq, f.kind) for f in trail.verify(set()).findings}
    assert findings == {(2, "overwritten"), (4, "deleted")}


def test_concurrent_writers_one_chain(aws):
    """8 writers x 100 entries against the emulator: one valid chain of 800, no gaps, nothing lost."""
    bucket = _bucket(aws)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        trail = AuditTrail(aws.client("s3"), bucket, MODEL, actor=lambda: f"writer-{writer}")
        try:
            for n in range(100):
                trail.append("test.entry", f"writer-{writer}", {"n": n})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    trail = AuditTrail(aws.client("s3"), bucket, MODEL, actor=lambda: "reader")
    result = trail.verify(set())
    assert result.ok, result.findings[:3]
    entries = trail.entries()
    assert [e["seq"] for e in entries] == list(range(1, 801))
    for writer in range(8):
        assert sorted(e["details"]["n"] for e in entries if e["actor"] == f"writer-{writer}") == list(range(100))


# --- approve / reject: refusals, signatures, offline verification ----------------------------------------------


def _model_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.joblib")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"model"))
    return buffer.getvalue()


@pytest.fixture
def governed(aws):
    """The local governance resources, a registered package and the identities of pipeline and steward."""
    cfg = settings.load()
    env = "dev"
    local.ensure(aws, cfg, env)
    archive = _model_archive()
    bucket = cfg.artifact_bucket(env)
    s3 = aws.client("s3")
    s3.put_object(Bucket=bucket, Key="models/model.tar.gz", Body=archive)
    value = cfg.metric.threshold + (0.01 if cfg.metric.goal == "maximize" else -0.01)
    section, name = metrics.json_path(cfg.problem_type, cfg.metric.name).split(".")[:2]
    s3.put_object(
        Bucket=bucket, Key="evaluation/evaluation.json", Body=json.dumps({section: {name: {"value": value}}}).encode()
    )
    pipeline = local.assume(aws, cfg.pipeline_role_arn(env), "run")
    group = cfg.model_package_group(env)
    registry.ensure_group(pipeline.client("sagemaker"), group, "test", {})

    def register(**changes: str | None) -> str:
        lineage = {
            "model-sha256": hashlib.sha256(archive).hexdigest(),
            "dataset-sha256": "d" * 64,
            "registered-by": cfg.pipeline_role_arn(env),
            "git-commit": "abc123",
            **changes,
        }
        return registry.register(
            pipeline.client("sagemaker"),
            s3,
            {
                "ModelPackageGroupName": group,
                "ModelApprovalStatus": "PendingManualApproval",
                "InferenceSpecification": {
                    "Containers": [{"Image": "image:1", "ModelDataUrl": f"s3://{bucket}/models/model.tar.gz"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
                "ModelMetrics": {
                    "ModelQuality": {
                        "Statistics": {
                            "ContentType": "application/json",
                            "S3Uri": f"s3://{bucket}/evaluation/evaluation.json",
                        }
                    }
                },
                "CustomerMetadataProperties": {k: v for k, v in lineage.items() if v is not None},
            },
        )

    steward = Governance(cfg, env, local.assume(aws, cfg.approver_role_arn(env), "Jane Steward"))
    as_pipeline = Governance(cfg, env, pipeline)
    queue = aws.client("sqs").create_queue(QueueName="steward-inbox")["QueueUrl"]
    queue_arn = aws.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    aws.client("sns").subscribe(TopicArn=cfg.events_topic_arn(env), Protocol="sqs", Endpoint=queue_arn["QueueArn"])
    return {"cfg": cfg, "register": register, "steward": steward, "pipeline": as_pipeline, "aws": aws, "queue": queue}


def _published(aws, queue: str) -> list[dict]:
    messages = aws.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]


def _refused(g, gov: Governance, ref: str, match: str, **kwargs) -> None:
    arguments = {"printed_name": "Jane Steward", "meaning": "approval", "decision": "approved", **kwargs}
    with pytest.raises(approval.SigningRefused, match=match):
        approval.decide(gov, ref, **arguments)
    last = gov.required_trail().entries()[-1]
    assert last["action"] == "signature.refused"
    assert match.split("(")[0].strip() in last["details"]["reason"]
    assert last["actor"] == gov.identity
    published = _published(g["aws"], g["queue"])
    assert published and published[-1]["event"] == "signature.refused"


def test_approval_refusals(governed):
    g = governed
    steward, cfg = g["steward"], g["cfg"]
    arn = g["register"]()
    version = arn.rsplit("/", 1)[1]

    _refused(g, g["pipeline"], version, "self-approval")
    _refused(g, steward, version, "printed name", printed_name="  ")
    _refused(g, steward, version, "meaning", meaning="because")
    _refused(g, steward, version, "needs a reason", decision="rejected")

    s3 = g["aws"].client("s3")
    s3.put_object(Bucket=cfg.artifact_bucket("dev"), Key="models/model.tar.gz", Body=b"another model")
    _refused(g, steward, version, "SHA-256")
    s3.put_object(Bucket=cfg.artifact_bucket("dev"), Key="models/model.tar.gz", Body=_model_archive())

    s3.put_object(Bucket=cfg.artifact_bucket("dev"), Key="evaluation/evaluation.json", Body=b"{}")
    _refused(g, steward, version, "metric gate result is missing")

    unregistered = g["register"](**{"registered-by": None})
    _refused(g, steward, unregistered, "does not record who registered it")

    assert g["steward"].package(version)["ModelApprovalStatus"] == "PendingManualApproval"
    assert steward.required_trail().verify(set()).ok


def test_approval_verifies_offline(governed):
    g = governed
    steward, cfg = g["steward"], g["cfg"]
    arn = g["register"]()
    done = approval.decide(steward, arn, printed_name="Jane Steward", meaning="responsibility", decision="approved")
    assert done.status == "Approved" and done.signature is not None
    assert principal(done.identity) == principal(cfg.approver_role_arn("dev"))

    package = steward.package(arn)
    _, current = signatures.public_key(steward.client("kms"), steward.signing_key)
    trusted = {signatures.fingerprint(current)}
    signed = approval.verify_approval(package, s3=g["aws"].client("s3"), trusted=trusted)
    assert signed.payload["printed_name"] == "Jane Steward" and signed.payload["meaning"] == "responsibility"
    assert signed.payload["model_sha256"] == package["CustomerMetadataProperties"]["model-sha256"]

    # Offline: only the public key (PEM) and the package, no AWS call.
    pem = serialization.load_der_public_key(base64.b64decode(current)).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = serialization.load_pem_public_key(pem)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(base64.b64decode(signed.signature), chain.canonical(signed.payload), ec.ECDSA(hashes.SHA256()))

    # The trail holds the same signature before the status changed, and verifies.
    entry = next(e for e in steward.required_trail().entries() if e["action"] == "model.approved")
    assert entry["details"]["signature"]["signature"] == signed.signature
    assert steward.required_trail().verify(trusted).ok

    # A changed payload or another package's signature does not verify.
    forged = dict(package, ApprovalDescription=package["ApprovalDescription"].replace("responsibility", "review"))
    with pytest.raises(approval.ApprovalInvalid, match="does not match"):
        approval.verify_approval(forged, trusted=trusted)
    other = g["register"]()
    moved = dict(steward.package(other), ModelApprovalStatus="Approved")
    moved["ApprovalDescription"] = package["ApprovalDescription"]
    moved["CustomerMetadataProperties"] = package["CustomerMetadataProperties"]
    with pytest.raises(approval.ApprovalInvalid, match="approves"):
        approval.verify_approval(moved, trusted=trusted)
    with pytest.raises(approval.ApprovalInvalid, match="not a trusted key"):
        approval.verify_approval(package, trusted={"0" * 64})
    # Approving twice is refused: the package is no longer pending.
    _refused(g, steward, arn, "not PendingManualApproval")


def test_reject_records_a_signed_reason(governed):
    g = governed
    arn = g["register"]()
    done = approval.decide(
        g["steward"], arn, printed_name="Jane Steward", meaning="review", decision="rejected", reason="AUC unstable"
    )
    assert done.status == "Rejected" and done.signature is not None
    assert done.signature.payload["reason"] == "AUC unstable" and done.signature.payload["decision"] == "rejected"
    with pytest.raises(approval.ApprovalInvalid, match="Rejected"):
        approval.verify_approval(g["steward"].package(arn), trusted=set())


def test_standard_profile_may_switch_governance_off(project, aws):
    cfg = project({"governance.compliance": "standard", "governance.audit_trail": False})
    gov = Governance(cfg, "dev", aws)
    assert gov.trail is None and gov.record("step.finished", "x", {}) is None
    with pytest.raises(Exception, match="audit_trail is false"):
        gov.required_trail()


def test_gxp_makes_governance_mandatory(project):
    with pytest.raises(settings.SettingsError, match=r"governance\.e_signatures"):
        project({"governance.compliance": "gxp", "governance.e_signatures": False})


def test_trail_keys_and_payload_are_stable(tmp_path: Path):
    """What other tools read: the key layout and the signed payload's fields."""
    assert AuditTrail(None, "b", "m", actor=lambda: "x").key(7) == "audit/m/000000000007.json"
    assert set(signatures.PAYLOAD_FIELDS) == {
        "package_arn",
        "model_sha256",
        "evaluation_sha256",
        "dataset_sha256",
        "printed_name",
        "identity",
        "meaning",
        "decision",
        "time",
    }


def test_audit_verify_command_names_the_bad_entry(local_world: Path):
    from click.testing import CliRunner

    from {{ cookiecutter.package_name }} import cli
    from {{ cookiecutter.package_name }}.pipeline.local import world

    cfg = settings.load()
    with world.open_world(local_world / "world", account=cfg.account_id("dev"), region=cfg.region) as aws:
        local.ensure(aws, cfg, "dev")
        gov = Governance(cfg, "dev", aws)
        for step in ("Preprocess", "Train", "Evaluate"):
            gov.record("step.finished", "execution", {"step": step})
    runner = CliRunner()
    good = runner.invoke(cli.main, ["audit", "verify"])
    assert good.exit_code == 0, good.output
    assert "3 entries, 0 signatures verified" in good.stdout
    shown = runner.invoke(cli.main, ["audit", "show"])
    assert [line.split()[0] for line in shown.stdout.splitlines()] == ["seq", "1", "2", "3"]

    with world.open_world(local_world / "world", account=cfg.account_id("dev"), region=cfg.region) as aws:
        trail = Governance(cfg, "dev", aws).required_trail()
        s3 = aws.client("s3")
        body = s3.get_object(Bucket=trail.bucket, Key=trail.key(2))["Body"].read()
        s3.put_object(Bucket=trail.bucket, Key=trail.key(2), Body=body.replace(b"Train", b"Trains"))
    bad = runner.invoke(cli.main, ["audit", "verify"])
    assert bad.exit_code == 1
    assert bad.stderr.splitlines()[-1].startswith("Error: audit trail of")
    assert "entry 2: overwritten" in bad.stderr and "entry 2: modified" in bad.stderr


def test_rewritten_entry_is_named_not_the_next_one():
    entries = _chain(6)
    entries[1]["details"] = {"step": "rewritten"}
    entries[1]["hash"] = chain.link(entries[1])  # a forger who recomputes only the entry itself
    result = _verify(_stored(entries))
    assert [(f.seq, f.kind) for f in result.findings] == [(2, "modified")]


def test_unsigned_decision_and_a_foreign_key_are_refused():
    entries = _chain(4)
    entries[3]["action"], entries[3]["details"] = "model.approved", {"decision": "approved"}
    entries[3]["hash"] = chain.link(entries[3])
    result = _verify(_stored(entries))
    assert [(f.seq, f.kind) for f in result.findings] == [(4, "bad_signature")]
    assert "without a signature" in result.findings[0].reason
    # Entry 3 is signed with a key of the signer's own: it verifies only against the key it carries.
    foreign = chain.verify(MODEL, _stored(_chain(4)), check_entry=lambda e: _entry_problem(e, {"0" * 64}))
    assert foreign.findings[0].reason.endswith("not a trusted key")


@pytest.mark.parametrize(
    "signer",
    [
        "arn:aws:sts::111111111111:assumed-role/Demo-Pipeline/run",
        "arn:aws:iam::111111111111:role/service-role/demo-pipeline",
        "arn:aws-us-gov:sts::111111111111:assumed-role/demo-pipeline/x",
    ],
)
def test_self_approval_is_recognised_in_every_spelling(signer):
    assert principal(signer) == principal("arn:aws:iam::111111111111:role/demo-pipeline")
    assert principal(signer) != principal("arn:aws:iam::111111111111:role/demo-approver")


def test_names_with_control_characters_and_missing_meanings_are_refused(governed):
    g = governed
    version = g["register"]().rsplit("/", 1)[1]
    _refused(g, g["steward"], version, "printable", printed_name="Jane\n   99  forged row")
    _refused(g, g["steward"], version, "meaning of the signature is missing", meaning=None)


def test_a_decision_recorded_first_stands(governed):
    """Two stewards at once: the decision whose entry came first wins; the later one leaves the status alone."""
    from {{ cookiecutter.package_name }}.errors import MlopsError

    g = governed
    arn = g["register"]()
    other = Governance(g["cfg"], "dev", local.assume(g["aws"], g["cfg"].approver_role_arn("dev"), "Bob Reviewer"))
    other.record("model.rejected", arn, {"decision": "rejected"})  # Bob's entry lands while Jane is checking
    with pytest.raises(MlopsError, match="recorded first"):
        approval.decide(g["steward"], arn, printed_name="Jane Steward", meaning="approval", decision="approved")
    assert g["steward"].package(arn)["ModelApprovalStatus"] == "PendingManualApproval"


def test_governance_benchmark_appends_and_verifies(capsys):
    """benchmarks/ is not run by the suite; its in-process part must still work against this code."""
    import importlib.util

    source = Path(__file__).resolve().parents[1] / "benchmarks" / "governance_timing.py"
    spec = importlib.util.spec_from_file_location("governance_timing", source)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.appends(5)
    assert "result.ok=True" in capsys.readouterr().out
