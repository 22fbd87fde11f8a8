"""Hostile and incomplete git repositories, end to end (issue 13): a partial
clone whose config names commands, missing and corrupt blobs, and a `.git`
that points at another repository of the machine.

Every repository is real (the git command line, `git clone --filter` over
file://); the command runs in-process or as a process of its own, and the
Parquet tables are read back.
"""
from __future__ import annotations

import json
import os
import random
import shlex
import shutil
import socket
import subprocess
import sys
import time
import zlib
from functools import partial
from pathlib import Path

import pytest

from miner.cli import EXIT_OK, EXIT_SOME_FAILED
from miner.discover import DEFAULT_MAX_BYTES, worth_reading
from miner.records import RepoSpec
from miner.repos import open_snapshot
from tests.hostile import (
    LOAD, listing, make_repo, mine, mine_process, missing_blobs, padded, partial_clone, problems, rows, run_git,
    write)

SECRET = "elsewhere/secret-model"


def _models(out: Path) -> set[str | None]:
    return {u["model_id"] for u in rows(out, "usages")}


def _missing_rows(out: Path) -> dict[str, dict]:
    return {p["path"]: p for p in rows(out, "problems") if p["reason"] == "missing_blob"}


# --- a partial clone never fetches, so its config never runs -------------------------


def _arm(partial: Path, variant: str, sentinel: Path, tmp_path: Path) -> None:
    """Config that runs a command as soon as git contacts the remote."""
    if variant == "uploadpack":
        run_git(partial, "config", "remote.origin.uploadpack", f"touch {shlex.quote(str(sentinel))}; git-upload-pack")
    else:
        proxy = tmp_path / "proxy.sh"
        proxy.write_text(f"#!/bin/sh\ntouch {shlex.quote(str(sentinel))}\nexit 1\n")
        proxy.chmod(0o755)
        run_git(partial, "config", "core.gitProxy", str(proxy))
        run_git(partial, "config", "remote.origin.url", "git://example.invalid/x")


@pytest.mark.parametrize(("variant", "extra", "jobs"), [
    ("uploadpack", (), 1), ("gitproxy", (), 1), ("uploadpack", ("--history",), 1), ("gitproxy", (), 2)])
def test_a_partial_clone_is_mined_without_fetching_or_running_its_config(
        tmp_path: Path, variant: str, extra: tuple[str, ...], jobs: int) -> None:
    partial = partial_clone(tmp_path, {"model.py": LOAD.format("org/present")},
                            {"big.py": padded("org/absent"), "pkg/big.ipynb": padded("org/absent-nb")})
    absent = missing_blobs(partial)
    sentinel = tmp_path / "SENTINEL"
    _arm(partial, variant, sentinel, tmp_path)
    other = tmp_path / "other"
    make_repo(other, {"app.py": LOAD.format("org/other")})
    out = tmp_path / "out"
    assert mine(listing(tmp_path, str(partial), str(other)), out, *extra, jobs=jobs) == EXIT_OK
    assert not sentinel.exists(), "a command from the repository's config ran"
    assert missing_blobs(partial) == absent, "nothing was fetched into the mined repository"
    assert {r["repo"]: r["status"] for r in rows(out, "repos")} == {str(partial): "ok", str(other): "ok"}
    assert _models(out) == {"org/present", "org/other"}
    missing = _missing_rows(out)
    assert set(missing) == {"big.py", "pkg/big.ipynb"}
    assert all(p["stage"] == "read" and p["repo"] == str(partial) for p in missing.values())
    assert run_git(partial, "rev-parse", "HEAD:big.py") in missing["big.py"]["detail"]


def test_a_bare_partial_clone_alone_with_one_job(tmp_path: Path) -> None:
    partial = partial_clone(tmp_path, {"model.py": LOAD.format("org/present")}, {"big.py": padded("org/absent")},
                            bare=True)
    out = tmp_path / "out"
    assert mine(listing(tmp_path, str(partial)), out, jobs=1) == EXIT_OK
    assert _models(out) == {"org/present"} and set(_missing_rows(out)) == {"big.py"}


