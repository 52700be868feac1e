"""The comparison for benchmarks/serving.py: the SageMaker scikit-learn container's stack, Flask under gunicorn
with gevent workers (one per core).

The CSV body becomes a pandas DataFrame with the model's column names, then ``predict_proba`` (``predict``
for a regressor), answered as JSON. The model folder is SM_MODEL_DIR, as for the project server.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import flask
import joblib
import pandas as pd

bundle = joblib.load(Path(os.environ["SM_MODEL_DIR"]) / "model.joblib")
estimator, features = bundle["estimator"], bundle["features"]
classifier = bundle["problem_type"] == "binary_classification"

app = flask.Flask(__name__)


@app.get("/ping")
def ping() -> flask.Response:
    return flask.jsonify(status="ok")


@app.post("/invocations")
def invocations() -> flask.Response:
    frame = pd.read_csv(io.BytesIO(flask.request.get_data()), header=None, names=features)
    scores = estimator.predict_proba(frame)[:, 1] if classifier else estimator.predict(frame)
    return flask.jsonify(predictions=scores.tolist())
