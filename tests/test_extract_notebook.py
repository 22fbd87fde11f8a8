"""Notebook reading: code cells joined with stable line numbers, shell escapes apart."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from miner.extract.notebook import NotebookCode, notebook_code
from miner.extract.shell import extract_shell_lines

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"


def notebook(*cells: object, **top: object) -> bytes:
    return json.dumps({"nbformat": 4, "metadata": {}, "cells": list(cells), **top}).encode()


def code(source: object, **extra: object) -> dict:
    return {"cell_type": "code", "source": source, "outputs": [], "metadata": {}, **extra}


def read(data: bytes) -> NotebookCode:
    result = notebook_code(data)
    assert isinstance(result, NotebookCode), result
    return result


# --- fixtures -----------------------------------------------------------------


def test_v4_fixture() -> None:
    nb = read((FIXTURES / "finetune_v4.ipynb").read_bytes())
    lines = nb.source.split("\n")
    assert len(lines) == 22 and nb.language == "python"
    assert lines[2] == "from transformers import AutoModel, AutoTokenizer"
    assert lines[3:7] == ['MODEL = "bert-base-uncased"', "tok = AutoTokenizer.from_pretrained(MODEL)", "",
                          "model = AutoModel.from_pretrained(MODEL)"]
    assert lines[16] == 'out = model(**tok("hi", return_tensors="pt"))'  # `%%time` keeps its Python body
    assert lines[17:21] == ['doc = """', "!not a shell line", "%not a magic", '"""']  # string content stays
    assert "output-only" not in nb.source and "markdown-only" not in nb.source and "raw.py" not in nb.source
    assert nb.shell_lines == (
        (8, "python run_glue.py \\\n    --model_name_or_path roberta-base \\\n    --task_name mrpc"),
        (11, "ls checkpoints"),
        (14, "MODEL=gpt2\npython generate.py --model $MODEL"),
    )


def test_v4_fixture_shell_lines_feed_the_shell_extractor() -> None:
    nb = read((FIXTURES / "finetune_v4.ipynb").read_bytes())
    got = {(a.line, a.program, a.option): a.values for a in extract_shell_lines("nb.ipynb", list(nb.shell_lines))}
    assert got == {(8, "run_glue.py", "--model_name_or_path"): ("roberta-base",),
                   (8, "run_glue.py", "--task_name"): ("mrpc",),
                   (15, "generate.py", "--model"): ("gpt2",)}


def test_v3_fixture() -> None:
    nb = read((FIXTURES / "legacy_v3.ipynb").read_bytes())
    assert nb.source == "import torchvision\nnet = torchvision.models.resnet50(pretrained=True)\n"
    assert nb.shell_lines == ((3, "python eval.py --arch resnet50"),)
    assert nb.language == "python"


# --- IPython syntax ----------------------------------------------------------------


def test_magics_escapes_and_help_are_blanked() -> None:
    nb = read(notebook(code(["%load_ext autoreload\n", "x = 1\n", "  !pip install x\n", "len?\n", "??len\n",
                             "y = %time f()\n", "z = !!pwd\n", "print(x % 2)\n", "q = 'why?'"])))
    assert nb.source.split("\n") == ["", "x = 1", "", "", "", "", "", "print(x % 2)", "q = 'why?'"]
    assert nb.shell_lines == ((3, "pip install x"), (7, "pwd"))


def test_cell_magics() -> None:
    nb = read(notebook(code("%%capture\nimport torch"), code("\n%%writefile train.py\nimport sys"),
                       code("%%writefile notes.txt\nsome text"), code("%%javascript\nalert(1)"),
                       code("%%sh\npython t.py --m x"), code("%%script python3\nprint(1)"),
                       code("%%script /bin/bash\necho hi")))
    assert nb.source.split("\n") == ["", "import torch", "", "", "import sys", "", "", "", "", "", "", "", "",
                                     "", ""]
    assert nb.shell_lines == ((11, "python t.py --m x"), (15, "echo hi"))


def test_line_numbers_count_every_cell_line() -> None:
    # "a = 1\n" is two lines; the list ["", "!echo hi"] joins to one.
    nb = read(notebook(code("a = 1\n"), {"cell_type": "markdown", "source": "!x"}, code(["", "!echo hi"])))
    assert nb.source == "a = 1\n\n"
    assert nb.shell_lines == ((3, "echo hi"),)


def test_source_as_string_or_list() -> None:
    assert read(notebook(code("a\nb"))).source == read(notebook(code(["a\n", "b"]))).source == "a\nb"


# --- malformed and hostile input -----------------------------------------------------


def test_invalid_json_and_shapes_are_errors() -> None:
    for data in (b"{not json", b"[]", b'"text"', b'{"cells": 3}', b'{"metadata": {}}', b'{"worksheets": {}}', b""):
        assert isinstance(notebook_code(data), str), data


def test_bad_cells_are_skipped() -> None:
    nb = read(notebook("junk", None, code(5), code(["a", 1]), {"cell_type": "code"}, code("ok = 1")))
    assert nb.source == "ok = 1"


def test_deeply_nested_json_is_an_error() -> None:
    assert isinstance(notebook_code(b"[" * 200_000 + b"]" * 200_000), str)


def test_invalid_utf8_is_replaced() -> None:
    data = b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "x = \'caf\xff\'"}]}'
    assert read(data).source == "x = 'caf\ufffd'"


def test_huge_outputs_are_not_copied() -> None:
    output = {"output_type": "stream", "name": "stdout", "text": ["x" * 1000 + "\n"] * 5000}
    nb = read(notebook(code("a = 1", outputs=[output])))
    assert nb.source == "a = 1"


def test_binary_garbage() -> None:
    garbage = bytes(range(256)) * 100
    assert isinstance(notebook_code(garbage), str)


# --- properties ------------------------------------------------------------------

_LINES = st.sampled_from(["x = 1", "", "!python t.py --m a", "%matplotlib inline", "%%time", "%%bash", "len?",
                          "  !ls \\", "s = '''", "'''", "# c", "def f():", "    return 2", "y = x % 2", "!!pwd"])
_CELL = st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "code", "markdown", "raw"]),
                               "source": st.lists(_LINES, max_size=8).map("\n".join)})


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELL, max_size=8))
def test_property_lines_are_kept_in_place(cells: list[dict]) -> None:
    nb = read(notebook(*cells))
    code_lines = [line for cell in cells if cell["cell_type"] == "code" for line in cell["source"].split("\n")]
    out = nb.source.split("\n") if code_lines else []
    assert len(out) == len(code_lines) or (not code_lines and nb.source == "")
    for kept, original in zip(out, code_lines):
        assert kept in ("", original)
    for line, text in nb.shell_lines:
        assert 1 <= line <= len(code_lines)
        assert text.split("\n")[0] in code_lines[line - 1] or code_lines[line - 2].startswith("%%")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_property_random_bytes_never_raise(data: bytes) -> None:
    result = notebook_code(data)
    assert isinstance(result, (str, NotebookCode))


def _nb(language: str | None) -> bytes:
    metadata = {} if language is None else {"kernelspec": {"name": "k", "language": language}}
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": ["model <- from_pretrained('gpt2')\n", "AutoModel.from_pretrained('gpt2')\n"]}
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": [cell]}).encode()


def test_only_python_notebooks_are_parsed_as_python() -> None:
    from miner.extract import WorkItem, extract_file
    from miner.records import FileKind, ParseStatus

    keywords = frozenset({"from_pretrained"})
    for language in ("python", "Python3", None, "pyspark"):
        facts = extract_file(WorkItem("nb.ipynb", FileKind.NOTEBOOK, _nb(language)), keywords)
        assert facts.status != ParseStatus.SKIPPED and any(c.callee == "AutoModel.from_pretrained" for c in facts.calls)
    for language in ("R", "julia", "scala"):
        facts = extract_file(WorkItem("nb.ipynb", FileKind.NOTEBOOK, _nb(language)), keywords)
        assert facts.status == ParseStatus.SKIPPED and not facts.calls and language in (facts.error or "")
