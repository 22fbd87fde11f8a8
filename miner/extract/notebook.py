"""The Python code of a Jupyter notebook, and its shell escapes.

Owns reading `.ipynb` JSON (nbformat 4, and 3 with its worksheets): the code
cells are joined with "\\n" into one source whose line numbers are the
notebook's own. IPython syntax that is not Python becomes an empty line, so the
numbering never shifts: `%magic` lines, `%%magic` cells (except those whose
body is Python, like `%%time`), `!shell` escapes and `obj?` help. The `!` lines
(and `%%bash` cell bodies) are returned apart, with their line numbers, for the
shell extractor. Markdown, raw cells and outputs are never read.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# Cell magics whose body is still Python code run by the kernel.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit"})
_SHELL_CELL_MAGIC = re.compile(r"\s*%%(bash|sh|system|script\s+(\S*/)?(ba|z)?sh)\b")
_HELP = re.compile(r"^\s*(\?{1,2}[\w.]+|[\w.]+(\(\))?\?{1,2})\s*$")
_ASSIGNED_ESCAPE = re.compile(r"^\s*[\w.]+(\s*,\s*[\w.]+)*\s*=\s*([!%])")
# Kernel languages whose cells are Python code (IPython's own, PySpark's, Sage's
# Python superset); an empty name says nothing.
_PYTHON_KERNELS = frozenset({"", "python", "python2", "python3", "ipython", "ipython2", "ipython3", "pyspark",
                             "sage", "sagemath", "xpython"})
_ENV_MAGIC = re.compile(r"^(\s*)%(?:env|set_env)\s+([A-Za-z_]\w*)(?:\s*=\s*|\s+)([^$\s][^$]*)$")
_WRITEFILE = re.compile(r"%%(writefile|file)\s+(-a\s+)?\S+\.py\s*$")


@dataclass(frozen=True, slots=True)
class NotebookCode:
    source: str  # the code cells joined with "\n"; IPython-only lines left empty
    shell_lines: tuple[tuple[int, str], ...]  # (line in `source`, shell text without the `!`)
    language: str | None = None  # the kernel's language, when the notebook says

    @property
    def is_python(self) -> bool:
        """Python, or not said: an R or Julia notebook's code is not Python."""
        return self.language is None or self.language.strip().lower() in _PYTHON_KERNELS


def notebook_code(data: bytes) -> NotebookCode | str:
    """The code of a notebook, or an error message when it cannot be read."""
    try:
        notebook = _load(data)
    except (ValueError, RecursionError) as exc:
        return f"invalid notebook JSON: {' '.join(str(exc).split())}"[:500]
    if not isinstance(notebook, dict):
        return "notebook is not a JSON object"
    cells = _cells(notebook)
    if isinstance(cells, str):
        return cells
    lines: list[str] = []
    shell: list[tuple[int, str]] = []
    for cell in cells:
        source = _code_source(cell)
        if source is not None:
            _add_cell(source, lines, shell)
    return NotebookCode("\n".join(lines), tuple(shell), _language(notebook, cells))


def _load(data: bytes) -> Any:
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        return json.loads(data.decode("utf-8", errors="replace"))


def _cells(notebook: dict[str, Any]) -> list[Any] | str:
    """The cells, in order: `cells` (nbformat 4) or `worksheets[].cells` (3)."""
    if "cells" in notebook:
        cells = notebook["cells"]
        return cells if isinstance(cells, list) else "notebook `cells` is not a list"
    worksheets = notebook.get("worksheets")
    if not isinstance(worksheets, list):
        return "notebook has neither `cells` nor `worksheets`"
    out: list[Any] = []
    for sheet in worksheets:
        if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list):
            out.extend(sheet["cells"])
    return out


def _code_source(cell: Any) -> str | None:
    """A code cell's source text (`source` in v4, `input` in v3); None for any
    other cell and for a malformed one, which is skipped."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None
    source = cell.get("source", cell.get("input"))
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    return None


def _language(notebook: dict[str, Any], cells: list[Any]) -> str | None:
    """The kernel's language from the metadata, or (nbformat 3) from a code cell."""
    metadata = notebook.get("metadata")
    for key, name in (("kernelspec", "language"), ("language_info", "name")):
        section = metadata.get(key) if isinstance(metadata, dict) else None
        if isinstance(section, dict) and isinstance(section.get(name), str):
            return section[name]
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code" and isinstance(cell.get("language"), str):
            return cell["language"]
    return None


