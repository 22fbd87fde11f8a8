"""`export --format peatmoss`, read back with sqlite3 and joined onto a
PeaTMOSS-shaped database the way users will (ATTACH, keys, the README query)."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from miner.cli import EXIT_OK, main
from miner.export import keys
from tests.test_export_world import SHARED_PAIRS, World, build_world, peatmoss_db, readme_sql


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def exported(world: World) -> Path:
    db = world.root / "ptm.db"
    assert main(["export", str(world.out), "--format", "peatmoss", "--to", str(db)]) == EXIT_OK
    return db


def query(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(sql, args).fetchall()


def test_peatmoss_tables_and_keys(exported: Path) -> None:
    models = set(query(exported, "SELECT context_id, model_hub_id FROM model"))
    # PeaTMOSS's 2023 spelling: FacebookAI/roberta-base and openai-community/gpt2 as the code writes them
    # are roberta-base and gpt2 there; datasets (nyu-mll/glue) and local paths are not models
    assert models == {("bert-base-uncased", 1), ("roberta-base", 1), ("microsoft/phi-2", 1),
                      ("gpt2", 1), ("sentence-transformers/all-MiniLM-L6-v2", 1),
                      ("pytorch/vision/resnet18", 2)}
    assert query(exported, "SELECT id, name, url FROM model_hub WHERE id IN (1, 2) ORDER BY id") == [
        (1, "HuggingFace", "https://huggingface.co/"), (2, "PyTorch", "https://pytorch.org")]
    assert set(query(exported, "SELECT owner, name, url FROM reuse_repository")) == {
        ("acme", "app", "github.com/acme/app"), ("acme", "lib", "github.com/acme/lib")}
    links = set(query(exported, """
        SELECT m.context_id, r.url FROM model_to_reuse_repository l
        JOIN model m ON m.id = l.model_id JOIN reuse_repository r ON r.id = l.reuse_repository_id"""))
    assert ("bert-base-uncased", "github.com/acme/app") in links
    assert ("bert-base-uncased", "github.com/acme/lib") in links
    assert len(links) == 7
    files = set(query(exported, """
        SELECT f.path, m.context_id, r.url FROM reuse_file f
        JOIN model m ON m.id = f.model_id JOIN reuse_repository r ON r.id = f.reuse_repository_id"""))
    assert ("app.py", "pytorch/vision/resnet18", "github.com/acme/app") in files
    assert ("embed.py", "bert-base-uncased", "github.com/acme/lib") in files
    assert len(files) == 7


def test_foreign_keys_hold(exported: Path) -> None:
    with sqlite3.connect(exported) as con:
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_ptm_miner_tables_keep_what_peatmoss_has_no_column_for(exported: Path) -> None:
    usages = query(exported, """
        SELECT u.line, u.api, u.resolution, u.hub_model_id, u.revision, u.trust_remote_code, u.file, f.path
        FROM ptm_miner_usage u JOIN reuse_file f ON f.id = u.reuse_file_id ORDER BY f.path, u.line""")
    assert (7, "transformers.AutoModel.from_pretrained", "constant", "bert-base-uncased",
            "5546055f03398095e385d7dc625e636cc8910bf2", None, None, "app.py") in usages
    assert (9, "transformers.AutoModel.from_pretrained", "literal", "microsoft/phi-2", None, 1, None, "app.py") in usages
    assert (12, "torch.hub.load", "literal", "pytorch/vision:resnet18", "v0.10.0", None, None, "app.py") in usages
    repos = query(exported, "SELECT repo, reuse_repository_id IS NOT NULL, status FROM ptm_miner_repository ORDER BY repo")
    assert repos == [("acme/app", 1, "ok"), ("acme/lib", 1, "ok")]


def test_attach_onto_peatmoss_joins_on_context_id_and_url(exported: Path, tmp_path: Path) -> None:
    peatmoss = peatmoss_db(tmp_path / "PeaTMOSS.db")
    with sqlite3.connect(peatmoss) as con:
        con.execute("ATTACH ? AS ours", (str(exported),))
        found = con.execute("""
            SELECT p.context_id, p.downloads FROM ours.model o
            JOIN model p ON p.context_id = o.context_id AND p.model_hub_id = o.model_hub_id
            ORDER BY p.context_id""").fetchall()
        shared = con.execute(SHARED_PAIRS).fetchall()
    # openai-community/gpt2 in the code is exported as gpt2, PeaTMOSS's 2023 spelling: they join
    assert found == [("bert-base-uncased", 50000000), ("gpt2", 20000000), ("microsoft/phi-2", 900000),
                     ("pytorch/vision/resnet18", None)]
    assert shared == [("bert-base-uncased", "github.com/acme/app")]


def test_readme_sqlite_query_runs(exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (block,) = readme_sql("sqlite-queries")
    peatmoss_db(tmp_path / "PeaTMOSS.db")
    shutil.copy(exported, tmp_path / "ptm.db")
    monkeypatch.chdir(tmp_path)
    con = sqlite3.connect("PeaTMOSS.db")
    rows: list[tuple] = []
    for statement in statements(block):
        rows = con.execute(statement).fetchall()
    con.close()
    assert rows == [("bert-base-uncased", "HuggingFace", 50000000, 2, 2),
                    ("gpt2", "HuggingFace", 20000000, 1, 0),
                    ("microsoft/phi-2", "HuggingFace", 900000, 1, 0),
                    ("pytorch/vision/resnet18", "PyTorch", None, 1, 0)]


def statements(block: str) -> list[str]:
    """Split a block of SQL into complete statements (sqlite3's own rule)."""
    done, current = [], ""
    for line in block.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            done.append(current.strip())
            current = ""
    return done


def test_local_and_other_host_keys(world: World, tmp_path: Path) -> None:
    """Repositories mined from a local path keep their path as url; re-export replaces the file."""
    db = tmp_path / "local.db"
    db.write_text("an older export")
    assert main(["export", str(world.local), "--format", "peatmoss", "--to", str(db)]) == EXIT_OK
    assert set(query(db, "SELECT owner, name, url FROM reuse_repository")) == {
        (str(world.root), "app", str(world.root / "app")), (str(world.root), "lib", str(world.root / "lib"))}
    assert keys.repo_ref("https://gitlab.com/group/sub/proj.git") == keys.RepoRef(
        "gitlab.com/group/sub", "proj", "gitlab.com/group/sub/proj", "https://gitlab.com/group/sub/proj")
    assert keys.repo_ref("git@gitlab.com:group/proj.git").url == "gitlab.com/group/proj"
    assert keys.repo_ref(f"file://{world.root}/app").url == str(world.root / "app")


def test_hub_ids_and_context_ids() -> None:
    assert (keys.hub_id("huggingface"), keys.hub_id("torch_hub"), keys.hub_id("tf_hub")) == (1, 2, 101)
    assert keys.hub_id("some_new_hub") == keys.hub_id("some_new_hub") >= 1000
    assert len(set(keys.HUB_IDS.values())) == len(keys.HUB_IDS)
    assert keys.context_id("torch_hub", "pytorch/vision:resnet18") == "pytorch/vision/resnet18"
    assert keys.context_id("huggingface", "bert-base-uncased") == "bert-base-uncased"
