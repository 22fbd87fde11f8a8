"""Hostile inputs, end to end through `mine` and the Parquet tables read back
(issue 6): encodings, broken syntax, malformed notebooks, LFS pointers,
submodules and `.gitattributes` filters, bad list lines, and a second run over
the same output folder.

What a file that cannot be read cleanly becomes is `miner/extract/text.py`'s
and `miner/extract/__init__.py`'s documented behaviour: a PEP 263 cookie or a
BOM is honoured, UTF-16 is read by its BOM, an unknown cookie falls back to
UTF-8, undecodable bytes are replaced (the file is then `partial`), and NUL
bytes in the first 8 KiB make a file binary (`skipped`). Each of those is a
`problems` row (stage `parse`, reason the status).

Only files that the keyword prefilter selects (or Python modules next to them)
are read at all, so each hostile file here carries a keyword; one that carries
none is never read, and leaves no row anywhere.
"""
from __future__ import annotations

import codecs
import json
from pathlib import Path

import git
import pytest

from miner.cli import EXIT_OK, EXIT_SOME_FAILED
from tests.hostile import (
    LOAD, by_path, listing, make_repo, mine, problems, rows, write)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreachable URL must fail on its own, not through a proxy."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def ids(usages: list[dict]) -> list[str | None]:
    return [u["model_id"] for u in usages]


def parse_problem(found: dict[str | None, dict], path: str) -> tuple[str, str, str]:
    p = found[path]
    return p["stage"], p["reason"], p["detail"]


# --- encodings -------------------------------------------------------------------


def _load(model: str, encoding: str = "utf-8") -> bytes:
    return LOAD.format(model).encode(encoding)


