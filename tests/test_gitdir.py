"""HEAD, refs and trees read without git (miner/gitdir.py), checked against
git itself on real repositories; and the listing made through the snapshot's
`cat-file --batch-command` against `git ls-tree -r -l`."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import git
import pytest

from miner.gitdir import is_partial_clone, read_head, tree_entries
from miner.records import RepoSpec
from miner.repos import _parse_ls_tree, open_snapshot
from tests.hostile import make_repo, partial_clone, run_git


def _rev_parse(git_dir: Path, what: str = "HEAD") -> str:
    return run_git(git_dir, "--git-dir", str(git_dir), "rev-parse", what)


def test_head_through_loose_packed_symbolic_and_detached_refs(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    make_repo(repo, {"a.py": "1"})
    dot_git = repo / ".git"
    assert read_head(str(dot_git)) == _rev_parse(dot_git)
    run_git(repo, "pack-refs", "--all")
    assert not (dot_git / "refs" / "heads" / "main").exists()
    assert read_head(str(dot_git)) == _rev_parse(dot_git)
    run_git(repo, "commit", "-q", "--allow-empty", "-m", "two")  # a loose ref again, newer than the packed one
    assert read_head(str(dot_git)) == _rev_parse(dot_git)
    run_git(repo, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
    run_git(repo, "symbolic-ref", "HEAD", "refs/heads/alias")
    assert read_head(str(dot_git)) == _rev_parse(dot_git)
    run_git(repo, "checkout", "-q", "--detach", "HEAD~1")
    assert read_head(str(dot_git)) == _rev_parse(dot_git)


def test_head_of_a_linked_work_tree_and_of_a_bare_clone(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    make_repo(repo, {"a.py": "1"})
    run_git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    run_git(tmp_path / "wt", "commit", "-q", "--allow-empty", "-m", "side")
    wt_git = repo / ".git" / "worktrees" / "wt"
    assert read_head(str(wt_git)) == _rev_parse(wt_git) != _rev_parse(repo / ".git")
    bare = tmp_path / "bare.git"
    git.Repo.clone_from(str(repo), str(bare), bare=True)
    assert read_head(str(bare)) == _rev_parse(bare)


@pytest.mark.parametrize("how", ["unborn", "bad-name", "garbage", "reftable-dir"])
def test_what_it_cannot_tell_is_left_to_git(tmp_path: Path, how: str) -> None:
    repo = tmp_path / "r"
    make_repo(repo, {"a.py": "1"})
    dot_git = repo / ".git"
    if how == "unborn":
        run_git(repo, "symbolic-ref", "HEAD", "refs/heads/nothing-yet")
    elif how == "bad-name":
        (dot_git / "HEAD").write_text("ref: refs/heads/../../../../etc/passwd\n")
    elif how == "garbage":
        (dot_git / "HEAD").write_text("not a ref at all\n")
    else:
        (dot_git / "reftable").mkdir()
    assert read_head(str(dot_git)) is None


def test_partial_clones_are_told_apart(tmp_path: Path) -> None:
    partial = partial_clone(tmp_path, {"a.py": "1"}, {"big.py": "x" * 2000})
    assert is_partial_clone(str(partial / ".git")) is True
    assert is_partial_clone(str(tmp_path / "upstream" / ".git")) is False


def test_tree_entries_are_what_ls_tree_says(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    make_repo(repo, {"a.py": "1", "d/b.py": "2", "d/e/c.sh": "3", "x.y": "4"})
    os.symlink("a.py", repo / "link.py")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "link")
    tree = _rev_parse(repo / ".git", "HEAD^{tree}")
    data = subprocess.run(["git", "cat-file", "tree", tree], cwd=repo, capture_output=True, check=True).stdout
    ours = [(mode.decode().zfill(6), name.decode(), oid) for mode, name, oid in tree_entries(data, 20)]
    theirs = [(line.split()[0], line.split("\t")[1], line.split()[2])
              for line in run_git(repo, "ls-tree", tree).splitlines()]
    assert ours == theirs


def test_the_batch_listing_equals_ls_tree(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    files = {f"pkg{i}/sub{j}/m{k}.py": f"# {i} {j} {k}\n" * (k + 1) for i in range(3) for j in range(3) for k in range(3)}
    make_repo(repo, {**files, "top.py": "1", "run.sh": "echo", "a-b/c.d/e.py": "2", "a.b": "3", "ä/ü.py": "4"})
    os.symlink("top.py", repo / "link.py")
    (repo / "tool.sh").write_text("#!/bin/sh\n")
    (repo / "tool.sh").chmod(0o755)
    sub = tmp_path / "sub"
    make_repo(sub, {"s.py": "s"})
    run_git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendor/sub")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "more")
    spec = RepoSpec(str(repo), str(repo), "git", str(repo))
    with open_snapshot(spec, workdir=tmp_path / "w") as snapshot:
        listed = list(snapshot.files())
        assert snapshot._batch is not None, "listed through the reading cat-file"  # type: ignore[attr-defined]
    expected = list(_parse_ls_tree(subprocess.run(["git", "ls-tree", "-r", "-l", "-z", "--full-tree", "HEAD"],
                                                  cwd=repo, capture_output=True, check=True).stdout))
    assert listed == expected and len(expected) == len(files) + 7
