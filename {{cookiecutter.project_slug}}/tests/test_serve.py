"""Serve: the SageMaker inference contract on uvicorn, careless clients, data capture and the OpenAPI document.

The server runs in a thread of the test process (uvicorn.Server on 127.0.0.1, port 0) and is spoken to
over real sockets; the multi-process server and hot swap are in test_serve_swap.py.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.package_name }}.data import schema as schema_mod
from {{ cookiecutter.package_name }}.errors import UsageError
from {{ cookiecutter.package_name }}.pipeline.local import emulator
from {{ cookiecutter.package_name }}.serving import capture as capture_mod
from {{ cookiecutter.package_name }}.serving import payload, protocol
from {{ cookiecutter.package_name }}.serving.app import App
from {{ cookiecutter.package_name }}.serving.config import MAX_PAYLOAD, ServerConfig
from {{ cookiecutter.package_name }}.serving.model import fetch


@contextlib.contextmanager
def running(config: ServerConfig):
    app = App(config)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", http=protocol.Protocol, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not (server.started and (app.slot.current or app.slot.error)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield app, port
    finally:
        server.should_exit = True
        thread.join(15)


def call(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw(port: int, request: bytes, wait: float = 15.0) -> bytes:
    """Send bytes as they are; return what comes back before the server closes or ``wait`` passes."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(request)
        chunks = []
        with contextlib.suppress(TimeoutError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                    break
        return b"".join(chunks)


def _complete(reply: bytes) -> bool:
    head, _, body = reply.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else 0


@pytest.fixture(scope="module", params=["binary_classification", "regression"])
def endpoint(request, trained, tmp_path_factory):
    run = trained[request.param]
    captures = tmp_path_factory.mktemp(f"capture-{request.param}")
    config = ServerConfig(
        model_dir=run["model_dir"],
        version="v1",
        read_timeout=0.5,
        capture_destination=str(captures),
        capture_percent=100.0,
        endpoint_name="ep",
    )
    with running(config) as (app, port):
        assert app.slot.current is not None, app.slot.error
        schema = schema_mod.load(run["model_dir"] / "schema.json")
        test = pd.read_csv(run["test_csv"], dtype={f.name: "string" for f in schema.features if f.dtype == "category"})
        yield {
            "port": port,
            "app": app,
            "problem_type": request.param,
            "features": test[schema.feature_names],
            "schema": schema,
            "captures": captures,
        }


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(header=False, index=False).encode()


def _json(frame: pd.DataFrame) -> bytes:
    return json.dumps({"instances": json.loads(frame.to_json(orient="records"))}).encode()


def _invoke(endpoint, body: bytes, content_type: str = "text/csv", **headers):
    status, got, answer = call(
        endpoint["port"], "POST", "/invocations", body, {"Content-Type": content_type, **headers}
    )
    return status, got, answer


def _error(endpoint, body: bytes, content_type: str = "text/csv") -> tuple[int, dict]:
    status, _, answer = _invoke(endpoint, body, content_type)
    return status, json.loads(answer)


def _numeric(endpoint) -> schema_mod.Feature:
    return next(f for f in endpoint["schema"].features if f.dtype != "category")


# --- the contract ----------------------------------------------------------------------------------------------


def test_ping_names_the_version(endpoint):
    status, _, body = call(endpoint["port"], "GET", "/ping")
    assert status == 200 and json.loads(body) == {"status": "ok", "version": "v1"}


def test_csv_rows_in_schema_order_match_the_model(endpoint):
    features = endpoint["features"].head(20)
    status, headers, answer = _invoke(endpoint, _csv(features))
    assert status == 200 and headers["content-type"] == "application/json"
    doc = json.loads(answer)
    model = endpoint["app"].slot.current
    expected = model.predict(model.parser.parse(_csv(features), "text/csv"))
    assert doc["predictions"] == pytest.approx(expected.tolist(), abs=1e-12)
    assert doc["inference_id"] == headers["x-inference-id"]
    if endpoint["problem_type"] == "binary_classification":
        assert all(0.0 <= p <= 1.0 for p in doc["predictions"])


def test_json_instances_and_csv_answers_agree(endpoint):
    features = endpoint["features"].head(7)
    _, _, from_csv = _invoke(endpoint, _csv(features))
    status, headers, from_json = _invoke(
        endpoint, _json(features), "application/json; charset=utf-8", Accept="text/csv"
    )
    assert status == 200 and headers["content-type"] == "text/csv"
    values = [float(v) for v in from_json.decode().splitlines()]
    assert values == pytest.approx(json.loads(from_csv)["predictions"], abs=1e-12)


def test_the_client_inference_id_is_echoed(endpoint):
    status, headers, answer = _invoke(endpoint, _csv(endpoint["features"].head(1)), **{"X-Inference-Id": "req-42"})
    assert status == 200 and headers["x-inference-id"] == "req-42" and json.loads(answer)["inference_id"] == "req-42"
    for unusable in ("x" * 65, "caf\u00e9".encode().decode("latin-1")):  # over SageMaker's 64, not ASCII
        _, headers, _ = _invoke(endpoint, _csv(endpoint["features"].head(1)), **{"X-Inference-Id": unusable})
        assert len(headers["x-inference-id"]) == 36


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("", "application/json"),
        ("*/*", "application/json"),
        ("text/*", "text/csv"),
        ("text/csv;q=0.1, application/json", "application/json"),
        ("application/json;q=0, text/csv", "text/csv"),
        ("application/json;q=0", None),
        ("application/xml", None),
    ],
)
def test_accept_quality_values_choose_the_answer(accept, media):
    assert payload.answer_type(accept) == media


