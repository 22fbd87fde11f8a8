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
