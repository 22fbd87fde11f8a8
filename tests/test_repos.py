"""Git access: cloning, reading in place, plain folders, and the safety rules."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import git
import pytest

from miner.records import RepoSpec, RepoStatus, SourceFile
from miner.repos import RepoError, Snapshot, clone_dir_name, open_snapshot

NON_UTF8 = b"caf\xe9.py"
NON_UTF8_SHOWN = "caf\\xe9.py"


def write(root: Path, files: dict[str | bytes, str | bytes]) -> None:
    for name, data in files.items():
        path = os.path.join(os.fsencode(root), os.fsencode(name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data.encode() if isinstance(data, str) else data)


def commit(repo: git.Repo, files: dict[str | bytes, str | bytes], *, message: str = "change",
           date: str | None = None) -> str:
    write(Path(repo.working_tree_dir), files)
    repo.git.add("-A")
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None
    repo.git.commit("-q", "--allow-empty", "-m", message, env=env)
    return repo.git.rev_parse("HEAD")


def spec(kind: str, location: Path | str, key: str | None = None) -> RepoSpec:
    return RepoSpec(key=key or str(location), source=str(location), kind=kind, location=str(location))


def contents(snapshot: Snapshot) -> dict[str, bytes]:
    return {f.path: snapshot.read(f) for f in snapshot.files()}


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under `root` with its size and mtime: to prove nothing changed."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            state[os.path.relpath(path, root)] = (info.st_size, info.st_mtime_ns)
    return state


SOURCE_FILES: dict[str | bytes, str | bytes] = {
    "a.py": "from transformers import AutoModel\nAutoModel.from_pretrained('bert-base-uncased')\n",
    "pkg/b.py": "x = 1\n",
    "data.bin": b"\x00\x01\xff" * 10,
    "tab\there.py": "y = 2\n",
    NON_UTF8: "z = 3\n",
}
EXPECTED_PATHS = {"a.py", "pkg/b.py", "data.bin", "tab\there.py", NON_UTF8_SHOWN, ".gitmodules"}


@pytest.fixture
def source(tmp_path: Path) -> git.Repo:
    """A work tree with regular files, two symlinks, a non-UTF-8 name and a submodule entry."""
    repo = git.Repo.init(tmp_path / "source")
    root = Path(repo.working_tree_dir)
    (tmp_path / "outside.txt").write_text("secret outside the repository\n")
    first = commit(repo, {"README.md": "hello\n"})
    (root / "README.md").unlink()
    write(root, SOURCE_FILES)
    os.symlink("/etc/passwd", root / "passwd")
    os.symlink("../outside.txt", root / "outside")
    write(root, {".gitmodules": '[submodule "sub"]\n\tpath = sub\n\turl = file:///nonexistent/sub.git\n'})
    repo.git.add("-A")
    repo.git.update_index("--add", "--cacheinfo", f"160000,{first},sub")
    repo.git.commit("-q", "-m", "files, symlinks and a submodule")
    return repo


def assert_source_files(snapshot: Snapshot, repo: git.Repo) -> None:
    files = {f.path: f for f in snapshot.files()}
    assert set(files) == EXPECTED_PATHS
    assert all(isinstance(f, SourceFile) for f in files.values())
    for f in files.values():
        data = snapshot.read(f)
        assert len(data) == f.size
        raw = NON_UTF8 if f.path == NON_UTF8_SHOWN else f.path
        if raw in SOURCE_FILES:
            expected = SOURCE_FILES[raw]
            assert data == (expected.encode() if isinstance(expected, str) else expected)
    assert files["a.py"].blob == repo.git.rev_parse("HEAD:a.py")


# --- local repositories, read in place ------------------------------------


def test_work_tree_is_read_in_place_without_changes(source: git.Repo, tmp_path: Path) -> None:
    root = Path(source.working_tree_dir)
    before = tree_state(root)
    workdir = tmp_path / "work"
    with open_snapshot(spec("git", root), workdir=workdir) as snapshot:
        assert snapshot.key == str(root)
        assert snapshot.commit == source.git.rev_parse("HEAD")
        assert_source_files(snapshot, source)
    assert tree_state(root) == before
    assert not workdir.exists()  # nothing was cloned


def test_bare_repository_is_read_in_place(source: git.Repo, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    git.Repo.clone_from(source.working_tree_dir, bare, bare=True)
    before = tree_state(bare)
    with open_snapshot(spec("bare", bare), workdir=tmp_path / "work") as snapshot:
        assert snapshot.commit == source.git.rev_parse("HEAD")
        assert_source_files(snapshot, source)
    assert tree_state(bare) == before


def test_linked_worktree_with_a_git_file(source: git.Repo, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    source.git.worktree("add", "-q", str(linked))
    with open_snapshot(spec("git", linked), workdir=tmp_path / "work") as snapshot:
        assert snapshot.commit == source.git.rev_parse("HEAD")
        assert set(f.path for f in snapshot.files()) == EXPECTED_PATHS


def test_empty_repositories(tmp_path: Path) -> None:
    git.Repo.init(tmp_path / "empty")
    git.Repo.init(tmp_path / "empty.git", bare=True)
    for kind, path in (("git", tmp_path / "empty"), ("bare", tmp_path / "empty.git")):
        with pytest.raises(RepoError) as caught:
            with open_snapshot(spec(kind, path), workdir=tmp_path / "work"):
                pass
        assert caught.value.status is RepoStatus.EMPTY
    remote = spec("remote", (tmp_path / "empty.git").as_uri())
    with pytest.raises(RepoError) as caught:
        with open_snapshot(remote, workdir=tmp_path / "work"):
            pass
    assert caught.value.status is RepoStatus.EMPTY


def test_vanished_and_non_git_paths(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    cases = [
        (spec("git", tmp_path / "gone"), RepoStatus.NOT_FOUND),
        (spec("folder", tmp_path / "gone"), RepoStatus.NOT_FOUND),
        (spec("bare", tmp_path / "plain"), RepoStatus.FAILED),
        (RepoSpec(key="::::", source="::::", kind="invalid", location="::::", error="bad line"),
         RepoStatus.INVALID_LINE),
    ]
    for repo_spec, status in cases:
        with pytest.raises(RepoError) as caught:
            with open_snapshot(repo_spec, workdir=tmp_path / "work"):
                pass
        assert caught.value.status is status, caught.value
        assert caught.value.message


# --- remotes --------------------------------------------------------------


@pytest.mark.parametrize("via", ["path", "file_url"])
def test_clone_then_fetch_a_new_commit(source: git.Repo, tmp_path: Path, via: str) -> None:
    root = Path(source.working_tree_dir)
    location = str(root) if via == "path" else root.as_uri()
    remote = spec("remote", location, key="owner/name")
    workdir = tmp_path / "work"
    first = source.git.rev_parse("HEAD")
    with open_snapshot(remote, workdir=workdir) as snapshot:
        assert snapshot.commit == first
        assert_source_files(snapshot, source)
    clone = workdir / clone_dir_name("owner/name")
    assert sorted(p.name for p in workdir.iterdir()) == [clone.name]  # no temporary leftovers
    assert not (clone / "a.py").exists() and not (clone / "modules").exists()
    assert git.Repo(clone).bare

    second = commit(source, {"new.py": "import torch\n"})
    with open_snapshot(remote, workdir=workdir, fetch=False) as snapshot:
        assert snapshot.commit == first
    with open_snapshot(remote, workdir=workdir) as snapshot:
        assert snapshot.commit == second
        assert "new.py" in {f.path for f in snapshot.files()}


def test_clone_follows_a_force_push(source: git.Repo, tmp_path: Path) -> None:
    remote = spec("remote", Path(source.working_tree_dir).as_uri(), key="o/n")
    workdir = tmp_path / "work"
    with open_snapshot(remote, workdir=workdir):
        pass
    source.git.commit("-q", "--amend", "-m", "rewritten")
    with open_snapshot(remote, workdir=workdir) as snapshot:
        assert snapshot.commit == source.git.rev_parse("HEAD")


@pytest.mark.parametrize("location", ["file:///nonexistent/repo.git", "/nonexistent/repo.git"])
def test_missing_remote_fails_fast(location: str, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    with pytest.raises(RepoError) as caught:
        with open_snapshot(spec("remote", location, key=location), workdir=workdir):
            pass
    assert caught.value.status is RepoStatus.NOT_FOUND
    assert "nonexistent" in caught.value.message
    assert list(workdir.iterdir()) == []


def test_timeout_kills_git(tmp_path: Path, source: git.Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = tmp_path / "slow-git"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setattr(git.Git, "GIT_PYTHON_GIT_EXECUTABLE", str(slow))
    with pytest.raises(RepoError) as caught:
        with open_snapshot(spec("remote", "file:///x/y.git"), workdir=tmp_path / "work", timeout=0.5):
            pass
    assert caught.value.status is RepoStatus.CLONE_FAILED
    assert "timed out" in caught.value.message
    with pytest.raises(RepoError) as caught:
        with open_snapshot(spec("git", source.working_tree_dir), workdir=tmp_path / "work", timeout=0.5) as snapshot:
            list(snapshot.files())  # opening reads HEAD from the files: listing runs git
    assert caught.value.status is RepoStatus.FAILED and "timed out" in caught.value.message


def test_no_hook_filter_or_fsmonitor_ever_runs(tmp_path: Path, hermetic_git: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    repo = git.Repo.init(tmp_path / "evil")
    root = Path(repo.working_tree_dir)
    commit(repo, {".gitattributes": "*.py filter=evil\n", "model.py": "x = 1\n"})

    def script(name: str) -> Path:
        path = tmp_path / f"{name}.sh"
        path.write_text(f"#!/bin/sh\ntouch {markers / name}\ncat\n")
        path.chmod(0o755)
        return path

    hooks = root / ".git" / "hooks"
    for hook in ("post-checkout", "post-merge", "reference-transaction", "pre-auto-gc"):
        (hooks / hook).symlink_to(script(hook))
    template = tmp_path / "template"
    (template / "hooks").mkdir(parents=True)
    (template / "hooks" / "post-checkout").symlink_to(script("template-post-checkout"))
    with repo.config_writer() as config:
        config.set_value("core", "fsmonitor", str(script("fsmonitor")))
        config.set_value("filter \"evil\"", "smudge", str(script("repo-smudge")))
    with hermetic_git.open("a") as config_file:
        config_file.write(
            f"[filter \"evil\"]\n\tsmudge = {script('smudge')}\n\tclean = cat\n\trequired = true\n"
            f"[init]\n\ttemplateDir = {template}\n"
        )

    # Control: an ordinary checkout does run them, so the assertions below mean something.
    git.Git(str(tmp_path)).execute(["git", "clone", "-q", str(root), str(tmp_path / "control")])
    git.Git(str(root)).execute(["git", "status", "--short"])
    assert {"smudge", "template-post-checkout", "fsmonitor"} <= {p.name for p in markers.iterdir()}
    for marker in markers.iterdir():
        marker.unlink()

    workdir = tmp_path / "work"
    specs = [
        spec("git", root),
        spec("remote", root.as_uri(), key="evil/file-url"),
        spec("remote", str(root), key="evil/path"),
    ]
    for repo_spec in specs:
        for _ in range(2):  # clone, then fetch
            with open_snapshot(repo_spec, workdir=workdir) as snapshot:
                assert contents(snapshot)["model.py"] == b"x = 1\n"
                assert [sha for sha, _ in snapshot.commits()] == [snapshot.commit]
    assert list(markers.iterdir()) == []
    for clone in workdir.iterdir():
        assert not (clone / "hooks").exists()


# --- plain folders --------------------------------------------------------


def test_plain_folder_skips_symlinks_and_git_dirs(tmp_path: Path) -> None:
    root = tmp_path / "folder"
    write(root, {"a.py": "import torch\n", "sub/b.txt": "b\n", ".git/config": "[core]\n",
                 "empty.py": "", NON_UTF8: "z = 3\n", "deep/er/c.py": "c\n"})
    os.symlink("/etc/passwd", root / "passwd")
    os.symlink("/etc", root / "etc")
    os.symlink("../outside.txt", root / "sub" / "outside")
    os.mkfifo(root / "fifo")
    with open_snapshot(spec("folder", root), workdir=tmp_path / "work") as snapshot:
        assert snapshot.commit is None
        assert snapshot.commits() == []
        files = {f.path: f for f in snapshot.files()}
        assert set(files) == {"a.py", "sub/b.txt", "empty.py", NON_UTF8_SHOWN, "deep/er/c.py"}
        hasher = git.Git(str(root))
        for path, f in files.items():
            raw = os.path.join(os.fsencode(root), NON_UTF8 if path == NON_UTF8_SHOWN else os.fsencode(path))
            with open(raw, "rb") as handle:
                data = handle.read()
            assert snapshot.read(f) == data and f.size == len(data)
            assert f.blob == hasher.execute(["git", "hash-object", "--no-filters", os.fsdecode(raw)])
        with pytest.raises(RepoError):
            snapshot.files_at("HEAD")


def test_plain_folder_never_follows_a_symlink_swapped_in(tmp_path: Path) -> None:
    root = tmp_path / "folder"
    write(root, {"a.py": "a\n", "sub/b.py": "b\n"})
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "b.py").write_text("secret\n")
    with open_snapshot(spec("folder", root), workdir=tmp_path / "work") as snapshot:
        files = {f.path: f for f in snapshot.files()}
        (root / "a.py").unlink()
        os.symlink("/etc/passwd", root / "a.py")
        (root / "sub" / "b.py").unlink()
        (root / "sub").rmdir()
        os.symlink(tmp_path / "secret", root / "sub")
        for f in files.values():
            with pytest.raises(RepoError) as caught:
                snapshot.read(f)
            assert caught.value.status is RepoStatus.FAILED
        for bad in ("../secret/b.py", "sub/../a.py", "/etc/passwd"):
            with pytest.raises(RepoError):
                snapshot.read(SourceFile(path=bad, blob="0" * 40, size=1))


# --- reading, history, closing ----------------------------------------------


def test_bad_reads_do_not_desynchronise_the_batch(source: git.Repo, tmp_path: Path) -> None:
    with open_snapshot(spec("git", source.working_tree_dir), workdir=tmp_path / "w") as snapshot:
        files = {f.path: f for f in snapshot.files()}
        tree = source.git.rev_parse("HEAD^{tree}")
        for blob in ("0" * 40, tree):  # not in the repository, not a blob: that file is skipped
            assert snapshot.read(SourceFile(path="x", blob=blob, size=0)) is None
        for blob in ("HEAD", "a" * 40 + "\nHEAD"):  # not an id: a caller's error
            with pytest.raises(RepoError):
                snapshot.read(SourceFile(path="x", blob=blob, size=0))
        assert snapshot.read(files["pkg/b.py"]) == b"x = 1\n"


def test_pipelined_reads_of_many_large_blobs(tmp_path: Path) -> None:
    # More than a pipe's worth of ids and of contents: the writer thread and the
    # reader must not wait on each other. A missing blob midway, or a consumer
    # that stops early, leaves the next read in sync.
    repo = git.Repo.init(tmp_path / "many")
    files = {f"f{i:04d}.py": f"# {i}\n" + "x" * (i * 97 % 5000) for i in range(1500)}
    commit(repo, files)
    with open_snapshot(spec("git", repo.working_tree_dir), workdir=tmp_path / "w") as snapshot:
        listed = sorted(snapshot.files(), key=lambda f: f.path)
        assert [d.decode() for d in snapshot.read_many(listed * 2)] == [files[f.path] for f in listed] * 2
        broken = listed[:10] + [SourceFile(path="gone", blob="0" * 40, size=0)] + listed[10:]
        read = list(snapshot.read_many(broken))
        assert read[10] is None
        assert [d.decode() for d in read[:10] + read[11:]] == [files[f.path] for f in listed]
        reads = snapshot.read_many(listed)
        assert next(reads) == files[listed[0].path].encode()
        reads.close()  # abandoned with 1,499 responses unread
        assert snapshot.read(listed[-1]) == files[listed[-1].path].encode()


def test_batch_process_is_closed_on_exit_even_after_an_error(source: git.Repo, tmp_path: Path) -> None:
    processes = []
    with pytest.raises(KeyError):
        with open_snapshot(spec("git", source.working_tree_dir), workdir=tmp_path / "w") as snapshot:
            contents(snapshot)
            processes.append(snapshot._batch.proc)  # type: ignore[attr-defined]
            raise KeyError("boom")
    assert processes[0].poll() is not None
    with pytest.raises(RepoError):
        snapshot.read(next(iter(snapshot.files())))


def test_history_is_first_parent_and_files_at_a_commit(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "history")
    c1 = commit(repo, {"a.py": "1"}, date="2021-01-01T00:00:00+00:00")
    c2 = commit(repo, {"b.py": "2"}, date="2022-01-01T00:00:00+00:00")
    repo.git.checkout("-q", "-b", "side")
    side = commit(repo, {"side.py": "s"}, date="2022-06-01T00:00:00+00:00")
    repo.git.checkout("-q", "main")
    c3 = commit(repo, {"c.py": "3"}, date="2023-01-01T00:00:00+00:00")
    env = {"GIT_AUTHOR_DATE": "2024-01-01T00:00:00+00:00", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+00:00"}
    repo.git.merge("-q", "--no-ff", "-m", "merge", "side", env=env)
    merge = repo.git.rev_parse("HEAD")
    with open_snapshot(spec("git", repo.working_tree_dir), workdir=tmp_path / "w") as snapshot:
        history = snapshot.commits()
        assert [sha for sha, _ in history] == [c1, c2, c3, merge]
        assert side not in {sha for sha, _ in history}
        assert history[0][1].startswith("2021-01-01T00:00:00")
        assert [sha for sha, _ in snapshot.commits(since="2022-06-01")] == [c3, merge]
        assert {f.path for f in snapshot.files_at(c1)} == {"a.py"}
        assert {f.path for f in snapshot.files_at(c2[:10])} == {"a.py", "b.py"}
        [old] = [f for f in snapshot.files_at(c1)]
        assert snapshot.read(old) == b"1"
        for bad in ("nope", "--output=/tmp/x", "", "HEAD:a.py"):
            with pytest.raises(RepoError):
                list(snapshot.files_at(bad))


def test_clone_dir_name_is_safe_and_distinct() -> None:
    names = {clone_dir_name(key) for key in ("a/b", "a_b", "A/B", "../../etc", "https://h/x y.git")}
    assert len(names) == 5
    for name in names:
        assert "/" not in name and not name.startswith(".") and name.endswith(".git")


def test_repo_error_pickles() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(RepoError(RepoStatus.NOT_FOUND, "gone")))
    assert (error.status, error.message, str(error)) == (RepoStatus.NOT_FOUND, "gone", "not_found: gone")


def test_regular_file_modes_are_kept(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "modes")
    write(Path(repo.working_tree_dir), {"run.sh": "#!/bin/sh\n"})
    path = Path(repo.working_tree_dir) / "run.sh"
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    commit(repo, {})
    with open_snapshot(spec("git", repo.working_tree_dir), workdir=tmp_path / "w") as snapshot:
        assert [f.path for f in snapshot.files()] == ["run.sh"]