def test_missing_values_are_scored(endpoint):
    instance = json.loads(endpoint["features"].head(1).to_json(orient="records"))[0]
    instance[_numeric(endpoint).name] = None
    status, answer = _error(endpoint, json.dumps({"instances": [instance]}).encode(), "application/json")
    assert status == 200 and len(answer["predictions"]) == 1
    row = _csv(endpoint["features"].head(1)).decode().split(",")
    row[0] = ""
    assert _invoke(endpoint, ",".join(row).encode())[0] == 200


def test_openapi_describes_the_features(endpoint):
    status, _, body = call(endpoint["port"], "GET", "/openapi.json")
    doc = json.loads(body)
    instance = doc["paths"]["/invocations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    properties = instance["properties"]["instances"]["items"]["properties"]
    assert status == 200 and doc["openapi"].startswith("3.1") and list(properties) == endpoint["schema"].feature_names
    assert {"400", "413", "415"} <= set(doc["paths"]["/invocations"]["post"]["responses"])


# --- client mistakes: always a 4xx naming the problem, never a 5xx ------------------------------------------


def test_wrong_column_count(endpoint):
    status, answer = _error(endpoint, ",".join(["1"] * (len(endpoint["schema"].features) - 1)).encode())
    assert (
        status == 400 and "CSV row 1 has" in answer["error"] and endpoint["schema"].feature_names[0] in answer["error"]
    )


def test_non_numeric_value_names_instance_and_field(endpoint):
    features = endpoint["features"].head(2).astype(object)
    name = _numeric(endpoint).name
    features.loc[features.index[1], name] = "abc"
    status, answer = _error(endpoint, _csv(features))
    assert status == 400 and answer["field"] == name
    assert f"instance 2: column {name!r} must hold numbers" in answer["error"]


def test_json_missing_unknown_and_wrongly_typed_fields(endpoint):
    instance = json.loads(endpoint["features"].head(1).to_json(orient="records"))[0]
    first = endpoint["schema"].feature_names[0]
    without = {k: v for k, v in instance.items() if k != first}
    status, answer = _error(endpoint, json.dumps({"instances": [without]}).encode(), "application/json")
    assert status == 400 and answer["field"] == first and f"missing field {first!r}" in answer["error"]
    status, answer = _error(endpoint, json.dumps({"instances": [{**instance, "zip": 1}]}).encode(), "application/json")
    assert status == 400 and "unknown field 'zip'" in answer["error"]
    name = _numeric(endpoint).name
    status, answer = _error(endpoint, json.dumps({"instances": [{**instance, name: "7"}]}).encode(), "application/json")
    assert status == 400 and answer["field"] == name and "must hold numbers" in answer["error"]


def test_every_csv_row_gets_a_prediction_even_an_empty_one(endpoint):
    rows = _csv(endpoint["features"].head(2)).decode().splitlines()
    empty = "," * (len(endpoint["schema"].features) - 1)
    status, _, answer = _invoke(endpoint, "\r\n".join([rows[0], empty, rows[1]]).encode())
    assert status == 200 and len(json.loads(answer)["predictions"]) == 3
    assert _error(endpoint, "\n".join([rows[0], " , "]).encode())[0] == 400  # a short row is not skipped


@pytest.mark.parametrize(
    ("body", "fragment"),
    [('"' + "1" * 200_000 + '"', "not valid CSV"), ('"1\n2"', "line break"), ("1\x0b2", "has 1 values")],
)
def test_csv_that_is_not_one_row_per_line_is_refused(endpoint, body, fragment):
    width = len(endpoint["schema"].features)
    status, answer = _error(endpoint, (body + ",1" * (width - 1 if "values" not in fragment else 0)).encode())
    assert status == 400 and fragment in answer["error"]


def test_large_csv_bodies_parse_as_row_by_row_bodies_do(endpoint):
    """Bodies over payload._LOADTXT_FROM take NumPy's reader; the result is the same matrix, gaps included."""
    parser = endpoint["app"].slot.current.parser
    lines = _csv(endpoint["features"].head(60)).decode().splitlines()
    lines[3] = ",".join(["", *lines[3].split(",")[1:]])  # a missing value: the reader refuses, the long way scores
    body = "\n".join(lines).encode()
    assert len(body) > payload._LOADTXT_FROM
    one_by_one = np.vstack([parser.parse(line.encode(), "text/csv") for line in lines])
    np.testing.assert_array_equal(parser.parse(body, "text/csv"), one_by_one)
    del lines[3]
    np.testing.assert_array_equal(parser.parse("\n".join(lines).encode(), "text/csv"), np.delete(one_by_one, 3, 0))


def test_out_of_range_and_header_rows_are_refused(endpoint):
    instance = json.loads(endpoint["features"].head(1).to_json(orient="records"))[0]
    feature = _numeric(endpoint)
    instance[feature.name] = feature.max * 100 + 1
    status, answer = _error(endpoint, json.dumps({"instances": [instance]}).encode(), "application/json")
    assert status == 400 and answer["field"] == feature.name and "allowed range" in answer["error"]
    status, answer = _error(endpoint, endpoint["features"].head(1).to_csv(index=False).encode())
    assert status == 400 and "header" in answer["error"]


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        (b"", "text/csv", "no rows"),
        (b"\n\n", "text/csv", "no rows"),
        (b"{not json", "application/json", "not valid JSON"),
        (b'{"rows": []}', "application/json", '"instances"'),
        (b'{"instances": []}', "application/json", "no rows"),
        (b"\xff\xfe1,2", "text/csv", "not UTF-8"),
        (b'{"instances": [{"a": "\xff"}]}', "application/json", "not valid JSON"),
    ],
)
def test_malformed_bodies(endpoint, body, content_type, fragment):
    status, answer = _error(endpoint, body, content_type)
    assert status == 400 and fragment in answer["error"]