# --- missing and corrupt objects in an ordinary repository ------------------------------


def _object_file(repo: Path, blob: str) -> Path:
    path = repo / ".git" / "objects" / blob[:2] / blob[2:]
    path.chmod(0o644)
    return path


def _damaged_repo(root: Path) -> Path:
    """Three blobs gone three ways: deleted (ls-tree -l says BAD), garbage
    (BAD as well), and cut short after a readable header (ls-tree gives its
    size; cat-file stops halfway through it)."""
    noise = "".join(random.Random(13).choice("abcdefghij \n") for _ in range(30000))
    make_repo(root, {"a.py": LOAD.format("org/kept"), "gone.py": LOAD.format("org/gone"),
                     "garbage.py": LOAD.format("org/garbage"), "cut.py": LOAD.format("org/cut") + f"'''{noise}'''\n",
                     "z.py": LOAD.format("org/kept-too")})
    blob = {name: run_git(root, "rev-parse", f"HEAD:{name}") for name in ("gone.py", "garbage.py", "cut.py")}
    _object_file(root, blob["gone.py"]).unlink()
    _object_file(root, blob["garbage.py"]).write_bytes(b"not zlib at all")
    cut = _object_file(root, blob["cut.py"])
    whole = zlib.compress(zlib.decompress(cut.read_bytes()))
    cut.write_bytes(whole[: len(whole) // 3])
    return root


@pytest.mark.parametrize("extra", [(), ("--history",)])
def test_missing_and_corrupt_blobs_are_one_problem_row_each_and_the_rest_is_mined(
        tmp_path: Path, extra: tuple[str, ...]) -> None:
    repo = _damaged_repo(tmp_path / "damaged")
    out = tmp_path / "out"
    assert mine(listing(tmp_path, str(repo)), out, *extra, jobs=1) == EXIT_OK
    assert [r["status"] for r in rows(out, "repos")] == ["ok"]
    assert _models(out) == {"org/kept", "org/kept-too"}
    assert set(_missing_rows(out)) == {"gone.py", "garbage.py", "cut.py"}


def test_damaged_repositories_in_worker_processes(tmp_path: Path) -> None:
    """Enough repositories that each is a task of its own (two jobs)."""
    lines = [str(_damaged_repo(tmp_path / f"damaged{i}")) for i in range(4)]
    proc = mine_process(listing(tmp_path, *lines), tmp_path / "out", jobs=2)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == EXIT_OK, err
    assert [r["status"] for r in rows(tmp_path / "out", "repos")] == ["ok"] * 4
    assert sum(p["reason"] == "missing_blob" for p in rows(tmp_path / "out", "problems")) == 12


# --- a .git that points elsewhere ------------------------------------------------------


def _secret(tmp_path: Path) -> Path:
    secret = tmp_path / "elsewhere" / "secret"
    make_repo(secret, {"s.py": LOAD.format(SECRET)})
    return secret


def _victim(tmp_path: Path, how: str) -> Path:
    secret = _secret(tmp_path)
    victim = tmp_path / "victim"
    if how == "alternates":  # a real `clone --shared`: its objects are the other repository's
        run_git(tmp_path, "clone", "-q", "--shared", str(secret), str(victim))
        return victim
    victim.mkdir()
    dot_git = victim / ".git"
    if how == "symlink":
        os.symlink(secret / ".git", dot_git)
    elif how == "gitdir-file":
        dot_git.write_text(f"gitdir: {secret / '.git'}\n")
    elif how == "other-worktree":  # a real linked work tree of the other repository, whose gitdir names its own
        run_git(secret, "worktree", "add", "-q", str(tmp_path / "elsewhere" / "wt"))
        dot_git.write_text(f"gitdir: {secret / '.git' / 'worktrees' / 'wt'}\n")
    elif how == "commondir":
        dot_git.mkdir()
        (dot_git / "HEAD").write_text("ref: refs/heads/main\n")
        (dot_git / "commondir").write_text(f"{secret / '.git'}\n")
    elif how == "objects-symlink":
        run_git(victim, "init", "-q")
        (dot_git / "refs" / "heads" / "main").write_text(run_git(secret, "rev-parse", "HEAD") + "\n")
        shutil.rmtree(dot_git / "objects")
        os.symlink(secret / ".git" / "objects", dot_git / "objects")
    return victim


@pytest.mark.parametrize("how", ["symlink", "gitdir-file", "other-worktree", "commondir", "alternates",
                                 "objects-symlink"])
def test_a_git_directory_outside_the_listed_folder_is_refused(tmp_path: Path, how: str) -> None:
    victim = _victim(tmp_path, how)
    secret = tmp_path / "elsewhere" / "secret"
    out = tmp_path / "out"
    assert mine(listing(tmp_path, str(victim)), out) == EXIT_SOME_FAILED
    (repo,) = rows(out, "repos")
    assert repo["status"] == "failed" and repo["error"].startswith("refused:"), repo
    assert "outside the listed folder" in repo["error"]
    assert SECRET not in json.dumps([rows(out, t) for t in ("usages", "repo_models", "repos", "problems")])
    # Listing the other repository itself mines it.
    assert mine(listing(tmp_path, str(secret)), out) == EXIT_OK
    assert _models(out) == {SECRET}


def test_a_git_directory_inside_the_listed_folder_and_a_linked_work_tree_are_mined(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    make_repo(inner, {"a.py": LOAD.format("org/inner")})
    (inner / ".git").rename(inner / ".repo-git")
    (inner / ".git").write_text("gitdir: .repo-git\n")
    main = tmp_path / "main"
    make_repo(main, {"b.py": LOAD.format("org/linked")})
    run_git(main, "worktree", "add", "-q", str(tmp_path / "linked"))
    out = tmp_path / "out"
    assert mine(listing(tmp_path, str(inner), str(tmp_path / "linked")), out) == EXIT_OK
    assert _models(out) == {"org/inner", "org/linked"}


# --- a list line longer than git could be given -------------------------------------------


def test_a_list_line_over_128_kib_is_its_own_repos_row(tmp_path: Path) -> None:
    good = tmp_path / "good"
    make_repo(good, {"a.py": LOAD.format("org/good")})
    long_line = "https://example.invalid/" + "b" * (140 * 1024)
    out = tmp_path / "out"
    assert mine(listing(tmp_path, long_line, str(good)), out) == EXIT_SOME_FAILED
    by_repo = {r["repo"]: r for r in rows(out, "repos")}
    assert by_repo[str(good)]["status"] == "ok" and _models(out) == {"org/good"}
    assert by_repo[long_line]["status"] == "invalid_line"
    assert "characters long" in by_repo[long_line]["error"] and len(by_repo[long_line]["error"]) < 200


# --- a plain folder checks kind and size before it reads a byte --------------------------


def test_a_plain_folder_hashes_only_files_it_may_read(tmp_path: Path) -> None:
    """A 30 GiB sparse data file and a 3 GiB sparse `.py` are listed by their
    size alone: neither is hashed (a hash of them reads every byte)."""
    folder = tmp_path / "folder"
    write(folder, {"app.py": LOAD.format("org/folder"), "notes.txt": "not code\n"})
    for name, size in (("data.bin", 30 << 30), ("huge.py", 3 << 30)):
        with open(folder / name, "wb") as f:
            f.truncate(size)
    reads = partial(worth_reading, max_bytes=DEFAULT_MAX_BYTES)
    with open_snapshot(RepoSpec(str(folder), str(folder), "folder", str(folder)), workdir=tmp_path / "w",
                       reads=reads) as snapshot:
        listed = {f.path: f for f in snapshot.files()}
    assert {p: (f.blob, f.size) for p, f in listed.items() if p != "app.py"} == {
        "data.bin": ("", 30 << 30), "huge.py": ("", 3 << 30), "notes.txt": ("", 9)}
    assert listed["app.py"].blob == run_git(folder, "hash-object", "app.py")
    out = tmp_path / "out"
    assert mine(listing(tmp_path, str(folder)), out) == EXIT_OK
    assert _models(out) == {"org/folder"}
    found = problems(out)
    assert (found["huge.py"]["reason"], str(3 << 30) in found["huge.py"]["detail"]) == ("too_large", True)


# --- remote repositories are partial clones -------------------------------------------------


def _notebook(model: str, pad: int) -> str:
    """A notebook whose outputs make it `pad` bytes larger (under its own cap, over the file cap)."""
    return json.dumps({"nbformat": 4, "metadata": {}, "cells": [{
        "cell_type": "code", "metadata": {}, "source": LOAD.format(model),
        "outputs": [{"output_type": "stream", "name": "stdout", "text": "x" * pad}]}]})


def test_a_remote_is_cloned_without_the_blobs_it_would_not_read(tmp_path: Path) -> None:
    noise = random.Random(7)
    upstream = tmp_path / "upstream"
    make_repo(upstream, {"app.py": LOAD.format("org/app"), "big.py": padded("org/big", 200),
                         "data/table.bin": noise.randbytes(300_000), "nb.ipynb": _notebook("org/notebook", 60_000)})
    run_git(upstream, "config", "uploadpack.allowFilter", "true")
    url = f"file://{upstream}"
    out = tmp_path / "out"
    assert mine(listing(tmp_path, url), out, "--max-file-bytes", "4096") == EXIT_OK
    assert _models(out) == {"org/app", "org/notebook"}  # the notebook (over 4 KiB) was fetched back by id
    found = problems(out)
    assert (found["big.py"]["reason"], "left out of the clone" in found["big.py"]["detail"]) == ("too_large", True)
    (clone,) = (out / ".work").glob("*.git")
    left_out = missing_blobs(clone)
    assert left_out == {run_git(upstream, "rev-parse", f"HEAD:{p}") for p in ("big.py", "data/table.bin")}
    # A new commit: fetched with the same filter, its notebook fetched back.
    write(upstream, {"nb2.ipynb": _notebook("org/notebook-2", 60_000), "data/more.bin": noise.randbytes(300_000)})
    run_git(upstream, "add", "-A")
    run_git(upstream, "commit", "-q", "-m", "more")
    assert mine(listing(tmp_path, url), out, "--max-file-bytes", "4096") == EXIT_OK
    assert _models(out) == {"org/app", "org/notebook", "org/notebook-2"}
    assert run_git(upstream, "rev-parse", "HEAD:data/more.bin") in missing_blobs(clone)


def test_a_killed_clone_stops_and_a_later_run_removes_its_folder(tmp_path: Path) -> None:
    """A server that accepts and never answers: the clone waits until the process
    that started it is killed, then dies with it; the next run removes its folder."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    url = f"git://127.0.0.1:{server.getsockname()[1]}/stalled.git"
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "miner", "mine", "--repos", str(listing(tmp_path, url)),
                             "--out", str(out), "--jobs", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        clone = _wait_for(lambda: _git_clone_under(proc.pid))
        assert list((out / ".work").glob(".*.tmp")), "the clone is made in a temporary folder"
    finally:
        proc.kill()
        proc.wait()
    assert _wait_for(lambda: not os.path.exists(f"/proc/{clone}") or _zombie(clone)), "the clone went on"
    server.close()
    assert mine(listing(tmp_path, str(tmp_path / "nothing-here")), out) == EXIT_SOME_FAILED
    assert not list((out / ".work").glob(".*.tmp"))


def _wait_for(check, limit: float = 60.0):
    """Polls `check` until it gives a true value (a bound on a wait, not a timing)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if value := check():
            return value
        time.sleep(0.05)
    return check()


def _git_clone_under(root: int) -> int | None:
    """The pid of a `git clone` process below `root`, if there is one."""
    children: dict[int, list[int]] = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(name))
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"clone" in argv and argv[0].endswith(b"git"):
            return pid
        todo += children.get(pid, [])
    return None


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
