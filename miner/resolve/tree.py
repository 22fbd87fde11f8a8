"""What a commit's tree says beyond the files that are parsed.

Read while the repository is read (`gather`), for resolution to judge: the
Python paths and folders of the tree, the distribution name that each
packaging file (setup.py / setup.cfg / pyproject.toml) declares as a literal,
the head of each LICENSE file below the root, and the root README. Only those
few small files are read; nothing is run. What cannot be read (a setup.py that
computes its name) is no evidence.
"""
from __future__ import annotations

import configparser
import posixpath
import re
import tomllib
from dataclasses import dataclass
from typing import Callable, Iterable

from miner.records import SourceFile

MANIFESTS = ("setup.py", "setup.cfg", "pyproject.toml")
_LICENSES = frozenset({"license", "license.txt", "license.md", "licence", "copying", "license.rst"})
MAX_EVIDENCE_FILES = 400  # packaging and license files read per commit
MAX_EVIDENCE_BYTES = 256 * 1024  # a larger one is no evidence
LICENSE_HEAD = 4096  # characters of a LICENSE file kept: the copyright line is at the top
README_HEAD = 64 * 1024
_READMES = frozenset({"readme.md", "readme.rst", "readme.txt", "readme", "readme_zh.md", "readme_cn.md", "readme.zh.md"})


@dataclass(frozen=True, slots=True)
class TreeEvidence:
    """What a commit's tree says: its Python file paths and its folders, the
    distribution each packaging file declares (by folder, "" for the root), the
    head of each LICENSE file below the root (by folder), and the root README."""

    py_paths: tuple[str, ...] = ()
    folders: frozenset[str] = frozenset()  # every folder that holds a file, `a/b` (no trailing `/`)
    manifests: tuple[tuple[str, str], ...] = ()
    licenses: tuple[tuple[str, str], ...] = ()
    readme: str = ""


def gather(files: list[SourceFile], read_many: Callable[[list[SourceFile]], Iterable[bytes]]) -> TreeEvidence:
    """The evidence of one listing; reads only packaging, nested LICENSE and root README files."""
    wanted = [f for f in files if _evidence_file(f.path) and f.size <= MAX_EVIDENCE_BYTES][:MAX_EVIDENCE_FILES]
    manifests, licenses, readme = [], [], ""
    for f, raw in zip(wanted, read_many(wanted)):
        folder, name = posixpath.split(f.path)
        text = raw.decode("utf-8", "replace")
        if name in MANIFESTS:
            declared = declared_name(name, text)
            if declared:
                manifests.append((folder, declared))
        elif name.lower() in _READMES:
            readme = text[:README_HEAD]
        else:
            licenses.append((folder, text[:LICENSE_HEAD]))
    folders = frozenset(p for f in files for p in _parents(f.path))
    py_paths = tuple(sorted(f.path for f in files if f.path.endswith(".py")))
    return TreeEvidence(py_paths, folders, tuple(sorted(manifests)), tuple(sorted(licenses)), readme)


def _parents(path: str) -> Iterable[str]:
    parts = path.split("/")[:-1]
    return ("/".join(parts[:i]) for i in range(1, len(parts) + 1))


def _evidence_file(path: str) -> bool:
    name = posixpath.basename(path)
    return name in MANIFESTS or ("/" in path and name.lower() in _LICENSES) or path.lower() in _READMES


_SETUP_NAME = re.compile(r"""\bsetup\s*\((?:[^()]|\([^()]*\))*?\bname\s*=\s*(['"])([A-Za-z0-9][\w.-]*)\1""", re.S)


def declared_name(filename: str, text: str) -> str | None:
    """The distribution name a packaging file declares as a literal, normalised
    (PEP 503); None when it is computed or absent."""
    name = None
    if filename == "setup.py":
        match = _SETUP_NAME.search(text)
        name = match.group(2) if match else None
    elif filename == "setup.cfg":
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text)
            name = parser.get("metadata", "name", fallback=None)
        except configparser.Error:
            return None
    else:
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError):
            return None
        project, poetry = data.get("project"), data.get("tool", {}).get("poetry") if isinstance(data.get("tool"), dict) else None
        name = next((t.get("name") for t in (project, poetry) if isinstance(t, dict) and isinstance(t.get("name"), str)), None)
    if not name or not re.fullmatch(r"[A-Za-z0-9][\w.-]*", name.strip()):
        return None
    return normalise(name)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