def _add_cell(source: str, lines: list[str], shell: list[tuple[int, str]]) -> None:
    """Append one code cell's lines (IPython syntax blanked) and its shell escapes."""
    first = len(lines) + 1
    cell = source.split("\n")
    magic = _cell_magic(cell)
    if magic is not None:
        at, name = magic
        python_body = name in _PYTHON_CELL_MAGICS or bool(_WRITEFILE.match(cell[at].strip()))
        if _SHELL_CELL_MAGIC.match(cell[at]) and at + 1 < len(cell):
            shell.append((first + at + 1, "\n".join(cell[at + 1:])))
        blank_from = at + 1 if python_body else len(cell)
        cell = cell[:at] + [""] * (blank_from - at) + cell[blank_from:]
    lines.extend(_blank_escapes(cell, first, shell))


def _cell_magic(cell: list[str]) -> tuple[int, str] | None:
    """(index, name) of a `%%name` first line (after blank lines)."""
    for i, line in enumerate(cell):
        if line.strip():
            m = re.match(r"\s*%%(\w+)", line)
            return (i, m.group(1)) if m else None
    return None


def _blank_escapes(cell: list[str], first: int, shell: list[tuple[int, str]]) -> list[str]:
    """The cell with `%`, `!` and `?` lines (and their `\\` continuations)
    emptied; `!` lines go to `shell` with their line number."""
    out = list(cell)
    in_string = _lines_in_strings(cell)
    i = 0
    while i < len(cell):
        stripped = cell[i].lstrip()
        escape = _escape_kind(cell[i], stripped)
        if escape is None or i in in_string:
            i += 1
            continue
        end = i
        while cell[end].rstrip().endswith("\\") and end + 1 < len(cell):
            end += 1
        if escape == "!":
            text = "\n".join([_after_bang(cell[i])] + cell[i + 1: end + 1])
            shell.append((first + i, text))
        out[i: end + 1] = [""] * (end + 1 - i)
        env = _ENV_MAGIC.match(cell[i]) if escape == "%" and end == i else None
        if env is not None:  # `%env M=x` is `os.environ["M"] = "x"`, on the same line
            indent, name, value = env.group(1), env.group(2), env.group(3).strip().strip("'\"")
            out[i] = f"{indent}import os as _ipython_os; _ipython_os.environ[{name!r}] = {value!r}"
        i = end + 1
    return out


def _escape_kind(line: str, stripped: str) -> str | None:
    if stripped.startswith(("!", "%")):
        return stripped[0]
    assigned = _ASSIGNED_ESCAPE.match(line)
    if assigned:
        return assigned.group(2)
    return "?" if _HELP.match(line) else None


def _after_bang(line: str) -> str:
    """The shell text of `!cmd`, `!!cmd` or `x = !cmd`."""
    return line[line.index("!"):].lstrip("!")


def _lines_in_strings(cell: list[str]) -> set[int]:
    """Indices of lines that start inside a triple-quoted string: they are
    string content, not IPython syntax."""
    inside: set[int] = set()
    quote: str | None = None
    for i, line in enumerate(cell):
        if quote is not None:
            inside.add(i)
        quote = _scan_line(line, quote)
    return inside


def _scan_line(line: str, quote: str | None) -> str | None:
    """The triple quote still open at the end of `line`, given the one open at its start."""
    i = 0
    while i < len(line):
        if quote is not None:
            if line[i] == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                quote, i = None, i + len(quote)
                continue
            i += 1
            continue
        c = line[i]
        if c == "#":
            return None
        if line.startswith(('"""', "'''"), i):
            quote, i = line[i: i + 3], i + 3
        elif c in "'\"":
            i = _string_end(line, i + 1, c)
        else:
            i += 1
    return quote


def _string_end(line: str, i: int, quote: str) -> int:
    while i < len(line) and line[i] != quote:
        i += 2 if line[i] == "\\" else 1
    return i + 1
