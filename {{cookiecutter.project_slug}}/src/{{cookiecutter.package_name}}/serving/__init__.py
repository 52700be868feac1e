"""Serving: the SageMaker inference contract on uvicorn, with hot swap and data capture.

config.py    every setting the server reads from its environment, in one place
payload.py   request bodies (CSV rows, JSON instances) -> a checked float matrix, or a 4xx naming the field
model.py     a model version loaded from a folder or S3 prefix, and the slot that swaps versions atomically
capture.py   SageMaker data-capture JSONL, sampled, written to a folder or S3 prefix off the request path
openapi.py   the OpenAPI description of this model's endpoint, from its schema
app.py       the ASGI application (/ping, /invocations, /openapi.json)
control.py   the local server's lifecycle: start, hot swap, status, stop (what `deploy --local` drives)
"""
