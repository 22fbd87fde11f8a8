"""The content-addressed cache of extracted facts.

Facts of a file depend only on its bytes, its kind, the extractor code and the
pattern registry (whose keywords select the calls kept). So they are keyed by
the blob id plus a version string made of those; a changed file has a new blob
id, a changed extractor or pattern file a new version, and each misses exactly
what it must. SQLite in WAL mode, committed per batch: a run killed midway keeps
every batch it finished.
"""
from __future__ import annotations

import functools
import hashlib
import marshal
import operator
import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from miner.records import (
    Arg, Binding, BindKind, CallSite, ConfigValue, FileFacts, FileKind, Guard, Import, Param, ParseStatus, Scope,
    ScopeKind, ShellArg, ShellSource, ShellVar,
)

EXTRACTOR_VERSION = "1"
PACK_FORMAT = 6  # bump when `pack`'s layout changes


@dataclass(frozen=True, slots=True)
class Scan:
    """What the prefilter learnt of a blob without parsing it."""

    wanted: bool  # it contains a registry keyword
    imports: tuple[str, ...]  # modules its import lines name (Python only)
    files: tuple[str, ...] = ()  # files it names: configs in Python strings, scripts a shell file sources


def extractor_version(registry_version: str) -> str:
    """Changes when the extractor code, the prefilter or the pattern files change."""
    source = Path(__file__).resolve().parent / "extract"
    digest = hashlib.sha256(EXTRACTOR_VERSION.encode() + registry_version.encode())
    for path in sorted(source.glob("*.py")):
        digest.update(path.read_bytes())
    for name in ("records.py", "discover.py"):  # record shapes; what the prefilter wants
        digest.update((Path(__file__).resolve().parent / name).read_bytes())
    return digest.hexdigest()[:16]


