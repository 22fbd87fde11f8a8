"""Reading an output folder of `mine` back, for the exports and the report.

This module owns the one check every consumer needs: OUT_DIR exists and holds
readable `usages`, `repo_models` and `repos` tables with the contract's columns
(`problems` is optional). Columns this project added later are filled with
nulls when an older folder lacks them, so the exports work on any folder that
follows CONTRACT.md. Each table may be a Parquet file or a folder of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# The contract's columns: without them a table is not ours.
REQUIRED = {
    "usages": ("repo", "commit", "path", "line", "api", "hub", "repo_type", "model_id", "resolution", "expression"),
    "repo_models": ("repo", "hub", "repo_type", "model_id", "n_usages"),
    "repos": ("repo", "source", "commit", "status", "error"),
}
# Additions read by the exports, null when absent.
OPTIONAL = {
    "usages": (("library", pa.string()), ("canonical_id", pa.string()), ("revision", pa.string()),
               ("trust_remote_code", pa.bool_()), ("file", pa.string()), ("auth", pa.bool_()),
               ("vendored", pa.bool_()), ("known", pa.bool_()),
               ("origin_path", pa.string()), ("origin_line", pa.int32()), ("carrier", pa.string())),
    "repo_models": (("canonical_id", pa.string()), ("resolutions", pa.string()), ("known", pa.bool_())),
    "repos": (("files_seen", pa.int32()), ("stale", pa.bool_())),
    "problems": (("repo", pa.string()), ("path", pa.string()), ("stage", pa.string()),
                 ("reason", pa.string()), ("detail", pa.string())),
}


class ExportError(ValueError):
    """OUT_DIR cannot be read, or an export cannot be written."""


@dataclass(frozen=True, slots=True)
class Mined:
    """The four tables of one output folder."""

    out: Path
    usages: pa.Table
    repo_models: pa.Table
    repos: pa.Table
    problems: pa.Table

    def linked_usages(self) -> list[dict]:
        """The usages behind `repo_models` rows: resolved ids, and vendored
        copies only if the run counted them (`--include-vendored`)."""
        keys = {(r["repo"], r["hub"], r["repo_type"], r["model_id"])
                for r in self.repo_models.select(["repo", "hub", "repo_type", "model_id"]).to_pylist()}
        return [u for u in self.usages.to_pylist()
                if u["model_id"] is not None and (u["repo"], u["hub"], u["repo_type"], u["model_id"]) in keys]


def read_mined(out: Path) -> Mined:
    if not out.exists():
        raise ExportError(f"output folder not found: {out} (run `mine --out {out}` first)")
    if not out.is_dir():
        raise ExportError(f"not a folder: {out}")
    return Mined(out=out, usages=_read(out, "usages"), repo_models=_read(out, "repo_models"),
                 repos=_read(out, "repos"), problems=_read(out, "problems", optional=True))


def _read(out: Path, name: str, *, optional: bool = False) -> pa.Table:
    path = out / f"{name}.parquet"
    if not path.exists():
        if optional:
            return _fill(pa.table({}), name)
        raise ExportError(f"table not found: {path} (is {out} a folder written by `mine`?)")
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise ExportError(f"unreadable table {path}: {exc}") from exc
    missing = [c for c in REQUIRED.get(name, ()) if c not in table.column_names]
    if missing:
        raise ExportError(f"table {path} lacks the columns {', '.join(missing)}")
    return _fill(table, name)


def _fill(table: pa.Table, name: str) -> pa.Table:
    for column, kind in OPTIONAL.get(name, ()):
        if column not in table.column_names:
            table = table.append_column(pa.field(column, kind), pa.nulls(table.num_rows, kind))
    return table
