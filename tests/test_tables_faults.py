"""Tables, cache and faults, each built for real: `python -m miner` in its own
process over real git repositories, with a real umask, real signals, a real
file-size limit (a full disk), and a cache file damaged on disk.

What must hold: the output files have the mode the umask gives; a damaged
facts cache is set aside with a warning and rebuilt; a fault is one line on
stderr with exit 2 (130 for Ctrl-C) and leaves the previous tables as they
were; rows are reused only from a complete generation of the four tables.
"""
from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import git
import pyarrow.parquet as pq
import pytest

from tests.test_bounds import cache_rows
from tests.test_worker_exit import session_processes

ROOT = Path(__file__).resolve().parents[1]
LOAD = "from transformers import AutoModel\nAutoModel.from_pretrained({!r})\n"
TABLES = ("usages", "repo_models", "repos", "problems")


def make_repo(root: Path, files: dict[str, str]) -> Path:
    repo = git.Repo.init(root, initial_branch="main")
    commit(repo, files)
    return root


def commit(repo: git.Repo, files: dict[str, str]) -> None:
    root = Path(repo.working_tree_dir)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    repo.git.add("-A")
    repo.git.commit("-q", "--no-gpg-sign", "-m", "change")


def miner(*args: str | Path, cwd: Path = ROOT, **popen) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "miner", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, **popen)


def mine(listing: Path, out: Path | str, *extra: str, **popen) -> subprocess.CompletedProcess:
    return miner("mine", "--repos", listing, "--out", out, "--jobs", "1", *extra, **popen)


def listing_of(tmp_path: Path, *repos: Path) -> Path:
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{r}\n" for r in repos))
    return listing


def usages(out: Path) -> list[tuple]:
    return sorted((u["repo"], u["path"], u["line"], u["model_id"]) for u in pq.read_table(out / "usages.parquet")
                  .to_pylist())


def table_bytes(out: Path) -> dict[str, bytes]:
    return {t: (out / f"{t}.parquet").read_bytes() for t in TABLES}


def one_line_error(done: subprocess.CompletedProcess, code: int = 2) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "small", {"app.py": LOAD.format("org/a"), "b/gen.py": LOAD.format("org/b")})


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_tables_report_and_export_take_the_mode_the_umask_gives(tmp_path: Path, small: Path, umask: int) -> None:
    out = tmp_path / "out"
    assert mine(listing_of(tmp_path, small), out, umask=umask).returncode == 0
    assert miner("report", out, umask=umask).returncode == 0
    assert miner("export", out, "--format", "peatmoss", "--to", tmp_path / "p.sqlite", umask=umask).returncode == 0
    files = [out / f"{t}.parquet" for t in TABLES] + [out / "report.html", tmp_path / "p.sqlite"]
    assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == \
        {f.name: oct(0o666 & ~umask) for f in files}


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_cache_is_set_aside_with_a_warning_and_rebuilt(tmp_path: Path, small: Path, damage: str) -> None:
    out, listing = tmp_path / "out", listing_of(tmp_path, small)
    assert mine(listing, out).returncode == 0
    first = usages(out)
    cache = out / ".cache" / "facts.sqlite"
    if damage == "truncated":
        os.truncate(cache, 100)
    else:
        cache.write_bytes(bytes(range(256)) * 64)

    done = mine(listing, out)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "facts cache" in one_line_error(done, 0)
    assert usages(out) == first
    assert [p.name for p in cache.parent.glob("facts.sqlite.damaged-*")], "the damaged file is kept aside"
    with sqlite3.connect(cache) as db:
        assert db.execute("SELECT count(*) FROM facts").fetchone()[0] > 0, "the new cache is filled"


def test_an_out_that_is_a_file_or_cannot_be_created_is_one_line(tmp_path: Path, small: Path) -> None:
    listing = listing_of(tmp_path, small)
    a_file = tmp_path / "a-file"
    a_file.write_text("mine\n")
    assert "not a folder" in one_line_error(mine(listing, a_file))
    assert a_file.read_text() == "mine\n"
    # Below /proc no folder can be made, whoever runs the test (root ignores a 0555 mode).
    assert "cannot be written" in one_line_error(mine(listing, f"/proc/ptm-miner-test-{os.getpid()}/out"))


def test_a_full_disk_is_one_line_and_the_previous_tables_stay(tmp_path: Path, small: Path) -> None:
    out = tmp_path / "out"
    assert mine(listing_of(tmp_path, small), out).returncode == 0
    before = table_bytes(out)
    body = "".join(f"X{i} = 'padding line {i} of a larger file'\n" for i in range(4000))
    big = make_repo(tmp_path / "big", {f"m{i}.py": LOAD.format(f"org/m{i}") + body for i in range(8)})

    def small_disk() -> None:  # writes past 64 KiB fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    done = mine(listing_of(tmp_path, small, big), out, preexec_fn=small_disk)
    assert one_line_error(done).startswith("error: ")
    assert table_bytes(out) == before
    assert not list(out.glob(".*.tmp")), "no temporary table is left behind"


