"""Values that many paths carry: a value held in many calls never crowds out
another value (evaluate.py, `_dedupe`). With summaries (`_summarised`) the
paths to a function are read once, so a function with many callers fills
its candidate lists with one value held in many calls far more often."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from miner.cli import main
from miner.resolve.evaluate import MAX_CANDIDATES, Evaluator
from tests.test_end_to_end import make_repo, run
from tests.test_shards import every_fixture, rows

FANOUT = 10  # FANOUT ** 2 calls carry one value: more than MAX_CANDIDATES


def crowded() -> str:
    lines = ["from transformers import AutoModel", "", "", "def load(name):",
             "    return AutoModel.from_pretrained(name)", ""]
    for i in range(FANOUT):
        lines += ["", f"def wrap{i}(name):", "    load(name)", ""]
        lines += [f'wrap{i}("org/common")' for _ in range(FANOUT)]
    lines += ["", 'load("org/rare")']
    return "\n".join(lines) + "\n"


def test_a_value_many_calls_carry_does_not_crowd_out_another(tmp_path: Path) -> None:
    assert FANOUT ** 2 > MAX_CANDIDATES
    make_repo(tmp_path / "repo", {"wrappers.py": crowded()})
    listing = tmp_path / "list.txt"
    listing.write_text(str(tmp_path / "repo") + "\n")
    assert run(listing, tmp_path / "out") == 0
    rows = [r for r in pq.read_table(tmp_path / "out" / "usages.parquet").to_pylist() if r["line"] == 5]
    assert {r["model_id"] for r in rows} == {"org/common", "org/rare"}


def test_summaries_never_change_a_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every resolution fixture, mined with summaries and with every summary
    computed afresh where it is met: the same rows."""
    listing = every_fixture(tmp_path)
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "summaries"), "--jobs", "1"]) == 0
    monkeypatch.setattr(Evaluator, "_summarised", lambda self, key, ctx, compute: compute())
    assert main(["mine", "--repos", str(listing), "--out", str(tmp_path / "afresh"), "--jobs", "1"]) == 0
    assert rows(tmp_path / "summaries") == rows(tmp_path / "afresh")
