"""`export --format peatmoss`: the mapping as PeaTMOSS's reuse tables, in SQLite.

PeaTMOSS (MSR 2024 mining challenge) links pre-trained models to the GitHub
repositories that reuse them through `model`, `reuse_repository`,
`model_to_reuse_repository` and `reuse_file`. This module writes those tables
with PeaTMOSS's column names and keys, so that `ATTACH`ing the file onto a
PeaTMOSS database joins on `model.context_id` (+ `model_hub_id`) and on
`reuse_repository.url`. Our ids are local to the file: join on those keys, never
on the integer ids. `model.context_id` is PeaTMOSS's spelling (the Hugging Face
id a model is published under, 2023 names for root models: `keys.peatmoss_model`);
the miner's own ids are in `ptm_miner_model`. What PeaTMOSS has no column for
goes into `ptm_miner_*` tables. Only `repo_type = model` rows are exported
(PeaTMOSS maps models only).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from miner.atomic import replacing
from miner.export import keys
from miner.export.load import ExportError, Mined
from miner.patterns import default_registry

SCHEMA = """
CREATE TABLE model_hub (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR UNIQUE,
    url VARCHAR,
    hub VARCHAR UNIQUE              -- ptm-miner's hub name
);
CREATE TABLE model (
    id INTEGER NOT NULL PRIMARY KEY,
    context_id VARCHAR,             -- the hub id, PeaTMOSS's spelling
    model_hub_id INTEGER REFERENCES model_hub (id),
    UNIQUE (context_id, model_hub_id)
);
CREATE TABLE reuse_repository (
    id INTEGER NOT NULL PRIMARY KEY,
    owner VARCHAR,
    name VARCHAR,
    url VARCHAR UNIQUE,             -- github.com/owner/name
    CONSTRAINT unique_owner_name UNIQUE (owner, name)
);
CREATE TABLE model_to_reuse_repository (
    model_id INTEGER NOT NULL REFERENCES model (id),
    reuse_repository_id INTEGER NOT NULL REFERENCES reuse_repository (id),
    PRIMARY KEY (model_id, reuse_repository_id)
);
CREATE TABLE reuse_file (
    id INTEGER NOT NULL PRIMARY KEY,
    path VARCHAR,                   -- relative to the repository root
    model_id INTEGER REFERENCES model (id),
    reuse_repository_id INTEGER REFERENCES reuse_repository (id),
    UNIQUE (reuse_repository_id, path, model_id)
);
CREATE TABLE ptm_miner_repository (
    repo VARCHAR NOT NULL PRIMARY KEY,  -- ptm-miner's repository key
    reuse_repository_id INTEGER REFERENCES reuse_repository (id),  -- null: no model found
    source VARCHAR,
    commit_sha VARCHAR,
    status VARCHAR,
    error VARCHAR
);
CREATE TABLE ptm_miner_model (
    model_id INTEGER NOT NULL REFERENCES model (id),
    hub VARCHAR NOT NULL,           -- ptm-miner's hub name
    hub_model_id VARCHAR NOT NULL,  -- repo_models.model_id: the id as the code gives it
    canonical_id VARCHAR,           -- repo_models.canonical_id
    PRIMARY KEY (hub, hub_model_id)
);
CREATE TABLE ptm_miner_usage (
    id INTEGER NOT NULL PRIMARY KEY,
    reuse_file_id INTEGER NOT NULL REFERENCES reuse_file (id),
    model_id INTEGER NOT NULL REFERENCES model (id),
    reuse_repository_id INTEGER NOT NULL REFERENCES reuse_repository (id),
    line INTEGER,
    api VARCHAR,
    library VARCHAR,
    resolution VARCHAR,
    expression VARCHAR,
    hub_model_id VARCHAR,           -- usages.model_id as written (model.context_id may be respelled)
    canonical_id VARCHAR,
    revision VARCHAR,
    trust_remote_code INTEGER,
    file VARCHAR,
    known INTEGER,
    origin_path VARCHAR,            -- where the id was written when not at the call (a shell line, a config key)
    origin_line INTEGER,
    carrier VARCHAR                 -- what carried it to the call (shell:--model_path, config:model.name)
);
"""


@dataclass(frozen=True, slots=True)
class PeatmossSummary:
    path: Path
    models: int
    repositories: int
    links: int
    files: int

    def __str__(self) -> str:
        return (f"{self.path}: {self.models} models, {self.repositories} reuse repositories, "
                f"{self.links} model-repository links, {self.files} reuse files")


def write_peatmoss(mined: Mined, to: Path) -> PeatmossSummary:
    """Write the SQLite file at `to` (replaced whole if it exists)."""
    if to.is_dir():
        raise ExportError(f"--to must be a file for --format peatmoss, not a folder: {to}")
    to.parent.mkdir(parents=True, exist_ok=True)
    with replacing(to) as tmp:
        with sqlite3.connect(tmp) as con:
            con.executescript(SCHEMA)
            summary = _fill(con, mined, to)
        con.close()
    return summary


def _fill(con: sqlite3.Connection, mined: Mined, to: Path) -> PeatmossSummary:
    links = [r for r in mined.repo_models.to_pylist() if r["repo_type"] == "model"]
    usages = [u for u in mined.linked_usages() if u["repo_type"] == "model"]
    hubs = sorted({r["hub"] for r in links})
    con.executemany("INSERT INTO model_hub VALUES (?, ?, ?, ?)", [keys.hub_row(h) for h in sorted(set(hubs) | {"huggingface", "torch_hub"})])
    spelled = _spellings(links)
    model_ids = _ids(sorted(set(spelled.values())))
    con.executemany("INSERT INTO model VALUES (?, ?, ?)", [(i, ctx, hub) for (hub, ctx), i in model_ids.items()])
    canonical = {(r["hub"], r["model_id"]): r["canonical_id"] for r in links}
    con.executemany("INSERT INTO ptm_miner_model VALUES (?, ?, ?, ?)",
                    [(model_ids[spelled[key]], *key, canonical[key]) for key in sorted(spelled)])
    refs = {r["repo"]: keys.repo_ref(r["repo"]) for r in links}
    by_url = {ref.url: ref for ref in refs.values()}  # two spellings of one repository: one row
    url_ids = _ids(sorted(by_url))
    con.executemany("INSERT INTO reuse_repository VALUES (?, ?, ?, ?)",
                    [(i, by_url[url].owner, by_url[url].name, url) for url, i in url_ids.items()])
    repo_ids = {repo: url_ids[ref.url] for repo, ref in refs.items()}

    def model_of(row: dict) -> int:
        return model_ids[spelled[(row["hub"], row["model_id"])]]

    pairs = sorted({(model_of(r), repo_ids[r["repo"]]) for r in links})
    con.executemany("INSERT INTO model_to_reuse_repository VALUES (?, ?)", pairs)
    file_ids = _ids(sorted({(repo_ids[u["repo"]], u["path"], model_of(u)) for u in usages}))
    con.executemany("INSERT INTO reuse_file VALUES (?, ?, ?, ?)",
                    [(i, path, model, repo) for (repo, path, model), i in file_ids.items()])
    con.executemany("INSERT INTO ptm_miner_usage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (n, file_ids[(repo_ids[u["repo"]], u["path"], model_of(u))], model_of(u), repo_ids[u["repo"]],
         u["line"], u["api"], u["library"], u["resolution"], u["expression"], u["model_id"], u["canonical_id"],
         u["revision"], u["trust_remote_code"], u["file"], u["known"], u["origin_path"], u["origin_line"], u["carrier"])
        for n, u in enumerate(usages, 1)])
    listed: dict[str, dict] = {}
    for row in mined.repos.to_pylist():  # a duplicate line does not hide the line that was mined
        if row["repo"] not in listed or listed[row["repo"]]["status"] == "duplicate":
            listed[row["repo"]] = row
    con.executemany("INSERT INTO ptm_miner_repository VALUES (?, ?, ?, ?, ?, ?)", [
        (repo, repo_ids.get(repo), row.get("source"), row.get("commit"), row.get("status"), row.get("error"))
        for repo, row in sorted({**{k: {} for k in repo_ids}, **listed}.items())])
    return PeatmossSummary(to, len(model_ids), len(url_ids), len(pairs), len(file_ids))


def _spellings(links: list[dict]) -> dict[tuple[str, str], tuple[int, str]]:
    """(hub, model_id) -> PeaTMOSS's (model_hub_id, context_id); several mined
    ids may share one (`gpt2` and `openai-community/gpt2`)."""
    legacy = default_registry().table("legacy_hf")
    return {(r["hub"], r["model_id"]): keys.peatmoss_model(r["hub"], r["model_id"], r["canonical_id"], legacy)
            for r in links}


def _ids(values: list) -> dict:
    """1-based ids in the given (sorted) order: the same tables give the same ids."""
    return {value: i for i, value in enumerate(values, 1)}
