"""The README's DuckDB queries, run as written with the duckdb package on
tables mined from small git repositories, the PeaTMOSS export, and a
PeaTMOSS-shaped database (read through DuckDB's sqlite extension, installed
from the `duckdb-extension-sqlite-scanner` package so no network is needed)."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from miner.cli import EXIT_OK, main
from tests.test_export_world import World, build_world, peatmoss_db, readme_sql

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


def sqlite_extension() -> Path | None:
    spec = importlib.util.find_spec("duckdb_extension_sqlite_scanner")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "extensions" / f"v{duckdb.__version__}" / "sqlite_scanner.duckdb_extension"
    return path if path.exists() else None


def run(block: str, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    monkeypatch.chdir(folder)
    con = duckdb.connect(config={"extension_directory": str(tmp_path / "ext"), "autoinstall_known_extensions": False})
    try:
        if "TYPE sqlite" in block:
            extension = sqlite_extension()
            if extension is None:
                pytest.skip(f"DuckDB's sqlite extension for duckdb {duckdb.__version__} is not installed "
                            "(pip install duckdb-extension-sqlite-scanner) and cannot be downloaded here")
            con.execute(f"INSTALL '{extension}'")
        return con.execute(block).fetchall()
    finally:
        con.close()


def test_readme_has_the_queries() -> None:
    assert [title(q) for q in QUERIES] == [
        "Top models", "Repositories per model", "Share of pinned revisions, per hub", "How ids were resolved",
        "Reuse risks", "Join with PeaTMOSS directly", "Join with PeaTMOSS through the export"]


@pytest.mark.parametrize("block", QUERIES, ids=[title(q) for q in QUERIES])
def test_readme_query_runs(block: str, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = run(block, folder, tmp_path, monkeypatch)
    assert rows, "every README query returns rows on the test tables"
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
