"""The world the export, report and known-models tests share, and the exit
codes of `export` and `report` on bad input.

Two small git repositories are mined for real; a copy of the output folder
is then keyed as if they had been cloned from GitHub (`acme/app`, `acme/lib`),
which is what PeaTMOSS's keys are about. The SQL blocks of the README and docs/ are
read from the pages themselves, so the queries the tests run are the ones users see.
"""
from __future__ import annotations

import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import git
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from miner.cli import EXIT_OK, EXIT_USAGE, main

ROOT = Path(__file__).resolve().parent.parent
PEATMOSS = Path(__file__).resolve().parent / "fixtures" / "peatmoss"

APP = '''import torch
from datasets import load_dataset
from huggingface_hub import hf_hub_download
from transformers import AutoModel, AutoTokenizer

MODEL = "bert-base-uncased"
model = AutoModel.from_pretrained(MODEL, revision="5546055f03398095e385d7dc625e636cc8910bf2")
tok = AutoTokenizer.from_pretrained("FacebookAI/roberta-base")
chat = AutoModel.from_pretrained("microsoft/phi-2", trust_remote_code=True)
weights = hf_hub_download(repo_id="openai-community/gpt2", filename="pytorch_model.bin")
safe = hf_hub_download("openai-community/gpt2", "model.safetensors")
resnet = torch.hub.load("pytorch/vision:v0.10.0", "resnet18", pretrained=True)
data = load_dataset("nyu-mll/glue", "sst2")
ckpt = AutoModel.from_pretrained("./checkpoints/last")
'''

LIB = '''import os
from sentence_transformers import SentenceTransformer
from transformers import pipeline

encoder = SentenceTransformer(os.getenv("ENCODER", "sentence-transformers/all-MiniLM-L6-v2"))
classify = pipeline("text-classification", model="bert-base-uncased")
'''

GITHUB_KEYS = {"app": "acme/app", "lib": "acme/lib"}


@dataclass(frozen=True)
class World:
    root: Path
    listing: Path
    local: Path  # the output folder as mined (local-path keys)
    out: Path  # the same tables keyed as GitHub repositories


def make_git_repo(path: Path, files: dict[str, str]) -> Path:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "t").set_value("user", "email", "t@example.com")
    for name, text in files.items():
        (path / name).write_text(text)
    repo.index.add(list(files))
    repo.index.commit("initial")
    return path


def build_world(root: Path, *extra: str) -> World:
    make_git_repo(root / "app", {"app.py": APP})
    make_git_repo(root / "lib", {"embed.py": LIB})
    listing = root / "list.txt"
    listing.write_text("app\nlib\n")
    local = root / "mined"
    assert main(["mine", "--repos", str(listing), "--out", str(local), "--jobs", "1", *extra]) == EXIT_OK
    out = root / "out"
    rekey(local, out, {str(root / name): key for name, key in GITHUB_KEYS.items()})
    return World(root, listing, local, out)


