"""The OpenAPI 3.1 description of the endpoint, built from the model's schema.json (served at /openapi.json)."""

from __future__ import annotations

from typing import Any

from ..data import schema as schema_mod
from .config import MAX_PAYLOAD


def _feature(feature: schema_mod.Feature) -> dict[str, Any]:
    if feature.dtype == "category":
        return {"type": ["string", "null"], "enum": [*feature.categories, None]}
    kind = "integer" if feature.dtype == "int" else "number"
    return {"type": [kind, "null"], "minimum": feature.min, "maximum": feature.max}


def _error(description: str) -> dict[str, Any]:
    body = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "field": {"type": "string", "description": "the feature at fault"}},
    }
    return {"description": description, "content": {"application/json": {"schema": body}}}


def document(schema: schema_mod.Schema, version: str) -> dict[str, Any]:
    names = schema.feature_names
    instance = {
        "type": "object",
        "additionalProperties": False,
        "required": list(names),
        "properties": {f.name: _feature(f) for f in schema.features},
    }
    answer = {
        "type": "object",
        "properties": {
            "predictions": {"type": "array", "items": {"type": "number"}},
            "inference_id": {"type": "string", "description": "also in the X-Inference-Id header and the capture"},
        },
    }
    csv_rows = f"One row per line, no header, values in this order: {', '.join(names)}. Empty = missing."
    return {
        "openapi": "3.1.0",
        "info": {"title": "Model endpoint (SageMaker inference contract)", "version": version},
        "paths": {
            "/ping": {
                "get": {
                    "summary": "200 while a model is loaded",
                    "responses": {"200": {"description": "ready"}, "503": {"description": "no model loaded"}},
                }
            },
            "/invocations": {
                "post": {
                    "summary": f"Score rows (at most {MAX_PAYLOAD} bytes)",
                    "parameters": [
                        {
                            "name": "X-Inference-Id",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 64},
                            "description": "your id for the request (to join delayed labels); made if absent",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "text/csv": {"schema": {"type": "string", "description": csv_rows}},
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["instances"],
                                    "properties": {"instances": {"type": "array", "minItems": 1, "items": instance}},
                                }
                            },
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "one prediction per row (probability of the positive class, or the value)",
                            "content": {
                                "application/json": {"schema": answer},
                                "text/csv": {"schema": {"type": "string", "description": "one prediction per line"}},
                            },
                        },
                        "400": _error("the payload breaks the schema; the message names the instance and field"),
                        "406": _error("Accept names neither application/json nor text/csv"),
                        "405": _error("another method than POST"),
                        "408": _error("the request head or body did not arrive in time"),
                        "413": _error(f"payload over {MAX_PAYLOAD} bytes"),
                        "415": _error("Content-Type is neither text/csv nor application/json"),
                        "431": _error("request line and headers over 16 KB"),
                        "503": _error("no model loaded yet"),
                    },
                }
            },
            "/openapi.json": {"get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI"}}}},
        },
    }