def test_content_type_accept_method_and_path(endpoint):
    assert _error(endpoint, b"x", "text/plain")[0] == 415
    assert "text/csv or application/json" in _error(endpoint, b"x", "")[1]["error"]
    assert _invoke(endpoint, _csv(endpoint["features"].head(1)), Accept="application/xml")[0] == 406
    for method in ("PUT", "DELETE", "GET"):
        status, headers, answer = call(endpoint["port"], method, "/invocations", b"1" if method == "PUT" else None)
        assert status == 405 and headers["allow"] == "POST" and "use POST" in json.loads(answer)["error"]
    assert call(endpoint["port"], "POST", "/predict", b"1", {"Content-Type": "text/csv"})[0] == 404


def test_a_7_mb_body_gets_413(endpoint):
    body = _csv(endpoint["features"]) * (7 * 1024 * 1024 // len(_csv(endpoint["features"])) + 1)
    assert len(body) > MAX_PAYLOAD
    status, answer = _error(endpoint, body)
    assert status == 413 and "payload over" in answer["error"]


# --- careless clients on a raw socket ------------------------------------------------------------------------


def _request(length: str, body: bytes = b"1") -> bytes:
    return (
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: "
        + length.encode()
        + b"\r\n\r\n"
        + body
    )


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "", "5, 6"])
def test_bad_content_length_gets_a_json_400(endpoint, length):
    started = time.monotonic()
    reply = raw(endpoint["port"], _request(length), wait=5)
    assert _status(reply) == 400 and "malformed HTTP request" in json.loads(reply.partition(b"\r\n\r\n")[2])["error"]
    assert time.monotonic() - started < 5


