"""Re-mining over the same output: what is reused, what is parsed again, what is dropped."""
from __future__ import annotations

import shutil
from pathlib import Path

from miner.cache import FactsCache
from miner.patterns import PATTERNS_DIR, load_registry
from miner.run import MineOptions, mine
from tests.test_end_to_end import commit, make_repo, rows

SETTINGS = 'BASE = "{}"\n'
TRAIN = 'from transformers import AutoModel\nfrom settings import BASE\nm = AutoModel.from_pretrained(BASE)\n'


def options(listing: Path, out: Path, **extra) -> MineOptions:
    return MineOptions(repos=listing, out=out, jobs=1, **extra)


def test_a_changed_module_re_resolves_its_importers_without_reparsing_them(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"settings.py": SETTINGS.format("google-bert/bert-base-uncased"), "train.py": TRAIN})
    listing = tmp_path / "list.txt"
    listing.write_text("r\n")
    first = mine(options(listing, tmp_path / "out"))
    assert first.files_parsed == 2
    commit(repo, {"settings.py": SETTINGS.format("FacebookAI/roberta-base")}, "new base")
    second = mine(options(listing, tmp_path / "out"))
    assert (second.files_parsed, second.files_cached) == (1, 1), "only the changed file is parsed again"
    usages = rows(tmp_path / "out", "usages")
    assert [(u["path"], u["model_id"], u["resolution"]) for u in usages] == [("train.py", "FacebookAI/roberta-base", "constant")]


def test_deleted_files_and_removed_repositories_drop_their_rows(tmp_path: Path) -> None:
    load = 'from transformers import AutoModel\nAutoModel.from_pretrained("{}")\n'
    repo = make_repo(tmp_path / "a", {"one.py": load.format("gpt2"), "two.py": load.format("distilgpt2")})
    make_repo(tmp_path / "b", {"x.py": load.format("t5-small")})
    listing = tmp_path / "list.txt"
    listing.write_text("a\nb\n")
    out = tmp_path / "out"
    mine(options(listing, out))
    assert {u["model_id"] for u in rows(out, "usages")} == {"gpt2", "distilgpt2", "t5-small"}

    repo.index.remove(["two.py"], working_tree=True)
    repo.index.commit("drop two")
    listing.write_text("a\n")
    mine(options(listing, out))
    assert {u["model_id"] for u in rows(out, "usages")} == {"gpt2"}
    assert [r["source"] for r in rows(out, "repos")] == ["a"]

    listing.write_text("a\n")
    make_repo(tmp_path / "c", {"y.py": load.format("t5-base")})
    listing.write_text("c\n")
    mine(options(listing, out, keep_removed=True))
    assert {u["model_id"] for u in rows(out, "usages")} == {"gpt2", "t5-base"}, "--keep-removed keeps a's rows"


def test_a_pattern_change_invalidates_the_cache(tmp_path: Path) -> None:
    make_repo(tmp_path / "r", {"app.py": "import mylib\nm = mylib.grab_weights('org/private-model')\n"})
    listing = tmp_path / "list.txt"
    listing.write_text("r\n")
    out = tmp_path / "out"
    assert mine(options(listing, out)).files_parsed == 0, "no keyword: the prefilter rejects the file"
    assert rows(out, "usages") == []

    patterns = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, patterns)
    (patterns / "mylib.toml").write_text(
        'library = "mylib"\nhub = "huggingface"\n[[api]]\ncallee = ["mylib.grab_weights"]\nid = { position = 0 }\n')
    summary = mine(options(listing, out), registry=load_registry(patterns))
    assert summary.files_parsed == 1 and summary.files_cached == 0
    assert [u["model_id"] for u in rows(out, "usages")] == ["org/private-model"]

    again = mine(options(listing, out), registry=load_registry(patterns))
    assert (again.repos_reused, again.files_parsed) == (1, 0), "same commit, same patterns: rows reused"
    assert [u["model_id"] for u in rows(out, "usages")] == ["org/private-model"]


def test_workers_opening_a_new_cache_at_once_all_get_it(tmp_path: Path) -> None:
    # Switching a new SQLite file to WAL fails at once ("database is locked")
    # when another connection holds it: workers starting together must wait.
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    for attempt in range(20):
        path = tmp_path / f"c{attempt}" / "facts.sqlite"
        path.parent.mkdir()
        start = ctx.Barrier(6)
        done = ctx.Queue()
        procs = [ctx.Process(target=_open_cache_and_write, args=(path, i, start, done)) for i in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        outcomes = sorted(done.get(timeout=5) for _ in procs)
        assert outcomes == [(i, "ok") for i in range(6)], outcomes
        with FactsCache(path, version="v") as cache:
            assert [cache.get_state(f"r{i}") for i in range(6)] == [("c", "v", i) for i in range(6)]


def _open_cache_and_write(path: Path, i: int, start, done) -> None:
    start.wait()
    try:
        with FactsCache(path, version="v") as cache:
            cache.put_states([(f"r{i}", "c", "v", i)])
        done.put((i, "ok"))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        done.put((i, f"{type(exc).__name__}: {exc}"))


def test_a_cache_from_before_scans_named_files_is_upgraded(tmp_path: Path) -> None:
    import sqlite3

    from miner.cache import Scan
    from miner.records import FileKind

    path = tmp_path / "facts.sqlite"
    with sqlite3.connect(path) as old:  # the scans table as earlier releases wrote it
        old.execute("CREATE TABLE scans (blob TEXT, kind TEXT, version TEXT, wanted INTEGER, imports TEXT,"
                    " PRIMARY KEY (blob, kind, version))")
        old.execute("INSERT INTO scans VALUES ('b0', 'python', 'v', 1, 'os')")
    with FactsCache(path, version="v") as cache:
        assert cache.get_scan("b0", FileKind.PYTHON) == Scan(True, ("os",), ())
        cache.put_scans([("b1", FileKind.PYTHON, Scan(False, ("a", "b"), ("conf/x.yaml",)))])
        assert cache.get_scan("b1", FileKind.PYTHON) == Scan(False, ("a", "b"), ("conf/x.yaml",))