ENCODED: dict[str, bytes] = {
    # PEP 263 cookies: the bytes are not UTF-8, so only an honoured cookie reads them cleanly.
    "latin1.py": b"# -*- coding: latin-1 -*-\n# caf\xe9, na\xefve\nGREETING = 'd\xe9j\xe0 vu'\n"
                 + _load("org/latin-1"),
    "cp1252.py": b"# vim: set fileencoding=cp1252 :\nQUOTE = '\x93smart\x94 \x80'\n" + _load("org/cp1252"),
    # An unknown codec: the interpreter refuses it; the miner reads the file as UTF-8.
    "bogus_cookie.py": b"# -*- coding: klingon -*-\n" + _load("org/bogus-cookie"),
    "bogus_cookie_latin1.py": b"# coding: klingon\n# caf\xe9\n" + _load("org/bogus-cookie-latin1"),
    "bom.py": codecs.BOM_UTF8 + b"# caf\xc3\xa9\n" + _load("org/utf8-bom"),
    "bom_cookie.py": codecs.BOM_UTF8 + b"# -*- coding: utf-8 -*-\n" + _load("org/utf8-bom-cookie"),
    # A BOM and another cookie contradict each other (the interpreter refuses it): UTF-8 wins.
    "bom_latin1_cookie.py": codecs.BOM_UTF8 + b"# coding: latin-1\n" + _load("org/utf8-bom-latin1-cookie"),
    "invalid_utf8.py": b"from transformers import AutoModel\nS = 'caf\xe9 \xc3\x28'  # \xff\xfe in a comment\n"
                       b"AutoModel.from_pretrained('org/invalid-utf8')\n",
    "nul.py": _load("org/nul") + b"DATA = '\x00\x01\x02'\n",
    # NUL bytes past the first 8 KiB: still text (a syntax error there, so partial).
    "late_nul.py": _load("org/late-nul") + b"#" * 9000 + b"\n\x00\n",
    "bom.ipynb": codecs.BOM_UTF8 + json.dumps({"nbformat": 4, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": LOAD.format("org/notebook-bom")}]}).encode(),
    "invalid_utf8.ipynb": b'{"nbformat": 4, "metadata": {}, "cells": ['
                          b'{"cell_type": "markdown", "metadata": {}, "source": "caf\xe9 \xff"},'
                          b'{"cell_type": "code", "metadata": {}, "outputs": [], "source": '
                          + json.dumps(LOAD.format("org/notebook-invalid-utf8")).encode() + b"}]}",
}
UTF16: dict[str, bytes] = {
    "utf16le.py": codecs.BOM_UTF16_LE + _load("org/utf16-le", "utf-16-le"),
    "utf16be.py": codecs.BOM_UTF16_BE + _load("org/utf16-be", "utf-16-be"),
}


def test_encodings_decodable_files_give_their_ids_and_the_rest_is_recorded(tmp_path: Path) -> None:
    make_repo(tmp_path / "r", ENCODED)
    out = tmp_path / "out"
    assert mine(listing(tmp_path, "r"), out) == EXIT_OK
    found = {path: [(u["model_id"], u["line"], u["partial_parse"]) for u in us] for path, us in by_path(out).items()}
    assert found == {
        "latin1.py": [("org/latin-1", 5, False)],
        "cp1252.py": [("org/cp1252", 4, False)],
        "bogus_cookie.py": [("org/bogus-cookie", 3, False)],
        "bogus_cookie_latin1.py": [("org/bogus-cookie-latin1", 4, True)],
        "bom.py": [("org/utf8-bom", 3, False)],
        "bom_cookie.py": [("org/utf8-bom-cookie", 3, False)],
        "bom_latin1_cookie.py": [("org/utf8-bom-latin1-cookie", 3, False)],
        "invalid_utf8.py": [("org/invalid-utf8", 3, True)],
        "late_nul.py": [("org/late-nul", 2, True)],
        "bom.ipynb": [("org/notebook-bom", 2, False)],
        "invalid_utf8.ipynb": [("org/notebook-invalid-utf8", 2, True)],
    }
    found_problems = problems(out)
    assert set(found_problems) == {"bogus_cookie_latin1.py", "invalid_utf8.py", "late_nul.py", "nul.py",
                                   "invalid_utf8.ipynb"}
    for path in ("bogus_cookie_latin1.py", "invalid_utf8.py", "invalid_utf8.ipynb"):
        assert parse_problem(found_problems, path) == ("parse", "partial", "undecodable bytes replaced")
    assert parse_problem(found_problems, "nul.py") == ("parse", "skipped", "binary content")
    assert parse_problem(found_problems, "late_nul.py")[:2] == ("parse", "partial")
    assert all(p["repo"] == str(tmp_path / "r") for p in found_problems.values())
    assert "org/nul" not in {u["model_id"] for u in rows(out, "usages")}
    assert {(m["model_id"], m["n_usages"]) for m in rows(out, "repo_models")} == {
        (model, 1) for us in found.values() for model, _, _ in us}


def test_a_cookie_that_cannot_be_right_is_ignored_and_the_file_read_as_utf8(tmp_path: Path) -> None:
    """The interpreter refuses each of these ASCII files. Before the fix in
    text.decode_python: `punycode` and `undefined` raised (the file `failed`),
    `utf-16-le` and `cp037` decoded to mojibake (nothing found, the file
    `partial` with syntax errors), and `rot13` and `base64` were marked partial
    ("undecodable bytes replaced") although no byte was replaced."""
    codecs_ = ("punycode", "undefined", "utf-16-le", "cp037", "rot13", "base64")
    files = {f"cookie_{name}.py": f"# -*- coding: {name} -*-\n" + LOAD.format(f"org/cookie-{name}")
             for name in codecs_}
    make_repo(tmp_path / "r", files)
    out = tmp_path / "out"
    assert mine(listing(tmp_path, "r"), out) == EXIT_OK
    assert sorted((u["path"], u["model_id"], u["line"], u["partial_parse"]) for u in rows(out, "usages")) == sorted(
        (f"cookie_{name}.py", f"org/cookie-{name}", 3, False) for name in codecs_)
    assert rows(out, "problems") == []


def test_utf16_python_files_with_a_bom_give_their_ids(tmp_path: Path) -> None:
    make_repo(tmp_path / "r", UTF16)
    out = tmp_path / "out"
    assert mine(listing(tmp_path, "r"), out) == EXIT_OK
    found = {path: [(u["model_id"], u["line"], u["partial_parse"]) for u in us] for path, us in by_path(out).items()}
    assert found == {"utf16le.py": [("org/utf16-le", 2, False)], "utf16be.py": [("org/utf16-be", 2, False)]}


# --- broken syntax ---------------------------------------------------------------


PYTHON2 = (
    "from transformers import AutoModel\n"
    "import sys\n"
    "print 'loading', sys.argv\n"
    "print >>sys.stderr, 'to stderr'\n"
    "exec 'x = 1'\n"
    "try:\n"
    "    n = `42` + ur'raw unicode'\n"
    "except ValueError, e:\n"
    "    raise RuntimeError, 'bad: %s' % e\n"
    "if 1 <> 2:\n"
    "    size = 0777 + 10L\n"
    "MODEL = 'org/python2'\n"
    "AutoModel.from_pretrained(MODEL)\n"
)
BROKEN = (
    "from transformers import AutoModel\n"
    "def broken(:\n"
    "    return (\n"
    "AutoModel.from_pretrained('org/after-error')\n"
    "class :\n"
    "    x = = 1\n"
    "AutoModel.from_pretrained('org/after-second-error')\n"
    "def also_broken(\n"
)


def test_python2_and_syntax_errors_still_give_the_readable_calls(tmp_path: Path) -> None:
    make_repo(tmp_path / "r", {"py2.py": PYTHON2, "broken.py": BROKEN})
    out = tmp_path / "out"
    assert mine(listing(tmp_path, "r"), out) == EXIT_OK
    found = by_path(out)
    assert [(u["model_id"], u["line"], u["resolution"]) for u in found["py2.py"]] == [("org/python2", 13, "constant")]
    assert {u["model_id"] for u in found["broken.py"]} >= {"org/after-error", "org/after-second-error"}
    assert all(u["partial_parse"] for u in found["broken.py"])
    assert parse_problem(problems(out), "broken.py")[:2] == ("parse", "partial")


def test_a_python2_file_is_marked_partial(tmp_path: Path) -> None:
    make_repo(tmp_path / "r", {"py2.py": PYTHON2})
    out = tmp_path / "out"
    assert mine(listing(tmp_path, "r"), out) == EXIT_OK
    assert [u["partial_parse"] for u in rows(out, "usages")] == [True]
    assert parse_problem(problems(out), "py2.py")[:2] == ("parse", "partial")


# --- notebooks -------------------------------------------------------------------


def _nb(cells: list, **extra) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells, **extra})


