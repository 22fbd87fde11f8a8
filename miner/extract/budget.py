"""The per-file time budget: one pathological file cannot stall a run.

`time_budget` bounds the extraction of one file. In a process's main thread
(the workers, and the command itself) a SIGALRM timer interrupts Python code
wherever it is, regular-expression matching included; tree-sitter is parsed
through a callback that checks the `deadline()`, so a parse is cancelled too, in
any thread. Past the budget, the file's facts say so and the run goes on.
"""
from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator

FILE_SECONDS = 30.0

_local = threading.local()  # a Dask worker runs tasks in threads


class BudgetExceeded(Exception):
    """Raised inside an extraction that ran past its budget."""


def deadline() -> float:
    """The current budget's end, on the `time.monotonic` clock (inf without one)."""
    return getattr(_local, "deadline", float("inf"))


def expired() -> bool:
    return time.monotonic() > deadline()


@contextmanager
def time_budget(seconds: float | None = None) -> Iterator[None]:
    """Bounds the body to `seconds` (default FILE_SECONDS)."""
    seconds = FILE_SECONDS if seconds is None else seconds
    outer = getattr(_local, "deadline", float("inf"))
    _local.deadline = deadline = min(outer, time.monotonic() + seconds)
    timer = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if timer:
        previous = signal.signal(signal.SIGALRM, _expire)
        signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 1e-3))
    try:
        yield
    finally:
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer != float("inf"):  # an enclosing budget keeps its timer
                signal.setitimer(signal.ITIMER_REAL, max(outer - time.monotonic(), 1e-3))
        _local.deadline = outer


def _expire(signum: int, frame: object) -> None:
    raise BudgetExceeded("over the time budget")
