"""The honest floor, and the resolution time, of a mined corpus.

The parse floor of `benchmarks.run` parses the prefiltered files only. Any
exact miner does more before it can resolve anything: it reads the blobs from
git, runs the prefilter over them, and parses every file that resolution needs
(the prefiltered files and the neighbours they import or are imported by). This
module measures that floor, per repository, over the files the cold mine really
parsed: the `(blob, kind)` keys of its facts cache.

- read: `git ls-tree` at HEAD and one `git cat-file --batch` of the Python and
  notebook files (the prefilter's input) and of every other blob the mine parsed;
- prefilter: the miner's own `discover.Prefilter` over the Python and notebook blobs;
- parse: tree-sitter over every Python file the mine parsed, and over the code
  cells of every notebook it parsed (shell, config and Markdown files are read,
  not parsed: their parsers are the miner's own, not a floor).

With 2 processes the floor counts read + prefilter as perfectly parallel (half
the one-process time) and parses in 2 processes as the parse floor does: that
makes the floor lower, so a ratio to it can only look worse, never better.

`resolution_seconds` re-resolves each repository from the cold mine's cached
facts in this process (one core), with the miner's own `resolve_repo`.
"""
from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from miner import discover
from miner.cache import unpack
from miner.extract.notebook import notebook_code
from miner.records import FileKind
from miner.resolve import resolve_repo


@dataclass(frozen=True, slots=True)
class RepoFloor:
    """One repository's share of the floor, measured in one process."""

    repo: Path
    read_s: float
    prefilter_s: float
    parse_sources: tuple[bytes, ...]  # the Python sources the mine parsed (notebooks: their code)
    parsed_files: int  # files of every kind the mine parsed

    @property
    def bytes(self) -> int:
        return sum(map(len, self.parse_sources))


def mined_keys(out: Path) -> set[tuple[str, str]]:
    """The (blob, kind) pairs whose facts the mine into `out` stored."""
    path = out / ".cache" / "facts.sqlite"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return set(db.execute("SELECT blob, kind FROM facts"))


def head_files(repo: Path) -> list[tuple[str, str, FileKind]]:
    """(blob, path, kind) of every file at HEAD the miner could read (by path and size)."""
    out = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "-l", "-z", "--full-tree", "HEAD"],
                         capture_output=True, check=True).stdout
    found = []
    for record in out.split(b"\0"):
        meta, _, raw = record.partition(b"\t")
        fields = meta.split()
        if len(fields) != 4 or fields[1] != b"blob" or fields[0] == b"120000" or not fields[3].isdigit():
            continue
        path = raw.decode("utf-8", "backslashreplace")
        kind = discover.file_kind(path)
        if kind is not None and int(fields[3]) <= discover.limit_for(kind, discover.DEFAULT_MAX_BYTES):
            found.append((fields[2].decode(), path, kind))
    return found


def repo_floor(repo: Path, mined: set[tuple[str, str]], prefilter: discover.Prefilter,
               read_blobs) -> RepoFloor:
    """Read, prefilter and collect the parse inputs of one repository."""
    t0 = time.perf_counter()
    files = head_files(repo)
    wanted = [(b, p, k) for b, p, k in files
              if k in (FileKind.PYTHON, FileKind.NOTEBOOK) or (b, k.value) in mined]
    datas = read_blobs(repo, [b for b, _, _ in wanted])
    t1 = time.perf_counter()
    for (_, path, kind), data in zip(wanted, datas):
        if kind in (FileKind.PYTHON, FileKind.NOTEBOOK):
            prefilter.wants(kind, data, path)
    t2 = time.perf_counter()
    sources = []
    parsed = 0
    for (blob, _, kind), data in zip(wanted, datas):
        if (blob, kind.value) not in mined:
            continue
        parsed += 1
        if kind is FileKind.PYTHON:
            sources.append(data)
        elif kind is FileKind.NOTEBOOK:
            code = notebook_code(data)
            if not isinstance(code, str):
                sources.append(code.source.encode())
    return RepoFloor(repo, t1 - t0, t2 - t1, tuple(sources), parsed)


def resolution_seconds(repos: Iterable[Path], out: Path, registry) -> dict[Path, float]:
    """Seconds `resolve_repo` takes for each repository, from the facts the
    cold mine into `out` cached (one process, one core)."""
    path = out / ".cache" / "facts.sqlite"
    seconds: dict[Path, float] = {}
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        for repo in repos:
            facts = []
            for blob, file_path, kind in head_files(repo):
                row = db.execute("SELECT data FROM facts WHERE blob = ? AND kind = ?", (blob, kind.value)).fetchone()
                if row is not None and (unpacked := unpack(row[0], file_path)) is not None:
                    facts.append(unpacked)
            start = time.perf_counter()
            resolve_repo(sorted(facts, key=lambda f: f.path), registry, repo=repo.name, commit=None)
            seconds[repo] = time.perf_counter() - start
    return seconds


def floor_seconds(floors: Sequence[RepoFloor], parse_floor, jobs: int) -> float:
    """The floor of `floors` together with `jobs` processes: read + prefilter
    divided by `jobs` (as if perfectly parallel), plus the parse in `jobs` processes."""
    serial = sum(f.read_s + f.prefilter_s for f in floors)
    sources = [s for f in floors for s in f.parse_sources]
    return serial / jobs + parse_floor(sources, jobs)
