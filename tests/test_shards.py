"""A large repository's resolution shared among the pool's workers (run.py,
`_shards`; resolve, `resolve_shard`/`merge_shards`) gives the very rows that
one task gives: the standalone values that some shard's call was linked to
are dropped whatever shard linked them, and summaries never change a result.

The repository holds every resolution fixture at once (shell and config
values linked to calls and standalone ones, callers, defaults, narrowing),
mined with one job and with two jobs and every repository sharded."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from miner import run as mine_run
from miner.cli import main
from tests.test_end_to_end import make_repo

FIXTURES = Path(__file__).parent / "fixtures" / "repos"


def every_fixture(tmp_path: Path) -> Path:
    """A repository holding every resolution fixture, each in a folder, and its list file."""
    files = {f"{fixture.name}/{path.relative_to(fixture).as_posix()}": path.read_text(errors="replace")
             for fixture in sorted(FIXTURES.iterdir()) if fixture.is_dir()
             for path in sorted(fixture.rglob("*")) if path.is_file()}
    make_repo(tmp_path / "repo", files)
    listing = tmp_path / "list.txt"
    listing.write_text(str(tmp_path / "repo") + "\n")
    return listing


def rows(out: Path) -> set[tuple]:
    return {tuple(sorted((k, str(v)) for k, v in r.items())) for r in pq.read_table(out / "usages.parquet").to_pylist()}


def test_sharded_resolution_gives_the_rows_of_one_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listing = every_fixture(tmp_path)
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "one"), "--jobs", "1"]) == 0
    monkeypatch.setattr(mine_run, "SHARD_ABOVE", 0)
    monkeypatch.setattr(mine_run, "SERIAL_BELOW", 0)  # else so small a repository is resolved here, in one task
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "shards"), "--jobs", "2"]) == 0
    one, shards = rows(tmp_path / "one"), rows(tmp_path / "shards")
    assert one == shards
    apis = {dict(r)["api"] for r in one}
    assert len(one) > 100 and any(a.startswith("shell:") for a in apis) and any(dict(r)["carrier"] != "None" for r in one)
