"""The per-file time budget: a pathological file is stopped, recorded, and the run goes on."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import git
import pyarrow.parquet as pq
import pytest

from miner.cli import EXIT_OK, main
from miner.extract import WorkItem, budget, extract_file
from miner.patterns import default_registry
from miner.records import FileKind, ParseStatus

LOAD = "from transformers import AutoModel\nAutoModel.from_pretrained({!r})\n"


def test_a_runaway_regular_expression_is_interrupted() -> None:
    with pytest.raises(budget.BudgetExceeded):
        with budget.time_budget(0.2):
            re.match(r"(a+)+$", "a" * 40 + "b")
    assert not budget.expired()


def test_a_parse_is_cancelled_in_any_thread() -> None:
    """Off the main thread there is no timer: the parser's progress callback stops it."""
    source = ("x = f(1, [2, 3], {'k': g(4)})\n" * 400_000).encode()
    item = WorkItem("big.py", FileKind.PYTHON, source)
    keywords = default_registry().keywords
    out = {}

    def work() -> None:
        with budget.time_budget(0.0):  # an enclosing budget that is already spent
            out["big"] = extract_file(item, keywords)
        out["after"] = extract_file(WorkItem("ok.py", FileKind.PYTHON, LOAD.format("org/ok").encode()), keywords)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert out["big"].status == ParseStatus.FAILED and "time budget" in out["big"].error
    assert out["after"].status == ParseStatus.OK, "the parser is usable again after a cancelled parse"
    assert [c.callee for c in out["after"].calls] == ["AutoModel.from_pretrained"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_over_the_budget_fails_alone_and_the_run_goes_on(tmp_path: Path, jobs: str) -> None:
    slow = "from transformers import AutoModel\n" + "".join(
        f"AutoModel.from_pretrained('org/m{i}')\n" for i in range(300_000))
    root = tmp_path / "r"
    repo = git.Repo.init(root, initial_branch="main")
    (root / "slow.py").write_text(slow)
    (root / "fast.py").write_text(LOAD.format("org/fast"))
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "x", "--no-gpg-sign")
    listing = tmp_path / "list.txt"
    listing.write_text(f"{root}\n")
    out = tmp_path / "out"
    assert main(["mine", "--repos", str(listing), "--out", str(out), "--jobs", jobs,
                 "--max-file-bytes", "100000000", "--file-seconds", "0.5"]) == EXIT_OK
    usages = pq.read_table(out / "usages.parquet").to_pylist()
    assert [(u["path"], u["model_id"]) for u in usages] == [("fast.py", "org/fast")]
    problems = {p["path"]: p for p in pq.read_table(out / "problems.parquet").to_pylist()}
    assert problems["slow.py"]["reason"] == "failed"
    assert "time budget of 0.5 s" in problems["slow.py"]["detail"]


def test_a_budget_that_is_not_positive_is_a_usage_error(tmp_path: Path, capsys) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("x\n")
    for bad in ("0", "-1", "nan", "inf"):
        assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "out"), "--file-seconds", bad]) == 2
        assert "--file-seconds" in capsys.readouterr().err


def test_long_runs_of_comment_lines_are_read_whole() -> None:
    """tree-sitter's scanner looks ahead over every following comment line at
    each one; a run of 30,000 would take minutes (past the budget). Comments in
    long runs become blank lines: every line stays where it was."""
    comment = "# " + "x" * 78 + "\n"
    source = ("from transformers import AutoModel\ndef load():\n    name = 'org/inside'\n"
              + ("    " + comment + "\n") * 15_000
              + "    return AutoModel.from_pretrained(name)\n" + comment * 30_000
              + "AutoModel.from_pretrained('org/after')  # a comment on a code line\n")
    facts = extract_file(WorkItem("c.py", FileKind.PYTHON, source.encode()), default_registry().keywords)
    assert facts.status == ParseStatus.OK
    assert [c.line for c in facts.calls] == [30_004, 60_005]


def test_resolution_past_its_budget_keeps_the_usages_unresolved_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from miner.resolve import evaluate

    monkeypatch.setattr(evaluate, "REPO_SECONDS", 0.0)
    root = tmp_path / "r"
    repo = git.Repo.init(root, initial_branch="main")
    (root / "app.py").write_text("NAME = 'org/a'\n" + LOAD.format("org/b") + "AutoModel.from_pretrained(NAME)\n")
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "x")
    listing = tmp_path / "list.txt"
    listing.write_text(f"{root}\n")
    out = tmp_path / "out"
    assert main(["mine", "--repos", str(listing), "--out", str(out), "--jobs", "1"]) == EXIT_OK
    usages = pq.read_table(out / "usages.parquet").to_pylist()
    assert [(u["line"], u["model_id"], u["resolution"]) for u in usages] == [(3, None, "unresolved"),
                                                                              (4, None, "unresolved")]
    (problem,) = pq.read_table(out / "problems.parquet").to_pylist()
    assert (problem["path"], problem["stage"], problem["reason"]) == (None, "resolve", "over_budget")
