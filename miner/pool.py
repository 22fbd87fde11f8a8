"""The worker pool: the one parallel seam.

Tasks run in order on joblib's worker processes. A worker that dies (out of
memory, a signal) or a task that raises costs only that task: what is left
goes on in waves of one task per worker, so that the failure is pinned down,
and a task that did not finish in its wave is tried once more alone. Each
task gives its result, or the error of its second failure: a value, never a
crash of the run.

A task runs with the cyclic garbage collector paused (`gc_paused`): a task
builds hundreds of thousands of small records that hold no cycles, and every
collection triggered meanwhile would walk them all again.
"""
from __future__ import annotations

import functools
import gc
from typing import Any, Callable, TypeVar

from joblib import Parallel


def run_tasks(tasks: list, *, jobs: int, on_result: Callable[[Any], None] | None = None
              ) -> list[tuple[Any, str | None]]:
    """(result, None) or (None, error) for each of joblib's delayed `tasks`, in order."""
    finished, _ = _in_order(tasks, jobs, on_result)
    outcomes: list[tuple[Any, str | None]] = [(r, None) for r in finished]
    while len(outcomes) < len(tasks):
        wave = tasks[len(outcomes):len(outcomes) + jobs]
        finished, _ = _in_order(wave, jobs, on_result)
        outcomes += [(r, None) for r in finished]
        for task in wave[len(finished):]:
            alone, failure = _in_order([task], jobs, on_result)
            outcomes.append((alone[0], None) if alone else (None, failure))
    return outcomes


def _in_order(tasks: list, jobs: int, on_result: Callable[[Any], None] | None) -> tuple[list, str | None]:
    """The results of the tasks that finished, in order, up to the first
    failure, and that failure (None when all finished)."""
    results: list = []
    try:
        with Parallel(n_jobs=jobs, batch_size=1, return_as="generator") as parallel:
            for result in parallel(tasks):
                results.append(result)
                if on_result:
                    on_result(result)
    except Exception as exc:  # noqa: BLE001 - joblib re-raises whatever killed the worker
        return results, f"{type(exc).__name__}: {exc}"
    return results, None


F = TypeVar("F", bound=Callable[..., Any])


def gc_paused(fn: F) -> F:
    """`fn` runs with the cyclic collector off (as it was before, after it);
    the collector picks up any cycles it left once it is back on."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        was_on = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_on:
                gc.enable()
    return run  # type: ignore[return-value]
