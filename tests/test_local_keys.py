"""Local clones keep their GitHub identity end to end: a clone whose `origin`
is a GitHub URL, and a path with its key written after it on the list line,
are mined for real and every table and export carries `owner/name`."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import git
import pyarrow.parquet as pq
import pytest

from miner.cli import EXIT_OK, main

CODE = 'from transformers import AutoModel\nm = AutoModel.from_pretrained("bert-base-uncased")\n'


def work_tree(path: Path, origin: str | None) -> Path:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "t").set_value("user", "email", "t@example.com")
    (path / "app.py").write_text(CODE)
    repo.index.add(["app.py"])
    repo.index.commit("initial")
    if origin:
        repo.create_remote("origin", origin)
    return path


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("keys")
    work_tree(root / "mirror" / "app", "git@github.com:acme/app.git")
    work_tree(root / "snapshot", None)
    work_tree(root / "elsewhere", "https://gitlab.com/team/tool.git")
    (root / "list.txt").write_text("mirror/app\nsnapshot   acme/lib\nelsewhere\n")
    assert main(["mine", "--repos", str(root / "list.txt"), "--out", str(root / "out"), "--jobs", "1"]) == EXIT_OK
    return root / "out"


def test_every_table_uses_the_github_key(out: Path) -> None:
    root = out.parent
    want = {"acme/app", "acme/lib", str(root / "elsewhere")}
    for name in ("usages", "repo_models", "repos"):
        assert set(pq.read_table(out / f"{name}.parquet").column("repo").to_pylist()) == want, name
    repos = {r["repo"]: r["source"] for r in pq.read_table(out / "repos.parquet").to_pylist()}
    assert repos["acme/lib"] == "snapshot   acme/lib"  # the line as written stays in `source`


def test_the_peatmoss_export_links_github_urls(out: Path, tmp_path: Path) -> None:
    db = tmp_path / "ptm.db"
    assert main(["export", str(out), "--format", "peatmoss", "--to", str(db)]) == EXIT_OK
    with sqlite3.connect(db) as con:
        urls = {row[0] for row in con.execute("SELECT url FROM reuse_repository")}
    con.close()
    assert {"github.com/acme/app", "github.com/acme/lib"} <= urls
    assert str(out.parent / "elsewhere") in urls  # a non-GitHub origin keeps the path


def test_the_cyclonedx_boms_name_the_github_repository(out: Path, tmp_path: Path) -> None:
    assert main(["export", str(out), "--format", "cyclonedx", "--to", str(tmp_path / "boms")]) == EXIT_OK
    bom = json.loads((tmp_path / "boms" / "acme__app.cdx.json").read_text())
    subject = bom["metadata"]["component"]
    assert (subject["group"], subject["name"]) == ("acme", "app")
    assert {"type": "vcs", "url": "https://github.com/acme/app"} in subject["externalReferences"]