def _code(source, outputs: list | None = None) -> dict:
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": outputs or [], "source": source}


HUGE_OUTPUT_BYTES = 20 * 1024 * 1024
KEYWORD = "AutoModel.from_pretrained('org/never')"  # makes a file a candidate; never a usage


def _notebooks() -> dict[str, str | bytes]:
    output_line = LOAD.format("org/only-in-output")
    huge = [output_line] * (HUGE_OUTPUT_BYTES // len(output_line) + 1)
    return {
        "invalid.ipynb": '{"nbformat": 4, "cells": [{"cell_type": "code", "source": "' + KEYWORD,
        "list.ipynb": json.dumps([_code(LOAD.format("org/in-a-list"))]),
        "string.ipynb": json.dumps(LOAD.format("org/in-a-string")),
        "number.ipynb": "42\n",  # no keyword: never read
        "cells_not_a_list.ipynb": json.dumps({"nbformat": 4, "cells": {"0": _code(KEYWORD)}}),
        "cells_not_dicts.ipynb": _nb([42, KEYWORD, None, [KEYWORD], True,
                                      _code(LOAD.format("org/good-cell"))]),
        "bad_sources.ipynb": _nb([_code(42), _code(None), _code({"text": KEYWORD}), _code([1, KEYWORD]),
                                  {"cell_type": "code"}, _code(LOAD.format("org/after-bad-sources"))]),
        "nbformat3.ipynb": json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"},
                                       "worksheets": [
            {"cells": [
                {"cell_type": "markdown", "source": KEYWORD},
                {"cell_type": "code", "language": "python", "collapsed": False, "outputs": [],
                 "input": ["from transformers import AutoModel\n", "AutoModel.from_pretrained('org/v3-first')"]},
            ]},
            "not a worksheet",
            {"cells": [{"cell_type": "code", "language": "python", "outputs": [],
                        "input": "AutoModel.from_pretrained('org/v3-second-worksheet')"}]},
        ]}),
        "huge_output.ipynb": _nb([
            {"cell_type": "markdown", "metadata": {}, "source": LOAD.format("org/only-in-markdown")},
            _code(LOAD.format("org/code-cell"), outputs=[
                {"output_type": "stream", "name": "stdout", "text": huge},
                {"output_type": "execute_result", "execution_count": 1, "metadata": {},
                 "data": {"text/plain": [output_line] * 1000}},
            ]),
        ]),
        "binary.ipynb": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + KEYWORD.encode() + b"\x00" * 64,
        "deep.ipynb": "[" * 100_000 + json.dumps(KEYWORD) + "]" * 100_000,
    }


