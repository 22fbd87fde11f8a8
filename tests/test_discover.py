"""The prefilter and the import scan: fast searches that must answer exactly
what the plain definitions (`bytes in`, `re.finditer`) answer."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from miner import discover
from miner.patterns import default_registry
from miner.records import FileKind

PREFILTER = discover.Prefilter.build(default_registry())
WORDS = sorted({k.decode() for k in PREFILTER.keywords} | {k.decode() for k, _ in PREFILTER.paired}
               | {r.decode() for _, roots in PREFILTER.paired for r in roots})


def plain_wants(data: bytes) -> bool:
    """The prefilter's definition, one `in` per keyword."""
    return any(k in data for k in PREFILTER.keywords) or any(
        k in data and any(r in data for r in roots) for k, roots in PREFILTER.paired)


def test_generic_keyword_needs_its_library() -> None:
    assert PREFILTER.wants(FileKind.PYTHON, b"import spacy\nnlp = spacy.load('en_core_web_sm')\n")
    assert not PREFILTER.wants(FileKind.PYTHON, b"import json\ndata = json.load(f)\n")
    assert PREFILTER.wants(FileKind.PYTHON, b"m = AutoModel.from_pretrained(name)\n")


def test_a_keyword_inside_a_longer_word_counts() -> None:
    # `load` is found inside `download`, as `b"load" in data` finds it.
    assert PREFILTER.wants(FileKind.PYTHON, b"import torch\ndownload_weights()\n")
    assert PREFILTER.wants(FileKind.NOTEBOOK, b'{"source": ["import torch\\n", "redownload()"]}')


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(alphabet=" .(_)\n'\"abcdeloadtorch", max_size=8)),
                max_size=12))
def test_prefilter_agrees_with_plain_search(pieces: list[str]) -> None:
    data = "".join(pieces).encode()
    assert PREFILTER.wants(FileKind.PYTHON, data) == plain_wants(data)


LINES = st.sampled_from([
    "import os", "import a.b as c, d", "  from .pkg import helper", "from x import (Y,", "\tfrom m import *",
    "x = 'import y'", "# import z", "from cfg import MODEL_NAME", "importlib.import_module('q')", "",
    "def f(): import inner", "from . import sibling", "\r", "imports = 1",
])


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(LINES, max_size=15), st.sampled_from(["\n", "\r\n"]))
def test_import_scan_agrees_with_finditer(lines: list[str], newline: str) -> None:
    data = newline.join(lines).encode()
    expected = [m.groups() for m in discover._IMPORT.finditer(data)]
    assert [m.groups() for m in discover._import_lines(data)] == expected


def counted_only_imported(data: bytes, word: bytes, start: int, end: int) -> bool:
    """`_only_imported`'s definition: every mention counted."""
    line = data[start:end]
    return data.count(word) <= line.count(word) + data.count(b'"' + word + b'"') + data.count(b"'" + word + b"'")


# Words that may overlap themselves (`aa`, `aba`) or not (`ab`), mentioned plain,
# quoted, inside longer names, and with quotes shared between mentions (`"ab"ab"`).
TEXT = st.lists(st.sampled_from(["a", "b", "_", "ab", "aba", "aa", '"', "'", " ", "\n", ".", "(", "x"]), max_size=24)


@settings(max_examples=600, derandomize=True, deadline=None)
@given(TEXT, TEXT, st.sampled_from(["ab", "aba", "aa", "a", "b_a"]))
def test_reexport_marking_agrees_with_counting(before: list[str], after: list[str], word: str) -> None:
    line = f"from m import {word}"
    data = ("".join(before) + "\n" + line + "\n" + "".join(after)).encode()
    start = len("".join(before).encode()) + 1
    end = start + len(line)
    assert discover._only_imported(data, word.encode(), start, end) == counted_only_imported(
        data, word.encode(), start, end)
