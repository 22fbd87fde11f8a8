"""Helpers of the hostile-input tests (tests/test_hostile*.py): real git
repositories under tmp_path, the command run end to end, the Parquet tables
read back.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import git
import pyarrow.parquet as pq

from miner.cli import main

ROOT = Path(__file__).resolve().parents[1]
LOAD = "from transformers import AutoModel\nAutoModel.from_pretrained({!r})\n"


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)


def make_repo(root: Path, files: dict[str, str | bytes]) -> git.Repo:
    repo = git.Repo.init(root, initial_branch="main")
    write(root, files)
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "initial")
    return repo


def listing(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "list.txt"
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def mine(repos: Path, out: Path, *extra: str, jobs: int = 1) -> int:
    return main(["mine", "--repos", str(repos), "--out", str(out), "--jobs", str(jobs), *extra])


def mine_process(repos: Path, out: Path, *extra: str, jobs: int = 1, **kwargs) -> subprocess.Popen:
    """The command in a process of its own (a crash there fails the test, not the session)."""
    return subprocess.Popen(
        [sys.executable, "-m", "miner", "mine", "--repos", str(repos), "--out", str(out), "--jobs", str(jobs), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def rows(out: Path, table: str) -> list[dict]:
    return pq.read_table(out / f"{table}.parquet").to_pylist()


def by_path(out: Path) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for u in rows(out, "usages"):
        found.setdefault(u["path"], []).append(u)
    return found


def problems(out: Path) -> dict[str | None, dict]:
    return {p["path"]: p for p in rows(out, "problems")}


def run_git(cwd: Path, *args: str) -> str:
    """The git command line (what a user, or an attacker, would type)."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def missing_blobs(git_dir: Path) -> set[str]:
    """Ids of the objects HEAD needs that are not in the repository (never fetched)."""
    out = run_git(git_dir, "rev-list", "--objects", "--missing=print", "HEAD")
    return {line[1:] for line in out.splitlines() if line.startswith("?")}


def partial_clone(tmp_path: Path, small: dict[str, str], big: dict[str, str], *, bare: bool = False) -> Path:
    """A real partial clone (`--filter=blob:limit=1k`) of a repository holding
    `small` (under 1 KiB: cloned) and `big` (over it: left out)."""
    for text in big.values():
        assert len(text.encode()) > 1024
    upstream = tmp_path / "upstream"
    make_repo(upstream, {**small, **big})
    run_git(upstream, "config", "uploadpack.allowFilter", "true")
    partial = tmp_path / ("partial.git" if bare else "partial")
    run_git(tmp_path, "clone", "-q", "--no-checkout", *(["--bare"] if bare else []),
            "--filter=blob:limit=1k", f"file://{upstream}", str(partial))
    assert len(missing_blobs(partial)) == len(big)
    return partial


def padded(model: str, lines: int = 60) -> str:
    """A loading call, padded past 1 KiB."""
    return LOAD.format(model) + "".join(f"x{i} = {i}  # padding the file past the filter\n" for i in range(lines))