def test_malformed_notebooks_are_recorded_and_the_readable_code_is_mined(tmp_path: Path) -> None:
    files = _notebooks()
    make_repo(tmp_path / "r", files)
    assert (tmp_path / "r" / "huge_output.ipynb").stat().st_size > HUGE_OUTPUT_BYTES
    out = tmp_path / "out"
    assert mine(listing(tmp_path, "r"), out, "--max-file-bytes", str(64 * 1024 * 1024)) == EXIT_OK
    found = {path: [(u["model_id"], u["line"]) for u in us] for path, us in by_path(out).items()}
    assert found == {
        "cells_not_dicts.ipynb": [("org/good-cell", 2)],
        "bad_sources.ipynb": [("org/after-bad-sources", 2)],
        "nbformat3.ipynb": [("org/v3-first", 2), ("org/v3-second-worksheet", 3)],
        "huge_output.ipynb": [("org/code-cell", 2)],  # outputs and markdown are never read
    }
    assert not any(u["partial_parse"] for u in rows(out, "usages"))
    found_problems = problems(out)
    assert set(found_problems) == {"invalid.ipynb", "list.ipynb", "string.ipynb", "cells_not_a_list.ipynb",
                                   "binary.ipynb", "deep.ipynb"}
    assert parse_problem(found_problems, "invalid.ipynb")[:2] == ("parse", "failed")
    assert found_problems["invalid.ipynb"]["detail"].startswith("invalid notebook JSON: ")
    assert found_problems["deep.ipynb"]["detail"].startswith("invalid notebook JSON: ")
    assert parse_problem(found_problems, "list.ipynb") == ("parse", "failed", "notebook is not a JSON object")
    assert parse_problem(found_problems, "string.ipynb") == ("parse", "failed", "notebook is not a JSON object")
    assert parse_problem(found_problems, "cells_not_a_list.ipynb") == (
        "parse", "failed", "notebook `cells` is not a list")
    assert parse_problem(found_problems, "binary.ipynb") == ("parse", "skipped", "binary content")
    assert rows(out, "repos")[0]["files_seen"] == len(files)


# --- LFS pointers, submodules, .gitattributes --------------------------------------


def _lfs_pointer(content: bytes) -> str:
    import hashlib

    return (f"version https://git-lfs.github.com/spec/v1\n"
            f"oid sha256:{hashlib.sha256(content).hexdigest()}\nsize {len(content)}\n")


def test_lfs_pointers_in_place_of_code_are_not_fetched(tmp_path: Path) -> None:
    """A pointer has no keyword: it is never read, nothing is recorded for it;
    one that a wanted file imports is read, and recorded as a pointer, skipped."""
    real = LOAD.format("org/behind-lfs").encode()
    files = {
        ".gitattributes": "*.py filter=lfs diff=lfs merge=lfs -text\n*.ipynb filter=lfs diff=lfs merge=lfs -text\n",
        "model.py": _lfs_pointer(real),
        "notebook.ipynb": _lfs_pointer(b'{"cells": []}'),
        "names.py": _lfs_pointer(b"NAME = 'org/behind-lfs'\n"),
        "train.py": "from names import NAME\n" + LOAD.format("org/visible"),
    }
    make_repo(tmp_path / "r", files)
    out = tmp_path / "out"
    assert mine(listing(tmp_path, "r"), out) == EXIT_OK
    assert [(u["path"], u["model_id"]) for u in rows(out, "usages")] == [("train.py", "org/visible")]
    (repo_row,) = rows(out, "repos")
    assert (repo_row["status"], repo_row["files_seen"]) == ("ok", len(files))
    found_problems = problems(out)
    assert set(found_problems) == {"names.py"}
    assert parse_problem(found_problems, "names.py") == ("parse", "skipped", "a git LFS pointer (its content is never fetched)")
    assert not (tmp_path / "r" / ".git" / "lfs").exists()


