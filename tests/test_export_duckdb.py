"""The DuckDB queries of docs/queries.md, run as written with the duckdb package
on tables mined from small git repositories, the PeaTMOSS export, and a
PeaTMOSS-shaped database. DuckDB's downloads are off: the sqlite extension is
installed by the docs' own set-up snippet, from the
`duckdb-extension-sqlite-scanner` PyPI package, into a fresh home folder."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from miner.cli import EXIT_OK, main
from tests.test_export_world import DOCS, World, build_world, peatmoss_db, readme_sql

duckdb = pytest.importorskip("duckdb")

QUERIES = readme_sql("duckdb-queries")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


def title(block: str) -> str:
    return block.splitlines()[0].removeprefix("-- ").split(":")[0].split(" (")[0]


@pytest.fixture(scope="module")
def folder(world: World) -> Path:
    """A folder laid out as the README says: out/, ptm.db, PeaTMOSS.db."""
    where = world.root / "duck"
    shutil.copytree(world.out, where / "out")
    assert main(["export", str(where / "out"), "--format", "peatmoss", "--to", str(where / "ptm.db")]) == EXIT_OK
    peatmoss_db(where / "PeaTMOSS.db")
    return where


def setup_snippet() -> str:
    """The Python block between `<!-- duckdb-setup:start -->` and `:end -->`."""
    found = [m for page in DOCS for m in re.findall(
        r"<!-- duckdb-setup:start -->\s*```python\n(.*?)```\s*<!-- duckdb-setup:end -->", page.read_text(), re.S)]
    assert len(found) == 1, "the docs have one DuckDB set-up snippet"
    return found[0]


@pytest.fixture(scope="module")
def extensions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the docs' set-up snippet as a user would, with a fresh home folder:
    it installs the sqlite extension into HOME/.duckdb/extensions."""
    home = tmp_path_factory.mktemp("home")
    done = subprocess.run([sys.executable, "-c", setup_snippet()], env={**os.environ, "HOME": str(home)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return home / ".duckdb" / "extensions"


def run(block: str, folder: Path, extensions: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Run one query offline: DuckDB may load what the snippet installed and download nothing."""
    monkeypatch.chdir(folder)
    con = duckdb.connect(config={"extension_directory": str(extensions), "autoinstall_known_extensions": False,
                                 "custom_extension_repository": "http://127.0.0.1:9/nowhere"})
    try:
        return con.execute(block).fetchall()
    finally:
        con.close()


def test_docs_have_the_queries() -> None:
    assert [title(q) for q in QUERIES] == [
        "Top models", "Repositories per model", "Share of pinned revisions, per hub", "How ids were resolved",
        "Reuse risks", "Join with PeaTMOSS directly", "Join with PeaTMOSS through the export"]


@pytest.mark.parametrize("block", QUERIES, ids=[title(q) for q in QUERIES])
def test_docs_query_runs(block: str, folder: Path, extensions: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = run(block, folder, extensions, monkeypatch)
    assert rows, "every documented query returns rows on the test tables"
    check = CHECKS[title(block)]
    check(rows)


def _top(rows: list[tuple]) -> None:
    assert rows[0] == ("huggingface", "bert-base-uncased", 2, 2)
    assert ("torch_hub", "pytorch/vision:resnet18", 1, 1) in rows


def _per_model(rows: list[tuple]) -> None:
    assert ("huggingface", "bert-base-uncased", 2, "acme/app, acme/lib") in rows


def _pinned(rows: list[tuple]) -> None:
    assert ("huggingface", 8, 1, 12.5) in rows and ("torch_hub", 1, 1, 100.0) in rows


def _resolutions(rows: list[tuple]) -> None:
    kinds = {r[0]: r[1] for r in rows}
    assert kinds == {"literal": 7, "constant": 1, "env_default": 1, "local_path": 1}
    assert round(sum(r[2] for r in rows)) == 100


def _risks(rows: list[tuple]) -> None:
    assert rows == [("acme/app", 1, 1, 1), ("acme/lib", 0, 0, 0)]


def _peatmoss_direct(rows: list[tuple]) -> None:
    assert rows == [("huggingface", "bert-base-uncased", 2, 50000000), ("huggingface", "microsoft/phi-2", 1, 900000),
                    ("torch_hub", "pytorch/vision:resnet18", 1, None)]


def _peatmoss_export(rows: list[tuple]) -> None:
    assert ("bert-base-uncased", "HuggingFace", "github.com/acme/lib") in rows
    assert ("bert-base-uncased", "HuggingFace", "github.com/acme/app") not in rows  # PeaTMOSS has that link
    assert ("pytorch/vision/resnet18", "PyTorch", "github.com/acme/app") in rows
    assert len(rows) == 6


CHECKS = {
    "Top models": _top, "Repositories per model": _per_model, "Share of pinned revisions, per hub": _pinned,
    "How ids were resolved": _resolutions, "Reuse risks": _risks, "Join with PeaTMOSS directly": _peatmoss_direct,
    "Join with PeaTMOSS through the export": _peatmoss_export,
}
