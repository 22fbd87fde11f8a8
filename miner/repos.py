"""Read-only access to one repository at a time, safe for untrusted repositories.

This module owns everything that touches git or a repository's files: cloning
or fetching a remote into the work folder (a bare, partial clone: nothing is
ever checked out, blobs over the size cap are left out, files are read from the
object database), reading a local work tree or bare repository in place without
modifying it, walking a plain folder, and listing and reading the regular files
of a commit. `open_snapshot` is the only entry point; failures are raised as
`RepoError` carrying a `RepoStatus`.

Safety: every git command runs with hooks, fsmonitor, submodule recursion, LFS
smudge, credential prompts and lazy fetching (`GIT_NO_LAZY_FETCH`) disabled,
reading commands with no transport allowed at all, and is killed after
`timeout` seconds (GitPython's `kill_after_timeout`); a clone or fetch also
when the process that started it dies. Because nothing is checked out, no `.gitattributes` filter or
checkout hook can run. A local repository whose `.git`, `commondir`, object
store or alternates resolve outside the listed folder is refused. A blob that
is not in the repository (a partial clone, a damaged snapshot) is listed
`missing` and read as None: one file skipped, never the repository. Plain
folders are read through directory file descriptors with O_NOFOLLOW, so a
symlink, even one swapped in after the walk, is never followed.

A plain folder's blob is git's blob id of the content (`sha1("blob <size>\\0" +
data)`), computed while walking, one file at a time as `files()` is consumed,
for the files that may be read (their kind and size are checked first): the
id can serve as a content cache key exactly as it does for git repositories.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import signal
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE
from typing import BinaryIO

import git

from miner.gitdir import is_partial_clone, read_head, tree_entries
from miner.records import RepoSpec, RepoStatus, SourceFile

__all__ = ["RepoError", "Snapshot", "open_snapshot", "clone_dir_name", "remove_stale_clones"]

_TRUE = shutil.which("true") or "/bin/true"
# Overrides for settings a repository's own config (or a template) could use
# to run code or reach out while we read it.
_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.pager=cat",
    "log.showSignature=false",
    "submodule.recurse=false",
    "fetch.recurseSubmodules=false",
    "protocol.ext.allow=never",
    "gc.auto=0",
    "maintenance.auto=false",
)
_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": _TRUE,
    "SSH_ASKPASS": _TRUE,
    "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o ConnectTimeout=30",
    # A stalled server (under 1 KB/s for a minute) fails the clone well before `timeout`.
    "GIT_HTTP_LOW_SPEED_LIMIT": "1000",
    "GIT_HTTP_LOW_SPEED_TIME": "60",
    "GIT_LFS_SKIP_SMUDGE": "1",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_ALLOW_PROTOCOL": "https:http:ssh:git:file",
    "GIT_PAGER": "cat",
    # Never fetch a missing object on demand: in a partial clone that would run the
    # transport its own config names (remote.*.uploadpack, core.gitProxy, a URL).
    "GIT_NO_LAZY_FETCH": "1",
}
# Reading a repository needs no transport at all: none is allowed (a list that
# names no protocol), and `protocol.allow=never` says the same in config.
_READ_ENV = {**_ENV, "GIT_ALLOW_PROTOCOL": "none"}
_READ_CONFIG = ("protocol.allow=never",)
# What git (or the server) says when a repository does not exist or is private.
_NOT_FOUND_HINTS = (
    "repository not found",
    "' not found",
    "does not exist",
    "does not appear to be a git repository",
    "could not read username",
    "authentication failed",
)
_BOILERPLATE = ("hint:", "Cloning into", "Please make sure you have", "and the repository exists")
_PR_SET_PDEATHSIG = 1
_PRCTL = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None) if os.uname().sysname == "Linux" else None
_HOST = re.sub(r"[^A-Za-z0-9_]+", "_", socket.gethostname()) or "host"  # in temporary clone names
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_CHUNK = 1 << 20
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO swapped in for a file must not block the open.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class RepoError(Exception):
    """A repository could not be opened or read; `status` says how."""

    def __init__(self, status: RepoStatus, message: str) -> None:
        super().__init__(status, message)  # args stay (status, message): picklable
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return f"{self.status.value}: {self.message}"


class Snapshot:
    """One repository's files at one commit (a plain folder: as it is now)."""

    key: str
    commit: str | None

    def files(self) -> Iterator[SourceFile]:
        """The regular files (no symlinks, no submodules), paths `/`-separated."""
        raise NotImplementedError

    def read(self, f: SourceFile) -> bytes | None:
        """The content of a file listed by `files()` or `files_at()`; None when
        its blob is not in the repository or cannot be read (git: missing or
        corrupt), so that the caller skips that one file."""
        raise NotImplementedError

    def read_many(self, files: list[SourceFile]) -> Iterator[bytes | None]:
        """The contents of `files`, in order (as `read` would give them)."""
        return (self.read(f) for f in files)

    def commits(self, since: str | None = None) -> list[tuple[str, str]]:
        """(sha, ISO 8601 committer date) of HEAD's first-parent history,
        oldest first; `since` is a date git understands (`--since`)."""
        raise NotImplementedError

    def files_at(self, commit: str) -> Iterator[SourceFile]:
        """`files()` at another commit (a sha, short sha or ref)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release processes; idempotent. `open_snapshot` calls it on exit."""


