"""Memory and kept work, on real repositories and real processes: one blob at
a thousand paths is held once; a repository over the bound of bytes held is
a `failed` row of its own; a `--jobs 1` run killed with SIGKILL keeps the
facts of every batch it finished."""
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

from miner.run import BATCH_BYTES, MineOptions, mine

ROOT = Path(__file__).resolve().parents[1]
LOAD = "from transformers import AutoModel\nmodel = AutoModel.from_pretrained({!r})\n"
MIB = 1024 * 1024


def git_out(cwd: Path, *args: str, data: bytes | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, check=True).stdout.decode().strip()


def one_blob_at_many_paths(bare: Path, paths: int, size: int) -> Path:
    """A bare repository whose one commit has `paths` entries of one blob of `size` bytes."""
    git_out(bare.parent, "init", "-q", "--bare", str(bare))
    head = LOAD.format("org/one-blob") + 'PAD = """\n'
    blob = (head + ("a" * 79 + "\n") * ((size - len(head)) // 80) + '"""\n').encode()
    sha = git_out(bare, "hash-object", "-w", "--stdin", data=blob)
    tree = git_out(bare, "mktree", data="".join(f"100644 blob {sha}\tf{i:04d}.py\n" for i in range(paths)).encode())
    commit = git_out(bare, "commit-tree", tree, "-m", "one blob")
    git_out(bare, "update-ref", "refs/heads/main", commit)
    git_out(bare, "symbolic-ref", "HEAD", "refs/heads/main")
    return bare


def test_one_blob_at_a_thousand_paths_is_held_once(tmp_path: Path) -> None:
    """1,000 paths of one 2 MB blob: 2 GB if each path held its own copy."""
    bare = one_blob_at_many_paths(tmp_path / "bomb.git", 1000, 2 * 1000 * 1000)
    listing = tmp_path / "list.txt"
    listing.write_text(f"{bare}\n")
    process = subprocess.Popen([sys.executable, "-m", "miner", "mine", "--repos", str(listing),
                                "--out", str(tmp_path / "out"), "--jobs", "1"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, process.stderr.read()
    assert usage.ru_maxrss * 1024 < 600 * MIB, f"peak {usage.ru_maxrss // 1024} MiB"
    found = pq.read_table(tmp_path / "out" / "usages.parquet").to_pylist()
    assert len({u["path"] for u in found if u["model_id"] == "org/one-blob"}) == 1000, "every path is mined"


def make_repo(root: Path, files: dict[str, str]) -> Path:
    repo = git.Repo.init(root, initial_branch="main")
    for name, text in files.items():
        (root / name).write_text(text)
    repo.git.add("-A")
    repo.git.commit("-q", "--no-gpg-sign", "-m", "initial")
    return root


def test_a_repository_over_the_bound_is_its_own_failed_row(tmp_path: Path) -> None:
    pad = "# " + "x" * 77 + "\n"
    big = make_repo(tmp_path / "big", {f"m{i}.py": LOAD.format(f"org/big{i}") + pad * 1000 for i in range(5)})
    small = make_repo(tmp_path / "small", {"app.py": LOAD.format("org/small")})
    listing = tmp_path / "list.txt"
    listing.write_text(f"{big}\n{small}\n")
    out = tmp_path / "out"
    summary = mine(MineOptions(repos=listing, out=out, jobs=1, max_repo_bytes=200_000))  # big holds ~400 KB

    repos = {Path(r["repo"]).name: r for r in pq.read_table(out / "repos.parquet").to_pylist()}
    assert repos["big"]["status"] == "failed" and "more than 200000 bytes" in repos["big"]["error"]
    assert repos["small"]["status"] == "ok"
    assert {u["model_id"] for u in pq.read_table(out / "usages.parquet").to_pylist()} == {"org/small"}
    assert summary.repos_failed == 1
    # The same repository within the bound is mined whole.
    mine(MineOptions(repos=listing, out=out, jobs=1, max_repo_bytes=600_000))
    assert {Path(r["repo"]).name: r["status"] for r in pq.read_table(out / "repos.parquet").to_pylist()} == \
        {"big": "ok", "small": "ok"}


def cache_rows(out: Path, table: str) -> int:
    """Rows of a table of the facts cache a running command writes (0 before it exists)."""
    try:
        with sqlite3.connect(f"file:{out / '.cache' / 'facts.sqlite'}?mode=ro", uri=True, timeout=1) as db:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_killed_one_job_run_keeps_the_facts_of_the_batches_it_finished(tmp_path: Path) -> None:
    """Files for several batches of one group: the first batch's facts are in
    the cache while the run still parses the next ones; kill -9 then, and the
    re-run takes them from the cache."""
    body = "".join(f"def f{j}(x):\n    return [x, {j}, 'text {j}']\n" for j in range(250))
    n = 4 * BATCH_BYTES // len(body)
    repo = make_repo(tmp_path / "r", {f"m{i}.py": LOAD.format(f"org/m{i}") + body for i in range(n)})
    listing = tmp_path / "list.txt"
    listing.write_text(f"{repo}\n")
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "miner", "mine", "--repos", str(listing), "--out", str(out), "--jobs", "1"]
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    while not cache_rows(out, 'facts') and process.poll() is None:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGSTOP)  # held still while the cache is counted
    kept = cache_rows(out, 'facts')
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "killed mid-run, not finished"
    assert 0 < kept < n, f"{kept} of {n} files committed when the first commit was seen"
    assert not (out / "usages.parquet").exists()

    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{n - kept} parsed, {kept} from cache" in done.stdout
