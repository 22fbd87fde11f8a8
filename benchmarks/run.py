"""The benchmark harness: `make bench`, or `python -m benchmarks.run [--size small|full]`.

On the corpus of `benchmarks.corpus`, in one run on one machine, it measures

- the corpus (repositories, `.py` files, MB);
- an I/O floor: `rg -l` (if installed) and `grep -rlF` for the registry's keywords;
- the prefilter: the miner's own (`discover.Prefilter`, one Aho-Corasick pass
  for the same keywords) over the git blobs (read through `git cat-file --batch`);
- a parse floor: a bare tree-sitter parse of exactly the prefiltered files, in
  1 process and in 2 (joblib loky, batches of ~2 MB);
- the miner itself, run as the CLI in a subprocess: a cold run with 2 jobs and
  with 1 job (the fastest of `--repeat` each), the 2-job cold run of the code
  at `--baseline` (a commit: by default the one before issue 14's cross-file
  reach) alternated with more of the code measured, an unchanged re-run, a re-run
  after a one-file commit, and the peak memory of the process tree (PSS summed
  over the CLI and its workers, sampled from /proc) at the small and the full size;
- the honest floor (`benchmarks.floor`: read + prefilter + a parse of every
  file the cold mine parsed) and the share of the cold mine spent resolving;
- the slowest repositories mined alone, against their own honest floors, and
  1,000 generated small repositories, per repository (`benchmarks.scaling`);
- Semgrep CE with one `from_pretrained` rule, if `semgrep` is on PATH;

and prints a Markdown table of figures and same-run ratios, each target flagged
met or missed, also written to `benchmarks/results.md`. Timings are wall-clock
seconds on a shared machine: the ratios are what to compare across machines,
and the load average at both ends of the run says whether something else ran.
Every mine runs a copy of `miner/` and `patterns/` taken at the start, so an
edit made to the work tree meanwhile does not change the code under test.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import git

from benchmarks import corpus as corpus_mod
from benchmarks import floor as floor_mod
from benchmarks import scaling
from miner import discover
from miner.patterns import default_registry
from miner.records import FileKind

RESULTS = Path(__file__).resolve().parent / "results.md"
ROOT = Path(__file__).resolve().parent.parent
JOBS = 2
BATCH_BYTES = 2 * 1024 * 1024  # the miner's batch size, for the parallel parse floor
SAMPLE_S = 0.05  # memory sampling period
SLOWEST = 5  # repositories reported alone
# The code before issue 14's cross-file reach: its cold mine is the reference of
# that cost target (no more than 15% more cold-mine time).
BASELINE = "e1e8d70"
BASELINE_TARGET = 1.15
GiB = 1024 ** 3
MB = 1e6
_SUMMARY = {
    "repos": re.compile(r"repositories: (\d+) ok, (\d+) failed"),
    "reused": re.compile(r"unchanged since the last run[^:]*: (\d+)"),
    "files": re.compile(r"files: (\d+) seen, (\d+) parsed, (\d+) from cache"),
    "usages": re.compile(r"usages: (\d+), distinct \(repo, model\) pairs: (\d+)"),
}
_SEMGREP_RULE = """\
rules:
  - id: from-pretrained
    languages: [python]
    severity: INFO
    message: loads a pre-trained model
    pattern: $X.from_pretrained(...)
"""


# --- records ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table."""

    measure: str
    value: str
    detail: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None  # None: no target

    @property
    def status(self) -> str:
        return "" if self.met is None else ("met" if self.met else "**missed**")


@dataclass(frozen=True, slots=True)
class Blob:
    repo: Path
    path: str
    data: bytes


@dataclass(frozen=True, slots=True)
class PrefilterResult:
    files: int  # Python and notebook files read
    bytes: int
    passing: tuple[Blob, ...]
    read_s: float
    search_s: float

    @property
    def passing_bytes(self) -> int:
        return sum(len(b.data) for b in self.passing)


@dataclass(slots=True)
class MineRun:
    """One CLI run: wall time, its summary line, and memory."""

    seconds: float
    returncode: int
    cpu_s: float = 0.0  # user + system, the process and its waited-for children
    seen: int = 0
    parsed: int = 0
    cached: int = 0
    usages: int = 0
    pairs: int = 0
    repos_ok: int = 0
    repos_failed: int = 0
    reused: int = 0  # repositories unchanged since the last run, rows reused
    max_rss: int = 0  # bytes: the largest single process (wait4 ru_maxrss)
    peak_tree_pss: int = 0  # bytes: the largest sampled PSS sum over the process tree
    peak_main_rss: int = 0  # bytes: the largest RSS sample of the CLI process alone
    processes_at_peak: int = 0
    output: str = ""


@dataclass(slots=True)
class Results:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *rows: Row) -> None:
        self.rows.extend(rows)


