"""The sample corpus mines to exactly the golden output (`make golden` to update)."""
from __future__ import annotations

import difflib
from pathlib import Path

from tests.golden import GOLDEN, README, corpus_tsv, readme_with_patterns


def test_corpus_matches_golden(tmp_path: Path) -> None:
    got = corpus_tsv(tmp_path / "out")
    want = GOLDEN.read_text()
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "golden", "mined"))
    assert got == want, f"the corpus mines differently; if intended, run `make golden`\n{diff}"


def test_readme_lists_every_pattern() -> None:
    text = README.read_text()
    assert text == readme_with_patterns(text), "README's library table is stale; run `make golden`"
