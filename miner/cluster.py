"""Mining on a `dask.distributed` cluster: one task per repository, so that
a clone and its files stay on one worker.

The coordinator connects within `--timeout` or says in one line that it
cannot; it waits as long for a worker to join or says that none did; and a
task that raises, or whose worker dies, is that repository's `failed` row,
as in the local pool. The options a task carries hold absolute paths by then
(`run.mine`): a worker started in another folder writes to the same output
folder and cache, which must be on storage the workers share.
"""
from __future__ import annotations

from typing import Callable

from miner.records import RepoResult, RepoSpec, RepoStatus


class ClusterError(Exception):
    """The cluster cannot run the mine (out of reach, no workers): one line for the user."""


def mine_on_cluster(address: str, timeout: float, specs: list[RepoSpec], tasks: list,
                    report: Callable[[int, RepoResult], None] | None = None) -> list[RepoResult]:
    """The result of each of joblib's delayed `tasks` (one per spec, in order),
    run on the cluster at `address`."""
    client = _connect(address, timeout)
    try:
        with client.as_current():
            futures = [client.submit(fn, *args, pure=False, **kwargs) for fn, args, kwargs in tasks]
            index = {future.key: i for i, future in enumerate(futures)}
            results: dict[int, RepoResult] = {}
            for future in _as_completed(futures):
                i = index[future.key]
                results[i] = _outcome(future, specs[i])
                future.release()
                if report:
                    report(i, results[i])
    finally:
        client.close()
    return [results[i] for i in range(len(futures))]


def _outcome(future, spec: RepoSpec) -> RepoResult:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - the task raised, or its worker died (KilledWorker)
        return RepoResult(spec, RepoStatus.FAILED,
                          error=_one_line(f"mining failed on a Dask worker: {type(exc).__name__}: {exc}")[:500])


def _connect(address: str, timeout: float):
    try:
        from dask.distributed import Client
        from distributed.comm.addressing import resolve_address
    except ImportError as exc:
        raise ClusterError("--backend dask needs dask.distributed: pip install 'ptm-miner[dask]'") from exc
    try:
        resolve_address(address)  # a malformed address or unknown host, before a client half-starts
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise ClusterError(_one_line(f"cannot reach the Dask scheduler at {address} within {timeout:g} s: "
                                     f"{type(exc).__name__}: {exc}")[:400]) from exc
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise ClusterError(f"the Dask scheduler at {address} has no workers: none joined within {timeout:g} s") from exc
    return client


def _as_completed(futures: list):
    from dask.distributed import as_completed

    return as_completed(futures)


def _one_line(text: str) -> str:
    return " ".join(text.split())
