"""A git directory's HEAD and tree objects, read without starting git.

This module owns the small part of git's on-disk formats that the miner reads
in-process, to spare a process per repository: HEAD as a commit id (detached)
or as `ref: refs/...`, followed through loose refs and `packed-refs` in the
common directory (a linked work tree's `commondir`), up to five symbolic
levels; whether the repository is a partial clone; and the entries of a tree
object (as `cat-file` gives its content). Anything it does not know for sure
(the reftable format, an odd ref name, an unreadable file) is None, and the
caller asks git instead.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator

__all__ = ["read_head", "is_partial_clone", "tree_entries"]

_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_REF = re.compile(r"^refs/(?:[A-Za-z0-9_+-][A-Za-z0-9._+-]*/)*[A-Za-z0-9_+-][A-Za-z0-9._+-]*$")
_PER_WORKTREE = ("refs/bisect/", "refs/worktree/", "refs/rewritten/")
_SMALL = 4096


def read_head(git_dir: str) -> str | None:
    """The commit id HEAD names, read from the files; None when git must say
    (a branch with no commit yet, the reftable format, anything unusual)."""
    common = _common_dir(git_dir)
    if common is None or os.path.exists(os.path.join(common, "reftable")):
        return None
    value = _read_small(os.path.join(git_dir, "HEAD"))
    for _ in range(5):
        if value is None:
            return None
        if _ID.match(value):
            return value
        if not value.startswith("ref:"):
            return None
        name = value[4:].strip()
        if not _REF.match(name) or ".." in name or name.endswith(".lock"):
            return None
        base = git_dir if name.startswith(_PER_WORKTREE) else common
        loose = os.path.join(base, *name.split("/"))
        value = _read_small(loose) if os.path.isfile(loose) else _packed(common, name)
    return None


def is_partial_clone(git_dir: str) -> bool | None:
    """Whether objects may be missing by design (a promisor remote): reading
    one of those with lazy fetching off stops `cat-file`. None: cannot tell."""
    common = _common_dir(git_dir)
    if common is None:
        return None
    try:
        with open(os.path.join(common, "config"), "rb") as f:
            config = f.read(1 << 20).lower()
        packs = os.listdir(os.path.join(common, "objects", "pack"))
    except OSError:
        return None
    return b"partialclone" in config or b"promisor" in config or any(p.endswith(".promisor") for p in packs)


def tree_entries(data: bytes, id_bytes: int) -> Iterator[tuple[bytes, bytes, str]]:
    """(mode, name, object id) of each entry of a tree object's content;
    raises ValueError on a malformed tree."""
    at = 0
    while at < len(data):
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        oid = data[nul + 1:nul + 1 + id_bytes]
        if len(oid) != id_bytes:
            raise ValueError("truncated tree entry")
        yield data[at:space], data[space + 1:nul], oid.hex()
        at = nul + 1 + id_bytes


def _common_dir(git_dir: str) -> str | None:
    commondir = os.path.join(git_dir, "commondir")
    if not os.path.exists(commondir):
        return git_dir
    target = _read_small(commondir)
    return os.path.normpath(os.path.join(git_dir, target)) if target else None


def _packed(common: str, name: str) -> str | None:
    try:
        with open(os.path.join(common, "packed-refs"), "rb") as f:
            for raw in f:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                sha, _, ref = line.partition(" ")
                if ref == name and _ID.match(sha):
                    return sha
    except OSError:
        pass
    return None


def _read_small(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read(_SMALL).decode("utf-8", "replace").strip()
    except OSError:
        return None
