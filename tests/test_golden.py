"""The sample corpus mines to exactly the golden output (`make golden` to
update), the generated docs pages are up to date, and the README's example
rows are rows that `make mine` writes."""
from __future__ import annotations

import difflib
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.golden import END, GOLDEN, LIBRARIES, ROOT, START, corpus_tsv, with_patterns


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("corpus") / "out"
    return out, corpus_tsv(out)


def test_corpus_matches_golden(mined: tuple[Path, str]) -> None:
    got = mined[1]
    want = GOLDEN.read_text()
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "golden", "mined"))
    assert got == want, f"the corpus mines differently; if intended, run `make golden`\n{diff}"


def test_docs_list_every_pattern() -> None:
    text = LIBRARIES.read_text()
    assert START in text and END in text, "docs/libraries.md lost its generated table's markers"
    assert text == with_patterns(text), "docs/libraries.md's library table is stale; run `make golden`"


def readme_example() -> tuple[list[str], list[list[str]]]:
    """The header and rows of the README's example table of repo_models."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- example:start -->(.*?)<!-- example:end -->", text, re.S)
    assert block, "README has no example section"
    lines = [ln.strip().strip("|").split("|") for ln in block.group(1).strip().splitlines()]
    header, _, *rows = [[cell.strip() for cell in ln] for ln in lines]
    return header, rows


def test_readme_example_rows_are_mined(mined: tuple[Path, str]) -> None:
    header, rows = readme_example()
    assert len(rows) == 3
    table = pq.read_table(mined[0] / "repo_models.parquet").to_pylist()
    have = {tuple("" if r[c] is None else str(r[c]) for c in header) for r in table}
    for row in rows:
        folder = row[0].removeprefix("…/")
        match = [h for h in have if h[0].endswith("/" + folder) and h[1:] == tuple(row[1:])]
        assert match, f"README's example row {row} is not in repo_models of the sample corpus"