def test_submodules_are_not_fetched_and_the_rest_is_mined(tmp_path: Path) -> None:
    sub = make_repo(tmp_path / "sub", {"inner.py": LOAD.format("org/in-submodule")})
    root = tmp_path / "r"
    repo = make_repo(root, {"train.py": LOAD.format("org/outer")})
    repo.git.execute(["git", "-c", "protocol.file.allow=always", "submodule", "--quiet", "add",
                      str(tmp_path / "sub"), "vendor/sub"])
    # A gitlink whose commit exists nowhere, and none in .gitmodules.
    repo.git.update_index("--add", "--cacheinfo", f"160000,{'1' * 40},dangling")
    repo.git.commit("-q", "-m", "submodules")
    assert (root / "vendor" / "sub" / "inner.py").exists(), "the submodule is checked out in the work tree"
    tree = repo.git.ls_tree("-r", "HEAD")
    assert f"160000 commit {sub.head.commit.hexsha}\tvendor/sub" in tree and "160000 commit 1111" in tree

    bare = tmp_path / "r.git"
    git.Repo.clone_from(str(root), str(bare), bare=True)
    lines = [str(root), root.as_uri(), str(bare)]
    out = tmp_path / "out"
    assert mine(listing(tmp_path, *lines), out) == EXIT_OK
    assert sorted((u["repo"], u["path"], u["model_id"]) for u in rows(out, "usages")) == sorted(
        (key, "train.py", "org/outer") for key in lines)
    assert {(r["repo"], r["status"], r["files_seen"]) for r in rows(out, "repos")} == {
        (key, "ok", 2) for key in lines}  # train.py and .gitmodules; gitlinks are not files
    assert rows(out, "problems") == []
    clones = list((out / ".work").iterdir())
    assert len(clones) == 1 and not (clones[0] / "modules").exists()


def test_gitattributes_filters_are_ignored_files_are_read_raw_from_git_objects(tmp_path: Path) -> None:
    root = tmp_path / "r"
    markers = tmp_path / "markers"
    markers.mkdir()
    repo = make_repo(root, {"train.py": "# $Id$\n" + LOAD.format("org/raw-blob"),
                            "nb.ipynb": _nb([_code(LOAD.format("org/raw-notebook"))])})
    # The attributes come in a later commit: git would re-encode the files they name when adding them.
    write(root, {".gitattributes": "*.py filter=swap ident eol=crlf\n"
                                   "*.ipynb filter=swap working-tree-encoding=UTF-16\n"})
    repo.git.add(".gitattributes")
    repo.git.commit("-q", "-m", "attributes")
    swap = tmp_path / "swap.sh"
    swap.write_text(f"#!/bin/sh\ntouch {markers / 'swap'}\nsed 's/org.raw-[a-z]*/org\\/smudged/'\n")
    swap.chmod(0o755)
    with repo.config_writer() as config:
        config.set_value('filter "swap"', "smudge", str(swap))
        config.set_value('filter "swap"', "clean", str(swap))
        config.set_value('filter "swap"', "required", "true")
    # Control: git itself applies the filter and the attributes to these blobs.
    assert "org/smudged" in repo.git.cat_file("--filters", "HEAD:train.py")
    assert (markers / "swap").exists()
    (markers / "swap").unlink()

    out = tmp_path / "out"
    assert mine(listing(tmp_path, "r"), out) == EXIT_OK
    assert sorted((u["path"], u["model_id"], u["line"], u["partial_parse"]) for u in rows(out, "usages")) == [
        ("nb.ipynb", "org/raw-notebook", 2, False), ("train.py", "org/raw-blob", 3, False)]
    assert list(markers.iterdir()) == []


# --- bad list lines and repositories, one list ---------------------------------------


