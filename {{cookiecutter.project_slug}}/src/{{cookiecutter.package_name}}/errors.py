"""The one root of this package's expected errors.

Every problem a person can fix (a bad setting, a missing file, a refused AWS call, a failed step) is an
``MlopsError`` with a message that names what is wrong and how to fix it. The CLI turns each into one
line on stderr and its ``exit_code`` in one place (``cli.main``); nothing else prints tracebacks for them.
"""

from __future__ import annotations


class MlopsError(Exception):
    """An expected failure, explained in its message."""

    exit_code = 1


class UsageError(MlopsError):
    """Bad input from the person: settings, arguments, files they named. Exit code 2, like click's."""

    exit_code = 2
