"""`mine --known-models FILE`: the `known` column of usages and repo_models."""
from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from miner.cli import EXIT_OK, EXIT_USAGE, main
from miner.known import KnownModelsError, load_known, pick_column
from miner.patterns import default_registry
from tests.test_export_world import build_world, make_git_repo, peatmoss_db

LEGACY = default_registry().table("legacy_hf")


def peatmoss_model_csv(tmp_path: Path) -> Path:
    """The `model` table of a PeaTMOSS-shaped database, exported as CSV (what `sqlite3 -csv -header` gives)."""
    db = peatmoss_db(tmp_path / "PeaTMOSS.db")
    with sqlite3.connect(db) as con:
        cursor = con.execute("SELECT * FROM model")
        header = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    path = tmp_path / "peatmoss_models.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def known_by_id(out: Path, table: str) -> dict[tuple[str, str | None], set[bool | None]]:
    data = pq.read_table(out / f"{table}.parquet")
    assert data.column_names[-1] == "known" and data.schema.field("known").type == pa.bool_()
    found: dict[tuple[str, str | None], set[bool | None]] = {}
    for row in data.to_pylist():
        found.setdefault((row["hub"], row["model_id"]), set()).add(row["known"])
    return found


def test_without_a_list_known_is_null(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    for table in ("usages", "repo_models"):
        values = pq.read_table(world.local / f"{table}.parquet").column("known")
        assert values.null_count == len(values) > 0


def test_peatmoss_model_export_marks_rows(tmp_path: Path) -> None:
    listing = peatmoss_model_csv(tmp_path)
    world = build_world(tmp_path / "w", "--known-models", str(listing))
    usages = known_by_id(world.local, "usages")
    assert usages[("huggingface", "bert-base-uncased")] == {True}
    assert usages[("huggingface", "microsoft/phi-2")] == {True}
    assert usages[("huggingface", "openai-community/gpt2")] == {True}  # PeaTMOSS says `gpt2`: a legacy name
    assert usages[("torch_hub", "pytorch/vision:resnet18")] == {True}  # PeaTMOSS says `pytorch/vision/resnet18`
    assert usages[("huggingface", "FacebookAI/roberta-base")] == {False}
    assert usages[("huggingface", "sentence-transformers/all-MiniLM-L6-v2")] == {False}
    assert usages[("huggingface", None)] == {None}  # a local path has no id to know
    models = known_by_id(world.local, "repo_models")
    assert models[("huggingface", "bert-base-uncased")] == {True}
    assert models[("huggingface", "nyu-mll/glue")] == {False}
    assert all(v <= {True, False} for v in models.values())


def test_parquet_list_with_model_id_column_and_case(tmp_path: Path) -> None:
    listing = tmp_path / "hub.parquet"
    pq.write_table(pa.table({"downloads": [1, 2], "model_id": ["  FACEBOOKAI/Roberta-Base ", "google-bert/bert-base-uncased"]}),
                   listing)
    world = build_world(tmp_path / "w", "--known-models", str(listing))
    usages = known_by_id(world.local, "usages")
    assert usages[("huggingface", "FacebookAI/roberta-base")] == {True}
    assert usages[("huggingface", "bert-base-uncased")] == {True}  # the namespaced form of a legacy name
    assert usages[("huggingface", "microsoft/phi-2")] == {False}


def test_a_new_list_re_marks_unchanged_repositories(tmp_path: Path) -> None:
    make_git_repo(tmp_path / "app", {"app.py": 'from transformers import AutoModel\nAutoModel.from_pretrained("gpt2")\n'})
    (tmp_path / "list.txt").write_text("app\n")
    out = tmp_path / "out"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("repo_id\nopenai-community/gpt2\n")
    second.write_text("repo_id\nsomething/else\n")
    base = ["mine", "--repos", str(tmp_path / "list.txt"), "--out", str(out), "--jobs", "1"]
    assert main([*base, "--known-models", str(first)]) == EXIT_OK
    assert known_by_id(out, "repo_models")[("huggingface", "gpt2")] == {True}
    assert main([*base, "--known-models", str(second)]) == EXIT_OK  # the commit is unchanged: rows reused
    assert known_by_id(out, "repo_models")[("huggingface", "gpt2")] == {False}
    assert main(base) == EXIT_OK
    assert known_by_id(out, "repo_models")[("huggingface", "gpt2")] == {None}


def test_single_column_of_any_name(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("name\nbert-base-uncased\n\n")
    known = load_known(path, LEGACY)
    assert known.column == "name" and len(known) == 1
    assert known.knows("huggingface", "google-bert/bert-base-uncased") is True
    assert known.knows("huggingface", "BERT-BASE-UNCASED") is True
    assert known.knows("huggingface", "bert-base-cased") is False
    assert known.knows("huggingface", None) is None


def test_tsv_and_column_preference(tmp_path: Path) -> None:
    path = tmp_path / "ids.tsv"
    path.write_text("id\tcontext_id\n7\tmicrosoft/phi-2\n")
    known = load_known(path)
    assert known.column == "context_id" and known.ids == frozenset({"microsoft/phi-2"})
    assert pick_column(["ID", "other"]) == "ID"


@pytest.mark.parametrize("content, message", [
    ("a,b\nx,y\n", "no id column"),
    ("", "is empty"),
])
def test_bad_lists_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    (tmp_path / "list.txt").write_text("")
    argv = ["mine", "--repos", str(tmp_path / "list.txt"), "--out", str(tmp_path / "out"), "--known-models", str(path)]
    assert main(argv) == EXIT_USAGE
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / "usages.parquet").exists()  # nothing was mined


def test_missing_and_unreadable_lists(tmp_path: Path) -> None:
    with pytest.raises(KnownModelsError, match="not found"):
        load_known(tmp_path / "nope.csv")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 but not really")
    with pytest.raises(KnownModelsError, match="cannot read"):
        load_known(broken)
