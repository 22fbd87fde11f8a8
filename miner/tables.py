"""The Parquet tables: explicit schemas, derived tables, atomic writes.

The columns CONTRACT.md lists come first, in its order and types; what this
project adds comes after them.

The four tables of a run are one generation: each is written in full to a
temporary file in the output folder first (a full disk or a Ctrl-C there
leaves the previous tables untouched), then all are moved into place, and
each carries the generation's id in its Parquet metadata. A set whose tables
do not all carry the same id (a table deleted, or a run killed between the
renames) is not one generation, and nothing of it is reused.
"""
from __future__ import annotations

import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from miner.atomic import temporary_beside
from miner.pool import interrupts_held
from miner.records import ModelSpan, Problem, RepoResult, Usage
from miner.resolve.roles import DEFAULT_ROLES, Role

USAGES = pa.schema([
    ("repo", pa.string()), ("commit", pa.string()), ("path", pa.string()), ("line", pa.int32()),
    ("api", pa.string()), ("hub", pa.string()), ("repo_type", pa.string()), ("model_id", pa.string()),
    ("resolution", pa.string()), ("expression", pa.string()),
    ("library", pa.string()), ("canonical_id", pa.string()), ("revision", pa.string()),
    ("trust_remote_code", pa.bool_()), ("file", pa.string()), ("auth", pa.bool_()),
    ("vendored", pa.bool_()), ("partial_parse", pa.bool_()), ("role", pa.string()),
    ("origin_path", pa.string()), ("origin_line", pa.int32()), ("carrier", pa.string()),
])

REPO_MODELS = pa.schema([
    ("repo", pa.string()), ("hub", pa.string()), ("repo_type", pa.string()), ("model_id", pa.string()),
    ("n_usages", pa.int32()), ("canonical_id", pa.string()), ("resolutions", pa.string()),
    ("first_seen", pa.string()), ("first_seen_date", pa.string()),
    ("last_seen", pa.string()), ("last_seen_date", pa.string()),
    *((f"n_{role}", pa.int32()) for role in ("code", "test", "example", "docs", "vendored")),
])

REPOS = pa.schema([
    ("repo", pa.string()), ("source", pa.string()), ("commit", pa.string()), ("status", pa.string()),
    ("error", pa.string()), ("files_seen", pa.int32()), ("files_parsed", pa.int32()),
    ("n_usages", pa.int32()), ("stale", pa.bool_()),
])

PROBLEMS = pa.schema([
    ("repo", pa.string()), ("path", pa.string()), ("stage", pa.string()), ("reason", pa.string()),
    ("detail", pa.string()),
])

USAGE_FIELDS = USAGES.names

# `mine --known-models`: appended last to usages and repo_models; null when no list was given.
KNOWN = pa.field("known", pa.bool_())


def with_known(table: pa.Table, known: list[bool | None] | None = None) -> pa.Table:
    """`table` with the nullable `known` column appended at the end."""
    values = known if known is not None else [None] * table.num_rows
    return table.append_column(KNOWN, pa.array(values, type=pa.bool_()))


def usages_table(usages: Iterable[Usage]) -> pa.Table:
    rows = list(usages)
    columns = {name: [getattr(u, name) for u in rows] for name in USAGE_FIELDS}
    return pa.Table.from_pydict(columns, schema=USAGES)


