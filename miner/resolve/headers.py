"""Copies known by the copyright headers of their files.

A research repository that copied SentEval, ZoeDepth or DINOv2 into a folder,
or Hugging Face's `run_glue.py` next to its own code, keeps the upstream
header in each copied file (`# Copyright (c) Facebook, Inc. and its
affiliates.`). The notices are data (`notices` / `owners` / `files` of
`patterns/_vendored.toml`); each file's header comes from extraction
(`FileFacts.notice`). A notice is the repository's own when the key's GitHub
owner is one of the notice's organisations (a Facebook header in a
`facebookresearch/...` repository), or when a Python file at the repository's
top level carries it (the project's own entry points do). With neither a
GitHub key nor top-level Python code, whose it is stays unknown: no copy.

A copy is
  - a folder below the root holding at least MIN_FILES Python files with a
    foreign notice, where every Python file that was read carries one (an
    `__init__.py` without any notice aside): a folder that mixes copied files
    with the repository's own (MiniGPT-4's `minigpt4/models/`, derived from
    LAVIS) is the repository's own code;
  - a single file with a foreign notice whose name is one of the project's
    copied scripts (`files`: `run_glue.py`).
A usage in a copy whose id was written outside it (the repository's own
script passing `--model_name_or_path`) stays the repository's.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import replace

from miner.patterns import Registry
from miner.records import FileFacts, FileKind, Usage
from miner.resolve.copies import Project, projects

MIN_FILES = 2
_HOLDER = re.compile(r"(?:copyright\b|\(c\)|©)", re.I)  # a line that names a holder, not one that quotes the license


def header_copies(files: list[FileFacts], registry: Registry, repo: str) -> frozenset[str]:
    """Folders (`path/`) and files of the repository `repo` (its key) that are
    copies of another project, known by their files' copyright headers."""
    python = [f for f in files if f.kind == FileKind.PYTHON]
    listed = tuple(p for p in projects(registry) if p.notices)
    scripts = {n for p in listed for n in p.files}
    top = [f for f in python if "/" not in f.path and f.path not in scripts]  # a copied run_glue.py is no entry point of its own
    owner = _owner(repo)
    if owner is None and not top:
        return frozenset()  # neither the key nor the repository's own top-level code says whose it is
    own = {p.name for p in listed if owner in p.owners or owner in {h.split("/")[0].lower() for h in p.homes}}
    own |= {p.name for f in top for found in _named(f.notice, listed) for p in found}
    foreign = {f.path: names for f in python if (names := _foreign(f.notice, listed, own))}
    copies = {f.path for f in python if f.path in foreign and
              posixpath.basename(f.path) in {n for p in listed if p.name in foreign[f.path] for n in p.files}}
    blocked = {p for f in python if f.path not in foreign and not _aside(f) for p in _folders(f.path)}
    inside: dict[str, int] = {}
    for path in foreign:
        for folder in _folders(path):
            inside[folder] = inside.get(folder, 0) + 1
    copies |= {folder for folder, n in inside.items() if n >= MIN_FILES and folder not in blocked}
    return frozenset(copies)


def mark_copies(rows: list[Usage], copies: frozenset[str]) -> list[Usage]:
    """Rows in a copy marked vendored, unless their id was written outside it."""
    if not copies:
        return rows
    def inside(path: str | None) -> bool:
        return path is not None and any(path == c or c.endswith("/") and path.startswith(c) for c in copies)
    return [replace(u, vendored=True) if not u.vendored and inside(u.path) and
            (u.origin_path is None or inside(u.origin_path)) else u for u in rows]


def _owner(repo: str) -> str | None:
    match = re.fullmatch(r"([\w.-]+)/[\w.-]+", repo)
    return match.group(1).lower() if match else None


def _named(notice: str, listed: tuple[Project, ...]) -> list[list[Project]]:
    """For each holder line of a header, the listed projects it names."""
    holders = [line.lower() for line in notice.splitlines() if _HOLDER.match(line)]
    return [[p for p in listed if any(n in line for n in p.notices)] for line in holders]


def _foreign(notice: str, listed: tuple[Project, ...], own: set[str]) -> frozenset[str]:
    """The projects whose notice the header carries, when none of them is the
    repository's own and no other holder's line stands next to them (a copy
    that someone modified and signed is theirs)."""
    named = _named(notice, listed)
    if not named or not all(named) or any(p.name in own for found in named for p in found):
        return frozenset()
    return frozenset(p.name for found in named for p in found)


def _aside(f: FileFacts) -> bool:
    """An `__init__.py` without a notice: a package marker, no evidence either way."""
    return posixpath.basename(f.path) == "__init__.py" and not f.notice


def _folders(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