def test_an_oversized_request_head_gets_431(endpoint):
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (protocol.MAX_HEAD + 1) + b"\r\n\r\n"
    reply = raw(endpoint["port"], head, wait=5)
    assert _status(reply) == 431 and b"exceed" in reply


def test_a_stalled_request_head_gets_408(endpoint, monkeypatch):
    monkeypatch.setattr(protocol, "HEAD_TIMEOUT", 0.3)
    started = time.monotonic()
    reply = raw(endpoint["port"], b"POST /invocations HTTP/1.1\r\nHost: x\r\n", wait=5)
    assert _status(reply) == 408 and time.monotonic() - started < 3


def test_a_body_shorter_than_announced_gets_408_not_a_hang(endpoint):
    started = time.monotonic()
    reply = raw(endpoint["port"], _request("100", b"1,2"), wait=10)
    assert _status(reply) == 408 and b"did not arrive" in reply
    assert time.monotonic() - started < 5


def test_a_chunked_body_is_scored(endpoint):
    rows = _csv(endpoint["features"].head(3))
    half = len(rows) // 2
    chunks = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (rows[:half], rows[half:]))
    request = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
    reply = raw(endpoint["port"], request + chunks + b"0\r\n\r\n")
    assert _status(reply) == 200 and len(json.loads(reply.partition(b"\r\n\r\n")[2])["predictions"]) == 3


# --- fuzzing: whatever the body, no 5xx ----------------------------------------------------------------------

_cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.text(max_size=8),
    st.sampled_from(["", "1", "2", "nan", " 3 ", '"1"', "1e309", "-0"]),
)
_values = st.one_of(
    st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False), st.integers(-(10**30), 10**30),
    st.text(max_size=8), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_payloads_never_get_a_5xx(endpoint, data):
    names = endpoint["schema"].feature_names
    kind = data.draw(st.sampled_from(["bytes", "csv", "json"]))
    if kind == "bytes":
        body, content_type = (
            data.draw(st.binary(max_size=300)),
            data.draw(st.sampled_from(["text/csv", "application/json"])),
        )
    elif kind == "csv":
        width = data.draw(st.sampled_from([len(names), len(names) - 1, len(names) + 1]))
        rows = data.draw(st.lists(st.lists(_cells, min_size=width, max_size=width), max_size=4))
        body, content_type = "\n".join(",".join(row) for row in rows).encode("utf-8", "surrogatepass"), "text/csv"
    else:
        keys = st.sampled_from([*names, "zip"])
        instances = data.draw(st.lists(st.dictionaries(keys, _values, max_size=len(names) + 1), max_size=3))
        body, content_type = json.dumps({"instances": instances}).encode(), "application/json"
    status, _, answer = _invoke(endpoint, body, content_type)
    assert status in (200, 400), answer
    if status == 400:
        assert json.loads(answer)["error"]


def _emulator_env(mp: pytest.MonkeyPatch, aws) -> None:
    """What a server process needs to reach the emulator with plain boto3 defaults."""
    mp.setenv("AWS_ENDPOINT_URL", aws.endpoint_url)
    mp.setenv("AWS_ACCESS_KEY_ID", emulator.EMULATOR_CREDENTIALS["aws_access_key_id"])
    mp.setenv("AWS_SECRET_ACCESS_KEY", emulator.EMULATOR_CREDENTIALS["aws_secret_access_key"])
    mp.setenv("AWS_DEFAULT_REGION", "eu-west-1")


# --- data capture ------------------------------------------------------------------------------------------------


