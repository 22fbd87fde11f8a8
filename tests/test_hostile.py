"""Hostile repositories and bad input, end to end through the command line:
nothing crashes, hangs, runs, leaks or is lost.

Every test builds real git repositories (or plain folders) under tmp_path,
runs `miner.cli.main(["mine", ...])` (or the command in a subprocess when the
process itself could die) and reads the Parquet tables back.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import git
import pytest

from miner.cli import EXIT_OK
from tests.hostile import (
    LOAD, ROOT, by_path, listing, make_repo, mine, mine_process, problems, rows, write)


# --- nothing from a mined repository ever runs ---------------------------------


def _marker_code(markers: Path, name: str) -> str:
    return f"import pathlib\npathlib.Path({str(markers / name)!r}).touch()\n"


def _marker_script(tmp_path: Path, markers: Path, name: str) -> Path:
    path = tmp_path / "scripts" / f"{name}.sh"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"#!/bin/sh\ntouch {markers / name}\ncat\n")
    path.chmod(0o755)
    return path


def test_nothing_in_a_mined_repository_is_ever_imported_or_run(tmp_path: Path, hermetic_git: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    python_files = ["setup.py", "conftest.py", "sitecustomize.py", "usercustomize.py", "__main__.py",
                    "pkg/__init__.py", "train.py", "miner/__init__.py", "git.py", "joblib.py"]
    files: dict[str, str | bytes] = {
        name: _marker_code(markers, name.replace("/", "_")) + LOAD.format("evil/" + name.replace("/", "-").replace(".", "-"))
        for name in python_files}
    files["evil.pth"] = f"import os; os.system('touch {markers / 'pth'}')\n"
    files["run.sh"] = f"touch {markers / 'shell'}\npython train.py --model_name_or_path evil/shell\n"
    files["Makefile"] = f"all:\n\ttouch {markers / 'make'}\n\tpython train.py --model_name_or_path evil/make\n"
    files["nb.ipynb"] = json.dumps({"nbformat": 4, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": [
            f"!touch {markers / 'notebook'}\n", _marker_code(markers, "notebook_py"), LOAD.format("evil/notebook")]}]})
    files["config.yaml"] = f"model_name_or_path: !!python/object/apply:os.system ['touch {markers / 'yaml'}']\n"
    files[".gitattributes"] = "* filter=evil diff=evil merge=evil\n"
    root = tmp_path / "evil"
    repo = make_repo(root, files)

    # The work tree's own configuration is as hostile as a local repository's can be.
    hooks = root / ".git" / "hooks"
    for hook in ("post-checkout", "post-merge", "post-rewrite", "pre-auto-gc", "reference-transaction",
                 "post-index-change", "fsmonitor-watchman", "pre-push", "pre-commit"):
        (hooks / hook).symlink_to(_marker_script(tmp_path, markers, f"hook-{hook}"))
    with repo.config_writer() as config:
        config.set_value('filter "evil"', "smudge", str(_marker_script(tmp_path, markers, "smudge")))
        config.set_value('filter "evil"', "clean", str(_marker_script(tmp_path, markers, "clean")))
        config.set_value('filter "evil"', "process", str(_marker_script(tmp_path, markers, "process")))
        config.set_value('filter "evil"', "required", "true")
        config.set_value('diff "evil"', "textconv", str(_marker_script(tmp_path, markers, "textconv")))
        config.set_value('diff "evil"', "command", str(_marker_script(tmp_path, markers, "diff")))
        config.set_value("core", "fsmonitor", str(_marker_script(tmp_path, markers, "fsmonitor")))
        config.set_value("core", "pager", str(_marker_script(tmp_path, markers, "pager")))
        config.set_value("core", "sshCommand", str(_marker_script(tmp_path, markers, "ssh")))
        config.set_value("core", "askPass", str(_marker_script(tmp_path, markers, "askpass")))
        config.set_value("credential", "helper", f"!{_marker_script(tmp_path, markers, 'credential')}")
        config.set_value("uploadpack", "packObjectsHook", str(_marker_script(tmp_path, markers, "pack-hook")))
        config.set_value("gpg", "program", str(_marker_script(tmp_path, markers, "gpg")))
        config.set_value("log", "showSignature", "true")
        config.set_value("alias", "ls-tree", f"!{_marker_script(tmp_path, markers, 'alias')}")

    # Control: ordinary git use does run them, so the assertions below mean something.
    git.Git(str(root)).execute(["git", "status", "--short"], with_exceptions=False)
    assert {"fsmonitor"} <= {p.name for p in markers.iterdir()}
    for marker in markers.iterdir():
        marker.unlink()

    folder = tmp_path / "folder"
    shutil.copytree(root, folder, ignore=shutil.ignore_patterns(".git"))
    bare = tmp_path / "evil-bare.git"
    shutil.copytree(root / ".git", bare)
    (bare / "config").write_text((bare / "config").read_text().replace("bare = false", "bare = true"))
    lines = [str(root), root.as_uri(), str(folder), str(bare)]
    out = tmp_path / "out"
    for _ in range(2):  # a first run, then an incremental one (fetch, cache)
        assert mine(listing(tmp_path, *lines), out, jobs=2) == EXIT_OK
    assert sorted(p.name for p in markers.iterdir()) == []
    usages = rows(out, "usages")
    for key in (str(root), root.as_uri(), str(folder), str(bare)):
        ids = {u["model_id"] for u in usages if u["repo"] == key}
        assert {"evil/train-py", "evil/setup-py", "evil/sitecustomize-py", "evil/conftest-py", "evil/git-py",
                "evil/notebook", "evil/shell", "evil/make"} <= ids, key
    assert not (root / ".git" / "index.lock").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_running_the_command_from_inside_a_hostile_folder_imports_nothing_from_it(tmp_path: Path, jobs: str) -> None:
    """Neither the console script (as `make mine` users run it) nor its worker
    processes put the working folder on sys.path, so a mined repository's
    `git.py` or `joblib.py` is never imported. Five repositories, so that with
    2 jobs the pool of workers starts."""
    markers = tmp_path / "markers"
    markers.mkdir()
    evil = tmp_path / "evil"
    files = {name: _marker_code(markers, name) + LOAD.format("evil/x")
             for name in ("git.py", "joblib.py", "pyarrow.py", "yaml.py", "tree_sitter.py", "sitecustomize.py",
                          "loky.py", "cloudpickle.py", "marshal.py")}
    write(evil, files)
    for i in range(4):
        write(tmp_path / f"more{i}", files)
    script = Path(sys.executable).parent / "ptm-miner"
    if not script.exists():
        pytest.skip("the console script is not installed")
    lines = [str(evil), *(str(tmp_path / f"more{i}") for i in range(4))]
    done = subprocess.run([str(script), "mine", "--repos", str(listing(tmp_path, *lines)),
                           "--out", str(tmp_path / "out"), "--jobs", jobs],
                          cwd=evil, capture_output=True, text=True, timeout=120)
    assert done.returncode == EXIT_OK, done.stderr
    assert list(markers.iterdir()) == []
    assert {u["repo"] for u in rows(tmp_path / "out", "usages")} == set(lines)


def test_python_dash_m_from_inside_a_hostile_folder_imports_nothing_from_it(tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    evil = tmp_path / "evil"
    write(evil, {name: _marker_code(markers, name) + LOAD.format("evil/x")
                 for name in ("git.py", "joblib.py", "pyarrow.py", "yaml.py", "tree_sitter.py")})
    done = subprocess.run([sys.executable, "-m", "miner", "mine", "--repos", str(listing(tmp_path, str(evil))),
                           "--out", str(tmp_path / "out"), "--jobs", "1"],
                          cwd=evil, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert list(markers.iterdir()) == []
    assert done.returncode == EXIT_OK, done.stderr


# --- symbolic links are never followed -----------------------------------------


SECRET = "secret/outside-model"


def _links(root: Path, outside: Path) -> None:
    """Every kind of link a repository can carry, in `root`."""
    os.symlink("/etc/passwd", root / "passwd.py")
    os.symlink("/etc", root / "etc")
    os.symlink(outside / "secret.py", root / "secret.py")
    os.symlink("../outside/secret.py", root / "relative.py")
    os.symlink(outside, root / "pkg")
    os.symlink("loop.py", root / "loop.py")
    os.symlink("b.py", root / "a.py")
    os.symlink("a.py", root / "b.py")
    os.symlink("dirloop", root / "dirloop")
    os.symlink(".", root / "self")
    (root / "deep").mkdir(exist_ok=True)
    os.symlink("../../outside/notebook.ipynb", root / "deep" / "notebook.ipynb")
    os.symlink("../../outside/run.sh", root / "deep" / "run.sh")


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, {
        "secret.py": LOAD.format(SECRET) + "TOKEN = 'outside-token'\n",
        "run.sh": f"python train.py --model_name_or_path {SECRET}\n",
        "notebook.ipynb": json.dumps({"nbformat": 4, "metadata": {}, "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": LOAD.format(SECRET)}]}),
    })
    inside = {"train.py": "import argparse\n" + LOAD.format("inside/model")
              + "p = argparse.ArgumentParser()\np.add_argument('--model_name_or_path')\n"
              "AutoModel.from_pretrained(p.parse_args().model_name_or_path)\n"}
    work = tmp_path / "work"
    write(work, inside)
    _links(work, outside)
    repo = git.Repo.init(work, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "links")
    committed = repo.git.ls_files("-s").splitlines()
    assert sum(line.startswith("120000") for line in committed) >= 10, "the links are in the commit, as links"
    folder = tmp_path / "folder"
    write(folder, inside)
    _links(folder, outside)
    bare = tmp_path / "bare.git"
    git.Repo.clone_from(str(work), str(bare), bare=True)

    out = tmp_path / "out"
    lines = [str(work), str(folder), f"file://{bare}", str(bare)]
    assert mine(listing(tmp_path, *lines), out) == EXIT_OK
    usages = rows(out, "usages")
    assert {u["repo"] for u in usages} == {str(work), str(folder), f"file://{bare}", str(bare)}
    for u in usages:
        assert u["path"] == "train.py", u
        assert SECRET not in json.dumps(u) and "root:" not in json.dumps(u)
    assert {u["model_id"] for u in usages} == {"inside/model", None}
    seen = {r["repo"]: r["files_seen"] for r in rows(out, "repos")}
    assert seen[str(work)] == 1 and seen[str(folder)] == 1, "links are not files"
    everything = b"".join(p.read_bytes() for p in out.glob("*.parquet"))
    assert b"outside-token" not in everything and b"outside-model" not in everything


def test_a_folder_whose_root_is_a_symlink_is_read_through_it_but_nothing_below_is_followed(tmp_path: Path) -> None:
    """The listed path itself may be a link (a user's choice); links inside it are still never followed."""
    outside = tmp_path / "outside"
    write(outside, {"secret.py": LOAD.format(SECRET)})
    real = tmp_path / "real"
    write(real, {"app.py": LOAD.format("inside/model")})
    os.symlink(outside, real / "linked")
    os.symlink(real, tmp_path / "alias")
    out = tmp_path / "out"
    assert mine(listing(tmp_path, "alias"), out) == EXIT_OK
    assert [(u["path"], u["model_id"]) for u in rows(out, "usages")] == [("app.py", "inside/model")]


# --- size and shape --------------------------------------------------------------


def test_a_file_over_the_size_cap_is_skipped_and_listed(tmp_path: Path) -> None:
    big = LOAD.format("org/too-large") + "# padding\n" * 200
    make_repo(tmp_path / "r", {"big.py": big, "small.py": LOAD.format("org/small"), "big.sh": "python x.py\n" * 200})
    out = tmp_path / "out"
    assert mine(listing(tmp_path, "r"), out, "--max-file-bytes", "1000") == EXIT_OK
    assert [u["model_id"] for u in rows(out, "usages")] == ["org/small"]
    found = problems(out)
    for path in ("big.py", "big.sh"):
        assert (found[path]["stage"], found[path]["reason"]) == ("select", "too_large")
        assert str(len((tmp_path / "r" / path).read_bytes())) in found[path]["detail"]


def test_long_lines_deep_nesting_and_many_calls_complete(tmp_path: Path) -> None:
    head = "from transformers import AutoModel\n"
    files = {
        "long_line.py": "BLOB = '" + "a" * 5_000_000 + "'\n" + LOAD.format("org/after-long-line"),
        "parens.py": head + "AutoModel.from_pretrained(" + "(" * 10_000 + "'org/parens'" + ")" * 10_000 + ")\n"
                     + "AutoModel.from_pretrained(" + "(" * 50 + "'org/some-parens'" + ")" * 50 + ")\n",
        "brackets.py": head + "AutoModel.from_pretrained(" + "[" * 10_000 + "'org/brackets'" + "]" * 10_000 + ")\n",
        "concat.py": head + "AutoModel.from_pretrained(" + " + ".join(['"a"'] * 5_000) + ")\n"
                     + "NAME = " + " + ".join(['"a"'] * 5_000) + "\nAutoModel.from_pretrained(NAME)\n",
        "unary.py": head + "AutoModel.from_pretrained(" + "not " * 10_000 + "'org/unary')\n",
        "calls.py": head + "M = 'org/nested'\n" + "AutoModel.from_pretrained(" * 2_000 + "M" + ")" * 2_000 + "\n",
        "lambdas.py": head + "f = " + "lambda: " * 5_000 + "AutoModel.from_pretrained('org/lambda')\n",
        "comprehension.py": head + "x = " + "[" * 3_000 + "AutoModel.from_pretrained(m)" + " for m in ['org/comp']]" * 3_000 + "\n",
        "many.py": head + "".join(f"AutoModel.from_pretrained('org/m{i}')\n" for i in range(50_000)),
    }
    make_repo(tmp_path / "r", files)
    out = tmp_path / "out"
    assert mine(listing(tmp_path, "r"), out, "--max-file-bytes", "8000000") == EXIT_OK
    found = by_path(out)
    assert set(found) == set(files), "every file gives its usages"
    assert [u["model_id"] for u in found["long_line.py"]] == ["org/after-long-line"]
    assert "org/some-parens" in {u["model_id"] for u in found["parens.py"]}
    assert len(found["many.py"]) == 50_000
    assert {u["model_id"] for u in found["many.py"]} == {f"org/m{i}" for i in range(50_000)}
    assert "org/lambda" in {u["model_id"] for u in found["lambdas.py"]}
    for path, usages in found.items():
        assert all(u["resolution"] for u in usages), path
    assert not any("Recursion" in p["detail"] for p in rows(out, "problems"))


def test_deep_indentation_neither_crashes_the_parser_nor_hides_the_file(tmp_path: Path) -> None:
    """tree-sitter-python overflows its scanner buffer (a segfault) with some 500
    open indentation levels and a string; in a process of its own, so that a
    regression fails this test instead of killing the session."""
    deep = "from transformers import AutoModel\n" + "".join(" " * i + "if x:\n" for i in range(700)) \
        + " " * 700 + "AutoModel.from_pretrained('org/deep')\n"
    tabs = "from transformers import AutoModel\n" + "".join("\t" * 8193 + "if x:\n" for _ in range(100)) \
        + "AutoModel.from_pretrained('org/tabs')\n"
    defs = "from transformers import AutoModel\n" + "".join("    " * i + f"def f{i}(m='org/def-{i}'):\n" for i in range(600)) \
        + "    " * 600 + "return AutoModel.from_pretrained(m)\n"
    nb = {"nbformat": 4, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": deep}]}
    make_repo(tmp_path / "r", {"deep.py": deep, "tabs.py": tabs, "defs.py": defs, "ok.py": LOAD.format("org/ok"),
                               "deep.ipynb": json.dumps(nb)})
    out = tmp_path / "out"
    run = mine_process(listing(tmp_path, "r"), out, "--max-file-bytes", "4000000")
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == EXIT_OK, stderr
    found = by_path(out)
    assert [u["model_id"] for u in found["deep.py"]] == ["org/deep"]
    assert [u["model_id"] for u in found["deep.ipynb"]] == ["org/deep"]
    assert [u["model_id"] for u in found["tabs.py"]] == ["org/tabs"]
    assert [u["model_id"] for u in found["ok.py"]] == ["org/ok"]
    assert found["defs.py"] and all(u["partial_parse"] for u in found["deep.py"] + found["defs.py"])
    assert problems(out)["deep.py"]["reason"] == "partial"


def test_long_runs_of_continued_lines_do_not_hang_the_parser(tmp_path: Path) -> None:
    """Runs of backslash-continued lines made tree-sitter's error recovery
    superlinear (hours for a 2 MiB file); now a few seconds at most."""
    head = "from transformers import AutoModel\n"
    files = {
        "backslashes.py": head + "x\\\n" * 300_000 + "\nAutoModel.from_pretrained('org/after-backslashes')\n",
        "words.py": head + "x y \\\n" * 100_000 + "\nAutoModel.from_pretrained('org/after-words')\n",
        "crlf.py": head + "x\\\r\n" * 100_000 + "\r\nAutoModel.from_pretrained('org/after-crlf')\r\n",
        "fine.py": head + "M = 'org/' \\\n    'continued'\nAutoModel.from_pretrained(M)\n",
    }
    make_repo(tmp_path / "r", files)
    out = tmp_path / "out"
    run = mine_process(listing(tmp_path, "r"), out)
    try:
        stdout, stderr = run.communicate(timeout=120)
    finally:
        run.kill()
    assert run.returncode == EXIT_OK, stderr
    found = by_path(out)
    assert {p: [u["model_id"] for u in us] for p, us in found.items()} == {
        "backslashes.py": ["org/after-backslashes"], "words.py": ["org/after-words"],
        "crlf.py": ["org/after-crlf"], "fine.py": ["org/continued"]}
    assert not found["fine.py"][0]["partial_parse"] and found["words.py"][0]["partial_parse"]


def test_a_repository_of_twenty_thousand_tiny_files(tmp_path: Path) -> None:
    root = tmp_path / "r"
    files = {f"pkg{i // 1000}/m{i}.py": f"X{i} = {i}\n" for i in range(20_000)}
    files |= {f"cfg/c{i}.yaml": f"k: {i}\n" for i in range(200)}
    files["pkg0/train.py"] = "from pkg1.m1000 import X1000\n" + LOAD.format("org/tiny")
    make_repo(root, files)
    out = tmp_path / "out"
    assert mine(listing(tmp_path, "r"), out) == EXIT_OK
    repo_row = rows(out, "repos")[0]
    assert repo_row["files_seen"] == len(files)
    assert [u["model_id"] for u in rows(out, "usages")] == ["org/tiny"]
