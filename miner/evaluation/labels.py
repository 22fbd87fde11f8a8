"""The labelled repositories of the accuracy benchmark, read and checked.

One folder per repository under `<benchmark>/repos/`: `meta.toml` (repo,
commit, ...), `loads.csv` (one row per loading call site and id) and
`decoys.csv` (strings that look like ids and are not loads). The rules are in
benchmarks/accuracy/README.md; this module only parses them and refuses a
malformed row (with its file and line), so a typo never silently drops a label.
"""
from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from miner.records import Resolution

LOADS_HEADER = ("path", "line", "model_id", "hub", "repo_type", "resolution", "optional", "role", "note")
DECOYS_HEADER = ("path", "line", "text", "why")
REPO_TYPES = frozenset({"model", "dataset", "space"})
_COMMIT = re.compile(r"[0-9a-f]{40}")
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+")
_ORIGIN = re.compile(r"origin=(\S+?):(\d+)")


class LabelError(ValueError):
    """A benchmark file that does not follow the rules (the message names the file and line)."""


class Role(str, Enum):
    CODE = "code"
    TEST = "test"
    EXAMPLE = "example"
    DOCS = "docs"
    VENDORED = "vendored"


@dataclass(frozen=True, slots=True)
class Load:
    """One labelled (call site, id); `model_id` None when the id cannot be known."""

    repo: str
    path: str
    line: int
    model_id: str | None
    hub: str
    repo_type: str
    resolution: str
    optional: bool
    role: Role
    origin: tuple[str, int] | None = None  # where the id is written, when not at the call
    note: str = ""


@dataclass(frozen=True, slots=True)
class Decoy:
    repo: str
    path: str
    line: int
    text: str
    why: str


@dataclass(frozen=True, slots=True)
class RepoLabels:
    repo: str  # owner/name
    commit: str
    category: str
    folder: Path
    loads: tuple[Load, ...]
    decoys: tuple[Decoy, ...]


def read_benchmark(root: Path) -> list[RepoLabels]:
    """Every labelled repository under `root/repos`, sorted by repository."""
    folders = sorted(p for p in (root / "repos").iterdir() if p.is_dir()) if (root / "repos").is_dir() else []
    if not folders:
        raise LabelError(f"{root}/repos: no labelled repository")
    labelled = [read_repo(folder) for folder in folders]
    seen: set[str] = set()
    for r in labelled:
        if r.repo.lower() in seen:
            raise LabelError(f"{r.folder}: {r.repo} is labelled twice")
        seen.add(r.repo.lower())
    return sorted(labelled, key=lambda r: r.repo.lower())


def read_repo(folder: Path) -> RepoLabels:
    meta_path = folder / "meta.toml"
    try:
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LabelError(f"{meta_path}: {exc}") from None
    repo, commit = str(meta.get("repo", "")), str(meta.get("commit", ""))
    if not _REPO.fullmatch(repo):
        raise LabelError(f"{meta_path}: repo must be owner/name, not {repo!r}")
    if not _COMMIT.fullmatch(commit):
        raise LabelError(f"{meta_path}: commit must be 40 lowercase hex digits, not {commit!r}")
    loads = tuple(_load(repo, row, where) for row, where in _rows(folder / "loads.csv", LOADS_HEADER))
    decoys = tuple(_decoy(repo, row, where) for row, where in _rows(folder / "decoys.csv", DECOYS_HEADER))
    return RepoLabels(repo, commit, str(meta.get("category", "")), folder, loads, decoys)


def _rows(path: Path, header: tuple[str, ...]):
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabelError(f"{path}: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    first = next(reader, None)
    if tuple(c.strip() for c in first or ()) != header:
        raise LabelError(f"{path}:1: header must be {','.join(header)}")
    for row in reader:
        where = f"{path}:{reader.line_num}"
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise LabelError(f"{where}: {len(row)} fields, expected {len(header)}")
        yield dict(zip(header, (c.strip() for c in row))), where


def _line(value: str, where: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise LabelError(f"{where}: line must be a 1-based number, not {value!r}")
    return int(value)


def _load(repo: str, row: dict[str, str], where: str) -> Load:
    if row["repo_type"] not in REPO_TYPES:
        raise LabelError(f"{where}: repo_type must be one of {sorted(REPO_TYPES)}, not {row['repo_type']!r}")
    kinds = {k.value for k in Resolution}
    if row["resolution"] not in kinds:
        raise LabelError(f"{where}: unknown resolution {row['resolution']!r}")
    if row["optional"] not in ("true", "false"):
        raise LabelError(f"{where}: optional must be true or false, not {row['optional']!r}")
    try:
        role = Role(row["role"])
    except ValueError:
        raise LabelError(f"{where}: role must be one of {[r.value for r in Role]}, not {row['role']!r}") from None
    if not row["hub"] or not row["path"]:
        raise LabelError(f"{where}: path and hub are required")
    model_id = row["model_id"] or None
    if model_id is None and row["resolution"] != Resolution.UNRESOLVED.value:
        raise LabelError(f"{where}: an empty model_id goes with resolution unresolved")
    origin = _ORIGIN.search(row["note"])
    return Load(repo, row["path"], _line(row["line"], where), model_id, row["hub"], row["repo_type"],
                row["resolution"], row["optional"] == "true", role,
                (origin.group(1), int(origin.group(2))) if origin else None, row["note"])


def _decoy(repo: str, row: dict[str, str], where: str) -> Decoy:
    if not row["text"] or not row["path"]:
        raise LabelError(f"{where}: path and text are required")
    return Decoy(repo, row["path"], _line(row["line"], where), row["text"], row["why"])
