"""Which files of a repository are worth reading, and which are worth parsing.

Selection by path and size happens before any byte is read; the keyword
prefilter runs on the bytes, before any parse. Python files that no keyword
selects are still parsed when a selected file imports them, or when they import
a selected file: the constant, the argparse option or the caller that feeds a
loading call often lives next door.
"""
from __future__ import annotations

import codecs
import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

import ahocorasick_rs

from miner.extract.config import is_config_path
from miner.extract.python import EXEC_ANY
from miner.extract.shell import DOTENV_NAMES, is_dockerfile, is_dotenv, source_path
from miner.extract.text import decode_text
from miner.resolve.modules import SETTINGS_DIRS, module_names, relative_target, settings_file  # noqa: F401
from miner.records import FileKind, SourceFile

if TYPE_CHECKING:
    from miner.patterns import Registry

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
NOTEBOOK_MAX_BYTES = 128 * 1024 * 1024  # notebooks carry outputs (images, logs); their code is small


def limit_for(kind: FileKind, max_bytes: int) -> int:
    """The size cap of a file kind: notebooks get room for their outputs."""
    return max(max_bytes, NOTEBOOK_MAX_BYTES) if kind == FileKind.NOTEBOOK else max_bytes


def worth_reading(path: str, size: int, *, max_bytes: int) -> bool:
    """Whether a file may be read at all: of a kind the miner extracts, within
    its size cap (known before any byte is read; a plain folder hashes no other)."""
    kind = file_kind(path)
    return kind is not None and size <= limit_for(kind, max_bytes)

_SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".slurm", ".sbatch", ".mk")
SMALL_CONFIG = 64 * 1024
_CONFIG_DIRS = SETTINGS_DIRS | {"model", "models", "hydra", "recipes"}
_SHELL_KEYWORDS = (b"python", b"torchrun", b"accelerate", b"deepspeed", b"--model", b"model_name")


def file_kind(path: str) -> FileKind | None:
    """The extractor a path goes to, or None for a file that is never read."""
    name = posixpath.basename(path)
    lower = name.lower()
    if lower.endswith((".py", ".pyw")):
        return FileKind.PYTHON
    if lower.endswith(".ipynb"):
        return FileKind.NOTEBOOK
    if lower.endswith(_SHELL_SUFFIXES) or name in ("Makefile", "makefile", "GNUmakefile") or lower.endswith(".md") \
            or is_dotenv(path) or is_dockerfile(path):
        return FileKind.SHELL
    if is_config_path(path):
        return FileKind.CONFIG
    return None


# A keyword shorter than this (`load`, `Module`, `pipeline`) occurs in most files;
# it makes a file a candidate only together with the name of its library.
SPECIFIC_KEYWORD = 12


