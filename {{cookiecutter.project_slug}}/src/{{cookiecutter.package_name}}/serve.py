"""Serve (the image's ``serve`` program): the SageMaker inference contract on uvicorn.

SageMaker starts the container with ``serve``, unpacks the model into /opt/ml/model and talks to port
8080 (``SAGEMAKER_BIND_TO_PORT``). One worker process per core (``SAGEMAKER_MODEL_SERVER_WORKERS``
overrides), each single-threaded with its own copy of the model; uvicorn with its C HTTP parser
(httptools) and event loop (uvloop). On SIGTERM uvicorn stops accepting, lets in-flight requests finish
for up to ``GRACEFUL_STOP`` seconds (SageMaker kills at 30 s) and flushes the data capture. The routes,
payloads and errors are in ``serving/app.py``; the settings in ``serving/config.py``.
"""

from __future__ import annotations

import logging
import os
import sys

from .errors import MlopsError
from .serving.config import GRACEFUL_STOP, ServerConfig
from .serving.protocol import Protocol


def main() -> int:
    import uvicorn

    try:
        config = ServerConfig.from_env()
    except MlopsError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    # Read by the OpenMP runtime when a worker loads the model, before any pool exists.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    print(f"serving {config.model_dir} on {config.host}:{config.port} with {config.workers} worker(s)", file=sys.stderr)
    uvicorn.run(
        f"{__package__}.serving.app:create",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers,
        http=Protocol,  # httptools with limits on the request head and JSON parse errors
        loop="uvloop",
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=int(GRACEFUL_STOP),
        timeout_keep_alive=60,  # longer than SageMaker's client keep-alive, so it never reuses a closed socket
        limit_concurrency=1000,  # per worker: beyond it uvicorn answers 503 instead of queueing without bound
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
