"""Mining on a real `dask.distributed` cluster (a LocalCluster started here):
a repository whose task fails on a worker is its own `failed` row; a wrong
scheduler address and a scheduler without workers are one line each, exit 2,
within --timeout; a relative --out means the same folder on a worker started
elsewhere."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import git
import pyarrow.parquet as pq
import pytest

from miner import run
from miner.cli import EXIT_SOME_FAILED, EXIT_USAGE, main

distributed = pytest.importorskip("dask.distributed")
ROOT = Path(__file__).resolve().parents[1]
LOAD = "from transformers import AutoModel\nAutoModel.from_pretrained({!r})\n"
_real_mine_one = run.mine_one


def failing_mine_one(spec, *args, **kwargs):
    """mine_one, but a repository named `doomed*` raises on the worker, as a
    bug met in one repository would."""
    if Path(spec.location).name.startswith("doomed"):
        raise ValueError("invalid literal for int() with base 10: '-'")
    return _real_mine_one(spec, *args, **kwargs)


def make_repo(root: Path, model: str) -> Path:
    repo = git.Repo.init(root, initial_branch="main")
    (root / "app.py").write_text(LOAD.format(model))
    repo.git.add("-A")
    repo.git.commit("-q", "--no-gpg-sign", "-m", "initial")
    return root


def rows(out: Path, table: str) -> list[dict]:
    return pq.read_table(out / f"{table}.parquet").to_pylist()


def in_process_cluster(workers: int = 1):
    return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
                                    dashboard_address=None)


def test_a_repository_that_fails_on_a_worker_is_its_failed_row(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "mine_one", failing_mine_one)
    names = ["good0", "doomed", "good1"]
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{make_repo(tmp_path / n, f'org/{n}')}\n" for n in names))
    out = tmp_path / "out"
    with in_process_cluster() as cluster:
        code = main(["mine", "--repos", str(listing), "--out", str(out), "--backend", "dask",
                     "--scheduler", cluster.scheduler_address])
    assert code == EXIT_SOME_FAILED
    repos = {Path(r["repo"]).name: r for r in rows(out, "repos")}
    assert list(repos) == names
    assert repos["doomed"]["status"] == "failed"
    assert "ValueError: invalid literal for int()" in repos["doomed"]["error"]
    assert {u["model_id"] for u in rows(out, "usages")} == {"org/good0", "org/good1"}


def miner_process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "miner", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180)


def one_line(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == EXIT_USAGE and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_a_wrong_scheduler_address_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on once it is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    listing = tmp_path / "list.txt"
    listing.write_text(f"{make_repo(tmp_path / 'r', 'org/r')}\n")
    done = miner_process("mine", "--repos", str(listing), "--out", str(tmp_path / "out"), "--backend", "dask",
                         "--scheduler", f"tcp://127.0.0.1:{port}", "--timeout", "2")
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in one_line(done)
    assert not (tmp_path / "out" / "usages.parquet").exists()


def test_a_scheduler_without_workers_is_one_line(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"{make_repo(tmp_path / 'r', 'org/r')}\n")
    with in_process_cluster(workers=0) as cluster:
        done = miner_process("mine", "--repos", str(listing), "--out", str(tmp_path / "out"), "--backend", "dask",
                             "--scheduler", cluster.scheduler_address, "--timeout", "2")
    assert "has no workers" in one_line(done)


def test_a_relative_out_is_the_same_folder_on_a_worker_started_elsewhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere, here = tmp_path / "worker-home", tmp_path / "here"
    elsewhere.mkdir()
    here.mkdir()
    (here / "list.txt").write_text(f"{make_repo(tmp_path / 'r', 'org/r')}\n")
    monkeypatch.chdir(elsewhere)  # the worker process starts here
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        monkeypatch.chdir(here)
        code = main(["mine", "--repos", "list.txt", "--out", "out", "--backend", "dask",
                     "--scheduler", cluster.scheduler_address])
    assert code == 0
    assert [u["model_id"] for u in rows(here / "out", "usages")] == ["org/r"]
    assert not (elsewhere / "out").exists(), "the worker wrote no second cache where it started"
    assert os.listdir(here / "out" / ".cache")
