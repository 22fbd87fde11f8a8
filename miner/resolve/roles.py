"""The role of a usage in its repository: code, test, example, docs or vendored.

A usage inside a vendored copy of another project is `vendored`, whatever its
path. Otherwise the path decides, through the `roles` table of `patterns/`
(`_roles.toml`): a key ending in `/` is a folder name that may be anywhere on
the path (`tests/`), any other key a glob on the file name (`test_*.py`,
`*.md`). The first folder from the root that the table names decides; a file
name rule applies where no folder does. A Python file is a test by its name
only when it reads as one (a `test*` function, a `Test*` class, or an import
of pytest or unittest): research code names evaluation scripts `test_net.py`.
What nothing names is `code`.
"""
from __future__ import annotations

import fnmatch
from dataclasses import replace
from enum import Enum
from functools import lru_cache

from miner.records import FileFacts, ScopeKind, Usage


class Role(str, Enum):
    CODE = "code"
    TEST = "test"
    EXAMPLE = "example"
    DOCS = "docs"
    VENDORED = "vendored"


ALL_ROLES = frozenset(r.value for r in Role)
DEFAULT_ROLES = ALL_ROLES - {Role.VENDORED.value}  # which roles make a repo_models pair by default


def parse_roles(text: str) -> frozenset[str]:
    """`code,test` -> those roles; an unknown name is an error (ValueError)."""
    names = frozenset(w.strip().lower() for w in text.split(",") if w.strip())
    unknown = names - ALL_ROLES
    if unknown or not names:
        raise ValueError(f"unknown roles {sorted(unknown)}: choose from {sorted(ALL_ROLES)}" if unknown
                         else "no role given")
    return names


def role_of(path: str, vendored: bool, table: dict[str, str], facts: FileFacts | None = None) -> Role:
    """The role of a usage at `path` (`vendored`: inside a vendored copy;
    `facts`: the file's facts, which confirm a test named by its file name)."""
    if vendored:
        return Role.VENDORED
    folders, globs = _rules(tuple(sorted(table.items())))
    *parts, name = path.split("/")
    for part in parts:
        role = folders.get(part.lower())
        if role is not None:
            return role
    for glob, role in globs:
        if fnmatch.fnmatchcase(name.lower(), glob):
            if role == Role.TEST and name.endswith(".py") and not (facts is not None and reads_as_tests(facts)):
                continue
            return role
    return Role.CODE


def reads_as_tests(facts: FileFacts) -> bool:
    """A module of tests: it defines `test*` functions or `Test*` classes, or
    imports pytest or unittest."""
    return any(s.kind == ScopeKind.FUNCTION and s.name.startswith("test") or
               s.kind == ScopeKind.CLASS and s.name.startswith("Test") for s in facts.scopes) \
        or any(i.target.split(".")[0] in ("pytest", "unittest") for i in facts.imports)


def with_roles(rows: list[Usage], table: dict[str, str], files: dict[str, FileFacts]) -> list[Usage]:
    """Each row with its role set from its path, its file and its `vendored` flag."""
    out = []
    for u in rows:
        role = role_of(u.path, u.vendored, table, files.get(u.path)).value
        out.append(u if role == u.role else replace(u, role=role))
    return out


@lru_cache(maxsize=8)
def _rules(items: tuple[tuple[str, str], ...]) -> tuple[dict[str, Role], tuple[tuple[str, Role], ...]]:
    folders = {k[:-1].lower(): Role(v) for k, v in items if k.endswith("/")}
    globs = tuple((k.lower(), Role(v)) for k, v in items if not k.endswith("/"))
    return folders, globs