@contextmanager
def open_snapshot(
    spec: RepoSpec, *, workdir: Path, timeout: float = 300, fetch: bool = True,
    reads: Callable[[str, int], bool] | None = None, blob_limit: int | None = None, trusted: Sequence[str] = (),
) -> Iterator[Snapshot]:
    """The snapshot of `spec`, closed when the block exits.

    A remote is bare-cloned into `workdir/clone_dir_name(key)`, or fetched there
    if an earlier run cloned it (`fetch=False` reuses it as is). Local git
    repositories are read in place; plain folders are walked. `reads(path,
    size)` says which files of a plain folder may be read: only those are
    hashed (the others are listed with an empty blob id); None hashes all.

    With `blob_limit`, a remote is a partial clone without the blobs over that
    many bytes (`--filter=blob:limit`), except those at HEAD that `reads` may
    still read at a larger size (a notebook's cap is larger): those are fetched
    once, by id, when the clone is made or fetched. A local repository may
    borrow objects (alternates) from the `trusted` folders, none other outside it.
    """
    snapshot = _open(spec, workdir=Path(workdir), timeout=timeout, fetch=fetch, reads=reads, blob_limit=blob_limit,
                     trusted=trusted)
    try:
        yield snapshot
    finally:
        snapshot.close()


def clone_dir_name(key: str) -> str:
    """A file-system-safe, collision-free folder name for a repository key."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._-")[:80] or "repo"
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{slug}-{digest}.git"


def _open(spec: RepoSpec, *, workdir: Path, timeout: float, fetch: bool,
          reads: Callable[[str, int], bool] | None, blob_limit: int | None, trusted: Sequence[str]) -> Snapshot:
    if spec.kind == "invalid":
        raise RepoError(RepoStatus.INVALID_LINE, spec.error or f"invalid line: {spec.source}")
    if spec.kind == "remote":
        policy = _ClonePolicy(blob_limit, reads)
        git_dir = _sync_clone(spec, workdir=workdir, timeout=timeout, fetch=fetch, policy=policy)
        return _GitSnapshot.open(spec.key, git_dir=str(git_dir), timeout=timeout, ours=True)
    if spec.kind not in ("git", "bare", "folder"):
        raise RepoError(RepoStatus.FAILED, f"unknown repository kind {spec.kind!r}")
    if not os.path.isdir(spec.location):
        raise RepoError(RepoStatus.NOT_FOUND, f"not found: {spec.location}")
    if spec.kind == "folder":
        return _FolderSnapshot(spec.key, spec.location, reads or _everything)
    git_dir = _sealed_git_dir(spec.location, bare=spec.kind == "bare", trusted=trusted)
    return _GitSnapshot.open(spec.key, git_dir=git_dir, timeout=timeout)


# --- a git directory that stays inside its folder ------------------------


def _sealed_git_dir(folder: str, *, bare: bool, trusted: Sequence[str] = ()) -> str:
    """The real git directory of a listed local repository, refused (`RepoError`)
    when it, its `commondir`, its object store, an alternate object store or a
    pack or loose-object folder resolves outside the listed folder (or the
    `trusted` folders the caller names): such a folder would publish another
    repository of the machine under its own key. Listing that other
    repository's path itself mines it."""
    extra = tuple(os.path.realpath(t) for t in trusted)
    roots = (os.path.realpath(folder), *extra)
    entry = os.path.join(folder, ".git") if not bare else folder
    linked = not bare and os.path.isfile(entry) and not os.path.islink(entry)
    if linked:
        entry = _gitdir_file(entry, folder)
    commondir = os.path.join(entry, "commondir")
    if linked and _is_worktree_of(entry, folder) and os.path.isfile(commondir):
        # `git worktree add` made it: that repository's store is this folder's own.
        roots = (os.path.realpath(os.path.join(entry, _first_line(commondir))), *extra)
    git_dir = _inside(roots, entry, what=".git")
    common = git_dir
    if os.path.lexists(commondir):
        common = _inside(roots, os.path.join(git_dir, _first_line(commondir)), what="commondir")
    objects = _inside(roots, os.path.join(common, "objects"), what="objects")
    _check_objects(roots, objects, depth=0)
    return git_dir