@dataclass(frozen=True, slots=True)
class Prefilter:
    """A bytes search for the registry's keywords (and model option names).

    Every keyword is looked for in one pass (Aho-Corasick): a file that holds
    none of them costs one read of its bytes, not one per keyword."""

    keywords: tuple[bytes, ...]  # specific enough alone (`from_pretrained`)
    paired: tuple[tuple[bytes, tuple[bytes, ...]], ...]  # (generic keyword, its libraries' names)
    config_keys: re.Pattern[bytes]  # a model key used as a key (`model_name_or_path:`, `"base_model" =`)
    shell_keywords: tuple[bytes, ...] = _SHELL_KEYWORDS  # and those of the registry's download commands
    _specific: ahocorasick_rs.BytesAhoCorasick = field(init=False, repr=False, compare=False)
    _generic: ahocorasick_rs.BytesAhoCorasick = field(init=False, repr=False, compare=False)
    _generic_words: tuple[bytes, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        words = tuple(sorted({k for k, _ in self.paired} | {r for _, roots in self.paired for r in roots}))
        object.__setattr__(self, "_specific", ahocorasick_rs.BytesAhoCorasick(list(self.keywords)))
        object.__setattr__(self, "_generic", ahocorasick_rs.BytesAhoCorasick(list(words)))
        object.__setattr__(self, "_generic_words", words)

    @classmethod
    def build(cls, registry: "Registry") -> "Prefilter":
        specific = sorted(k for k in registry.keywords if len(k) >= SPECIFIC_KEYWORD)
        paired = sorted((k, tuple(sorted(registry.keyword_roots.get(k, ())))) for k in registry.keywords
                        if len(k) < SPECIFIC_KEYWORD)
        keys = sorted(registry.table("model_keys"), key=len, reverse=True)
        return cls(
            _minimal(specific),
            tuple((k.encode(), tuple(r.encode() for r in roots)) for k, roots in paired),
            re.compile(rb"""(?:^|[\s"'{,-])(?:""" + b"|".join(re.escape(k.encode()) for k in keys) + rb""")["']?\s*[:=]""",
                       re.M | re.I),
            _SHELL_KEYWORDS + tuple(sorted({k.encode() for c in registry.commands for k in c.keywords})),
        )

    def wants(self, kind: FileKind, data: bytes, path: str = "") -> bool:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            data = decode_text(data).text.encode()  # the keywords are ASCII: searched in UTF-8
        if kind in (FileKind.PYTHON, FileKind.NOTEBOOK):
            return self._has_keyword(data)
        if kind == FileKind.SHELL:  # a Dockerfile's `ENV` lines set what the code reads: always read
            return is_dockerfile(path) or any(k in data for k in self.shell_keywords)
        # A small config in a config-group folder (Hydra's `conf/model/bert.yaml`) is
        # read whatever its keys: code looks them up as `cfg.model.name`.
        grouped = len(data) <= SMALL_CONFIG and bool(set(path.lower().split("/")[:-1]) & _CONFIG_DIRS)
        return grouped or self.config_keys.search(data) is not None

    def _has_keyword(self, data: bytes) -> bool:
        """A specific keyword, or a generic one with one of its libraries' names."""
        if self._specific.find_matches_as_indexes(data):
            return True
        # Overlapping: `load` inside `download` counts, as `b"load" in data` would.
        found = {self._generic_words[i] for i, _, _ in self._generic.find_matches_as_indexes(data, overlapping=True)}
        return any(k in found and any(r in found for r in roots) for k, roots in self.paired)


def _minimal(words: list[str]) -> tuple[bytes, ...]:
    """Keywords with those that contain another one left out: a file holding
    `HuggingFaceEmbeddings` holds `HuggingFaceEmbedding` too."""
    kept = [w for w in words if not any(o != w and o in w for o in words)]
    return tuple(w.encode() for w in sorted(kept, key=lambda w: (w != "from_pretrained", w)))


_IMPORT = re.compile(rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+([\w., \t()*]+)|import[ \t]+([\w., \t]+))", re.M)


REEXPORT = "="  # marks a name the file imports only to be imported from it (`=.impl.load`)


def imported_modules(data: bytes) -> set[str]:
    """Dotted names a Python source imports: `import a.b`, `from a.b import c`
    (`a.b` and `a.b.c`: c may be a module). A `from` import of classes only
    (`from .modeling import BertModel`) names `a.b.C` alone. A name the file
    never mentions again is REEXPORT-marked: others import it from here."""
    found: set[str] = set()
    for match in _import_lines(data):
        frm, names, plain = match.groups()
        if plain:
            for part in plain.decode("ascii", "replace").split(","):
                found.add(part.split(" as ")[0].strip())
        elif frm is not None:
            module = frm.decode("ascii", "replace")
            pairs = [(p.split(" as ")[0].strip(), p.split(" as ")[-1].strip())
                     for p in names.decode("ascii", "replace").strip("() \t").split(",")]
            pairs = [(n, a) for n, a in pairs if n]
            if any(n == "*" for n, _ in pairs):
                found.add(REEXPORT + module)  # a star import passes on every name
            elif any(not n[:1].isupper() or n.isupper() for n, _ in pairs):
                found.add(module)
            for name, alias in pairs:
                if name == "*":
                    continue
                dotted = module + name if module.endswith(".") else f"{module}.{name}"
                if _only_imported(data, alias.encode(), match.start(), match.end()):
                    dotted = REEXPORT + dotted
                found.add(dotted)
    if b"exec(" in data:  # as `_EXEC_FILE` needs
        found.update(executed_modules(data))
    return {m for m in found if m}


def _only_imported(data: bytes, word: bytes, start: int, end: int) -> bool:
    """Whether `data` names `word` only on its import line (`start`:`end`) and
    as a quoted string (`__all__`): no more mentions than the line and the
    quoted ones, as `bytes.count` counts them. Most names are used just below
    their import: the mentions are walked from there, and the first plain one
    that stands alone decides (a mention inside a longer name decides too,
    unless the word may overlap itself: `settings` ends as it starts)."""
    overlaps = None
    for begin, stop in ((end, len(data)), (0, start)):
        closed = -1  # the closing quote of the last quoted mention: `count` does not use it twice
        at = data.find(word, begin, stop)
        while at != -1:
            after = at + len(word)
            quote = data[at - 1:at] if at else b""
            if quote in (b'"', b"'") and data[after:after + 1] == quote and at - 1 != closed:
                closed = after
            elif not (_word_byte(data, at - 1) or _word_byte(data, after)):
                return False
            else:
                if overlaps is None:
                    overlaps = _overlaps(word)
                if not overlaps:
                    return False
            at = data.find(word, after, stop)
    if not (_overlaps(word) if overlaps is None else overlaps):
        return True
    line = data[start:end]
    return data.count(word) <= line.count(word) + data.count(b'"' + word + b'"') + data.count(b"'" + word + b"'")


def _overlaps(word: bytes) -> bool:
    """Whether two mentions of `word` can share bytes: a prefix ends it."""
    return any(word[:k] == word[-k:] for k in range(1, len(word)))


def _word_byte(data: bytes, at: int) -> bool:
    return 0 <= at < len(data) and (data[at:at + 1].isalnum() or data[at:at + 1] == b"_" or data[at] >= 0x80)


_EXEC_FILE = re.compile(rb"""\bexec\(\s*open\(\s*(?:(["'])(?:\./)?([\w./-]+)\.py\1|([^)]*))""")


def executed_modules(data: bytes) -> set[str]:
    """The files `exec(open("models.py").read())` runs, as module names;
    EXEC_ANY for a file named at run time (`exec(open(config_file).read())`)."""
    found = set()
    for match in _EXEC_FILE.finditer(data):
        if match.group(2):
            found.add(match.group(2).decode("ascii", "replace").lstrip("/").replace("/", "."))
        else:
            found.add(EXEC_ANY)
    return found


def _import_lines(data: bytes) -> Iterator[re.Match[bytes]]:
    """`_IMPORT`'s matches, tried only at the start of lines that hold `import`
    (a match never spans lines): the same as `finditer`, several times faster."""
    tried = -1
    at = data.find(b"import")
    while at != -1:
        start = data.rfind(b"\n", 0, at) + 1
        if start > tried:
            tried = start
            match = _IMPORT.match(data, start)
            if match is not None:
                yield match
        at = data.find(b"import", at + 6)


# A quoted path to a config file (`open("configs/train.yaml")`); in a notebook's
# JSON its quotes are escaped.
_CONFIG_REFERENCE = re.compile(rb"""["']([^"'\\\s]{0,200}?\.(?:ya?ml|json|toml|cfg|ini))\\?["']""", re.I)


_CONFIG_SUFFIX = re.compile(rb"\.(?:ya?ml|json|toml|cfg|ini)\b", re.I)


def config_references(data: bytes) -> tuple[str, ...]:
    """Config paths a Python source or notebook names in a string literal,
    without leading `./` and `../` (matched against the end of repository paths),
    and the dotenv files when it uses python-dotenv."""
    found = set(DOTENV_NAMES) if b"dotenv" in data else set()  # load_dotenv() reads .env by itself
    if _CONFIG_SUFFIX.search(data) is None:
        return tuple(sorted(found))  # most sources name no config file: this search is several times cheaper
    for match in _CONFIG_REFERENCE.finditer(data):
        path = match.group(1).decode("utf-8", "replace").replace("\\", "/")
        while path.startswith(("./", "../")):
            path = path.split("/", 1)[1]
        if path and not any(ch in path for ch in "{}%$*"):  # a formatted or globbed path names no one file
            found.add(path.lstrip("/"))
    return tuple(sorted(found))


_SOURCE_LINE = re.compile(rb"(?:^|[;&|]\s*)[ \t]*(?:source|\.)[ \t]+([^\n;&|#]+)", re.M)


def sourced_files(data: bytes) -> tuple[str, ...]:
    """The files a shell script `source`s (`source env.sh`, `. "$(dirname "$0")/env.sh"`)."""
    found = {source_path(m.group(1).decode("utf-8", "replace")) for m in _SOURCE_LINE.finditer(data)}
    return tuple(sorted(p for p in found if p))


def module_stem(path: str) -> str:
    stem = posixpath.basename(path)[:-3]
    return posixpath.basename(posixpath.dirname(path)) if stem == "__init__" else stem


def files_by_module(files: list[SourceFile]) -> dict[str, list[SourceFile]]:
    """Python files by every dotted suffix of their module path."""
    out: dict[str, list[SourceFile]] = {}
    for f in files:
        if f.path.endswith(".py"):
            for name in module_names(f.path):
                out.setdefault(name, []).append(f)
    return out


def resolve_import(module: str, importer: str, index: dict[str, list[SourceFile]],
                   by_path: dict[str, SourceFile]) -> list[SourceFile]:
    """Files an import statement in `importer` may refer to."""
    if module.startswith("."):
        target = relative_target(module, importer)
        return [by_path[p] for p in (f"{target}.py", f"{target}/__init__.py") if p in by_path]
    return index.get(module, [])[:4]


def parent_module(module: str) -> str | None:
    """The module a dotted import name is taken from (`pkg.mod.Name` -> `pkg.mod`,
    `.Name` -> `.`), or None for a top-level name."""
    level = len(module) - len(module.lstrip("."))
    rest = module[level:]
    if "." in rest:
        return module[:level] + rest.rpartition(".")[0]
    return module[:level] or None