def _bad_list(tmp_path: Path) -> tuple[Path, list[tuple[str, str, str]]]:
    """A list of every kind of bad line and repository, and one good repository
    in its several forms: (line, its repository key, expected status)."""
    good = tmp_path / "good"
    make_repo(good, {"train.py": LOAD.format("org/good")})
    git.Repo.clone_from(str(good), str(tmp_path / "good-bare.git"), bare=True)
    write(tmp_path / "plain", {"app.py": LOAD.format("org/plain")})
    git.Repo.init(tmp_path / "empty", initial_branch="main")
    git.Repo.init(tmp_path / "empty-bare.git", bare=True, initial_branch="main")
    write(tmp_path, {"a-file.txt": "not a repository\n", "broken/.git": "gitdir: /nonexistent/.git\n",
                     "broken/app.py": LOAD.format("org/broken")})
    expected: list[tuple[str, str, str]] = [
        ("./missing", str(tmp_path / "missing"), "not_found"),
        ("a-file.txt", str(tmp_path / "a-file.txt"), "invalid_line"),
        ("::::", "::::", "invalid_line"),
        ("http://", "http://", "invalid_line"),
        ("a line with spaces", "a line with spaces", "invalid_line"),
        ("file:///nonexistent", "file:///nonexistent", "not_found"),
        ("https://127.0.0.1:9/x/y.git", "https://127.0.0.1:9/x/y.git", "clone_failed"),
        ("empty", str(tmp_path / "empty"), "empty"),
        ("empty-bare.git", str(tmp_path / "empty-bare.git"), "empty"),
        ("broken", str(tmp_path / "broken"), "failed"),
        ("good", str(good), "ok"),
        ("./good", str(good), "duplicate"),
        (f"{good}  # the same, absolute", str(good), "duplicate"),
        ("good", str(good), "duplicate"),
        ("good-bare.git", str(tmp_path / "good-bare.git"), "ok"),
        ("plain", str(tmp_path / "plain"), "ok"),
    ]
    lines = ["# a comment", ""]
    for i, (line, _, _) in enumerate(expected):
        lines.append(line)
        if i % 5 == 0:
            lines += ["   ", "# another comment"]
    return listing(tmp_path, *lines), expected


def test_bad_lines_and_repositories_in_one_list(tmp_path: Path) -> None:
    repos, expected = _bad_list(tmp_path)
    out = tmp_path / "out"
    assert mine(repos, out, "--timeout", "60") == EXIT_SOME_FAILED  # completes: nothing waits on the network
    repo_rows = rows(out, "repos")
    assert [(r["source"], r["repo"], r["status"]) for r in repo_rows] == expected, "one row per line, in order"
    for r in repo_rows:
        if r["status"] == "ok":
            assert r["error"] is None, r
            assert (r["commit"] is None) == (r["repo"] == str(tmp_path / "plain")), r
        else:
            assert r["error"] and "Traceback" not in r["error"] and "\n" not in r["error"], r
            assert r["commit"] is None and r["files_seen"] == 0, r
    errors = {r["source"]: r["error"] for r in repo_rows}
    assert errors["./missing"] == f"not found: {tmp_path / 'missing'}"
    assert "not a folder" in errors["a-file.txt"]
    assert "::::" in errors["::::"] and "host" in errors["http://"] and "a line with spaces" in errors["a line with spaces"]
    assert "/nonexistent" in errors["file:///nonexistent"]
    assert "127.0.0.1" in errors["https://127.0.0.1:9/x/y.git"]
    assert "no commit" in errors["empty"] and "no commit" in errors["empty-bare.git"]
    assert "listed more than once" in errors["./good"]

    assert sorted((u["repo"], u["model_id"]) for u in rows(out, "usages")) == [
        (str(tmp_path / "good"), "org/good"), (str(tmp_path / "good-bare.git"), "org/good"),
        (str(tmp_path / "plain"), "org/plain")]
    assert sorted((m["repo"], m["model_id"]) for m in rows(out, "repo_models")) == sorted(
        (u["repo"], u["model_id"]) for u in rows(out, "usages"))

    # One problems row per line that was not mined, with its status and error.
    repo_problems = sorted((p["repo"], p["reason"], p["detail"]) for p in rows(out, "problems") if p["path"] is None)
    assert repo_problems == sorted((r["repo"], r["status"], r["error"]) for r in repo_rows if r["status"] != "ok")
    assert all(p["stage"] == "repo" for p in rows(out, "problems"))


