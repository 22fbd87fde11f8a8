"""Which file of a repository a dotted module name, or a path written in
code (`open("conf/x.yaml")`, `source env.sh`), refers to.

A repository has no single import root: scripts are run from their own folder,
from `src/`, or from the top. A file answers to every suffix of its dotted path
(`src/pkg/settings.py` is `src.pkg.settings`, `pkg.settings` and `settings`);
when several files answer to a name, the one closest to the importer wins.
"""
from __future__ import annotations

import functools
import posixpath
from collections import defaultdict

from miner.records import FileFacts, FileKind


SETTINGS_DIRS = frozenset({"conf", "config", "configs", "cfg", "cfgs"})  # where Python settings files live


def settings_file(path: str) -> bool:
    """A Python file in a config folder (`config/train_small.py`): what a file
    that `exec` runs, named at run time, may be."""
    return path.endswith(".py") and bool({p.lower() for p in path.split("/")[:-1]} & SETTINGS_DIRS)


def module_names(path: str) -> list[str]:
    """Every dotted name under which `path` may be imported, longest first."""
    stem = path[:-3] if path.endswith(".py") else path
    parts = [p for p in stem.split("/") if p]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return [".".join(parts[i:]) for i in range(len(parts))]


def referenced_files(references: set[str], paths: list[str]) -> set[str]:
    """Files of the repository (of `paths`) that one of `references` can name:
    the same path, or else a path ending with it (`conf/x.yaml` for `x.yaml`)."""
    if not references:
        return set()
    by_name: dict[str, list[str]] = {}
    for path in paths:
        by_name.setdefault(posixpath.basename(path), []).append(path)
    out = set()
    for ref in references:
        same = [p for p in by_name.get(posixpath.basename(ref), ()) if p == ref or p.endswith("/" + ref)]
        out.update([ref] if ref in same else same[:4])  # `config.yaml` in every subproject: a few
    return out


class ModuleIndex:
    def __init__(self, files: list[FileFacts]):
        self._by_name: dict[str, list[FileFacts]] = defaultdict(list)
        self._by_path: dict[str, FileFacts] = {}
        self._found: dict[tuple[str, str], FileFacts | None] = {}
        for facts in files:
            if facts.kind in (FileKind.PYTHON, FileKind.NOTEBOOK) and facts.path.endswith(".py"):
                self._by_path[facts.path] = facts
                for name in module_names(facts.path):
                    self._by_name[name].append(facts)

    def find(self, module: str, *, importer: str) -> FileFacts | None:
        """The file that `importer` reaches with `import module` (absolute or
        relative, with leading dots), or None when it is not in the repository."""
        key = (module, importer)
        if key not in self._found:
            self._found[key] = self._find(module, importer)
        return self._found[key]

    def _find(self, module: str, importer: str) -> FileFacts | None:
        if module.startswith("."):
            return self._relative(module, importer)
        candidates = self._by_name.get(module)
        if not candidates:
            return None
        here = posixpath.dirname(importer)
        return max(candidates, key=lambda f: (_shared_prefix(here, posixpath.dirname(f.path)), -len(f.path)))

    def _relative(self, module: str, importer: str) -> FileFacts | None:
        target = relative_target(module, importer)
        return self._by_path.get(f"{target}.py") or self._by_path.get(f"{target}/__init__.py")


def relative_target(module: str, importer: str) -> str:
    """The path, without `.py`, that a relative import (`..pkg.mod`) in `importer` names."""
    return _relative_in(module, posixpath.dirname(importer))


@functools.lru_cache(maxsize=65536)  # the files of a package share their imports
def _relative_in(module: str, base: str) -> str:
    level = len(module) - len(module.lstrip("."))
    for _ in range(level - 1):
        base = posixpath.dirname(base)
    rest = module[level:].replace(".", "/")
    return posixpath.join(base, rest) if rest else base


def _shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/"), b.split("/")):
        if x != y:
            break
        n += 1
    return n
