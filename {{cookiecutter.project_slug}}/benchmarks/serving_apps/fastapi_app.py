"""The comparison for benchmarks/serving.py: FastAPI as it is usually written for a scikit-learn model.

The CSV body becomes a pandas DataFrame with the model's column names, then ``predict_proba`` (``predict``
for a regressor); FastAPI encodes the returned dict. Run by uvicorn with 2 workers and OMP_NUM_THREADS=1.
The model folder is SM_MODEL_DIR, as for the project server.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import joblib
import pandas as pd
from fastapi import FastAPI, Request

bundle = joblib.load(Path(os.environ["SM_MODEL_DIR"]) / "model.joblib")
estimator, features = bundle["estimator"], bundle["features"]
classifier = bundle["problem_type"] == "binary_classification"

app = FastAPI()


@app.get("/ping")
async def ping() -> dict:
    return {"status": "ok"}


@app.post("/invocations")
async def invocations(request: Request) -> dict:
    frame = pd.read_csv(io.BytesIO(await request.body()), header=None, names=features)
    scores = estimator.predict_proba(frame)[:, 1] if classifier else estimator.predict(frame)
    return {"predictions": scores.tolist()}
