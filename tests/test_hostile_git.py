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
import zlib
from pathlib import Path

import pytest

from miner.cli import EXIT_OK, EXIT_SOME_FAILED
from tests.hostile import (
    LOAD, listing, make_repo, mine, mine_process, missing_blobs, padded, partial_clone, problems, rows, run_git)

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
