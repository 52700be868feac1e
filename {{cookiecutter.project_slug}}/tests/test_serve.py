"""Serve: the SageMaker inference contract (/ping, /invocations) over the standard library's HTTP server."""

import json
import threading
import urllib.error
import urllib.request

import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import serve
from {{ cookiecutter.package_name }}.data import schema as schema_mod


def _start(model_dir):
    server, model = serve.make_server(model_dir, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, model


@pytest.fixture(scope="module", params=["binary_classification", "regression"])
def endpoint(request, trained):
    run = trained[request.param]
    server, model = _start(run["model_dir"])
    assert model.ready.wait(30), model.error
    url = f"http://127.0.0.1:{server.server_address[1]}"
    test = pd.read_csv(run["test_csv"])
    schema = schema_mod.load(run["model_dir"] / "schema.json")
    yield {"url": url, "problem_type": request.param, "test": test, "schema": schema}
    server.shutdown()
    server.server_close()


def _call(url, path, body=None, content_type=None):
    request = urllib.request.Request(url + path, data=body, method="POST" if body is not None else "GET")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_ping(endpoint):
    assert _call(endpoint["url"], "/ping") == (200, {"status": "ok"})


def test_csv_rows_in_schema_order(endpoint):
    features = endpoint["test"][endpoint["schema"].feature_names].head(5)
    status, answer = _call(
        endpoint["url"], "/invocations", features.to_csv(header=False, index=False).encode(), "text/csv"
    )
    assert status == 200
    predictions = answer["predictions"]
    assert len(predictions) == 5
    if endpoint["problem_type"] == "binary_classification":
        assert all(0.0 <= p <= 1.0 for p in predictions)
    else:
        assert all(0 < p < 400 for p in predictions)


def test_json_instances_match_csv(endpoint):
    features = endpoint["test"][endpoint["schema"].feature_names].head(3)
    instances = json.loads(features.to_json(orient="records"))
    status, from_json = _call(
        endpoint["url"],
        "/invocations",
        json.dumps({"instances": instances}).encode(),
        "application/json; charset=utf-8",
    )
    assert status == 200
    _, from_csv = _call(
        endpoint["url"], "/invocations", features.to_csv(header=False, index=False).encode(), "text/csv"
    )
    assert from_json["predictions"] == pytest.approx(from_csv["predictions"])


def test_missing_value_is_scored(endpoint):
    instance = endpoint["test"][endpoint["schema"].feature_names].head(1).to_dict(orient="records")[0]
    name = next(f.name for f in endpoint["schema"].features if f.dtype != "category")
    instance[name] = None
    status, answer = _call(
        endpoint["url"], "/invocations", json.dumps({"instances": [instance]}).encode(), "application/json"
    )
    assert status == 200 and len(answer["predictions"]) == 1


def test_csv_with_a_value_missing_from_the_row(endpoint):
    row = ",".join(["1"] * (len(endpoint["schema"].features) - 1))
    status, answer = _call(endpoint["url"], "/invocations", row.encode(), "text/csv")
    assert status == 400
    assert "CSV row 1 has" in answer["error"] and endpoint["schema"].feature_names[0] in answer["error"]


def test_non_numeric_value_names_the_field(endpoint):
    features = endpoint["test"][endpoint["schema"].feature_names].head(2).astype(object)
    name = next(f.name for f in endpoint["schema"].features if f.dtype != "category")
    features.loc[features.index[1], name] = "abc"
    status, answer = _call(
        endpoint["url"], "/invocations", features.to_csv(header=False, index=False).encode(), "text/csv"
    )
    assert status == 400
    assert f"column {name!r} must hold numbers" in answer["error"]
    assert "instance 2" in answer["error"]


def test_json_missing_and_unknown_fields(endpoint):
    instance = endpoint["test"][endpoint["schema"].feature_names].head(1).to_dict(orient="records")[0]
    first = endpoint["schema"].feature_names[0]
    without = {k: v for k, v in instance.items() if k != first}
    status, answer = _call(
        endpoint["url"], "/invocations", json.dumps({"instances": [without]}).encode(), "application/json"
    )
    assert status == 400 and f"missing field {first!r}" in answer["error"]
    status, answer = _call(
        endpoint["url"],
        "/invocations",
        json.dumps({"instances": [{**instance, "zip": 1}]}).encode(),
        "application/json",
    )
    assert status == 400 and "unknown field 'zip'" in answer["error"]


def test_out_of_range_is_refused(endpoint):
    instance = endpoint["test"][endpoint["schema"].feature_names].head(1).to_dict(orient="records")[0]
    feature = next(f for f in endpoint["schema"].features if f.dtype != "category")
    instance[feature.name] = feature.max * 100 + 1
    status, answer = _call(
        endpoint["url"], "/invocations", json.dumps({"instances": [instance]}).encode(), "application/json"
    )
    assert status == 400 and f"column {feature.name!r}" in answer["error"] and "allowed range" in answer["error"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [(b"{not json", "not valid JSON"), (b'{"rows": []}', '"instances"'), (b'{"instances": []}', "no rows")],
)
def test_malformed_json(endpoint, body, fragment):
    status, answer = _call(endpoint["url"], "/invocations", body, "application/json")
    assert status == 400 and fragment in answer["error"]


def test_other_content_types_get_415(endpoint):
    status, answer = _call(endpoint["url"], "/invocations", b"x", "text/plain")
    assert status == 415 and "text/csv or application/json" in answer["error"]


def test_unknown_path_gets_404(endpoint):
    assert _call(endpoint["url"], "/predict", b"1", "text/csv")[0] == 404
    assert _call(endpoint["url"], "/health")[0] == 404


def test_ping_fails_without_a_model(tmp_path):
    server, model = _start(tmp_path)
    try:
        assert model.attempted.wait(30)
        assert not model.ready.is_set()
        status, answer = _call(f"http://127.0.0.1:{server.server_address[1]}", "/ping")
        assert status == 503 and "cannot load the model" in answer["status"]
    finally:
        server.shutdown()
        server.server_close()
