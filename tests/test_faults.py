"""Faults: a worker killed by a signal loses only its own work, which is
tried again once and then recorded as failed; a run killed with SIGKILL leaves
the previous tables intact, and a re-run completes the work without parsing
again what the killed run had parsed.

Worker deaths are real: the task functions of the pool are replaced (by
monkeypatching `miner.run`, whose globals the tasks are built from) with the
functions below, which workers import from this module and which SIGKILL
their own process when they meet a file or repository named for it.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import git
import pyarrow.parquet as pq
import pytest

from miner import run
from miner.cli import EXIT_OK, EXIT_SOME_FAILED, main
from miner.extract import extract_packed

ROOT = Path(__file__).resolve().parents[1]
LOAD = "from transformers import AutoModel\nAutoModel.from_pretrained({!r})\n"
os.environ.setdefault("PTM_FAULTS_COORDINATOR", str(os.getpid()))


def _in_a_worker() -> bool:
    """Never kill the test process itself (nor a worker it did not start)."""
    return str(os.getpid()) != os.environ.get("PTM_FAULTS_COORDINATOR")


def _die_once(marker: Path) -> None:
    """SIGKILL this worker the first time only (the marker remembers)."""
    if not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)


def dying_mine_one(spec, *args, **kwargs):
    name = Path(spec.location).name
    if _in_a_worker() and name.startswith("doomed"):
        os.kill(os.getpid(), signal.SIGKILL)
    if _in_a_worker() and name.startswith("flaky"):
        _die_once(Path(spec.location).parent / f"{name}.died")
    return _real_mine_one(spec, *args, **kwargs)


def dying_extract_packed(items, keywords, **options):
    for item in items:
        if _in_a_worker() and item.path == "doomed.py":
            os.kill(os.getpid(), signal.SIGKILL)
        if _in_a_worker() and item.path == "flaky.py":
            _die_once(Path(item.data.decode().split("\n", 1)[0].removeprefix("# ")))
    return extract_packed(items, keywords, **options)


_real_mine_one = run.mine_one


def make_repo(root: Path, files: dict[str, str]) -> Path:
    repo = git.Repo.init(root, initial_branch="main")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    repo.git.add("-A")
    repo.git.commit("-q", "--no-gpg-sign", "-m", "initial")
    return root


def rows(out: Path, table: str) -> list[dict]:
    return pq.read_table(out / f"{table}.parquet").to_pylist()


def test_a_repository_that_kills_its_worker_is_retried_once_then_failed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "mine_one", dying_mine_one)
    names = ["good0", "doomed", "good1", "flaky", "good2", "good3"]
    for name in names:
        make_repo(tmp_path / name, {"app.py": LOAD.format(f"org/{name}")})
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{tmp_path / name}\n" for name in names))
    out = tmp_path / "out"
    assert main(["mine", "--repos", str(listing), "--out", str(out), "--jobs", "2"]) == EXIT_SOME_FAILED

    repos = {Path(r["repo"]).name: r for r in rows(out, "repos")}
    assert list(repos) == names, "every line keeps its row, in order"
    assert repos["doomed"]["status"] == "failed"
    assert "mining failed twice" in repos["doomed"]["error"] and "Terminated" in repos["doomed"]["error"]
    assert all(repos[n]["status"] == "ok" for n in names if n != "doomed")
    assert (tmp_path / "flaky.died").exists(), "the flaky repository did kill a worker once"
    found = {(Path(u["repo"]).name, u["model_id"]) for u in rows(out, "usages")}
    assert found == {(n, f"org/{n}") for n in names if n != "doomed"}
    failed = [p for p in rows(out, "problems") if p["stage"] == "repo"]
    assert [(Path(p["repo"]).name, p["reason"]) for p in failed] == [("doomed", "failed")]


def test_a_batch_that_kills_its_worker_is_retried_once_then_its_files_fail(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One repository, enough bytes for the batched path: a file that kills
    its worker fails with its batch, the other batches are kept."""
    monkeypatch.setattr(run, "extract_packed", dying_extract_packed)
    padding = "# " + "x" * 78 + "\n"
    big = padding * (run.BATCH_BYTES // len(padding) + 1)  # a batch of its own
    files = {"doomed.py": LOAD.format("org/doomed") + big,
             "flaky.py": f"# {tmp_path / 'flaky.died'}\n" + LOAD.format("org/flaky") + big}
    files |= {f"m{i}.py": LOAD.format(f"org/m{i}") + padding * 2000 for i in range(4)}
    make_repo(tmp_path / "r", files)
    listing = tmp_path / "list.txt"
    listing.write_text(f"{tmp_path / 'r'}\n")
    out = tmp_path / "out"
    assert main(["mine", "--repos", str(listing), "--out", str(out), "--jobs", "2",
                 "--max-file-bytes", str(4 * run.BATCH_BYTES)]) == EXIT_OK

    assert (tmp_path / "flaky.died").exists()
    found = {u["path"]: u["model_id"] for u in rows(out, "usages")}
    assert found == {"flaky.py": "org/flaky", **{f"m{i}.py": f"org/m{i}" for i in range(4)}}
    problems = {p["path"]: p for p in rows(out, "problems")}
    assert problems["doomed.py"]["reason"] == "failed"
    assert "extraction failed twice" in problems["doomed.py"]["detail"]
    assert "TerminatedWorkerError" in problems["doomed.py"]["detail"]


def _mine_process(listing: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "miner", "mine", "--repos", str(listing), "--out", str(out), "--jobs", "2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _repositories_done(out: Path) -> int:
    """Repositories the running command has finished (their state is in the cache)."""
    try:
        with sqlite3.connect(f"file:{out / '.cache' / 'facts.sqlite'}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT count(*) FROM repo_state").fetchone()[0]
    except sqlite3.Error:
        return 0


def _tables(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.parquet"))}


def test_a_run_killed_midway_loses_nothing_and_the_rerun_finishes_the_work(tmp_path: Path) -> None:
    first = [make_repo(tmp_path / f"old{i}", {"app.py": LOAD.format(f"org/old{i}")}) for i in range(2)]
    body = "".join(f"def f{i}(x):\n    return [x, {i}, 'text {i}']\n" for i in range(8000))
    second = [make_repo(tmp_path / f"new{i}", {"app.py": LOAD.format(f"org/new{i}") + body})
              for i in range(16)]
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{p}\n" for p in first))
    out = tmp_path / "out"
    assert main(["mine", "--repos", str(listing), "--out", str(out), "--jobs", "2"]) == EXIT_OK
    before = _tables(out)

    listing.write_text("".join(f"{p}\n" for p in first + second))
    process = _mine_process(listing, out)
    while _repositories_done(out) < 3 and process.poll() is None:  # killed mid-run
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stdout.read()
    assert _tables(out) == before, "the previous tables are untouched"

    done = subprocess.run([sys.executable, "-m", "miner", "mine", "--repos", str(listing), "--out", str(out),
                           "--jobs", "2"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    found = {(Path(u["repo"]).name, u["model_id"]) for u in rows(out, "usages")}
    assert found == {(p.name, f"org/{p.name}") for p in first + second}, "nothing is lost, nothing is stale"
    repos = rows(out, "repos")
    assert sum(r["files_parsed"] for r in repos if Path(r["repo"]).name.startswith("new")) < len(second), \
        "files the killed run parsed come from the cache"
