"""Which folders of a repository are copies of another project.

A fork of fairseq at the root, LAVIS or Megatron in a folder of their own,
`taming-transformers` checked out under `src/`, MiDaS copied into
`annotator/midas/`: their loading calls are the upstream project's, not the
repository's. A copy is recognised by what it is, from the projects listed in
`patterns/_vendored.toml`: a folder (or the repository itself, when its key
says it is another repository than the project's own) whose own setup.py /
setup.cfg / pyproject.toml names a listed distribution; a package
with a listed project's name that holds that project's layout; a folder below
the root with its own LICENSE naming the upstream copyright holder. (Copies
known by the copyright headers of their files: `headers.py`.)

The evidence is read with the tree (`miner/resolve/tree.py`) and judged
here with the registry's data (`copied_roots`). What cannot be read (a
setup.py that computes its name) is no evidence: unknown means keep.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from miner.patterns import PatternError, Registry
from miner.resolve.tree import TreeEvidence, normalise

@dataclass(frozen=True, slots=True)
class Project:
    name: str
    distributions: frozenset[str]
    package: str | None
    layouts: tuple[tuple[str, ...], ...]
    holders: tuple[str, ...]
    homes: frozenset[str]  # the project's own repositories, `owner/name` in lower case
    notices: tuple[str, ...] = ()  # in the copyright line of a file's header, lower case (headers.py)
    owners: frozenset[str] = frozenset()  # GitHub owners whose own code carries those notices, lower case
    files: frozenset[str] = frozenset()  # upstream scripts copied one by one (`run_glue.py`)


def copied_roots(tree: TreeEvidence | None, registry: Registry, repo: str = "") -> frozenset[str]:
    """Folders (`path/`, or "" for the whole repository) of the repository
    `repo` (its key) that hold a copy of a listed project."""
    if tree is None:
        return frozenset()
    listed = tuple(p for p in projects(registry) if repo.lower() not in p.homes)  # a project's home is no copy of it
    roots = {_root(folder) for folder, name in tree.manifests
             if (folder or _fork_key(repo)) and any(name in p.distributions for p in listed)}
    roots |= {_root(folder) for folder, text in tree.licenses
              if any(h in text for p in listed for h in p.holders)}
    roots |= set(_packages_with_layout(tree, listed))
    return frozenset(roots)


def _fork_key(repo: str) -> bool:
    """A GitHub `owner/name` key: the repository is known, and (its home
    excluded above) another repository than the project's own. A local path or
    another host's URL could be the project's own repository: unknown."""
    return re.fullmatch(r"[\w.-]+/[\w.-]+", repo) is not None


def _root(folder: str) -> str:
    return f"{folder}/" if folder else ""


def _packages_with_layout(tree: TreeEvidence, listed: tuple[Project, ...]) -> Iterator[str]:
    """`.../<package>/` folders holding every path of one of their project's
    layouts (`x/`: a folder), with or without an `__init__.py` (ControlNet's
    `ldm/` is a namespace package)."""
    by_package = {p.package: p for p in listed if p.package and p.layouts}
    present = set(tree.py_paths)
    for folder in sorted(tree.folders):
        name = folder.rsplit("/", 1)[-1]
        if name not in by_package:
            continue
        root = folder + "/"
        for layout in by_package[name].layouts:
            if all((root + entry)[:-1] in tree.folders if entry.endswith("/") else root + entry in present
                   for entry in layout):
                yield root
                break


_CHECKED: dict[str, tuple[Project, ...]] = {}


def projects(registry: Registry) -> tuple[Project, ...]:
    """The projects of `patterns/_vendored.toml`, checked once per registry version."""
    found = _CHECKED.get(registry.version)
    if found is None:
        found = _CHECKED[registry.version] = tuple(_project(row, i) for i, row in enumerate(registry.rows.get("vendored", ())))
    return found


def _project(row: dict, i: int) -> Project:
    where = f"_vendored.toml:row[{i}]"
    unknown = set(row) - {"name", "distributions", "package", "layouts", "holders", "homes", "notices", "owners", "files"}
    if unknown or "name" not in row:
        raise PatternError(f"{where}: `name` is required; unknown keys {sorted(unknown)}")
    layouts = row.get("layouts", [])
    if not (isinstance(layouts, list) and all(isinstance(entry, list) and entry and all(isinstance(e, str) for e in entry)
                                              for entry in layouts)):
        raise PatternError(f"{where}: `layouts` must be a list of non-empty lists of paths")
    return Project(str(row["name"]), frozenset(normalise(d) for d in row.get("distributions", [])),
                   row.get("package"), tuple(tuple(entry) for entry in layouts), tuple(row.get("holders", [])),
                   frozenset(h.lower() for h in row.get("homes", [])), tuple(n.lower() for n in row.get("notices", [])),
                   frozenset(o.lower() for o in row.get("owners", [])), frozenset(row.get("files", [])))