def test_a_list_with_undecodable_bytes_or_in_utf16_is_read(tmp_path: Path) -> None:
    """Before the fix in repolist.read_repo_list, either list ended the run
    with a UnicodeDecodeError traceback: no table written, no row for any line."""
    make_repo(tmp_path / "good", {"train.py": LOAD.format("org/good")})
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"# caf\xe9\ngood\ncaf\xe9-missing\n")
    out = tmp_path / "out"
    assert mine(latin1, out) == EXIT_SOME_FAILED
    assert [(r["source"], r["status"]) for r in rows(out, "repos")] == [
        ("good", "ok"), ("caf\ufffd-missing", "invalid_line")]
    assert "caf\ufffd-missing" in rows(out, "repos")[1]["error"]
    assert ids(rows(out, "usages")) == ["org/good"]

    for encoding in ("utf-16", "utf-16-be"):
        utf16 = tmp_path / f"{encoding}.txt"
        utf16.write_bytes((("\ufeff" if encoding == "utf-16-be" else "") + "# caf\xe9\ngood\n").encode(encoding))
        out = tmp_path / f"out-{encoding}"
        assert mine(utf16, out) == EXIT_OK
        assert [(r["source"], r["status"]) for r in rows(out, "repos")] == [("good", "ok")]
        assert ids(rows(out, "usages")) == ["org/good"]


# --- a second run over the same output folder -----------------------------------------


def test_a_second_run_does_not_repeat_the_rows_of_duplicate_lines(tmp_path: Path) -> None:
    make_repo(tmp_path / "good", {"train.py": LOAD.format("org/good")})
    repos = listing(tmp_path, "good", "./good")
    out = tmp_path / "out"
    assert mine(repos, out) == EXIT_OK
    first = rows(out, "problems")
    assert [(p["path"], p["reason"]) for p in first] == [(None, "duplicate")]
    assert mine(repos, out) == EXIT_OK
    assert rows(out, "problems") == first


def _table(out: Path, name: str, drop: tuple[str, ...] = ()) -> list[tuple]:
    return sorted((tuple((k, v) for k, v in row.items() if k not in drop) for row in rows(out, name)), key=repr)


def test_a_second_run_over_the_same_out_agrees_with_the_first(tmp_path: Path) -> None:
    repos, expected = _bad_list(tmp_path)
    files = {**ENCODED, **{f"nb/{k}": v for k, v in _notebooks().items() if k != "huge_output.ipynb"},
             "py2.py": PYTHON2, "broken.py": BROKEN}
    hostile = make_repo(tmp_path / "hostile", files)
    write(tmp_path / "hostile-folder", files)
    with repos.open("a") as f:
        f.write("hostile\nhostile-folder\n")
    out = tmp_path / "out"
    assert mine(repos, out, "--timeout", "60") == EXIT_SOME_FAILED
    tables = {name: _table(out, name) for name in ("usages", "repo_models", "problems", "repos")}
    assert len(tables["repos"]) == len(expected) + 2
    assert {u["repo"] for u in rows(out, "usages")} >= {str(tmp_path / "hostile"), str(tmp_path / "hostile-folder")}

    # The same commits: rows reused, nothing parsed again. `files_parsed` and
    # `n_usages` are documented as this run's counts.
    assert mine(repos, out, "--timeout", "60") == EXIT_SOME_FAILED
    for name in ("usages", "repo_models"):
        assert _table(out, name) == tables[name], name
    # problems: see test_a_second_run_does_not_repeat_the_duplicate_rows_of_a_reused_repository
    assert set(_table(out, "problems")) == set(tables["problems"])
    assert _table(out, "repos", drop=("files_parsed", "n_usages")) == [
        tuple((k, v) for k, v in row if k not in ("files_parsed", "n_usages")) for row in tables["repos"]]
    assert not any(r["stale"] for r in rows(out, "repos"))

    # A new commit that changes nothing mined: the files come from the facts
    # cache (failed ones are parsed again); only the commit differs.
    write(tmp_path / "hostile", {"README.txt": "unrelated\n"})
    hostile.git.add("-A")
    hostile.git.commit("-q", "-m", "unrelated")
    new_commit = hostile.head.commit.hexsha
    assert mine(repos, out, "--timeout", "60", "--jobs", "1") == EXIT_SOME_FAILED

    def moved(rows_: list[tuple]) -> list[tuple]:
        key = str(tmp_path / "hostile")
        return sorted((tuple((k, new_commit if k == "commit" and dict(row)["repo"] == key and v else v)
                             for k, v in row) for row in rows_), key=repr)
    assert _table(out, "usages") == moved(tables["usages"])
    assert _table(out, "repo_models") == tables["repo_models"]
    assert set(_table(out, "problems")) == set(tables["problems"])
