"""The worker pool: results in order; a dying worker or a raising task costs only its own task."""
from __future__ import annotations

import os
import signal

from joblib import delayed

from miner.pool import run_tasks

os.environ.setdefault("PTM_POOL_COORDINATOR", str(os.getpid()))


def work(x: str) -> str:
    if x == "die" and str(os.getpid()) != os.environ.get("PTM_POOL_COORDINATOR"):
        os.kill(os.getpid(), signal.SIGKILL)
    if x == "raise":
        raise ValueError("a bug in one task")
    return x * 2


def test_each_task_gives_its_result_or_its_failure_in_order() -> None:
    items = ["a", "die", "b", "raise", "c", "d", "die", "e", "f"]
    seen: list[tuple[int, str]] = []
    outcomes = run_tasks([delayed(work)(x) for x in items], jobs=2, on_result=lambda i, r: seen.append((i, r)))
    assert [r for r, _ in outcomes] == [None if x in ("die", "raise") else x * 2 for x in items]
    for x, (_, failure) in zip(items, outcomes):
        if x == "die":
            assert failure.startswith("TerminatedWorkerError")
        elif x == "raise":
            assert failure == "ValueError: a bug in one task"
        else:
            assert failure is None
    assert sorted(seen) == [(i, x * 2) for i, x in enumerate(items) if x not in ("die", "raise")]


def test_one_job_runs_in_this_process_and_still_returns_failures_as_values() -> None:
    outcomes = run_tasks([delayed(work)(x) for x in ["a", "raise", "b"]], jobs=1)
    assert outcomes == [("aa", None), (None, "ValueError: a bug in one task"), ("bb", None)]
