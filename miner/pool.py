"""The worker pool: the one parallel seam.

Tasks run in order on joblib's worker processes. A worker that dies (out of
memory, a signal) or a task that raises costs only that task: what is left
goes on in waves of one task per worker, so that the failure is pinned down,
and a task that did not finish in its wave is tried once more alone. Each
task gives its result, or the error of its second failure: a value, never a
crash of the run.

Workers are bound to the process that runs the pool (`_Bound`): they leave
Ctrl-C to it (it ends the run and its workers; they start with SIGINT
blocked, `interrupts_routed`), and a worker whose
coordinator is gone (`kill -9`) ends itself and the processes it started (a
clone, a git reader) within a second or two, whatever task it was running.

A task runs with the cyclic garbage collector paused (`gc_paused`): a task
builds hundreds of thousands of small records that hold no cycles, and every
collection triggered meanwhile would walk them all again.
"""
from __future__ import annotations

import _thread
import functools
import gc
import os
import signal
import threading
import time
from contextlib import ExitStack, contextmanager
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from joblib import Parallel


OnResult = Callable[[int, Any], None]  # (index of the task, its result), once per task that finished


def run_tasks(tasks: list, *, jobs: int, on_result: OnResult | None = None) -> list[tuple[Any, str | None]]:
    """(result, None) or (None, error) for each of joblib's delayed `tasks`, in
    order; `on_result` hears of each result as it comes (to keep it at once)."""
    coordinator = os.getpid()
    tasks = [(_Bound(fn, coordinator), args, kwargs) for fn, args, kwargs in tasks]
    finished, _ = _in_order(tasks, jobs, on_result, 0)
    outcomes: list[tuple[Any, str | None]] = [(r, None) for r in finished]
    while len(outcomes) < len(tasks):
        wave = tasks[len(outcomes):len(outcomes) + jobs]
        finished, _ = _in_order(wave, jobs, on_result, len(outcomes))
        outcomes += [(r, None) for r in finished]
        for task in wave[len(finished):]:
            alone, failure = _in_order([task], jobs, on_result, len(outcomes))
            outcomes.append((alone[0], None) if alone else (None, failure))
    return outcomes


def _in_order(tasks: list, jobs: int, on_result: OnResult | None, first: int) -> tuple[list, str | None]:
    """The results of the tasks that finished, in order, up to the first
    failure, and that failure (None when all finished); `first` is the index
    of `tasks[0]` among all the tasks."""
    results: list = []
    try:
        with ExitStack() as stack:
            # Every worker starts with SIGINT blocked, whichever thread of joblib starts it and
            # however late: Ctrl-C is the coordinator's alone (with one job, joblib runs the
            # tasks here: nothing to route).
            if jobs > 1:
                stack.enter_context(interrupts_routed())
            parallel = stack.enter_context(Parallel(n_jobs=jobs, batch_size=1, return_as="generator"))
            for result in parallel(tasks):
                results.append(result)
                if on_result:
                    on_result(first + len(results) - 1, result)
    except Exception as exc:  # noqa: BLE001 - joblib re-raises whatever killed the worker
        return results, f"{type(exc).__name__}: {exc}"
    return results, None


class _Bound:
    """A task bound to its coordinator: in a worker process (not when joblib
    runs it in the coordinator itself), the first one binds the worker."""

    def __init__(self, fn: Callable[..., Any], coordinator: int):
        self.fn, self.coordinator = fn, coordinator

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if os.getpid() != self.coordinator:
            _bind_worker(self.coordinator)
        return self.fn(*args, **kwargs)


PARENT_POLL = 0.5  # seconds between two looks at whether the coordinator is alive
_bound_to: list[int] = []  # the coordinator this worker process is bound to, once bound


def _bind_worker(coordinator: int) -> None:
    """Ignore SIGINT (Ctrl-C reaches the whole process group; the coordinator
    alone decides), and watch the coordinator from a daemon thread."""
    if _bound_to:
        return
    _bound_to.append(coordinator)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(coordinator,), name="ptm-miner-parent-watch", daemon=True).start()


def _exit_with(coordinator: int) -> None:
    """Once this process's parent is no longer the coordinator (it died and
    the process was adopted), end every process this one started, then it."""
    while os.getppid() == coordinator:
        time.sleep(PARENT_POLL)
    for pid in _descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(1)


def _descendants(pid: int) -> list[int]:
    """The processes below `pid` (Linux /proc; none found elsewhere), parents first."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                kids = [int(c) for c in children.read_text().split()]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return found


@contextmanager
def interrupts_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (main thread only); a
    process started meanwhile keeps them blocked for its life."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


@contextmanager
def interrupts_routed() -> Iterator[None]:
    """SIGINT stays blocked in the main thread, so in every thread and process
    started meanwhile (loky starts workers lazily, from more than one thread,
    and a worker still importing would die of it with a traceback); a watcher
    thread takes each SIGINT and raises KeyboardInterrupt in the main thread,
    as the signal itself would. Main thread only; elsewhere a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # Python's resource tracker unblocks SIGINT in the thread that starts it (3.11's
    # SIG_UNBLOCK, not a restore): started here first, it cannot do so inside the block.
    resource_tracker.ensure_running()
    done = threading.Event()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    watcher = threading.Thread(target=_route_interrupts, args=(done,), name="ptm-miner-sigint", daemon=True)
    try:
        watcher.start()
        yield
    finally:
        done.set()
        watcher.join()
        signal.pthread_sigmask(signal.SIG_SETMASK, before)  # one that came after the watcher stopped is delivered here


def _route_interrupts(done: threading.Event) -> None:
    while not done.is_set():
        if signal.sigtimedwait({signal.SIGINT}, ROUTE_POLL) is not None:
            _thread.interrupt_main(signal.SIGINT)


ROUTE_POLL = 0.1  # seconds: how long the end of a pool run may wait for the watcher


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
