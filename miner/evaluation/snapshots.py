"""A read-only git directory of each labelled repository at its pinned commit.

The objects come from a folder of mirrors (`--mirrors DIR`: the `fetch` tool's
`DIR/owner+name/repo`, or `DIR/owner__name`, `DIR/owner/name`, `DIR/owner+name`,
each a bare git directory or a work tree, `.git` suffix allowed) or, when no
mirror holds the repository, from a bare clone made by `mine`'s own cloning
code (miner.repos). The pinned view is a tiny git directory of our own whose
HEAD is the commit (detached) and whose objects are borrowed from the source
through `objects/info/alternates`: nothing is written into the mirror or the
clone, nothing is checked out, and no git command runs to make it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from miner.records import RepoSpec
from miner.repos import RepoError, clone_dir_name, open_snapshot


@dataclass(frozen=True, slots=True)
class Pinned:
    repo: str
    commit: str
    git_dir: Path | None  # None: no source could be had
    source: str  # the mirror or clone the objects come from, or why there is none


def mirror_of(repo: str, mirrors: Path) -> Path | None:
    """The git directory of `repo` in a folder of mirrors, if it holds one."""
    owner, name = repo.split("/", 1)
    for base in (mirrors / f"{owner}+{name}" / "repo", mirrors / f"{owner}+{name}", mirrors / f"{owner}__{name}",
                 mirrors / owner / name):
        for candidate in (base, base.with_name(base.name + ".git")):
            git_dir = _git_dir(candidate)
            if git_dir is not None:
                return git_dir
    return None


def _git_dir(path: Path) -> Path | None:
    if (path / ".git").is_dir():
        path = path / ".git"
    if (path / "HEAD").is_file() and (path / "objects").is_dir():
        return path
    return None


def pin(repo: str, commit: str, *, mirrors: Path | None, workdir: Path, timeout: float = 300) -> Pinned:
    """`repo` at `commit`, as a git directory under `workdir/pinned`."""
    source = mirror_of(repo, mirrors) if mirrors is not None else None
    if source is None:
        try:
            source = _clone(repo, workdir / "clones", timeout)
        except RepoError as exc:
            where = f"not in {mirrors}; " if mirrors is not None else ""
            return Pinned(repo, commit, None, f"{where}clone failed: {exc}")
    target = workdir / "pinned" / clone_dir_name(f"{repo}@{commit}")
    _write_view(target, objects=(source / "objects").resolve(), commit=commit)
    return Pinned(repo, commit, target, str(source))


def _clone(repo: str, clones: Path, timeout: float) -> Path:
    spec = RepoSpec(repo, repo, "remote", f"https://github.com/{repo}.git")
    with open_snapshot(spec, workdir=clones, timeout=timeout, fetch=True):
        pass  # cloned or fetched: the pinned commit is HEAD or one of its ancestors
    return clones / clone_dir_name(repo)


def _write_view(target: Path, *, objects: Path, commit: str) -> None:
    (target / "objects" / "info").mkdir(parents=True, exist_ok=True)
    (target / "refs" / "heads").mkdir(parents=True, exist_ok=True)
    (target / "objects" / "info" / "alternates").write_text(f"{objects}\n", encoding="utf-8")
    (target / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = true\n", encoding="utf-8")
    tmp = target / "HEAD.tmp"
    tmp.write_text(f"{commit}\n", encoding="utf-8")
    os.replace(tmp, target / "HEAD")
