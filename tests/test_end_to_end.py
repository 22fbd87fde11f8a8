"""The command line on real git repositories, read back from Parquet."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import git
import pyarrow.parquet as pq
import pytest

from miner.cli import EXIT_OK, EXIT_SOME_FAILED, main

TRAIN = '''import argparse
from transformers import AutoModel, AutoTokenizer

BASE = "google-bert/bert-base-uncased"
parser = argparse.ArgumentParser()
parser.add_argument("--tokenizer", default="FacebookAI/roberta-base")
args = parser.parse_args()
model = AutoModel.from_pretrained(BASE)
tok = AutoTokenizer.from_pretrained(args.tokenizer)
ckpt = AutoModel.from_pretrained("./checkpoints/last")
'''


def make_repo(root: Path, files: dict[str, str]) -> git.Repo:
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "t").set_value("user", "email", "t@example.com")
    commit(repo, files, "initial")
    return repo


def commit(repo: git.Repo, files: dict[str, str], message: str) -> str:
    root = Path(repo.working_tree_dir)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    repo.index.add(list(files))
    return repo.index.commit(message).hexsha


def rows(out: Path, table: str) -> list[dict]:
    return pq.read_table(out / f"{table}.parquet").to_pylist()


def run(listing: Path, out: Path, *extra: str) -> int:
    return main(["mine", "--repos", str(listing), "--out", str(out), "--jobs", "1", *extra])


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    work = make_repo(tmp_path / "work", {"train.py": TRAIN, "README.md": "# demo\n"})
    bare = tmp_path / "remote.git"
    git.Repo.clone_from(work.working_tree_dir, bare, bare=True)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "app.py").write_text('from sentence_transformers import SentenceTransformer\n'
                                   'm = SentenceTransformer("all-MiniLM-L6-v2")\n')
    return {"work": tmp_path / "work", "bare": bare, "folder": folder, "root": tmp_path}


def test_mines_every_kind_of_line(world: dict[str, Path]) -> None:
    root = world["root"]
    listing = root / "list.txt"
    listing.write_text(
        "# repositories\n\n"
        "work\n"
        f"file://{world['bare']}\n"
        "folder   # a plain folder\n"
        "./does-not-exist\n"
        "work\n"
        "http://\n"
    )
    out = root / "out"
    assert run(listing, out) == EXIT_SOME_FAILED
    repos = {(r["source"], r["status"]) for r in rows(out, "repos")}
    assert ("work", "ok") in repos and ("folder   # a plain folder", "ok") in repos or ("folder", "ok") in repos
    assert (f"file://{world['bare']}", "ok") in repos
    statuses = [r["status"] for r in rows(out, "repos")]
    assert len(statuses) == 6, "every line of the list gets a row"
    assert statuses.count("ok") == 3 and "duplicate" in statuses and "not_found" in statuses
    failed = [r for r in rows(out, "repos") if r["status"] != "ok"]
    assert all(r["error"] for r in failed)

    head = git.Repo(world["work"]).head.commit.hexsha
    usages = rows(out, "usages")
    work_key = str(world["work"].resolve())
    work_rows = [u for u in usages if u["repo"] == work_key]
    assert {(u["model_id"], u["resolution"]) for u in work_rows} == {
        ("google-bert/bert-base-uncased", "constant"),
        ("FacebookAI/roberta-base", "argparse_default"),
        (None, "local_path"),
    }
    assert all(u["commit"] == head and u["path"] == "train.py" for u in work_rows)
    folder_rows = [u for u in usages if u["repo"] == str(world["folder"].resolve())]
    assert [(u["model_id"], u["commit"], u["line"]) for u in folder_rows] == [("all-MiniLM-L6-v2", None, 2)]

    models = rows(out, "repo_models")
    assert all(m["model_id"] for m in models)
    assert {m["model_id"] for m in models if m["repo"] == work_key} == {
        "google-bert/bert-base-uncased", "FacebookAI/roberta-base"}


def test_rerun_is_incremental_and_sees_new_commits(world: dict[str, Path], capsys) -> None:
    listing = world["root"] / "list.txt"
    listing.write_text(f"file://{world['bare']}\n")
    out = world["root"] / "out"
    assert run(listing, out) == EXIT_OK
    first = capsys.readouterr().out
    assert "1 ok" in first
    assert run(listing, out) == EXIT_OK
    assert "0 parsed" in capsys.readouterr().out

    work = git.Repo(world["work"])
    sha = commit(work, {"serve.py": 'from transformers import pipeline\np = pipeline("ner", model="dslim/bert-base-NER")\n'},
                 "serve")
    work.remote("origin") if work.remotes else work.create_remote("origin", str(world["bare"]))
    work.git.push(str(world["bare"]), "main")
    assert run(listing, out) == EXIT_OK
    assert "1 parsed" in capsys.readouterr().out
    usages = rows(out, "usages")
    assert {u["commit"] for u in usages} == {sha}
    assert "dslim/bert-base-NER" in {u["model_id"] for u in usages}


def test_failed_fetch_keeps_the_last_good_rows(world: dict[str, Path]) -> None:
    listing = world["root"] / "list.txt"
    listing.write_text(f"file://{world['bare']}\n")
    out = world["root"] / "out"
    workdir = world["root"] / "clones"
    assert run(listing, out, "--workdir", str(workdir)) == EXIT_OK
    before = rows(out, "usages")
    shutil.rmtree(world["bare"])
    shutil.rmtree(workdir)
    assert run(listing, out, "--workdir", str(workdir)) == EXIT_SOME_FAILED
    repo_row = rows(out, "repos")[0]
    assert repo_row["status"] != "ok" and repo_row["stale"] and repo_row["error"]
    assert rows(out, "usages") == before


def test_missing_list_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert run(tmp_path / "nope.txt", tmp_path / "out") == 2
    assert "not found" in capsys.readouterr().err


def test_history_gives_first_and_last_seen(tmp_path: Path, capsys) -> None:
    load = 'from transformers import AutoModel\nm = AutoModel.from_pretrained("{}")\n'
    repo = make_repo(tmp_path / "r", {"a.py": load.format("google-bert/bert-base-uncased"), "b.py": "x = 1\n"})
    first = repo.head.commit.hexsha
    second = commit(repo, {"a.py": load.format("FacebookAI/roberta-base")}, "switch")
    third = commit(repo, {"b.py": load.format("google/flan-t5-small")}, "add")
    commit(repo, {"README.md": "docs only\n"}, "docs")
    listing = tmp_path / "list.txt"
    listing.write_text("r\n")
    out = tmp_path / "out"
    assert run(listing, out, "--history") == EXIT_OK
    assert "3 parsed" in capsys.readouterr().out, "each blob version is parsed once"
    spans = {m["model_id"]: (m["first_seen"], m["last_seen"], m["n_usages"]) for m in rows(out, "repo_models")}
    head = repo.head.commit.hexsha
    assert spans == {
        "google-bert/bert-base-uncased": (first, first, 0),
        "FacebookAI/roberta-base": (second, head, 1),
        "google/flan-t5-small": (third, head, 1),
    }
    assert {u["commit"] for u in rows(out, "usages")} == {head}


def test_dask_backend_gives_the_same_tables(world: dict[str, Path]) -> None:
    distributed = pytest.importorskip("dask.distributed")
    listing = world["root"] / "list.txt"
    listing.write_text(f"work\nfile://{world['bare']}\nfolder\n./missing\n")
    local, remote = world["root"] / "local", world["root"] / "dask"
    assert run(listing, local) == EXIT_SOME_FAILED
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert run(listing, remote, "--backend", "dask", "--scheduler", cluster.scheduler_address) == EXIT_SOME_FAILED
    for table in ("usages", "repo_models"):
        assert rows(local, table) == rows(remote, table), table
    # what was parsed rather than taken from the cache depends on scheduling
    drop = lambda r: {k: v for k, v in r.items() if k != "files_parsed"}  # noqa: E731
    assert [drop(r) for r in rows(local, "repos")] == [drop(r) for r in rows(remote, "repos")]


def test_per_repository_tasks_give_the_same_tables_as_batched_files(tmp_path: Path) -> None:
    load = 'from transformers import AutoModel\nAutoModel.from_pretrained("{}")\n'
    names = ["gpt2", "distilgpt2", "t5-small", "google/flan-t5-small", "FacebookAI/roberta-base"]
    for i, name in enumerate(names):
        make_repo(tmp_path / f"r{i}", {"m.py": load.format(name), "README.md": "x\n"})
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"r{i}\n" for i in range(len(names))) + "./missing\n")
    assert run(listing, tmp_path / "serial") == EXIT_SOME_FAILED  # --jobs 1: files batched in-process
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "pool"), "--jobs", "2"]) == EXIT_SOME_FAILED
    for table in ("usages", "repo_models"):
        assert rows(tmp_path / "serial", table) == rows(tmp_path / "pool", table)
    assert [r["status"] for r in rows(tmp_path / "pool", "repos")] == ["ok"] * 5 + ["not_found"]
    again = main(["mine", "--repos", str(listing), "--out", str(tmp_path / "pool"), "--jobs", "2"])
    assert again == EXIT_SOME_FAILED and rows(tmp_path / "serial", "usages") == rows(tmp_path / "pool", "usages")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_one_blob_at_two_paths_gives_a_row_at_each(tmp_path: Path, jobs: str) -> None:
    # The blob is parsed once (its facts are reused, in this process or from
    # the cache); every row still names the path it was found at.
    load = 'from transformers import AutoModel\nAutoModel.from_pretrained("gpt2")\n'
    for i in range(4):  # enough repositories for per-repository tasks with 2 jobs
        make_repo(tmp_path / f"r{i}", {"a/load.py": load, "b/load.py": load, f"c{i}.py": load})
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"r{i}\n" for i in range(4)))
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "out"), "--jobs", jobs]) == EXIT_OK
    found = {(Path(u["repo"]).name, u["path"]) for u in rows(tmp_path / "out", "usages") if u["model_id"] == "gpt2"}
    assert found == {(f"r{i}", p) for i in range(4) for p in ("a/load.py", "b/load.py", f"c{i}.py")}


def test_config_files_opened_by_name_are_read_whatever_their_keys(tmp_path: Path) -> None:
    app = ('import json\nfrom sentence_transformers import SentenceTransformer\n'
           'p = json.load(open("../conf/params.json"))\nSentenceTransformer(p["second_stage"])\n')
    make_repo(tmp_path / "r", {"src/app.py": app, "conf/params.json": '{"second_stage": "BAAI/bge-small-en"}\n',
                               "other/params.json": '{"second_stage": "not/this-one"}\n'})
    listing = tmp_path / "list.txt"
    listing.write_text("r\n")
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "out"), "--jobs", "1"]) == EXIT_OK
    found = {(u["path"], u["line"], u["model_id"], u["resolution"], u["origin_path"], u["origin_line"], u["carrier"])
             for u in rows(tmp_path / "out", "usages")}
    assert ("src/app.py", 4, "BAAI/bge-small-en", "config_file", "conf/params.json", 1, "config:second_stage") in found
    assert not any(row[2] == "not/this-one" for row in found)


def test_variables_from_a_sourced_file_fill_shell_arguments(tmp_path: Path) -> None:
    train = ('import argparse\nfrom transformers import AutoModel\np = argparse.ArgumentParser()\n'
             'p.add_argument("--model")\nAutoModel.from_pretrained(p.parse_args().model)\n')
    make_repo(tmp_path / "r", {
        "train.py": train,
        "conf/env.sh": "BASE=Qwen\nSIZES=(0.5B 1.5B)\n",  # no keyword: read because run.sh sources it
        "run.sh": 'source conf/env.sh\nfor s in "${SIZES[@]}"; do python train.py --model "$BASE/Qwen2-$s"; done\n'
                  'python train.py --model "$UNSET/x"\n',
    })
    listing = tmp_path / "list.txt"
    listing.write_text("r\n")
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "out"), "--jobs", "1"]) == EXIT_OK
    usages = rows(tmp_path / "out", "usages")
    assert {(u["path"], u["line"], u["model_id"], u["origin_path"], u["origin_line"], u["carrier"])
            for u in usages if u["model_id"]} == {  # at the call; the shell line that passes the id beside it
        ("train.py", 5, "Qwen/Qwen2-0.5B", "run.sh", 2, "shell:--model"),
        ("train.py", 5, "Qwen/Qwen2-1.5B", "run.sh", 2, "shell:--model")}
    assert not any("\x00" in str(v) for u in usages for v in u.values())


def test_a_notebook_env_magic_sets_what_os_environ_reads(tmp_path: Path) -> None:
    import json

    def cell(*lines: str) -> dict:
        return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": list(lines)}

    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        cell("%env MODEL_ID=HuggingFaceTB/SmolLM2-135M\n", "%env UNUSED $HOME/x\n"),
        cell("import os\n", "from transformers import AutoModelForCausalLM\n",
             "m = AutoModelForCausalLM.from_pretrained(os.environ['MODEL_ID'])\n",
             "n = AutoModelForCausalLM.from_pretrained(os.getenv('UNUSED'))\n"),
    ]}
    make_repo(tmp_path / "r", {"demo.ipynb": json.dumps(notebook)})
    listing = tmp_path / "list.txt"
    listing.write_text("r\n")
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "out"), "--jobs", "1"]) == EXIT_OK
    found = {(u["line"], u["model_id"], u["resolution"]) for u in rows(tmp_path / "out", "usages")}
    assert found == {(6, "HuggingFaceTB/SmolLM2-135M", "env_default"), (7, None, "unresolved")}


def test_sourced_files_are_followed_through_the_files_they_source(tmp_path: Path) -> None:
    train = ('import argparse\nfrom transformers import AutoModel\np = argparse.ArgumentParser()\n'
             'p.add_argument("--model")\nAutoModel.from_pretrained(p.parse_args().model)\n')
    make_repo(tmp_path / "r", {
        "train.py": train,
        "env/common.sh": "ORG=google\nNAME=gemma-2b\n",
        "env/local.sh": 'source "$(dirname "$0")/common.sh"\nNAME=gemma-7b\n',  # overrides NAME
        "run.sh": 'source env/local.sh\npython train.py --model "$ORG/$NAME"\n',
        "loop_a.sh": "source loop_b.sh\nA=1\n", "loop_b.sh": "source loop_a.sh\nB=2\n",  # a cycle ends
    })
    listing = tmp_path / "list.txt"
    listing.write_text("r\n")
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "out"), "--jobs", "1"]) == EXIT_OK
    found = {(u["path"], u["model_id"], u["origin_path"]) for u in rows(tmp_path / "out", "usages") if u["model_id"]}
    assert found == {("train.py", "google/gemma-7b", "run.sh")}


def test_dotenv_files_give_the_environment_that_code_reads(tmp_path: Path) -> None:
    app = ('import os\nfrom dotenv import load_dotenv\nfrom transformers import AutoModel\nload_dotenv()\n'
           'AutoModel.from_pretrained(os.environ["LLM_MODEL"])\n'
           'AutoModel.from_pretrained(os.getenv("ENCODER", "intfloat/e5-small-v2"))\n')
    plain = 'import os\nfrom transformers import AutoModel\nAutoModel.from_pretrained(os.environ["OTHER"])\n'
    make_repo(tmp_path / "r", {"app.py": app, ".env.example": '# copy to .env\nLLM_MODEL="Qwen/Qwen2.5-0.5B"\nENCODER=BAAI/bge-small-en-v1.5\n'})
    make_repo(tmp_path / "s", {"plain.py": plain, ".env": "OTHER=not/read-without-dotenv\n"})
    listing = tmp_path / "list.txt"
    listing.write_text("r\ns\n")
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "out"), "--jobs", "1"]) == EXIT_OK
    found = {(Path(u["repo"]).name, u["path"], u["line"], u["model_id"], u["resolution"], u["origin_path"], u["origin_line"])
             for u in rows(tmp_path / "out", "usages")}
    assert found == {
        ("r", "app.py", 5, "Qwen/Qwen2.5-0.5B", "env_default", ".env.example", 2),
        ("r", "app.py", 6, "BAAI/bge-small-en-v1.5", "env_default", ".env.example", 3),
        ("r", "app.py", 6, "intfloat/e5-small-v2", "env_default", None, None),
        ("s", "plain.py", 3, None, "unresolved", None, None),
    }


def test_a_checked_in_model_folder_names_the_model_it_was_tuned_from(tmp_path: Path) -> None:
    make_repo(tmp_path / "r", {
        "app.py": "print('serves ./finetuned')\n",
        "finetuned/config.json": '{\n  "_name_or_path": "distilbert-base-uncased",\n  "dim": 768\n}\n',
        "finetuned/tokenizer_config.json": '{"name_or_path": "/home/me/runs/out", "model_max_length": 512}\n',
    })
    listing = tmp_path / "list.txt"
    listing.write_text("r\n")
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "out"), "--jobs", "1"]) == EXIT_OK
    found = {(u["path"], u["line"], u["api"], u["model_id"]) for u in rows(tmp_path / "out", "usages")}
    assert found == {("finetuned/config.json", 2, "config:_name_or_path", "distilbert-base-uncased")}


def test_a_blob_missing_from_the_object_database_is_a_problem(tmp_path: Path) -> None:
    """A partial clone, or a snapshot stored without its largest files, lists blobs
    it does not hold (`ls-tree -l` gives their size as `BAD`): the rest of the
    repository is mined and the absent file is a `missing_blob` problem row."""
    repo = make_repo(tmp_path / "src", {
        "big.ipynb": "{}",
        "load.py": 'from transformers import AutoModel\nAutoModel.from_pretrained("org/kept")\n',
    })
    blob = repo.git.rev_parse("HEAD:big.ipynb")
    os.remove(tmp_path / "src" / ".git" / "objects" / blob[:2] / blob[2:])
    listing = tmp_path / "list.txt"
    listing.write_text(f"{tmp_path / 'src'}\n")
    assert run(listing, tmp_path / "out") == 0
    assert [u["model_id"] for u in rows(tmp_path / "out", "usages")] == ["org/kept"]
    missing = [p for p in rows(tmp_path / "out", "problems") if p["reason"] == "missing_blob"]
    assert [(p["path"], p["stage"]) for p in missing] == [("big.ipynb", "read")]