def rekey(src: Path, dst: Path, keys: dict[str, str]) -> None:
    """Copy the four tables of `src` to `dst` with repository keys replaced."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("usages", "repo_models", "repos", "problems"):
        table = pq.read_table(src / f"{name}.parquet")
        repos = pa.array([keys.get(k, k) for k in table.column("repo").to_pylist()], pa.string())
        table = table.set_column(table.column_names.index("repo"), "repo", repos)
        pq.write_table(table, dst / f"{name}.parquet")


# (model, repository) pairs of the export (`ours`, ATTACHed) that PeaTMOSS has too
SHARED_PAIRS = """
    SELECT pm.context_id, pr.url
    FROM ours.model_to_reuse_repository ol
    JOIN ours.model om ON om.id = ol.model_id
    JOIN ours.reuse_repository orr ON orr.id = ol.reuse_repository_id
    JOIN model pm ON pm.context_id = om.context_id AND pm.model_hub_id = om.model_hub_id
    JOIN reuse_repository pr ON pr.url = orr.url
    JOIN model_to_reuse_repository pl ON pl.model_id = pm.id AND pl.reuse_repository_id = pr.id
    ORDER BY pm.context_id, pr.url"""


def peatmoss_db(path: Path) -> Path:
    """A PeaTMOSS-shaped SQLite database from tests/fixtures/peatmoss."""
    with sqlite3.connect(path) as con:
        con.executescript((PEATMOSS / "schema.sql").read_text())
        con.executescript((PEATMOSS / "rows.sql").read_text())
    con.close()
    return path


DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))


def readme_sql(marker: str) -> list[str]:
    """The ```sql blocks between `<!-- {marker}:start -->` and `:end -->`, in
    README.md or a page of docs/ (one section per marker)."""
    found = [m for page in DOCS
             for m in re.findall(rf"<!-- {marker}:start -->(.*?)<!-- {marker}:end -->", page.read_text(), re.S)]
    assert len(found) == 1, f"README.md and docs/ have {len(found)} {marker} sections, not one"
    return re.findall(r"```sql\n(.*?)```", found[0], re.S)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


# -- bad input: exit 2 with a message ----------------------------------------

@pytest.mark.parametrize("command", [["export", "--format", "peatmoss", "--to", "x.db"],
                                     ["export", "--format", "cyclonedx", "--to", "boms"],
                                     ["report", "--to", "r.html"]])
def test_missing_out_dir_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    argv = [command[0], str(tmp_path / "nowhere"), *[str(tmp_path / a) if a in ("x.db", "boms", "r.html") else a
                                                     for a in command[1:]]]
    assert main(argv) == EXIT_USAGE
    assert "output folder not found" in capsys.readouterr().err


def test_folder_without_tables_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["export", str(tmp_path / "empty"), "--format", "peatmoss", "--to", str(tmp_path / "x.db")]) == EXIT_USAGE
    assert "table not found" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


def test_unreadable_table_is_exit_2(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(world.out, broken)
    (broken / "usages.parquet").write_bytes(b"not parquet at all")
    assert main(["report", str(broken), "--to", str(tmp_path / "r.html")]) == EXIT_USAGE
    assert "unreadable table" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_table_without_contract_columns_is_exit_2(world: World, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(world.out, bad)
    table = pq.read_table(bad / "repo_models.parquet").drop_columns(["n_usages"])
    pq.write_table(table, bad / "repo_models.parquet")
    assert main(["export", str(bad), "--format", "cyclonedx", "--to", str(tmp_path / "boms")]) == EXIT_USAGE
    assert "lacks the columns n_usages" in capsys.readouterr().err


def test_export_to_the_wrong_kind_of_path_is_exit_2(world: World, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(world.out), "--format", "peatmoss", "--to", str(tmp_path)]) == EXIT_USAGE
    assert "must be a file" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["export", str(world.out), "--format", "cyclonedx", "--to", str(tmp_path / "file")]) == EXIT_USAGE
    assert "must be a folder" in capsys.readouterr().err


def test_report_defaults_to_out_dir(world: World, tmp_path: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(world.out, out)
    assert main(["report", str(out)]) == EXIT_OK
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_older_folder_without_added_columns_still_exports(world: World, tmp_path: Path) -> None:
    """Only the contract's columns: the additions are read as nulls."""
    old = tmp_path / "old"
    old.mkdir()
    contract = {"usages": 10, "repo_models": 5, "repos": 5}
    for name, n in contract.items():
        table = pq.read_table(world.out / f"{name}.parquet")
        pq.write_table(table.select(table.column_names[:n]), old / f"{name}.parquet")
    assert main(["export", str(old), "--format", "peatmoss", "--to", str(tmp_path / "old.db")]) == EXIT_OK
    assert main(["export", str(old), "--format", "cyclonedx", "--to", str(tmp_path / "boms")]) == EXIT_OK
    assert main(["report", str(old), "--to", str(tmp_path / "old.html")]) == EXIT_OK