def _check_objects(roots: tuple[str, ...], objects: str, *, depth: int) -> None:
    """Alternates (as git follows them, up to 5 deep), packs and loose-object folders."""
    try:
        with os.scandir(objects) as scan:
            entries = list(scan)
    except OSError:
        return  # no object store: git says what is wrong
    for entry in entries:
        if entry.is_symlink():
            _inside(roots, entry.path, what=f"objects/{entry.name}")
        if entry.name == "pack" or (len(entry.name) == 2 and entry.is_dir(follow_symlinks=False)):
            try:
                with os.scandir(entry.path) as inner:
                    links = [item for item in inner if item.is_symlink()]
            except OSError:
                continue  # unreadable: git cannot read it either
            for item in links:
                _inside(roots, item.path, what=f"objects/{entry.name}/{item.name}")
    alternates = os.path.join(objects, "info", "alternates")
    if depth >= 5 or not os.path.isfile(alternates):
        return
    with open(alternates, "rb") as f:
        lines = f.read(1 << 20).decode("utf-8", "replace").splitlines()
    for line in (line.strip() for line in lines):
        if line and not line.startswith("#"):
            alternate = _inside(roots, os.path.join(objects, line.strip('"')), what="objects/info/alternates")
            _check_objects(roots, alternate, depth=depth + 1)


def _is_worktree_of(git_dir: str, folder: str) -> bool:
    """A linked work tree's git directory names the `.git` file that points to
    it (its `gitdir` file): another repository's git directory does not."""
    backlink = os.path.join(git_dir, "gitdir")
    if not os.path.isfile(backlink):
        return False
    target = os.path.join(git_dir, _first_line(backlink))
    return os.path.realpath(target) == os.path.realpath(os.path.join(folder, ".git"))


def _gitdir_file(path: str, folder: str) -> str:
    """The target of a `.git` file (`gitdir: <path>`), relative to its folder."""
    line = _first_line(path)
    if not line.startswith("gitdir:"):
        raise RepoError(RepoStatus.FAILED, f"not a git repository: {path} is a file without `gitdir:`")
    return os.path.join(folder, line[len("gitdir:"):].strip())