def pipeline_version(extractor: str) -> str:
    """Changes when anything that shapes the rows changes: the extractor, the
    patterns, or the resolver. An unchanged commit under the same pipeline
    version keeps its previous rows without being read again."""
    digest = hashlib.sha256(extractor.encode())
    for path in sorted((Path(__file__).resolve().parent / "resolve").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def pack(facts: FileFacts) -> bytes:
    """Facts as nested tuples of plain values, marshalled: several times faster
    both ways than pickling hundreds of thousands of record objects."""
    param, arg, guard = _fields_of(Param), _fields_of(Arg), _fields_of(Guard)  # C-level getters: no Python frame per record
    # An enum's `.value` is a descriptor call; a record without guards keeps its empty tuple.
    return marshal.dumps((
        PACK_FORMAT, facts.path, facts.kind.value, facts.status.value, facts.error,
        tuple((s.id, s.parent, _VALUES[s.kind], s.name, s.line, tuple(map(param, s.params)) if s.params else (),
               s.bases, s.decorators) for s in facts.scopes),
        tuple(map(_fields_of(Import), facts.imports)),
        tuple((b.scope, b.target, b.value, _VALUES[b.kind], b.line, b.top, b.guards and tuple(map(guard, b.guards)),
               b.direct) for b in facts.bindings),
        tuple((c.scope, c.callee, tuple(map(arg, c.args)), c.line, c.text, c.guards and tuple(map(guard, c.guards)))
              for c in facts.calls),
        tuple(map(_fields_of(ShellArg), facts.shell_args)),
        tuple(map(_fields_of(ConfigValue), facts.config_values)),
        tuple(map(_fields_of(ShellVar), facts.shell_vars)),
        tuple(map(_fields_of(ShellSource), facts.shell_sources)),
        tuple(sorted(facts.loose)),
        tuple(sorted(facts.opaque)),
        facts.notice,
    ))


# Enum lookups by value, and values by member, without the cost of calling the
# class (or the `value` descriptor) for each of hundreds of thousands of records.
_BIND_KINDS = {k.value: k for k in BindKind}
_SCOPE_KINDS = {k.value: k for k in ScopeKind}
_VALUES = {k: k.value for kinds in (BindKind, ScopeKind) for k in kinds}


def unpack(packed: bytes, path: str) -> FileFacts | None:
    """The facts under the path the blob has now (the same bytes at another
    path, in another fork, are parsed once); None for a corrupt entry."""
    try:
        fmt, _, kind, status, error, scopes, imports, bindings, calls, shell, config, variables, sources, \
            loose, opaque, notice = \
            marshal.loads(packed)
        if fmt != PACK_FORMAT:
            return None
        return FileFacts(
            path=path, kind=FileKind(kind), status=ParseStatus(status), error=error,
            scopes=tuple(Scope(i, parent, _SCOPE_KINDS[k], name, line, tuple(Param(*p) for p in params), bases, decos)
                         for i, parent, k, name, line, params, bases, decos in scopes),
            imports=tuple(Import(*i) for i in imports),
            bindings=tuple(Binding(sc, t, v, _BIND_KINDS[k], ln, top, tuple(Guard(*g) for g in guards) if guards else (),
                                   direct) for sc, t, v, k, ln, top, guards, direct in bindings),
            calls=tuple(CallSite(sc, callee, tuple(Arg(*a) for a in args), ln, text, tuple(Guard(*g) for g in guards))
                        for sc, callee, args, ln, text, guards in calls),
            shell_args=tuple(ShellArg(*a) for a in shell),
            config_values=tuple(ConfigValue(*v) for v in config),
            shell_vars=tuple(ShellVar(*v) for v in variables),
            shell_sources=tuple(ShellSource(*s) for s in sources),
            loose=frozenset(loose),
            opaque=frozenset(opaque),
            notice=notice,
        )
    except Exception:  # noqa: BLE001 - a corrupt entry is a miss
        return None


def astuple_flat(record) -> tuple:
    """A flat record's field values (no nested records), in field order."""
    return _fields_of(type(record))(record)


@functools.cache
def _fields_of(cls: type) -> Callable[[object], tuple]:
    names = cls.__slots__
    if len(names) == 1:
        return lambda record: (getattr(record, names[0]),)
    return operator.attrgetter(*names)  # a tuple of the values, built in C


_SETUP = (
    "PRAGMA synchronous=NORMAL",
    "CREATE TABLE IF NOT EXISTS facts (blob TEXT, kind TEXT, version TEXT, data BLOB,"
    " PRIMARY KEY (blob, kind, version))",
    "CREATE TABLE IF NOT EXISTS scans (blob TEXT, kind TEXT, version TEXT, wanted INTEGER, imports TEXT,"
    " files TEXT DEFAULT '', PRIMARY KEY (blob, kind, version))",
    "CREATE TABLE IF NOT EXISTS repo_state (repo TEXT PRIMARY KEY, commit_id TEXT, version TEXT, files_seen INTEGER)",
)
SETUP_SECONDS = 60.0


DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")  # a truncated or overwritten file


class FactsCache:
    def __init__(self, path: Path, *, version: str, repair: bool = False):
        """Open (or create) the cache at `path`. With `repair` (the process that
        coordinates a run, before any worker opens it), a damaged file is moved
        aside with a warning and a new cache is started: what it held is only
        parsed again."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.version = version
        try:
            self._open(path)
        except sqlite3.DatabaseError as exc:
            if not repair or getattr(exc, "sqlite_errorname", None) not in DAMAGED:
                raise
            aside = _set_aside(path)
            print(f"warning: the facts cache {path} is damaged ({exc}); moved aside to {aside.name} "
                  "and started anew (its files are parsed again)", file=sys.stderr)
            self._open(path)

    def _open(self, path: Path) -> None:
        self._db = sqlite3.connect(path, timeout=SETUP_SECONDS)
        try:
            self._set_up()
        except BaseException:
            self._db.close()
            raise

    def _set_up(self) -> None:
        """WAL mode and the tables. Workers that open a new cache at the same
        moment race for them, and switching to WAL fails at once ("database
        is locked") instead of waiting: so it is retried, and skipped when on."""
        deadline = time.monotonic() + SETUP_SECONDS
        delay = 0.01
        while True:
            try:
                if self._db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    self._db.execute("PRAGMA journal_mode=WAL")
                for statement in _SETUP:
                    self._db.execute(statement)
                columns = {row[1] for row in self._db.execute("PRAGMA table_info(scans)")}
                if "files" not in columns:  # a cache written before scans named files
                    self._db.execute("ALTER TABLE scans ADD COLUMN files TEXT DEFAULT ''")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def get(self, blob: str, kind: FileKind) -> bytes | None:
        """The packed facts of a blob (see `pack`): the coordinating process
        never unpacks them, it hands them on to resolution."""
        row = self._db.execute(
            "SELECT data FROM facts WHERE blob=? AND kind=? AND version=?", (blob, kind.value, self.version)
        ).fetchone()
        return row[0] if row is not None else None

    def put_many(self, entries: list[tuple[str, FileKind, bytes]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?)",
                [(blob, kind.value, self.version, packed) for blob, kind, packed in entries],
            )

    def get_scan(self, blob: str, kind: FileKind) -> Scan | None:
        row = self._db.execute(
            "SELECT wanted, imports, files FROM scans WHERE blob=? AND kind=? AND version=?",
            (blob, kind.value, self.version),
        ).fetchone()
        if row is None:
            return None
        return Scan(bool(row[0]), tuple(filter(None, row[1].split("\n"))), tuple(filter(None, (row[2] or "").split("\n"))))

    def put_scans(self, entries: list[tuple[str, FileKind, Scan]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO scans (blob, kind, version, wanted, imports, files) VALUES (?, ?, ?, ?, ?, ?)",
                [(blob, kind.value, self.version, int(s.wanted), "\n".join(s.imports), "\n".join(s.files))
                 for blob, kind, s in entries],
            )

    def get_state(self, repo: str) -> tuple[str, str, int] | None:
        """(commit, pipeline version, files seen) of the repository's last good mine."""
        return self._db.execute("SELECT commit_id, version, files_seen FROM repo_state WHERE repo=?", (repo,)).fetchone()

    def put_states(self, states: list[tuple[str, str, str, int]]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO repo_state VALUES (?, ?, ?, ?)", states)

    def prune(self) -> int:
        """Drop entries of other extractor versions."""
        with self._db:
            n = self._db.execute("DELETE FROM facts WHERE version != ?", (self.version,)).rowcount
            return n + self._db.execute("DELETE FROM scans WHERE version != ?", (self.version,)).rowcount

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "FactsCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _set_aside(path: Path) -> Path:
    """Rename a damaged cache (and its journal files) out of the way."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            os.replace(source, aside.with_name(aside.name + suffix))
    return aside