def repo_models_table(usages: Iterable[Usage], *, include_vendored: bool = False,
                      roles: frozenset[str] | None = None,
                      spans: dict[str, tuple[ModelSpan, ...]] | None = None) -> pa.Table:
    """One row per (repo, hub, repo_type, model_id): resolved ids only, never
    local paths. A pair is made by the usages of the `roles` asked for (default:
    all but `vendored`; `include_vendored` adds it); `n_<role>` counts each
    role's usages of a pair that is made, and `n_usages` the total of the roles
    asked for. With spans (`--history`), every model ever seen on the history
    gets a row, with when it was first and last seen; one no longer used at
    HEAD has `n_usages` 0."""
    roles = (roles or DEFAULT_ROLES) | ({Role.VENDORED.value} if include_vendored else frozenset())
    counts: Counter[tuple[str, str, str, str]] = Counter()
    by_role: Counter[tuple[tuple[str, str, str, str], str]] = Counter()
    canonical: dict[tuple[str, str, str, str], str | None] = {}
    kinds: dict[tuple[str, str, str, str], set[str]] = {}
    for u in usages:
        if u.model_id is None:
            continue
        key = (u.repo, u.hub, u.repo_type, u.model_id)
        by_role[(key, u.role)] += 1
        if u.role not in roles:
            continue
        counts[key] += 1
        canonical.setdefault(key, u.canonical_id)
        kinds.setdefault(key, set()).add(u.resolution)
    seen: dict[tuple[str, str, str, str], ModelSpan] = {}
    for repo, repo_spans in (spans or {}).items():
        for span in repo_spans:
            seen[(repo, span.hub, span.repo_type, span.model_id)] = span
    keys = sorted(set(counts) | set(seen))
    span_of = [seen.get(k) for k in keys]
    return pa.Table.from_pydict({
        "repo": [k[0] for k in keys], "hub": [k[1] for k in keys], "repo_type": [k[2] for k in keys],
        "model_id": [k[3] for k in keys], "n_usages": [counts.get(k, 0) for k in keys],
        "canonical_id": [canonical.get(k) for k in keys],
        "resolutions": [",".join(sorted(kinds.get(k, ()))) for k in keys],
        "first_seen": [s.first_commit if s else None for s in span_of],
        "first_seen_date": [s.first_date if s else None for s in span_of],
        "last_seen": [s.last_commit if s else None for s in span_of],
        "last_seen_date": [s.last_date if s else None for s in span_of],
        **{f"n_{role.value}": [by_role.get((k, role.value), 0) for k in keys] for role in Role},
    }, schema=REPO_MODELS)


def repos_table(results: Iterable[RepoResult], *, stale: frozenset[str] = frozenset()) -> pa.Table:
    rows = list(results)
    return pa.Table.from_pydict({
        "repo": [r.spec.key for r in rows], "source": [r.spec.source for r in rows],
        "commit": [r.commit for r in rows], "status": [r.status.value for r in rows],
        "error": [r.error for r in rows], "files_seen": [r.files_seen for r in rows],
        "files_parsed": [r.files_parsed for r in rows], "n_usages": [len(r.usages) for r in rows],
        "stale": [r.spec.key in stale for r in rows],
    }, schema=REPOS)


def problems_table(problems: Iterable[Problem]) -> pa.Table:
    rows = list(problems)
    return pa.Table.from_pydict({name: [getattr(p, name) for p in rows] for name in PROBLEMS.names}, schema=PROBLEMS)


TABLES = ("usages", "repo_models", "repos", "problems")  # one generation, written together
GENERATION_KEY = b"ptm_miner.generation"


class TablesWritten(KeyboardInterrupt):
    """A Ctrl-C that arrived while the new tables were being put in place:
    they were all put in place first."""


def write_generation(out: Path, written: dict[str, pa.Table]) -> str:
    """Write the tables of one run (`TABLES`, by name) as one generation:
    every table in full beside its place first, then all renamed, with
    SIGINT/SIGTERM held back during the renames. Returns the generation id."""
    generation = uuid.uuid4().hex
    staged: list[tuple[Path, Path]] = []
    try:
        for name in TABLES:
            path = out / f"{name}.parquet"
            tmp = temporary_beside(path)
            staged.append((tmp, path))
            table = written[name]
            metadata = {**(table.schema.metadata or {}), GENERATION_KEY: generation.encode()}
            pq.write_table(table.replace_schema_metadata(metadata), tmp, compression="zstd")
        with interrupts_held():
            for tmp, path in staged:
                os.replace(tmp, path)
    except KeyboardInterrupt as exc:
        if all(not tmp.exists() for tmp, _ in staged) and len(staged) == len(TABLES):
            raise TablesWritten() from exc
        raise
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return generation


def generation_of(out: Path) -> str | None:
    """The generation id the tables in `out` share, or None when they are not
    one complete generation (a table missing, unreadable, or of another run)."""
    ids = set()
    for name in TABLES:
        try:
            metadata = pq.read_schema(out / f"{name}.parquet").metadata or {}
        except (OSError, pa.ArrowException):
            return None
        ids.add(metadata.get(GENERATION_KEY))
    return ids.pop().decode() if len(ids) == 1 and None not in ids else None


def read_usages(path: Path) -> list[Usage]:
    """Usage rows of a previous run (for repositories that fail this time)."""
    if not path.exists():
        return []
    table = pq.read_table(path)
    names = [n for n in USAGE_FIELDS if n in table.column_names]
    data = table.select(names).to_pylist()
    if "role" not in names:  # written before roles: a vendored row keeps out of the pairs it stayed out of
        data = [{**row, "role": "vendored" if row.get("vendored") else "code"} for row in data]
    return [Usage(**row) for row in data]
