"""Golden output of the sample corpus: what `make mine` finds, as a readable TSV.

`make golden` (python -m tests.golden --write) rewrites it after an intended
change; `tests/test_golden.py` mines the corpus and diffs against it, so any
change in what is mined shows up as a readable diff in review.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from miner.run import MineOptions, mine
from miner.tables import read_usages

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "corpus_usages.tsv"
LIBRARIES = ROOT / "docs" / "libraries.md"  # the table of supported libraries
START, END = "<!-- patterns:start -->", "<!-- patterns:end -->"
COLUMNS = ("path", "line", "api", "hub", "repo_type", "model_id", "resolution", "canonical_id", "revision",
           "trust_remote_code", "vendored", "origin_path", "origin_line", "carrier")


def corpus_tsv(out: Path) -> str:
    """Mine the sample corpus into `out` and render its usages, repository
    keys made relative so that the text does not depend on the checkout."""
    mine(MineOptions(repos=ROOT / "corpus" / "list.txt", out=out, jobs=1))
    rows = []
    for u in read_usages(out / "usages.parquet"):
        repo = Path(u.repo).name
        rows.append("\t".join([repo, *("" if getattr(u, c) is None else str(getattr(u, c)) for c in COLUMNS)]))
    return "\t".join(("repo", *COLUMNS)) + "\n" + "\n".join(sorted(rows)) + "\n"


def with_patterns(page: str) -> str:
    """The docs page with its table of supported libraries regenerated from patterns/."""
    from miner.patterns import default_registry
    from miner.supported import markdown_table

    head, _, rest = page.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{markdown_table(default_registry())}\n{END}{tail}"


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        text = corpus_tsv(Path(tmp))
    if "--write" in argv:
        GOLDEN.write_text(text)
        LIBRARIES.write_text(with_patterns(LIBRARIES.read_text()))
        print(f"wrote {GOLDEN.relative_to(ROOT)}: {text.count(chr(10)) - 1} usages")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