# --- small helpers ---------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def best_of(n: int, fn: Callable[[], object]) -> tuple[float, object]:
    """The fastest of `n` runs (and its result): the floor measures."""
    runs = [timed(fn) for _ in range(max(1, n))]
    return min(runs, key=lambda r: r[0])


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def fmt_bytes(n: int) -> str:
    return f"{n / MB:.1f} MB"


def fmt_ratio(x: float) -> str:
    return f"{x:.2f}x" if x >= 0.1 else f"{x * 100:.1f}%"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- corpus ----------------------------------------------------------------


def work_tree_files(repo: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            yield Path(dirpath) / name


def corpus_rows(c: corpus_mod.Corpus) -> list[Row]:
    py_files = py_bytes = all_files = all_bytes = 0
    for repo in c.repos:
        for path in work_tree_files(repo):
            size = path.stat().st_size
            all_files += 1
            all_bytes += size
            if path.suffix == ".py":
                py_files += 1
                py_bytes += size
    return [
        Row(f"corpus ({c.size})", f"{len(c.repos)} repos",
            f"{py_files} .py files, {fmt_bytes(py_bytes)}; all files {all_files}, {fmt_bytes(all_bytes)}"
            + (f"; {len(c.skipped)} pins skipped" if c.skipped else "")),
    ]


# --- I/O floor -------------------------------------------------------------


def search_commands(roots: Sequence[Path], keywords: Iterable[str]) -> list[tuple[str, list[str]]]:
    """(name, argv) of the keyword searches available: rg if installed, grep always."""
    kws = [arg for k in sorted(keywords) for arg in ("-e", k)]
    dirs = [str(r) for r in roots]
    commands = []
    if shutil.which("rg"):
        commands.append(("rg", ["rg", "-l", "-F", "--no-ignore", "--hidden", "-g", "*.py", "-g", "*.pyw",
                                "-g", "*.ipynb", "-g", "!.git", *kws, *dirs]))
    commands.append(("grep", ["grep", "-rlF", "--include=*.py", "--include=*.pyw", "--include=*.ipynb",
                              "--exclude-dir=.git", *kws, *dirs]))
    return commands


def run_search(argv: list[str]) -> int:
    """Files listed by a search command (exit 1, no match, is not an error)."""
    proc = subprocess.run(argv, capture_output=True)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {proc.stderr[:300]!r}")
    return len(proc.stdout.splitlines())


def io_floor_rows(roots: Sequence[Path], keywords: frozenset[str], mb: float) -> tuple[list[Row], float]:
    rows, fastest = [], float("inf")
    for name, argv in search_commands(roots, keywords):
        seconds, count = best_of(3, lambda: run_search(argv))
        fastest = min(fastest, seconds)
        rows.append(Row(f"I/O floor: {name} -l ({len(keywords)} keywords)", fmt_s(seconds),
                        f"{count} files contain a keyword; {mb / seconds:.0f} MB/s of .py, best of 3"))
    return rows, fastest


# --- prefilter over git blobs ----------------------------------------------


def list_blobs(repo: Path) -> list[tuple[str, str, FileKind]]:
    """(blob id, path, kind) of the Python and notebook files at HEAD, as the
    miner selects them (kind by path, at most the default size)."""
    out = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "-l", "-z", "--full-tree", "HEAD"],
                         capture_output=True, check=True).stdout
    found = []
    for record in out.split(b"\0"):
        meta, _, raw = record.partition(b"\t")
        fields = meta.split()
        if len(fields) != 4 or fields[1] != b"blob" or fields[0] == b"120000":
            continue
        path = raw.decode("utf-8", "backslashreplace")
        kind = discover.file_kind(path)
        if kind in (FileKind.PYTHON, FileKind.NOTEBOOK) and int(fields[3]) <= discover.DEFAULT_MAX_BYTES:
            found.append((fields[2].decode(), path, kind))
    return found


def read_blobs(repo: Path, ids: Sequence[str]) -> list[bytes]:
    """The contents of `ids`, through one pipelined `git cat-file --batch`."""
    proc = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def feed() -> None:
        proc.stdin.write("".join(f"{i}\n" for i in ids).encode())
        proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    blobs = []
    for _ in ids:
        header = proc.stdout.readline().split()
        size = int(header[2])
        blobs.append(proc.stdout.read(size))
        proc.stdout.read(1)
    writer.join()
    proc.stdout.close()
    proc.wait()
    return blobs


def prefilter(repos: Sequence[Path], prefilter_: discover.Prefilter) -> PrefilterResult:
    read_s = search_s = 0.0
    files = size = 0
    passing: list[Blob] = []
    for repo in repos:
        t0 = time.perf_counter()
        listed = list_blobs(repo)
        contents = read_blobs(repo, [b for b, _, _ in listed])
        t1 = time.perf_counter()
        for (_, path, kind), data in zip(listed, contents):
            if prefilter_.wants(kind, data):
                passing.append(Blob(repo, path, data))
        search_s += time.perf_counter() - t1
        read_s += t1 - t0
        files += len(listed)
        size += sum(len(d) for d in contents)
    return PrefilterResult(files, size, tuple(passing), read_s, search_s)


