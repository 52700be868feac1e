"""One line per step on stderr: what runs, how long it took, how it ended. No dependency."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}

    def _line(self, text: str) -> None:
        if not self.quiet:
            with self._lock:
                print(text, file=self.stream, flush=True)

    def start(self, step: str, kind: str) -> None:
        self._started[step] = time.perf_counter()
        self._line(f"▶ {step} ({kind})")

    def elapsed(self, step: str) -> float:
        return time.perf_counter() - self._started.get(step, time.perf_counter())

    def done(self, step: str, detail: str = "") -> None:
        self._line(f"✔ {step} {self.elapsed(step):.1f} s{'  ' + detail if detail else ''}")

    def failed(self, step: str, reason: str) -> None:
        self._line(f"✘ {step} {self.elapsed(step):.1f} s  {reason}")

    def skipped(self, step: str, reason: str) -> None:
        self._line(f"- {step} skipped  {reason}")

    def note(self, text: str) -> None:
        self._line(f"  · {text}")
