"""Known models: which mined ids are in a list the user already has.

`mine --known-models FILE` reads a CSV or Parquet file of hub ids (a PeaTMOSS
`model` table export, a hub listing, ...) and marks every resolved usage and
every `repo_models` row `known` true or false; rows without an id, and every row
when no list is given, are null. This module owns reading that file, picking its
id column, and the matching rule:

- case-insensitive, surrounding whitespace ignored;
- a Hugging Face id matches in either its legacy or its namespaced form
  (`bert-base-uncased` and `google-bert/bert-base-uncased`, from the
  `legacy_hf` table), and through the row's `canonical_id`;
- a PyTorch Hub id `owner/repo:entry` also matches PeaTMOSS's `owner/repo/entry`.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

ID_COLUMNS = ("context_id", "model_id", "id", "repo_id")  # in order of preference
PARQUET_MAGIC = b"PAR1"


class KnownModelsError(ValueError):
    """A known-models file that cannot be read or has no id column."""


@dataclass(frozen=True, slots=True)
class KnownModels:
    """The normalized ids of a list, and the legacy-name table both ways."""

    source: str
    column: str
    ids: frozenset[str]
    aliases: Mapping[str, str]  # lower-cased legacy <-> namespaced id, both directions

    def __len__(self) -> int:
        return len(self.ids)

    def knows(self, hub: str, model_id: str | None, canonical_id: str | None = None) -> bool | None:
        """True if any form of the id is listed; None when there is no id."""
        if model_id is None:
            return None
        return any(form in self.ids for form in self.forms(hub, model_id, canonical_id))

    def forms(self, hub: str, model_id: str, canonical_id: str | None = None) -> set[str]:
        forms = {_norm(model_id)}
        if canonical_id:
            forms.add(_norm(canonical_id))
        for form in list(forms):
            if form in self.aliases:
                forms.add(self.aliases[form])
        if hub == "torch_hub":
            forms |= {f.replace(":", "/", 1) for f in forms if ":" in f}
        return forms


def load_known(path: Path, legacy: Mapping[str, str] | None = None) -> KnownModels:
    """Read the ids of `path` (CSV with a header row, or Parquet)."""
    if not path.is_file():
        raise KnownModelsError(f"known-models file not found: {path}")
    try:
        columns = _read_parquet(path) if _is_parquet(path) else _read_csv(path)
    except KnownModelsError:
        raise
    except (OSError, UnicodeDecodeError, csv.Error, pa.ArrowException) as exc:
        raise KnownModelsError(f"cannot read known-models file {path}: {exc}") from exc
    column = pick_column(list(columns), path)
    ids = frozenset(_norm(v) for v in columns[column] if v is not None and str(v).strip())
    return KnownModels(source=str(path), column=column, ids=ids, aliases=_aliases(legacy or {}))


def pick_column(names: Sequence[str], path: Path | str = "") -> str:
    """The id column: the first of ID_COLUMNS present (any case), or the only column."""
    lowered = {name.strip().lower(): name for name in names}
    for wanted in ID_COLUMNS:
        if wanted in lowered:
            return lowered[wanted]
    if len(names) == 1:
        return names[0]
    raise KnownModelsError(
        f"no id column in known-models file {path}: expected one of {', '.join(ID_COLUMNS)} "
        f"or a single column, found {', '.join(map(repr, names)) or 'none'}")


def mark(known: KnownModels | None, hubs: Iterable[str], model_ids: Iterable[str | None],
         canonical_ids: Iterable[str | None]) -> list[bool | None]:
    """The `known` column for rows given column-wise (all null without a list)."""
    rows = list(zip(hubs, model_ids, canonical_ids))
    if known is None:
        return [None] * len(rows)
    return [known.knows(hub, model_id, canonical) for hub, model_id, canonical in rows]


def mark_table(known: KnownModels | None, table: pa.Table) -> list[bool | None]:
    """`mark` over a usages or repo_models table."""
    def column(name: str) -> list:
        return table.column(name).to_pylist() if name in table.column_names else [None] * table.num_rows
    return mark(known, column("hub"), column("model_id"), column("canonical_id"))


def _norm(value: object) -> str:
    return str(value).strip().lower()


def _aliases(legacy: Mapping[str, str]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for old, new in legacy.items():
        aliases[_norm(old)] = _norm(new)
        aliases[_norm(new)] = _norm(old)
    return aliases


def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in (".parquet", ".pq"):
        return True
    with path.open("rb") as f:
        return f.read(4) == PARQUET_MAGIC


def _read_parquet(path: Path) -> dict[str, list]:
    schema = pq.read_schema(path)
    column = pick_column(schema.names, path)
    return {name: [] for name in schema.names} | {column: pq.read_table(path, columns=[column]).column(0).to_pylist()}


def _read_csv(path: Path) -> dict[str, list]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        sample = f.read(64 * 1024)
        f.seek(0)
        delimiter = "\t" if path.suffix.lower() == ".tsv" or ("\t" in sample and "," not in sample) else ","
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, None)
        if not header:
            raise KnownModelsError(f"known-models file {path} is empty (a CSV needs a header row)")
        column = pick_column(header, path)
        index = header.index(column)
        values = [row[index] for row in reader if len(row) > index]
    return {name: [] for name in header} | {column: values}