def prefilter_rows(result: PrefilterResult) -> list[Row]:
    total = result.read_s + result.search_s
    return [Row("prefilter: Aho-Corasick over git blobs", fmt_s(total),
                f"{len(result.passing)} of {result.files} .py/.ipynb files pass, "
                f"{fmt_bytes(result.passing_bytes)} of {fmt_bytes(result.bytes)}; "
                f"read {fmt_s(result.read_s)} + search {fmt_s(result.search_s)}")]


# --- parse floor -----------------------------------------------------------

_PARSER = None


def _parser():
    global _PARSER
    if _PARSER is None:
        import tree_sitter
        import tree_sitter_python

        _PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))
    return _PARSER


def parse_batch(batch: Sequence[bytes]) -> int:
    """Parse each source with tree-sitter; the number of trees with errors."""
    parser = _parser()
    return sum(parser.parse(data).root_node.has_error for data in batch)


def batches(datas: Sequence[bytes], limit: int = BATCH_BYTES) -> list[list[bytes]]:
    """Batches of about `limit` bytes, largest sources first (as the miner does)."""
    out: list[list[bytes]] = []
    current: list[bytes] = []
    size = 0
    for data in sorted(datas, key=len, reverse=True):
        current.append(data)
        size += len(data)
        if size >= limit:
            out.append(current)
            current, size = [], 0
    if current:
        out.append(current)
    return out


def parse_floor(datas: Sequence[bytes], jobs: int) -> float:
    """Seconds to parse `datas` in `jobs` processes (workers started beforehand)."""
    if jobs == 1:
        _parser()
        seconds, _ = timed(lambda: parse_batch(datas))
        return seconds
    from joblib import Parallel, delayed

    # Under `python -m benchmarks.run` this module is __main__, which loky would
    # pickle by value; the importable copy is sent by reference.
    work = importlib.import_module("benchmarks.run").parse_batch
    with Parallel(n_jobs=jobs, backend="loky", batch_size=1) as parallel:
        parallel(delayed(work)([b"x = 1\n"]) for _ in range(jobs))  # start workers, import, warm
        split = batches(datas)
        seconds, _ = timed(lambda: parallel(delayed(work)(b) for b in split))
    return seconds


def parse_floor_rows(result: PrefilterResult) -> tuple[list[Row], dict[int, float]]:
    datas = [b.data for b in result.passing]
    mb = result.passing_bytes / MB
    floors = {jobs: parse_floor(datas, jobs) for jobs in (1, JOBS)}
    rows = [Row(f"parse floor: tree-sitter, {jobs} process{'es' if jobs > 1 else ''}", fmt_s(s),
                f"{len(datas)} prefiltered files, {len(datas) / s:.0f} files/s, {mb / s:.1f} MB/s",
                fmt_ratio(floors[1] / s) + " speed-up" if jobs > 1 else "")
            for jobs, s in floors.items()]
    return rows, floors


# --- running the miner -----------------------------------------------------


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    return kids


def _statm(pid: int) -> tuple[int, ...]:
    """/proc/PID/statm in pages: size, resident, shared, text, lib, data, dirty."""
    with open(f"/proc/{pid}/statm") as fh:
        return tuple(int(x) for x in fh.read().split())