@pytest.mark.parametrize("broken", [b"[library\n", b"library = '\xff\xfe'\n"], ids=["toml", "utf8"])
def test_a_broken_pattern_file_is_one_line_naming_it(tmp_path: Path, small: Path, broken: bytes) -> None:
    """A copy of the project, whose patterns folder holds one broken file."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "miner", copy / "miner", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "patterns", copy / "patterns")
    (copy / "patterns" / "zz_broken.toml").write_bytes(broken)
    done = subprocess.run([sys.executable, "-c", "import sys; from miner.cli import main; sys.exit(main())",
                           "mine", "--repos", str(listing_of(tmp_path, small)), "--out", str(tmp_path / "out")],
                          cwd=copy, env=_env_importing(copy), capture_output=True, text=True, timeout=120)
    assert "zz_broken.toml" in one_line_error(done)
    assert not (tmp_path / "out" / "usages.parquet").exists()


def _env_importing(project: Path) -> dict[str, str]:
    """An environment in which `import miner` finds the package of `project`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    return {**env, "PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": "1"}


WAITS = {"parsing": lambda out, pid: cache_rows(out, "scans") > 100,
         "in git": lambda out, pid: _child_runs(pid, b"cat-file", b"ls-tree"),
         "starting workers": lambda out, pid: _worker_importing(pid)}


@pytest.mark.parametrize(("jobs", "when"), [("1", "parsing"), ("2", "parsing"), ("1", "in git"),
                                            ("2", "starting workers")])
def test_ctrl_c_keeps_the_previous_tables_and_exits_130(tmp_path: Path, small: Path, jobs: str, when: str) -> None:
    """Parsing in this process, or on the pool's workers, or as they start;
    or while git reads (a git call's watchdog timer must not hold the exit back)."""
    out = tmp_path / "out"
    assert mine(listing_of(tmp_path, small), out).returncode == 0
    before = table_bytes(out)
    files = {f"p{i // 100}/m{i}.py": "import os\n" + LOAD.format(f"org/m{i}") +
             "".join(f"def f{j}(x=os.environ.get('M', 'org/x{j}')):\n    return x\n" for j in range(30))
             for i in range(1500)}
    big = make_repo(tmp_path / "big", files)
    process = subprocess.Popen([sys.executable, "-m", "miner", "mine", "--repos", str(listing_of(tmp_path, big)),
                                "--out", str(out), "--jobs", jobs], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=_ctrl_c_as_in_a_terminal)
    while process.poll() is None and not WAITS[when](out, process.pid):
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: the whole foreground group
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted: previous tables kept" and "Traceback" not in stderr
    assert table_bytes(out) == before
    deadline = time.monotonic() + 60  # a liveness bound: the workers are ended with the run
    while session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert session_processes(process.pid) == []


def _ctrl_c_as_in_a_terminal() -> None:
    """A run started in the background by a shell (a CI runner) inherits SIGINT
    ignored; at a terminal it is not."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _worker_importing(pid: int) -> bool:
    """Whether a pool worker of `pid` has started: 50 ms after, it is still
    importing joblib, and must not die of a Ctrl-C with a traceback."""
    if not _child_runs(pid, b"popen_loky_posix"):
        return False
    time.sleep(0.05)
    return True


def _child_runs(pid: int, *words: bytes) -> bool:
    """Whether a child of `pid` has one of `words` in its command line (for
    git: to list or read a repository, not the `git --version` GitPython runs
    as it is imported)."""
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if any(word in command for word in words):
                return True
    return False


def test_rows_are_not_reused_when_the_usages_table_is_gone(tmp_path: Path, small: Path) -> None:
    out, listing = tmp_path / "out", listing_of(tmp_path, small)
    assert mine(listing, out).returncode == 0
    first = usages(out)
    (out / "usages.parquet").unlink()
    done = mine(listing, out)
    assert done.returncode == 0 and "not one complete set" in done.stderr
    assert usages(out) == first
    assert "unchanged since the last run" not in done.stdout, "nothing is reused from an incomplete set"
    again = mine(listing, out)
    assert "unchanged since the last run (rows reused, nothing read): 1" in again.stdout, "a whole set is reused"
    assert usages(out) == first


def test_tables_of_two_runs_mixed_are_not_reused(tmp_path: Path, small: Path) -> None:
    """As if a run were killed between the renames of its tables: its repos
    table is in place, the usages table is the one of the run before."""
    out, listing = tmp_path / "out", listing_of(tmp_path, small)
    assert mine(listing, out).returncode == 0
    old_usages = (out / "usages.parquet").read_bytes()
    commit(git.Repo(small), {"app.py": LOAD.format("org/new")})
    assert mine(listing, out).returncode == 0
    second = usages(out)
    assert ("org/new" in {u[3] for u in second}) and ("org/a" not in {u[3] for u in second})
    (out / "usages.parquet").write_bytes(old_usages)

    done = mine(listing, out)
    assert done.returncode == 0 and "not one complete set" in done.stderr
    assert usages(out) == second, "the repository at the same commit is resolved again, not read from old rows"


WRITE_ON_A_FULL_DISK = """
import resource, signal, sys
from pathlib import Path
import pyarrow as pa
from miner import tables
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
big = pa.table({"x": [f"row {i} " * 8 + str(i * 7919 % 104729) for i in range(20000)]})
small = pa.table({"x": ["y"]})
tables.write_generation(Path(sys.argv[1]), {"usages": small, "repo_models": small, "repos": small, "problems": big})
"""


def test_a_full_disk_while_the_tables_are_written_leaves_the_previous_set(tmp_path: Path, small: Path) -> None:
    """The fault in the table writer itself: the first three new tables are
    written in full, the fourth does not fit; none is put in place."""
    out = tmp_path / "out"
    assert mine(listing_of(tmp_path, small), out).returncode == 0
    before = table_bytes(out)
    done = subprocess.run([sys.executable, "-c", WRITE_ON_A_FULL_DISK, str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0 and "File too large" in done.stderr
    assert table_bytes(out) == before
    assert not list(out.glob(".*.tmp"))