def test_capture_records_requests_in_sagemaker_format(endpoint):
    body = _csv(endpoint["features"].head(2))
    status, headers, answer = _invoke(endpoint, body, **{"X-Inference-Id": f"cap-{endpoint['problem_type']}"})
    assert status == 200
    endpoint["app"].capture.flush()
    files = sorted(endpoint["captures"].glob("ep/AllTraffic/*/*/*/*/*.jsonl"))
    records = [json.loads(line) for path in files for line in path.read_text().splitlines()]
    mine = [r for r in records if r["eventMetadata"]["inferenceId"] == headers["x-inference-id"]]
    assert len(mine) == 1
    record = mine[0]
    assert record["eventVersion"] == "0" and len(record["eventMetadata"]["eventId"]) == 36
    assert record["eventMetadata"]["inferenceTime"].endswith("Z")
    assert record["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": body.decode(),
        "encoding": "CSV",
    }
    assert record["captureData"]["endpointOutput"]["data"] == answer.decode()
    assert record["captureData"]["endpointOutput"]["encoding"] == "JSON"
    refused = [r for r in records if r["captureData"]["endpointInput"]["data"] == "x"]
    assert not refused  # requests answered 4xx are not captured


def test_capture_samples_and_writes_to_s3(tmp_path: Path):
    with emulator.emulator("eu-west-1") as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="cap", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        with pytest.MonkeyPatch.context() as mp:
            _emulator_env(mp, aws)
            capture = capture_mod.Capture("s3://cap/data-capture", 30.0, "ep", "AllTraffic")
            try:
                for i in range(2000):
                    if capture.sampled():
                        capture.record(str(i), str(i), "text/csv", b"1,2", "text/csv", b"0.5\n")
            finally:
                capture.close()
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="cap")["Contents"]]
        lines = b"".join(s3.get_object(Bucket="cap", Key=k)["Body"].read() for k in keys).splitlines()
    assert all(k.startswith("data-capture/ep/AllTraffic/") and k.endswith(".jsonl") for k in keys)
    assert 480 <= len(lines) <= 720 and capture.written == len(lines)  # 30 % of 2000 = 600, +-6 standard deviations


def test_capture_encodes_binary_payloads_in_base64():
    record = json.loads(capture_mod.line(("e", "i", 0.0, "text/csv", b"\xff", "application/json", b"{}")))
    assert record["captureData"]["endpointInput"]["encoding"] == "BASE64"
    assert record["eventMetadata"]["inferenceTime"] == "1970-01-01T00:00:00.000Z"


# --- configuration and versions from S3 ---------------------------------------------------------------------------


def test_workers_default_to_the_core_count_and_bad_settings_name_the_variable(monkeypatch):
    import os

    assert ServerConfig.from_env({}).workers == len(os.sched_getaffinity(0))
    assert ServerConfig.from_env({"SAGEMAKER_MODEL_SERVER_WORKERS": "3"}).workers == 3
    assert ServerConfig.from_env({"SAGEMAKER_BIND_TO_PORT": "9000"}).port == 9000
    with pytest.raises(UsageError, match="SAGEMAKER_MODEL_SERVER_WORKERS='two'"):
        ServerConfig.from_env({"SAGEMAKER_MODEL_SERVER_WORKERS": "two"})
    with pytest.raises(UsageError, match="SERVE_CAPTURE_PERCENT='150' is outside"):
        ServerConfig.from_env({"SERVE_CAPTURE_PERCENT": "150"})


def test_ping_answers_503_with_the_reason_when_no_model_loads(tmp_path: Path):
    with running(ServerConfig(model_dir=tmp_path)) as (_, port):
        status, _, body = call(port, "GET", "/ping")
        assert status == 503 and "cannot load model version 'initial'" in json.loads(body)["status"]
        assert _invoke({"port": port}, b"1")[0] == 503


def test_a_version_is_fetched_from_an_s3_prefix(trained, tmp_path: Path):
    import tarfile

    model_dir = trained["binary_classification"]["model_dir"]
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in model_dir.iterdir():
            tar.add(path, arcname=path.name)
    with emulator.emulator("eu-west-1") as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="art", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.upload_file(str(archive), "art", "models/3/output/model.tar.gz")
        with pytest.MonkeyPatch.context() as mp:
            _emulator_env(mp, aws)
            folder = fetch("s3://art/models/3/", "v3", tmp_path / "cache")
            assert fetch("s3://art/models/3/", "v3", tmp_path / "cache") == folder  # downloaded once
            with pytest.raises(ValueError, match="nothing under"):
                fetch("s3://art/none/", "v4", tmp_path / "cache")
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in model_dir.iterdir())
    assert not list((tmp_path / "cache").glob(".download-*"))  # nothing half-written left behind
    np.testing.assert_array_equal((folder / "model.joblib").read_bytes(), (model_dir / "model.joblib").read_bytes())