def _pss(pid: int, rss: int) -> int:
    """Proportional set size: shared pages divided among their sharers, so the
    sum over processes is not inflated by copy-on-write pages after a fork
    (RSS where the kernel has no smaps_rollup)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    return rss


def _same_space(child: tuple[int, ...], parent: tuple[int, ...]) -> bool:
    """Whether a child's statm is its parent's: total and resident pages within
    1% (the parent's other threads may map memory between the two reads)."""
    return all(abs(child[i] - parent[i]) <= parent[i] // 100 for i in (0, 1))


def tree_memory(root: int) -> dict[int, tuple[int, int]]:
    """(RSS, PSS) in bytes of `root` and of each of its descendants, by pid.

    A child between fork and exec is skipped when its address space is still
    its parent's: Python starts subprocesses with vfork, whose child shares the
    parent's memory outright (PSS cannot split it), so counting it would count
    the parent twice. It is recognised by a statm equal to its parent's (see
    `_same_space`)."""
    page = os.sysconf("SC_PAGE_SIZE")
    found: dict[int, tuple[int, int]] = {}
    stack: list[tuple[int, tuple[int, ...] | None]] = [(root, None)]
    while stack:
        pid, parent = stack.pop()
        if pid in found:
            continue
        try:
            statm = _statm(pid)
            if parent is not None and _same_space(statm, parent):
                continue  # the parent's own memory, about to be replaced by exec
            rss = statm[1] * page
            found[pid] = (rss, _pss(pid, rss))
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
        stack.extend((child, statm) for child in _children(pid))
    return found


class TreeSampler(threading.Thread):
    """Samples the memory of a process tree until stopped. Keeps the peak of the
    PSS sum over the tree and the peak RSS of the root process alone."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.root_peak = 0
        self.processes_at_peak = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(SAMPLE_S):
            sample = tree_memory(self.pid)
            self.root_peak = max(self.root_peak, sample.get(self.pid, (0, 0))[0])
            total = sum(pss for _, pss in sample.values())
            if total > self.peak:
                self.peak, self.processes_at_peak = total, len(sample)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def snapshot_code(scratch: Path) -> Path:
    """A copy of `miner/` and `patterns/` as they are now, run by every mine of
    the bench: an edit made to the work tree while the bench runs would
    otherwise change the code between runs (and the facts cache's version)."""
    dest = scratch / "src"
    for name in ("miner", "patterns"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def snapshot_commit(scratch: Path, rev: str) -> Path:
    """`miner/` and `patterns/` as they were at commit `rev` (git archive)."""
    dest = scratch / f"src-{rev}"
    dest.mkdir(parents=True)
    with tempfile.TemporaryFile() as tar:
        git.Repo(ROOT).archive(tar, treeish=rev, path=["miner", "patterns"])
        tar.seek(0)
        with tarfile.open(fileobj=tar) as archive:
            archive.extractall(dest, filter="data")
    return dest


def code_version() -> str:
    """The commit of the work tree, and whether miner/ or patterns/ differ from it."""
    try:
        repo = git.Repo(ROOT)
        dirty = repo.is_dirty(untracked_files=True, path="miner") or repo.is_dirty(untracked_files=True, path="patterns")
        return repo.head.commit.hexsha[:10] + (" + uncommitted changes" if dirty else "")
    except (git.GitError, ValueError):
        return "unknown"


def run_mine(list_file: Path, out: Path, jobs: int, code: Path) -> MineRun:
    """Run the CLI from the code snapshot `code`; wall time, summary, CPU time
    and memory (wait4's rusage covers the process and the descendants it
    waited for)."""
    cmd = [sys.executable, "-m", "miner", "mine", "--repos", str(list_file.resolve()), "--out", str(out),
           "--jobs", str(jobs)]
    with tempfile.TemporaryFile() as sink:
        start = time.perf_counter()
        # PYTHONPATH too: the workers start with the working folder off their path
        # (PYTHONSAFEPATH), and would import the installed (editable) work tree.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(code), os.environ.get("PYTHONPATH"))))}
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=code, env=env)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
        sink.seek(0)
        output = sink.read().decode("utf-8", "replace")
    run = MineRun(seconds, proc.returncode, cpu_s=usage.ru_utime + usage.ru_stime, max_rss=usage.ru_maxrss * 1024,
                  peak_tree_pss=sampler.peak, peak_main_rss=sampler.root_peak,
                  processes_at_peak=sampler.processes_at_peak, output=output)
    _read_summary(run)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"mine failed ({proc.returncode}):\n{output[-2000:]}")
    return run


def _read_summary(run: MineRun) -> None:
    if m := _SUMMARY["repos"].search(run.output):
        run.repos_ok, run.repos_failed = int(m[1]), int(m[2])
    if m := _SUMMARY["reused"].search(run.output):
        run.reused = int(m[1])
    if m := _SUMMARY["files"].search(run.output):
        run.seen, run.parsed, run.cached = int(m[1]), int(m[2]), int(m[3])
    if m := _SUMMARY["usages"].search(run.output):
        run.usages, run.pairs = int(m[1]), int(m[2])


def best_mine(list_file: Path, jobs: int, repeat: int, scratch: Path, code: Path,
              label: str) -> tuple[MineRun, Path]:
    """The fastest of `repeat` cold runs, each into a fresh --out; its folder."""
    best: tuple[MineRun, Path] | None = None
    for i in range(max(1, repeat)):
        out = scratch / f"{label}-{i}"
        shutil.rmtree(out, ignore_errors=True)
        log(f"cold mine, {jobs} job(s), run {i + 1}/{repeat}")
        run = run_mine(list_file, out, jobs, code)
        if best is None or run.seconds < best[0].seconds:
            best = (run, out)
    assert best is not None
    return best


def parsed_by_kind(out: Path) -> dict[str, int]:
    """Facts the run stored, by file kind, read from the facts cache of `out`
    (informational: an empty dict if the cache's layout is not the expected one)."""
    path = out / ".cache" / "facts.sqlite"
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return dict(db.execute("SELECT kind, count(*) FROM facts GROUP BY kind ORDER BY 2 DESC").fetchall())
    except sqlite3.Error:
        return {}


def mine_detail(run: MineRun, mb: float) -> str:
    return (f"{run.seen} files seen, {run.parsed} parsed, {run.cached} from cache; CPU {fmt_s(run.cpu_s)} "
            f"({run.cpu_s / run.seconds:.2f} cores busy); "
            f"{run.parsed / run.seconds:.0f} files/s parsed, {mb / run.seconds:.1f} MB/s of .py; "
            f"{run.usages} usages, {run.pairs} (repo, model) pairs")


# --- the one-file change ----------------------------------------------------


def pick_change(passing: Sequence[Blob]) -> Blob:
    """A prefiltered .py file that contains `from_pretrained`, from the
    repository with the fewest such files (a typical small edit)."""
    candidates = [b for b in passing if b.path.endswith(".py") and b"from_pretrained" in b.data]
    if not candidates:
        raise RuntimeError("no .py file of the corpus contains from_pretrained")
    per_repo: dict[Path, int] = {}
    for b in candidates:
        per_repo[b.repo] = per_repo.get(b.repo, 0) + 1
    repo = min(per_repo, key=lambda r: (per_repo[r], str(r)))
    return min((b for b in candidates if b.repo == repo), key=lambda b: b.path)


def commit_change(blob: Blob) -> str:
    """Append a line to the file and commit; the commit it replaced."""
    repo = git.Repo(blob.repo)
    before = repo.head.commit.hexsha
    target = blob.repo / blob.path
    target.write_bytes(blob.data + b"\n# ptm-miner benchmark: one-file change\n")
    repo.index.add([blob.path])
    repo.index.commit("benchmark: one-file change", author=corpus_mod.ACTOR, committer=corpus_mod.ACTOR)
    return before


def undo_change(blob: Blob, before: str) -> None:
    git.Repo(blob.repo).head.reset(before, index=True, working_tree=True)


# --- Semgrep ---------------------------------------------------------------


def semgrep_rows(roots: Sequence[Path], scratch: Path, cold: MineRun) -> list[Row]:
    """Semgrep CE over the same repositories with one rule, if installed."""
    name = "Semgrep CE, one `from_pretrained` rule"
    exe = shutil.which("semgrep")
    if exe is None:
        return [Row(name, "skipped", "`semgrep` is not on PATH")]
    rule = scratch / "semgrep-rule.yaml"
    rule.write_text(_SEMGREP_RULE, encoding="utf-8")
    cmd = [exe, "scan", "--config", str(rule), "--metrics=off", "--disable-version-check", "--quiet", "--json",
           "--no-git-ignore", "--jobs", str(JOBS), "--max-target-bytes", str(discover.DEFAULT_MAX_BYTES),
           "--timeout", "0", *map(str, roots)]
    env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    seconds, proc = timed(lambda: subprocess.run(cmd, capture_output=True, text=True, env=env))
    try:
        report = json.loads(proc.stdout)
        detail = (f"{len(report.get('results', []))} findings in {len(report.get('paths', {}).get('scanned', []))} "
                  f"files scanned, {len(report.get('errors', []))} errors; `semgrep --version` "
                  + subprocess.run([exe, "--version"], capture_output=True, text=True, env=env).stdout.strip())
    except ValueError:
        detail = f"exit {proc.returncode}: {proc.stderr.strip()[-200:]}"
    speed_up = seconds / cold.seconds
    return [Row(name, fmt_s(seconds), detail, fmt_ratio(speed_up) + f" of cold mine ({JOBS} jobs)",
                target="≥ 3x of cold mine", met=speed_up >= 3)]


# --- the machine -----------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_rows() -> list[Row]:
    import tree_sitter

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return [Row("machine", f"{cpus} cores, {cpu_model()}",
                f"Python {platform.python_version()}, {git_version}, tree-sitter "
                f"{getattr(tree_sitter, '__version__', '?')}, rg {'yes' if shutil.which('rg') else 'no'}")]


# --- the table ---------------------------------------------------------------


def markdown(results: Results, title: str) -> str:
    head = ["measure", "value", "detail", "ratio", "target", "status"]
    lines = [f"# {title}", "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in results.rows:
        cells = [r.measure, r.value, r.detail, r.ratio, r.target, r.status]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    met = [r for r in results.rows if r.met is not None]
    lines += ["", f"Targets met: {sum(r.met for r in met)} of {len(met)}."]
    lines += [f"- {note}" for note in results.notes]
    return "\n".join(lines) + "\n"


# --- the run ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Context:
    """What every phase of a bench needs."""

    corpus: corpus_mod.Corpus
    code: Path  # the code snapshot the mines run
    scratch: Path
    repeat: int
    py_mb: float


def bench(size: str, repeat: int, scratch: Path, baseline: str = BASELINE) -> Results:
    results = Results()
    version = code_version()  # of the code as the snapshot takes it, not as it is at the end
    code = snapshot_code(scratch)
    registry = default_registry(str(code / "patterns"))
    log(f"building the corpus ({size})")
    c = corpus_mod.build(size, log=log)
    py_mb = sum(p.stat().st_size for r in c.repos for p in work_tree_files(r) if p.suffix == ".py") / MB
    ctx = Context(c, code, scratch, repeat, py_mb)
    load_before = os.getloadavg()[0]
    results.add(*machine_rows(), *corpus_rows(c))
    results.notes += [f"pin skipped: {spec}: {why}" for spec, why in c.skipped.items()]

    log("I/O floor")
    rows, _ = io_floor_rows(c.repos, registry.keywords, py_mb)
    results.add(*rows)
    log("prefilter")
    pf = discover.Prefilter.build(registry)
    pre = prefilter(c.repos, pf)
    results.add(*prefilter_rows(pre))
    log("parse floor")
    rows, floors = parse_floor_rows(pre)
    results.add(*rows)

    cold2, out2, cold1 = cold_phase(ctx, floors, pre, results)
    if baseline:
        baseline_phase(ctx, cold2, baseline, results)
    log("honest floor and resolution time")
    per_repo = honest_floor_phase(ctx, registry, pf, cold2, cold1, out2, results)
    slowest_phase(ctx, per_repo, results)
    many_phase(ctx, results)
    incremental_phase(ctx, cold2, out2, pre, results)
    results.add(*memory_rows(ctx, cold2))
    log("semgrep")
    results.add(*semgrep_rows(c.repos, scratch, cold2))
    results.notes.append(f"code measured: {version} (copied at the start of the bench); "
                         f"load average (1 min) {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end "
                         f"on {os.cpu_count()} cores: anything above 0 is another process sharing the machine")
    return results


def cold_phase(ctx: Context, floors: dict[int, float], pre: PrefilterResult,
               results: Results) -> tuple[MineRun, Path]:
    """Cold mines with JOBS jobs and with 1; the JOBS-job run and its --out."""
    cold2, out2 = best_mine(ctx.corpus.list_file, JOBS, ctx.repeat, ctx.scratch, ctx.code, "cold2")
    ratio = cold2.seconds / floors[JOBS]
    results.add(Row(f"cold mine, {JOBS} jobs", fmt_s(cold2.seconds), mine_detail(cold2, ctx.py_mb),
                    fmt_ratio(ratio) + f" of parse floor ({JOBS} proc.)"))
    cold1, _ = best_mine(ctx.corpus.list_file, 1, ctx.repeat, ctx.scratch, ctx.code, "cold1")
    speedup = cold1.seconds / cold2.seconds
    results.add(Row("cold mine, 1 job", fmt_s(cold1.seconds),
                    mine_detail(cold1, ctx.py_mb) + f"; for comparison, the parse floor's speed-up in this run "
                    f"(the parallelism the machine gave): {fmt_ratio(floors[1] / floors[JOBS])}",
                    fmt_ratio(speedup) + f" speed-up 1 → {JOBS} jobs", "≥ 1.7x", speedup >= 1.7))
    if cold2.parsed != len(pre.passing):
        kinds = ", ".join(f"{k} {n}" for k, n in parsed_by_kind(out2).items())
        results.notes.append(
            f"the cold mine parsed {cold2.parsed} files where the prefilter passes {len(pre.passing)} .py/.ipynb "
            f"files (facts stored by kind: {kinds or 'unknown'}): it also reads shell, config and Markdown files, "
            "and Python files importing or imported by prefiltered ones; the parse floor covers only the "
            "prefiltered .py/.ipynb files")
    return cold2, out2, cold1


def baseline_phase(ctx: Context, cold: MineRun, rev: str, results: Results) -> None:
    """Cold mines with JOBS jobs of the code at commit `rev` on the same corpus,
    alternated with as many more of the code measured (so that both see the
    same load); the fastest of each, and the ratio."""
    try:
        code = snapshot_commit(ctx.scratch, rev)
    except (git.GitError, ValueError, tarfile.TarError) as exc:
        results.notes.append(f"baseline {rev} skipped: its code could not be taken from git: "
                             + " ".join(str(exc).split())[:300])
        return
    then: list[MineRun] = []
    now = [cold]
    for i in range(max(1, ctx.repeat)):
        for label, src, runs in (("baseline", code, then), ("cold2-again", ctx.code, now)):
            log(f"cold mine, {JOBS} jobs, {label} run {i + 1}/{ctx.repeat}")
            out = ctx.scratch / f"{label}-{i}"
            runs.append(run_mine(ctx.corpus.list_file, out, JOBS, src))
            shutil.rmtree(out, ignore_errors=True)
    base, best = min(then, key=lambda r: r.seconds), min(now, key=lambda r: r.seconds)
    ratio = best.seconds / base.seconds
    results.add(Row(f"cold mine, {JOBS} jobs, against {rev}", fmt_s(best.seconds),
                    f"{rev}: {fmt_s(base.seconds)}, fastest of {len(then)} alternated with {len(now) - 1} more of "
                    f"the code measured (fastest of {len(now)}); CPU {fmt_s(best.cpu_s)} against "
                    f"{fmt_s(base.cpu_s)} ({fmt_ratio(best.cpu_s / base.cpu_s)}); {best.parsed} files parsed against "
                    f"{base.parsed}; {best.usages} usages against {base.usages}, {best.pairs} (repo, model) pairs "
                    f"against {base.pairs}",
                    fmt_ratio(ratio) + f" of {rev}", f"≤ {BASELINE_TARGET}x", ratio <= BASELINE_TARGET))


def honest_floor_phase(ctx: Context, registry, pf: discover.Prefilter, cold2: MineRun, cold1: MineRun,
                       out: Path, results: Results) -> list[tuple[floor_mod.RepoFloor, float]]:
    """The honest floor in 1 and JOBS processes, the cold mine against it, and
    the resolution share; each repository's (floor, resolution seconds)."""
    mined = floor_mod.mined_keys(out)
    per_repo = [floor_mod.repo_floor(r, mined, pf, read_blobs) for r in ctx.corpus.repos]
    resolve_s = floor_mod.resolution_seconds(ctx.corpus.repos, out, registry)
    floors = {jobs: floor_mod.floor_seconds(per_repo, parse_floor, jobs) for jobs in (1, JOBS)}
    parsed = sum(f.parsed_files for f in per_repo)
    for jobs, seconds in floors.items():
        results.add(Row(f"honest floor, {jobs} process{'es' if jobs > 1 else ''}", fmt_s(seconds),
                        f"read {fmt_s(sum(f.read_s for f in per_repo))} + prefilter "
                        f"{fmt_s(sum(f.prefilter_s for f in per_repo))} (one process"
                        f"{'; counted as perfectly parallel' if jobs > 1 else ''}) + tree-sitter parse of the "
                        f"{sum(len(f.parse_sources) for f in per_repo)} Python/notebook sources among the {parsed} "
                        f"files the cold mine parsed ({fmt_bytes(sum(f.bytes for f in per_repo))})"))
    ratio = cold2.seconds / floors[JOBS]
    results.add(Row(f"cold mine, {JOBS} jobs / honest floor", fmt_s(cold2.seconds), f"stretch target 1.2x",
                    fmt_ratio(ratio) + f" of honest floor ({JOBS} proc.)", "≤ 1.5x", ratio <= 1.5))
    total = sum(resolve_s.values())
    share = total / cold1.seconds
    slow = sorted(resolve_s.items(), key=lambda kv: -kv[1])[:3]
    results.add(Row("resolution share of the cold mine", fmt_s(total),
                    f"resolve_repo over the cold mine's cached facts, one process, against the 1-job cold mine "
                    f"({fmt_s(cold1.seconds)}); most: " + ", ".join(f"{p.name} {fmt_s(s)}" for p, s in slow),
                    f"{share:.1%} of cold (1 job)", "≤ 20%", share <= 0.20))
    return [(f, resolve_s[f.repo]) for f in per_repo]


def slowest_phase(ctx: Context, per_repo: list[tuple[floor_mod.RepoFloor, float]], results: Results) -> None:
    """The repositories with the most work, each mined alone (cold, JOBS jobs)
    against its own honest floor; the largest also with 1 job."""
    def work(item: tuple[floor_mod.RepoFloor, float]) -> float:
        f, resolve = item
        return f.read_s + f.prefilter_s + f.bytes / 20e6 + resolve  # ~20 MB/s: the one-process parse rate

    candidates = sorted(per_repo, key=work, reverse=True)[:SLOWEST + 2]
    timed_runs = []
    for f, _ in candidates:
        log(f"alone: {f.repo.name}")
        list_file = ctx.scratch / f"alone-{f.repo.name}.txt"
        list_file.write_text(f"{f.repo}\n", encoding="utf-8")
        out = ctx.scratch / f"alone-{f.repo.name}"
        shutil.rmtree(out, ignore_errors=True)
        run = run_mine(list_file, out, JOBS, ctx.code)
        own = floor_mod.floor_seconds([f], parse_floor, JOBS)
        timed_runs.append((run, f, own, list_file))
    timed_runs.sort(key=lambda t: -t[0].seconds)
    for run, f, own, _ in timed_runs[:SLOWEST]:
        ratio = run.seconds / own
        results.add(Row(f"alone: {f.repo.name}", fmt_s(run.seconds),
                        f"{run.parsed} files parsed, {run.usages} usages; its honest floor {fmt_s(own)} ({JOBS} proc.)",
                        fmt_ratio(ratio) + " of its floor", "≤ 2x", ratio <= 2.0))
    run2, f, _, list_file = timed_runs[0]
    out = ctx.scratch / f"alone1-{f.repo.name}"
    run1 = run_mine(list_file, out, 1, ctx.code)
    speedup = run1.seconds / run2.seconds
    results.add(Row(f"one large repository, 1 → {JOBS} jobs", fmt_s(run1.seconds),
                    f"{f.repo.name} alone: {fmt_s(run1.seconds)} with 1 job, {fmt_s(run2.seconds)} with {JOBS}",
                    fmt_ratio(speedup) + " speed-up", "≥ 1.7x", speedup >= 1.7))


def many_phase(ctx: Context, results: Results) -> None:
    """Per-repository cost over many tiny repositories, cold and unchanged."""
    list_file = scaling.many_repos(corpus_mod.CACHE, log=log)
    count = scaling.MANY
    out = ctx.scratch / "many"
    log(f"{count} small repositories, cold")
    cold = run_mine(list_file, out, JOBS, ctx.code)
    log(f"{count} small repositories, unchanged")
    again = run_mine(list_file, out, JOBS, ctx.code)
    for label, run, target in (("cold", cold, 6.0), ("unchanged", again, 1.0)):
        per = run.seconds / count * 1000
        results.add(Row(f"{count} small repositories, {label}", fmt_s(run.seconds),
                        f"{run.repos_ok} ok, {run.repos_failed} failed, {run.reused} reused; {run.usages} usages",
                        f"{per:.1f} ms per repository", f"≤ {target:g} ms", per <= target))


def incremental_phase(ctx: Context, cold: MineRun, out: Path, pre: PrefilterResult, results: Results) -> None:
    """An unchanged re-run over the cold run's --out, then one after a one-file commit."""
    log("unchanged re-run")
    again = run_mine(ctx.corpus.list_file, out, JOBS, ctx.code)
    ratio = again.seconds / cold.seconds
    results.add(Row("unchanged re-run (same --out)", fmt_s(again.seconds),
                    f"{again.reused} of {again.repos_ok} repos reused unchanged; {again.parsed} parsed, "
                    f"{again.cached} from cache; CPU {fmt_s(again.cpu_s)}",
                    fmt_ratio(ratio) + " of cold", "≤ 5%", ratio <= 0.05))
    change = pick_change(pre.passing)
    log(f"one-file change: {change.repo.name}/{change.path}")
    before = commit_change(change)
    try:
        changed = run_mine(ctx.corpus.list_file, out, JOBS, ctx.code)
    finally:
        undo_change(change, before)
    ratio = changed.seconds / again.seconds
    results.add(Row("one-file change, re-run", fmt_s(changed.seconds),
                    f"{change.repo.name}/{change.path}; {changed.reused} of {changed.repos_ok} repos reused "
                    f"unchanged; {changed.parsed} parsed, {changed.cached} from cache",
                    fmt_ratio(ratio) + " of unchanged re-run", "≤ 2x", ratio <= 2.0))


def memory_rows(ctx: Context, cold: MineRun) -> list[Row]:
    runs = {ctx.corpus.size: cold}
    if ctx.corpus.size != "small":
        log("cold mine of the small corpus, for memory")
        small = corpus_mod.build("small", log=log)
        runs["small"] = run_mine(small.list_file, ctx.scratch / "small", JOBS, ctx.code)
    rows = []
    for name in sorted(runs, key=corpus_mod.SIZES.index):
        run = runs[name]
        rows.append(Row(f"peak memory, {name} corpus ({JOBS} jobs)", f"{run.peak_tree_pss / 2**20:.0f} MiB",
                        f"peak PSS sum over the process tree ({run.processes_at_peak} processes), sampled every "
                        f"{SAMPLE_S * 1000:.0f} ms; main process alone {run.peak_main_rss / 2**20:.0f} MiB RSS; "
                        f"largest single process {run.max_rss / 2**20:.0f} MiB (wait4 ru_maxrss); {run.seen} files seen, "
                        f"{fmt_s(run.seconds)}",
                        "", "< 1 GiB", max(run.peak_tree_pss, run.max_rss) < GiB))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=corpus_mod.SIZES, default="full",
                        help="corpus size for the timings (memory is also measured at the small size)")
    parser.add_argument("--repeat", type=int, default=2, help="cold mines per job count; the fastest is kept")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the Markdown table")
    parser.add_argument("--baseline", default=BASELINE,
                        help="a commit whose cold mine the code measured is compared with ('' for none)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ptm-bench-") as tmp:
        results = bench(args.size, args.repeat, Path(tmp), args.baseline)
    table = markdown(results, f"ptm-miner benchmark ({args.size} corpus)")
    print(table)
    args.results.write_text(table, encoding="utf-8")
    log(f"written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
