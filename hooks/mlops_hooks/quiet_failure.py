"""A Jinja extension, loaded by cookiecutter in its own process, that keeps a refused answer to its own lines.

When the pre-generation hook refuses an answer, it prints one line per bad field and a fix, then exits 1.
cookiecutter then logs "Stopping generation because ..." with its own internal traceback (9 lines that
say nothing about the answer). Cookiecutter and cruft load a template's ``_extensions`` in-process, so
this extension adds a logging filter that drops that one record when a hook failed; every other log
record, and any traceback a hook script itself prints, is left alone.
"""

from __future__ import annotations

import logging

from jinja2.ext import Extension

LOGGER = "cookiecutter.hooks"


class _DropHookFailureRecord(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from cookiecutter.exceptions import FailedHookException

        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, FailedHookException)


class QuietHookFailure(Extension):
    """Installs the filter once per process; adds nothing to the template language."""

    def __init__(self, environment) -> None:
        super().__init__(environment)
        logger = logging.getLogger(LOGGER)
        if not any(isinstance(f, _DropHookFailureRecord) for f in logger.filters):
            logger.addFilter(_DropHookFailureRecord())
