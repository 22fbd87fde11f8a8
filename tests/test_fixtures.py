"""Every annotated fixture, mined through the real pipeline, against its annotations.

Single-file fixtures (`tests/fixtures/python/**.py`) are each mined as a
repository of their own; fixture repositories (`tests/fixtures/repos/*/`) and
the sample corpus (`corpus/*/`) are mined as the folders they are.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from miner.run import MineOptions, mine
from miner.tables import read_usages
from tests.annotations import check_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

SINGLE = sorted((FIXTURES / "python").rglob("*.py")) if (FIXTURES / "python").exists() else []
FOLDERS = sorted(p for p in (FIXTURES / "repos").iterdir() if p.is_dir()) if (FIXTURES / "repos").exists() else []
CORPUS = sorted(p for p in (ROOT / "corpus").iterdir() if p.is_dir()) if (ROOT / "corpus").exists() else []

ANNOTATED_SUFFIXES = (".py", ".ipynb", ".sh", ".yaml", ".yml", ".toml", ".cfg", ".md")


@pytest.fixture(scope="session")
def mined(tmp_path_factory) -> dict[Path, tuple[Path, list]]:
    """Mine every fixture in one run; map each fixture to (its root, its usages)."""
    base = tmp_path_factory.mktemp("fixtures")
    roots: dict[Path, Path] = {}
    for i, path in enumerate(SINGLE):
        root = base / f"single{i}"
        root.mkdir()
        shutil.copy(path, root / path.name)
        roots[path] = root
    for path in FOLDERS + CORPUS:
        roots[path] = path
    listing = base / "list.txt"
    listing.write_text("\n".join(str(r) for r in roots.values()) + "\n")
    mine(MineOptions(repos=listing, out=base / "out", jobs=1))
    usages = read_usages(base / "out" / "usages.parquet")
    by_repo: dict[str, list] = {}
    for u in usages:
        by_repo.setdefault(u.repo, []).append(u)
    return {fixture: (root, by_repo.get(str(root.resolve()), [])) for fixture, root in roots.items()}


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("fixture", SINGLE + FOLDERS + CORPUS, ids=_id)
def test_fixture(fixture: Path, mined) -> None:
    root, usages = mined[fixture]
    files = [root / fixture.name] if fixture.is_file() else sorted(
        p for p in root.rglob("*") if p.is_file() and (p.suffix in ANNOTATED_SUFFIXES or p.name == "Dockerfile"))
    errors: list[str] = []
    for path in files:
        errors += check_file(path, path.relative_to(root).as_posix(), usages)
    assert not errors, "\n".join(errors)