def _first_line(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(4096).decode("utf-8", "replace").partition("\n")[0].strip()
    except OSError as exc:
        raise RepoError(RepoStatus.FAILED, f"cannot read {path}: {exc.strerror or exc}") from exc


def _inside(roots: tuple[str, ...], path: str, *, what: str) -> str:
    """`path` resolved, if it lies inside one of `roots`; else a refusal."""
    real = os.path.realpath(path)
    if not any(os.path.commonpath([root, real]) == root for root in roots):
        raise RepoError(RepoStatus.FAILED, f"refused: {what} resolves outside the listed folder ({path} -> {real}); "
                                           "list that path itself to mine it")
    return real


# --- running git ---------------------------------------------------------


class _Git:
    """git with the safe options, against one git directory (or none, to clone)."""

    def __init__(self, *, git_dir: str | None, cwd: str, timeout: float, network: bool = False) -> None:
        self._prefix = [f"--git-dir={git_dir}"] if git_dir else []
        for setting in _CONFIG + (() if network else _READ_CONFIG):
            self._prefix += ["-c", setting]
        self._runner = git.Git(cwd)
        self._env = _ENV if network else _READ_ENV
        self._network = network
        self.timeout = timeout

    def call(self, *args: str, stdin: BinaryIO | None = None) -> tuple[int, bytes, str]:
        """(exit status, stdout, stderr); raises only for a timeout or no git.
        `stdin` is a real file (git reads it directly)."""
        argv = [git.Git.GIT_PYTHON_GIT_EXECUTABLE, *self._prefix, *args]
        started = time.monotonic()
        try:
            status, out, err = self._runner.execute(
                argv,
                istream=stdin,
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                strip_newline_in_stdout=False,
                kill_after_timeout=self.timeout,
                env=self._env,
                preexec_fn=_dies_with(os.getpid()) if self._network else None,
            )
        except git.GitCommandNotFound as exc:
            raise RepoError(RepoStatus.FAILED, f"git is not installed: {exc}") from exc
        except OSError as exc:  # e.g. an argument too long for exec
            raise RepoError(RepoStatus.FAILED, f"cannot run git {args[0]}: {exc.strerror or exc}") from exc
        if err.startswith("Timeout:") or (status != 0 and time.monotonic() - started >= self.timeout):
            raise RepoError(RepoStatus.FAILED, f"git {args[0]} timed out after {self.timeout:g}s")
        return status, out, err

    def run(self, *args: str, stdin: BinaryIO | None = None) -> bytes:
        status, out, err = self.call(*args, stdin=stdin)
        if status != 0:
            raise RepoError(RepoStatus.FAILED, _summary(err) or f"git {args[0]} failed ({status})")
        return out

    def spawn(self, *args: str) -> git.Git.AutoInterrupt:
        argv = [git.Git.GIT_PYTHON_GIT_EXECUTABLE, *self._prefix, *args]
        return self._runner.execute(argv, istream=PIPE, as_process=True, env=self._env)


def _dies_with(parent: int) -> Callable[[], None] | None:
    """Run in a clone or fetch before exec: it gets SIGKILL when the process
    that started it dies (Linux), so a killed run leaves no clone going on.
    Only there: a `preexec_fn` makes Python fork instead of vfork, which costs
    tens of milliseconds in a large process; a reading command is short, and
    `cat-file --batch` ends with its stdin."""
    if _PRCTL is None:
        return None

    def setup() -> None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # it died before the line above
            os._exit(1)
    return setup


def _summary(stderr: str) -> str:
    """git's error output on one line, without its boilerplate."""
    lines = (line.strip() for line in stderr.splitlines())
    kept = [line for line in lines if line and not line.startswith(_BOILERPLATE)]
    return "; ".join(kept)[:500]


def _remote_failure(exc_or_err: RepoError | str, *, action: str) -> RepoError:
    """A clone or fetch failure, as NOT_FOUND when git says the repository is missing."""
    if isinstance(exc_or_err, RepoError):  # timeout
        return RepoError(RepoStatus.CLONE_FAILED, f"{action}: {exc_or_err.message}")
    message = _summary(exc_or_err) or "git failed without a message"
    lowered = message.lower()
    status = RepoStatus.NOT_FOUND if any(h in lowered for h in _NOT_FOUND_HINTS) else RepoStatus.CLONE_FAILED
    return RepoError(status, f"{action}: {message}")


# --- remotes -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ClonePolicy:
    """Which blobs a clone leaves out (over `blob_limit` bytes), and which of
    those it fetches back: a path that `reads` may read at a larger size."""

    blob_limit: int | None
    reads: Callable[[str, int], bool] | None

    def filter(self) -> list[str]:
        return [] if self.blob_limit is None else [f"--filter=blob:limit={self.blob_limit + 1}"]

    def fetch_back(self, path: str) -> bool:
        return self.blob_limit is not None and self.reads is not None and self.reads(path, self.blob_limit + 1)


def _sync_clone(spec: RepoSpec, *, workdir: Path, timeout: float, fetch: bool, policy: _ClonePolicy) -> Path:
    if spec.location.startswith("-"):
        raise RepoError(RepoStatus.INVALID_LINE, f"refusing a location that looks like an option: {spec.location}")
    workdir.mkdir(parents=True, exist_ok=True)
    dest = workdir / clone_dir_name(spec.key)
    if dest.is_dir():
        existing = _Git(git_dir=str(dest), cwd=str(dest), timeout=timeout, network=True)
        if _head(existing) is not None:
            if fetch:
                _fetch(existing, spec.location, policy)
                _fetch_back(existing, spec.location, policy)
            return dest
        shutil.rmtree(dest)  # empty or broken (an interrupted run): clone again
    _clone(spec.location, dest, timeout=timeout, policy=policy)
    return dest


def _clone(location: str, dest: Path, *, timeout: float, policy: _ClonePolicy) -> None:
    # Clone next to `dest` and rename, so an interrupted clone never looks finished;
    # the name says which process made it (`remove_stale_clones`).
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.{_HOST}-{os.getpid()}.", suffix=".tmp", dir=dest.parent))
    try:
        runner = _Git(git_dir=None, cwd=str(dest.parent), timeout=timeout, network=True)
        try:
            status, _, err = runner.call(
                "clone", "--bare", "--single-branch", "--no-tags", "--no-recurse-submodules",
                "--no-local", "--template=", "--quiet", *policy.filter(), "--", location, str(tmp),
            )
        except RepoError as exc:
            raise _remote_failure(exc, action=f"clone {location}") from None
        if status != 0:
            raise _remote_failure(err, action=f"clone {location}")
        _fetch_back(_Git(git_dir=str(tmp), cwd=str(tmp), timeout=timeout, network=True), location, policy)
        try:
            os.rename(tmp, dest)
        except OSError:
            if not dest.is_dir():  # else another worker finished the same clone first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fetch(runner: _Git, location: str, policy: _ClonePolicy) -> None:
    branch = runner.run("symbolic-ref", "-q", "HEAD").decode().strip()
    try:
        status, _, err = runner.call(
            "fetch", "--no-tags", "--no-recurse-submodules", "--quiet", *policy.filter(),
            location, f"+HEAD:{branch}",
        )
    except RepoError as exc:
        raise _remote_failure(exc, action=f"fetch {location}") from None
    if status != 0:
        raise _remote_failure(err, action=f"fetch {location}")


def _fetch_back(runner: _Git, location: str, policy: _ClonePolicy) -> None:
    """Fetches, by id, the blobs left out at HEAD that may still be read. If the
    server refuses, they stay out: each is then a `missing_blob` problem."""
    head = _head(runner)
    if head is None or policy.blob_limit is None:
        return
    try:
        listing = runner.run("ls-tree", "-r", "-z", "--full-tree", head)
        missing = _missing(runner, head)
        wanted = sorted({f.blob for f in _parse_ls_tree(listing) if f.blob in missing and policy.fetch_back(f.path)})
        if wanted:
            with _id_file(wanted) as request:
                runner.call("fetch", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules", "--quiet",
                            "--filter=blob:none", "--stdin", location, stdin=request)
    except RepoError:
        pass  # a timeout or a broken clone: what is missing is reported when it is read


def _missing(runner: _Git, commit: str) -> set[str]:
    """Ids of the objects of `commit`'s tree that are not in the repository
    (`rev-list --missing=print` never fetches them)."""
    absent = runner.run("rev-list", "--objects", "--missing=print", f"{commit}^{{tree}}", "--")
    return {line[1:].decode("ascii") for line in absent.splitlines() if line.startswith(b"?")}


@contextmanager
def _id_file(ids: Sequence[str]) -> Iterator[BinaryIO]:
    """Object ids, one a line, in a file that git reads as its stdin."""
    with tempfile.TemporaryFile() as request:
        request.write("".join(f"{oid}\n" for oid in ids).encode("ascii"))
        request.seek(0)
        yield request


def remove_stale_clones(workdir: Path) -> list[str]:
    """Removes the temporary clones in `workdir` that a process of this host
    left when it was killed (it is gone); returns their names. A clone still
    being made, by this run or another, is left alone."""
    try:
        names = [n for n in os.listdir(workdir) if n.startswith(".") and n.endswith(".tmp")]
    except OSError:
        return []
    removed = []
    for name in names:  # `.<clone name>.<host>-<pid>.<random>.tmp`
        parts = name[1:-len(".tmp")].rsplit(".", 2)
        host, _, pid = parts[1].rpartition("-") if len(parts) == 3 else ("", "", "")
        if host == _HOST and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(workdir / name, ignore_errors=True)
            removed.append(name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _left_out(runner: _Git) -> int | None:
    """The size over which our partial clone has no blobs (`blob:limit=N`
    leaves out N bytes and more), or None."""
    status, out, _ = runner.call("config", "--get-regexp", r"^remote\..*\.partialclonefilter$")
    limits = [value for line in out.decode("utf-8", "replace").splitlines()
              if (value := line.rpartition(" ")[2]).startswith("blob:limit=") and value[11:].isdigit()]
    return min(int(value[11:]) for value in limits) - 1 if status == 0 and limits else None


def _head(runner: _Git) -> str | None:
    status, out, _ = runner.call("rev-parse", "--verify", "-q", "HEAD^{commit}")
    return out.decode().strip() if status == 0 else None


# --- git snapshots -------------------------------------------------------


class _GitSnapshot(Snapshot):
    def __init__(self, key: str, runner: _Git, commit: str, left_out: int | None = None) -> None:
        self.key = key
        self.commit = commit
        self._git = runner
        self._left_out = left_out  # a partial clone of ours: blobs over this many bytes are not in it
        self._batch: git.Git.AutoInterrupt | None = None
        self._git_dir = ""
        self._closed = False

    @classmethod
    def open(cls, key: str, *, git_dir: str, timeout: float, ours: bool = False) -> _GitSnapshot:
        cwd = git_dir if os.path.isdir(git_dir) else os.path.dirname(git_dir)
        runner = _Git(git_dir=git_dir, cwd=cwd, timeout=timeout)
        commit = read_head(git_dir) if os.path.isdir(git_dir) else None  # no process for an unchanged repository
        if commit is None:
            status, _, err = runner.call("rev-parse", "--git-dir")
            if status != 0:
                raise RepoError(RepoStatus.FAILED, _summary(err) or f"not a git repository: {git_dir}")
            commit = _head(runner)
        if commit is None:
            raise RepoError(RepoStatus.EMPTY, f"no commit on HEAD in {git_dir}")
        snapshot = cls(key, runner, commit, _left_out(runner) if ours else None)
        snapshot._git_dir = git_dir
        return snapshot

    def files(self) -> Iterator[SourceFile]:
        assert self.commit is not None
        return self.files_at(self.commit)

    def files_at(self, commit: str) -> Iterator[SourceFile]:
        """Blobs that are not in the repository (a partial clone, a snapshot
        with objects left out) are listed `missing`, never fetched."""
        if _SHA.match(commit) and self._git_dir and _batch_command(self._git) \
                and is_partial_clone(self._git_dir) is False:
            listed = self._list_in_batch(commit)  # no process of its own: the reading cat-file lists
            if listed is not None:
                return iter(listed)
        sha = self._resolve(commit)
        status, listing, err = self._git.call("ls-tree", "-r", "-l", "-z", "--full-tree", sha)
        if status == 0:  # a missing blob's size is `-` or `BAD` here, except in a partial clone:
            return _parse_ls_tree(listing)
        return self._files_of_partial_clone(sha, err)  # there, with lazy fetching off, ls-tree -l stops

    def _files_of_partial_clone(self, sha: str, ls_tree_error: str) -> Iterator[SourceFile]:
        """The listing without `-l`; which blobs are absent from `rev-list
        --missing=print` (which never fetches), the others' sizes from `cat-file`."""
        status, listing, _ = self._git.call("ls-tree", "-r", "-z", "--full-tree", sha)
        if status != 0:
            raise RepoError(RepoStatus.FAILED, _summary(ls_tree_error) or f"git ls-tree failed ({status})")
        missing = _missing(self._git, sha)
        files = list(_parse_ls_tree(listing))
        present = sorted({f.blob for f in files} - missing)
        sizes = self._sizes(present)
        unknown = 0 if self._left_out is None else self._left_out + 1  # left out of our clone: over the limit
        return iter([SourceFile(f.path, f.blob, sizes.get(f.blob, unknown), missing=f.blob not in sizes)
                     for f in files])

    def _list_in_batch(self, commit: str) -> list[SourceFile] | None:
        """The listing through the snapshot's `cat-file --batch-command`:
        the commit, its trees level by level, then each blob's size (`info`).
        None when git's answers are not what a plain commit gives (a tag, a
        missing tree, cat-file stopped): `ls-tree` then says what it can."""
        try:
            (answer,) = self._ask("contents", [commit])
            if answer is None or answer[0] != b"commit" or not answer[1].startswith(b"tree "):
                return None
            root = answer[1][5:answer[1].index(b"\n")].decode("ascii")
            trees = self._trees(root)
            if trees is None:
                return None
            listed = list(_flatten(trees, root, b""))
            blobs = sorted({blob for _, blob in listed})
            sizes = dict(zip(blobs, self._ask("info", blobs)))
        except (_Broken, ValueError):
            return None
        return [SourceFile(_decode_path(path), blob, sizes[blob][1] if sizes[blob] else 0, missing=sizes[blob] is None)
                for path, blob in listed if sizes[blob] is None or sizes[blob][0] == b"blob"]

    def _trees(self, root: str) -> dict[str, list[tuple[bytes, bytes, str]]] | None:
        """Every tree below `root` (included), by id: one round trip a level."""
        trees: dict[str, list[tuple[bytes, bytes, str]]] = {}
        level = [root]
        id_bytes = len(root) // 2
        while level:
            for tree, answer in zip(level, self._ask("contents", level)):
                if answer is None or answer[0] != b"tree":
                    return None  # a missing tree: nothing below it can be listed
                trees[tree] = list(tree_entries(answer[1], id_bytes))
            level = sorted({oid for tree in level for mode, _, oid in trees[tree]
                            if mode == b"40000" and oid not in trees})
        return trees

    def _ask(self, verb: str, ids: list[str]) -> list[tuple[bytes, bytes | int] | None]:
        """`cat-file --batch-command`'s answers to `verb` (`contents`: (type,
        content); `info`: (type, size)) for each id, None when it is missing.
        Raises `_Broken` (and stops the process) when the answers are not that."""
        if not ids:
            return []
        proc = self._batch_process().proc
        request = "".join(f"{verb} {oid}\n" for oid in ids).encode("ascii")
        writer = threading.Thread(target=_feed, args=(proc.stdin, request), daemon=True)
        writer.start()
        answers: list[tuple[bytes, bytes | int] | None] = []
        try:
            for _ in ids:
                header = proc.stdout.readline().split()
                if len(header) == 2 and header[1] == b"missing":
                    answers.append(None)
                    continue
                if len(header) != 3:
                    raise _Broken
                size = int(header[2])
                if verb == "info":
                    answers.append((header[1], size))
                    continue
                data = proc.stdout.read(size)
                if len(data) != size or proc.stdout.read(1) != b"\n":
                    raise _Broken
                answers.append((header[1], data))
        except (OSError, ValueError, _Broken):
            proc.kill()
            writer.join()
            self._stop_batch()
            raise _Broken from None
        writer.join()
        return answers

    def _sizes(self, blobs: list[str]) -> dict[str, int]:
        """Sizes of blobs known to be present (`cat-file --batch-check`)."""
        if not blobs:
            return {}
        with _id_file(blobs) as request:
            out = self._git.run("cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)", stdin=request)
        sizes = {}
        for line in out.decode("ascii", "replace").splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1] == "blob" and fields[2].isdigit():
                sizes[fields[0]] = int(fields[2])
        return sizes

    def commits(self, since: str | None = None) -> list[tuple[str, str]]:
        args = ["log", "--first-parent", "--no-show-signature", "--reverse", "--format=%H %cI"]
        if since is not None:
            args.append(f"--since={since}")
        out = self._git.run(*args, str(self.commit), "--")
        history = []
        for line in out.decode().splitlines():
            sha, _, date = line.partition(" ")
            history.append((sha, date))
        return history

    def read(self, f: SourceFile) -> bytes | None:
        (data,) = self.read_many([f])  # run to its end: an abandoned read stops the batch
        return data

    def read_many(self, files: list[SourceFile]) -> Iterator[bytes | None]:
        """Every id is written to `cat-file --batch` by a thread while the
        contents are read here: one round trip in all, not one per file. A
        blob listed missing is not asked for; one that git cannot give (missing,
        corrupt, or cat-file stopped on it) is None, and the rest are read by a
        new cat-file."""
        if self._closed:
            raise RepoError(RepoStatus.FAILED, f"snapshot of {self.key} is closed")
        for f in files:
            if not _SHA.match(f.blob):
                raise RepoError(RepoStatus.FAILED, f"not a blob id: {f.blob!r} ({f.path})")
        wanted = [f for f in files if not f.missing]
        contents = self._contents(wanted)
        for f in files:
            yield None if f.missing else next(contents)
        for _ in contents:  # run it to its end: an abandoned read stops cat-file
            pass

    def _contents(self, files: list[SourceFile]) -> Iterator[bytes | None]:
        start = 0
        while start < len(files):  # each round reads at least one file
            proc = self._batch_process().proc
            verb = b"contents " if _batch_command(self._git) else b""
            request = b"".join(verb + f.blob.encode("ascii") + b"\n" for f in files[start:])
            writer = threading.Thread(target=_feed, args=(proc.stdin, request), daemon=True)
            writer.start()
            done, alive = 0, True
            try:
                for f in files[start:]:
                    data, alive = _response(proc)
                    yield data
                    done += 1
                    if not alive:
                        break
            finally:
                if done < len(files) - start or not alive:  # responses left unread, or none to come
                    proc.kill()  # first, so that a writer blocked on a full pipe fails at once
                    writer.join()
                    self._stop_batch()
                writer.join()
            start += done

    def _batch_process(self) -> git.Git.AutoInterrupt:
        if self._batch is None:
            try:
                self._batch = self._git.spawn("cat-file", "--batch-command" if _batch_command(self._git) else "--batch")
            except (git.GitCommandNotFound, OSError) as exc:
                raise RepoError(RepoStatus.FAILED, f"cannot run git cat-file: {exc}") from exc
        return self._batch

    def close(self) -> None:
        self._closed = True
        self._stop_batch()

    def _stop_batch(self) -> None:
        batch, self._batch = self._batch, None
        if batch is None or batch.proc is None:
            return
        proc = batch.proc
        batch.proc = None  # AutoInterrupt would otherwise terminate it again when collected
        try:
            proc.stdin.close()  # cat-file exits at end of input
            proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 -- a stuck or broken process: kill it
            proc.kill()
            proc.wait()
        finally:
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()

    def _resolve(self, commit: str) -> str:
        if commit.startswith("-") or not commit.strip():
            raise RepoError(RepoStatus.FAILED, f"not a commit: {commit!r}")
        status, out, _ = self._git.call("rev-parse", "--verify", "-q", f"{commit}^{{commit}}")
        if status != 0:
            raise RepoError(RepoStatus.FAILED, f"no such commit in {self.key}: {commit}")
        return out.decode().strip()


def _response(proc) -> tuple[bytes | None, bool]:
    """One `cat-file --batch` response (`<id> blob <size>`, the content, a
    newline), and whether cat-file can go on: (None, True) for `<id> missing`
    or an object that is not a blob, (None, False) when cat-file stopped."""
    try:
        header = proc.stdout.readline().split()
        if len(header) == 2 and header[1] == b"missing":
            return None, True
        if len(header) != 3:  # nothing (cat-file died) or out of step
            return None, False
        size = int(header[2])
        data = proc.stdout.read(size)
        if len(data) != size or proc.stdout.read(1) != b"\n":
            return None, False
    except (OSError, ValueError):
        return None, False
    return (data if header[1] == b"blob" else None), True


class _Broken(Exception):
    """`cat-file`'s answers are out of step, or it stopped."""


def _flatten(trees: dict[str, list[tuple[bytes, bytes, str]]], tree: str,
             prefix: bytes) -> Iterator[tuple[bytes, str]]:
    """(path, blob id) of the regular files below `tree`, in `ls-tree -r` order
    (no symlinks, no submodules)."""
    for mode, name, oid in trees[tree]:
        if mode == b"40000":
            yield from _flatten(trees, oid, prefix + name + b"/")
        elif mode not in (b"120000", b"160000"):
            yield prefix + name, oid


_BATCH_COMMAND: dict[str, bool] = {}  # by git executable


def _batch_command(runner: _Git) -> bool:
    """Whether git has `cat-file --batch-command` (2.36 and later)."""
    executable = git.Git.GIT_PYTHON_GIT_EXECUTABLE
    if executable not in _BATCH_COMMAND:
        _, out, _ = runner.call("version")
        found = re.search(rb"(\d+)\.(\d+)", out)
        _BATCH_COMMAND[executable] = found is not None and (int(found[1]), int(found[2])) >= (2, 36)
    return _BATCH_COMMAND[executable]


def _feed(stdin, request: bytes) -> None:
    """Writes a batch request (in a thread: git answers while it is written)."""
    try:
        stdin.write(request)
        stdin.flush()
    except (OSError, ValueError):
        pass  # cat-file stopped; the reader reports it


def _parse_ls_tree(listing: bytes) -> Iterator[SourceFile]:
    """Regular files from `ls-tree -r -l -z`: `<mode> <type> <id> <size>\\t<path>`
    (a size of `-` or `BAD`: the blob is missing), or without `-l` (size 0)."""
    for record in listing.split(b"\0"):
        meta, _, raw_path = record.partition(b"\t")
        fields = meta.split()
        if len(fields) not in (3, 4) or fields[1] != b"blob" or fields[0] == b"120000":
            continue  # empty record, submodule (type commit) or symlink
        size = fields[3] if len(fields) == 4 else b"0"
        yield SourceFile(path=_decode_path(raw_path), blob=fields[2].decode("ascii"),
                         size=int(size) if size.isdigit() else 0, missing=not size.isdigit())


def _decode_path(raw: bytes) -> str:
    # Undecodable bytes become `\xNN`: readable, and safe to write anywhere.
    return raw.decode("utf-8", "backslashreplace")


# --- plain folders -------------------------------------------------------


def _everything(path: str, size: int) -> bool:
    return True


class _FolderSnapshot(Snapshot):
    def __init__(self, key: str, root: str, reads: Callable[[str, int], bool]) -> None:
        self.key = key
        self.commit = None
        self._root = root
        self._reads = reads
        self._paths: dict[str, tuple[bytes, ...]] = {}  # shown path -> real name parts

    def files(self) -> Iterator[SourceFile]:
        for parts, path, blob, size in _walk(self._root, self._reads):
            self._paths[path] = parts
            yield SourceFile(path=path, blob=blob, size=size)

    def read(self, f: SourceFile) -> bytes:
        parts = self._paths.get(f.path) or tuple(os.fsencode(p) for p in f.path.split("/"))
        if any(part in (b"", b".", b"..") for part in parts):
            raise RepoError(RepoStatus.FAILED, f"not a path inside the folder: {f.path!r}")
        try:
            fd = _open_under(self._root, parts, directory=False)
            with os.fdopen(fd, "rb") as stream:
                if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                    raise RepoError(RepoStatus.FAILED, f"not a regular file: {f.path}")
                return stream.read()
        except OSError as exc:
            raise RepoError(RepoStatus.FAILED, f"cannot read {f.path}: {exc.strerror or exc}") from exc

    def commits(self, since: str | None = None) -> list[tuple[str, str]]:
        return []

    def files_at(self, commit: str) -> Iterator[SourceFile]:
        raise RepoError(RepoStatus.FAILED, f"{self.key} is a plain folder: it has no commits")


def _open_under(root: str, parts: Sequence[bytes], *, directory: bool) -> int:
    """A descriptor for root/parts that follows no symlink below `root`."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    if not parts:
        return fd
    try:
        for part in parts[:-1]:
            inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = inner
        return os.open(parts[-1], _DIR_FLAGS if directory else _FILE_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)


def _walk(root: str, reads: Callable[[str, int], bool]) -> Iterator[tuple[tuple[bytes, ...], str, str, int]]:
    """(name parts, path, git blob id, size) of every regular file, skipping
    symlinks, special files and `.git` folders; unreadable entries are skipped.
    Only a file that `reads(path, size)` accepts is hashed (its kind and size
    are known before any byte is read); the others get an empty blob id."""
    pending: list[tuple[bytes, ...]] = [()]
    while pending:
        parts = pending.pop()
        try:
            dir_fd = _open_under(root, parts, directory=True)
        except OSError:
            continue  # vanished, unreadable, or swapped for a symlink
        try:
            with os.scandir(dir_fd) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
            subdirs: list[tuple[bytes, ...]] = []
            for entry in entries:
                name = os.fsencode(entry.name)
                try:
                    if entry.is_symlink() or name == b".git":
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        subdirs.append((*parts, name))
                    elif entry.is_file(follow_symlinks=False):
                        path = "/".join(_decode_path(part) for part in (*parts, name))
                        blob, size = _hash_blob(name, dir_fd=dir_fd, wanted=lambda size: reads(path, size))
                        yield (*parts, name), path, blob, size
                except OSError:
                    continue
            pending.extend(reversed(subdirs))
        finally:
            os.close(dir_fd)


def _hash_blob(name: bytes, *, dir_fd: int, wanted: Callable[[int], bool]) -> tuple[str, int]:
    """git's blob id of a file (equal to `git hash-object`), and its size; the
    id is "" when the file is not `wanted` at its size (not read at all)."""
    fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"not a regular file: {name!r}")
        if not wanted(info.st_size):
            return "", info.st_size
        digest = hashlib.sha1(b"blob %d\0" % info.st_size)
        remaining = info.st_size
        while remaining > 0:
            chunk = stream.read(min(_CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
        return digest.hexdigest(), info.st_size
