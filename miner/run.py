"""The mining run: repositories in, tables out.

For each group of repositories: open each one (clone or fetch), list its files,
read and prefilter the candidates, take cached facts where the blob was seen
before, extract the rest in parallel (the one parallel seam, in batches), then
resolve each repository and keep its rows. Tables are written once at the end,
atomically; the facts cache is committed as it goes, so a killed run loses
nothing it parsed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator

from joblib import delayed

from miner import discover, pool
from miner.cache import FactsCache, Scan, extractor_version, pack, pipeline_version, unpack
from miner.extract import WorkItem, budget, extract_batch, extract_packed
from miner.patterns import Registry, default_registry
from miner.history import SpanTracker
from miner.known import KnownModels, load_known, mark_table
from miner.progress import MineProgress
from miner.previous import Previous
from miner.records import FileFacts, FileKind, ParseStatus, Problem, RepoResult, RepoSpec, RepoStatus, SourceFile
from miner.repolist import mark_duplicates, read_repo_list
from miner.repos import RepoError, open_snapshot, remove_stale_clones
from miner.resolve import Shard, ShardRows, merge_shards, resolve_repo, resolve_shard
from miner.resolve.modules import referenced_files
from miner.resolve.sourced import SOURCE_DEPTH
from miner.resolve import tree
from miner.resolve.tree import TreeEvidence
from miner.extract.notebook import notebook_code
from miner import tables

BATCH_BYTES = 2 * 1024 * 1024  # work sent to a worker at once
GROUP_BYTES = 16 * 1024 * 1024  # bytes read ahead before extracting (bounds memory)
SERIAL_BELOW = 256 * 1024  # less than this is extracted in-process: IPC would cost more
SHARD_ABOVE = 4 * 1024 * 1024  # packed facts of a repository whose calls idle workers share in resolving
REPO_BYTES = 1024 ** 3  # file contents one repository may hold while it is read, each blob counted once


@dataclass(frozen=True, slots=True)
class MineOptions:
    repos: Path
    out: Path
    jobs: int = 0  # 0: all cores
    workdir: Path | None = None
    max_bytes: int = discover.DEFAULT_MAX_BYTES
    include_vendored: bool = False
    roles: frozenset[str] | None = None  # which usage roles make a repo_models pair (None: all but vendored)
    keep_removed: bool = False
    fetch: bool = True
    timeout: float = 300.0
    scheduler: str | None = None  # a dask.distributed scheduler address: one task per repository
    history: bool = False  # mine every commit of the default branch
    since: str | None = None  # with history: commits after this date
    known_models: Path | None = None  # a CSV/Parquet list of hub ids: fills the `known` column
    file_seconds: float = budget.FILE_SECONDS  # extraction time allowed per file
    max_repo_bytes: int = REPO_BYTES
    trusted_stores: tuple[Path, ...] = ()  # folders a listed repository may borrow objects from (alternates)


@dataclass
class Summary:
    repos_ok: int = 0
    repos_failed: int = 0
    files_seen: int = 0
    files_parsed: int = 0
    files_cached: int = 0
    usages: int = 0
    models: int = 0
    stale: int = 0
    duplicates: int = 0
    repos_reused: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"repositories: {self.repos_ok} ok, {self.repos_failed} failed"
            + (f" ({self.stale} kept from the last run)" if self.stale else "")
            + (f", {self.duplicates} duplicate lines" if self.duplicates else ""),
            *([f"unchanged since the last run (rows reused, nothing read): {self.repos_reused}"]
              if self.repos_reused else []),
            f"files: {self.files_seen} seen, {self.files_parsed} parsed, {self.files_cached} from cache",
            f"usages: {self.usages}, distinct (repo, model) pairs: {self.models}",
            *(f"  failed: {key}: {error}" for key, error in self.failures[:20]),
        ]


Chosen = dict[str, tuple[str, FileKind]]  # path -> (blob, kind) of the files to resolve at one commit


@dataclass
class _Pending:
    """A repository read and waiting for its files to be extracted: the files
    chosen at each commit to mine (HEAD alone, or the history, oldest first)."""

    spec: RepoSpec
    commit: str | None
    files_seen: int
    commits: list[tuple[str | None, str | None, Chosen]]  # (sha, date, chosen)
    facts: dict[tuple[str, FileKind], bytes]  # packed facts by (blob, kind)
    work: list[tuple[str, WorkItem]]  # (blob, item) not in the cache; emptied once extracted
    problems: list[Problem]
    parsed: int = 0
    # Facts extracted in this process and resolved here too (one job): no need
    # to unpack what was just packed for the cache. Never sent to a worker.
    fresh: dict[tuple[str, FileKind], FileFacts] = field(default_factory=dict)
    trees: dict[str | None, TreeEvidence] = field(default_factory=dict)  # by commit: what the tree says (copies, folders)
    # By commit: the files that code left unread may import (None: any file).
    unread: dict[str | None, frozenset[str] | None] = field(default_factory=dict)


def mine(options: MineOptions, *, registry: Registry | None = None,
         progress: MineProgress | None = None) -> Summary:
    # Worker processes start as `python -m`/`-c`, which would put the working
    # folder first on their sys.path: run from inside a mined folder, its
    # `joblib.py` would be imported (and run) in every worker.
    os.environ["PYTHONSAFEPATH"] = "1"
    options = _absolute(options)
    registry = registry or default_registry()
    known = load_known(options.known_models, registry.table("legacy_hf")) if options.known_models else None
    specs = read_repo_list(options.repos)
    workdir = options.workdir or options.out / ".work"
    remove_stale_clones(workdir)
    version = extractor_version(registry.version)
    prefilter = discover.Prefilter.build(registry)
    with FactsCache(_cache_path(options), version=version, repair=True):
        pass  # opened first here, rather than raced for by the workers; a damaged one is set aside
    previous = Previous.load(options.out)
    listed = mark_duplicates(specs)
    if progress:
        progress.start(len(listed))
    if options.scheduler:
        results = _mine_on_dask(listed, options, workdir, registry, previous, progress)
    elif _per_repository(listed, options, pipeline_version(version)):
        results = _mine_per_repository(listed, options, workdir, registry, previous, progress)
    else:
        results = []
        jobs = _jobs(options.jobs)
        with FactsCache(_cache_path(options), version=version) as cache:
            reuse = _Reuse(cache, previous, pipeline_version(version), enabled=not options.history)
            for group in _groups(listed, options, workdir, cache, prefilter, reuse):
                _phase(progress, "extracting")
                _extract_group(group, jobs, cache, registry)
                _phase(progress, "resolving")
                resolved = _resolve_group(group, jobs, registry)
                results += resolved
                _report(progress, resolved)
                _phase(progress, "reading")
            reuse.remember(results)
    _phase(progress, "writing tables")
    return _write(results, previous, options, _summarize(results), known)


def _absolute(options: MineOptions) -> MineOptions:
    """The options with absolute paths: a task sent to a worker started in
    another folder (on Dask) still writes to this output folder and cache."""
    return replace(options, repos=options.repos.absolute(), out=options.out.absolute(),
                   workdir=options.workdir.absolute() if options.workdir else None)


def _phase(progress: MineProgress | None, name: str) -> None:
    if progress:
        progress.phase(name)


@dataclass
class _Reuse:
    """Skips a repository whose commit was mined before under the same
    pipeline version: its previous rows stand, nothing of it is read."""

    cache: FactsCache
    previous: Previous
    version: str
    enabled: bool = True

    def result(self, spec: RepoSpec, commit: str | None) -> RepoResult | None:
        state = self.cache.get_state(spec.key) if self.enabled and commit else None
        if state is None or state[:2] != (commit, self.version) or self.previous.commits.get(spec.key) != commit:
            return None  # (a run killed before its tables were written leaves states without rows)
        return RepoResult(spec, RepoStatus.OK, commit=commit, files_seen=state[2], reused=True,
                          usages=tuple(self.previous.usages.get(spec.key, ())),
                          problems=tuple(p for p in self.previous.problems.get(spec.key, ())
                                         if p.stage != "repo"))  # repository rows are written anew

    def remember(self, results: list[RepoResult]) -> None:
        self.cache.put_states([(r.spec.key, r.commit, self.version, r.files_seen) for r in results
                               if r.status == RepoStatus.OK and r.commit and not r.reused])


def _cache_path(options: MineOptions) -> Path:
    return options.out / ".cache" / "facts.sqlite"


def _per_repository(listed: list[tuple[RepoSpec, bool]], options: MineOptions, version: str) -> bool:
    """With enough new repositories to keep every worker busy, a task is a whole
    repository (clone, read, extract, resolve): no serial step is left in the
    coordinator. With few (a re-run, where most are unchanged and cost one
    ls-tree each), files are batched across workers instead."""
    workers = _jobs(options.jobs)
    if workers <= 1:
        return False
    mineable = [spec for spec, dup in listed if _unmineable(spec, dup) is None]
    with FactsCache(_cache_path(options), version=version) as cache:
        new = sum(1 for spec in mineable if (cache.get_state(spec.key) or (None, None))[1] != version)
    return new >= 2 * workers


@pool.gc_paused
def mine_one(spec: RepoSpec, options: MineOptions, workdir: Path, registry: Registry,
             previous: Previous) -> RepoResult:
    """One repository from clone to usages, in one process: the task when work
    is split by repository (and on Dask, so that a clone stays on one worker)."""
    prefilter = discover.Prefilter.build(registry)
    version = extractor_version(registry.version)
    with FactsCache(_cache_path(options), version=version) as cache:
        reuse = _Reuse(cache, previous, pipeline_version(version), enabled=not options.history)
        try:
            pending = _read_repo(spec, options, workdir, cache, prefilter, reuse)
        except RepoError as exc:
            return RepoResult(spec, exc.status, error=exc.message)
        if isinstance(pending, RepoResult):
            return pending
        _extract_group([pending], 1, cache, registry)
        result = resolve_pending(pending, registry)
        reuse.remember([result])
        return result


def _per_repository_tasks(listed: list[tuple[RepoSpec, bool]], options: MineOptions, workdir: Path,
                          registry: Registry, previous: Previous):
    """(index, early result) for lines that are not mined, and the delayed
    `mine_one` tasks for the others, each with only its own previous rows."""
    early = {i: r for i, (spec, dup) in enumerate(listed) if (r := _unmineable(spec, dup)) is not None}
    todo = [(i, spec) for i, (spec, _) in enumerate(listed) if i not in early]
    tasks = [delayed(mine_one)(spec, options, workdir, registry, previous.only(spec.key)) for _, spec in todo]
    return early, todo, tasks


def _report(progress: MineProgress | None, results: Iterable[RepoResult]) -> None:
    """Each repository's result, as it is known, to the progress display."""
    if progress:
        for result in results:
            progress.repo(result)


def _mine_per_repository(listed, options: MineOptions, workdir: Path, registry: Registry, previous: Previous,
                         progress: MineProgress | None) -> list[RepoResult]:
    early, todo, tasks = _per_repository_tasks(listed, options, workdir, registry, previous)
    _phase(progress, "mining")
    _report(progress, early.values())  # the lines that are not mined at all are done at once
    outcomes = pool.run_tasks(tasks, jobs=max(_jobs(options.jobs), 2),
                              on_result=lambda _, result: _report(progress, [result]))
    mined = {i: result or RepoResult(spec, RepoStatus.FAILED, error=f"mining failed twice: {failure}"[:500])
             for (i, spec), (result, failure) in zip(todo, outcomes)}
    _report(progress, [mined[i] for (i, _), (result, _) in zip(todo, outcomes) if result is None])
    by_index = {**early, **mined}
    return [by_index[i] for i in range(len(listed))]


def _mine_on_dask(listed, options: MineOptions, workdir: Path, registry: Registry, previous: Previous,
                  progress: MineProgress | None) -> list[RepoResult]:
    from miner.cluster import mine_on_cluster

    early, todo, tasks = _per_repository_tasks(listed, options, workdir, registry, previous)
    _phase(progress, "mining")
    _report(progress, early.values())
    mined = mine_on_cluster(options.scheduler, options.timeout, [spec for _, spec in todo], tasks,
                            lambda _, result: _report(progress, [result]))
    by_index = {**early, **{i: r for (i, _), r in zip(todo, mined)}}
    return [by_index[i] for i in range(len(listed))]


def _summarize(results: list[RepoResult]) -> Summary:
    summary = Summary()
    for r in results:
        if r.status == RepoStatus.OK:
            summary.repos_ok += 1
        elif r.status == RepoStatus.DUPLICATE:
            summary.duplicates += 1
        else:
            summary.repos_failed += 1
            summary.failures.append((r.spec.key, r.error or r.status.value))
        summary.files_seen += r.files_seen
        summary.files_parsed += r.files_parsed
        summary.files_cached += r.files_cached
        summary.repos_reused += r.reused
    return summary


def _jobs(jobs: int) -> int:
    """The number of worker processes: `jobs`, or one per core for 0."""
    return jobs if jobs > 0 else (os.cpu_count() or 1)


def _groups(specs: list[tuple[RepoSpec, bool]], options: MineOptions, workdir: Path, cache: FactsCache,
            prefilter: discover.Prefilter, reuse: "_Reuse | None" = None) -> Iterator[list[_Pending | RepoResult]]:
    group: list[_Pending | RepoResult] = []
    pending_bytes = 0
    for spec, duplicate in specs:
        unmineable = _unmineable(spec, duplicate)
        if unmineable is not None:
            group.append(unmineable)
            continue
        try:
            pending = _read_repo(spec, options, workdir, cache, prefilter, reuse)
        except RepoError as exc:
            group.append(RepoResult(spec, exc.status, error=exc.message))
            continue
        group.append(pending)
        if isinstance(pending, _Pending):  # what it really holds: each blob once, and its cached facts
            pending_bytes += sum(len(item.data) for _, item in pending.work) + sum(map(len, pending.facts.values()))
        if pending_bytes >= GROUP_BYTES:
            yield group
            group, pending_bytes = [], 0
    if group:
        yield group


def _unmineable(spec: RepoSpec, duplicate: bool) -> RepoResult | None:
    """The result of a line that is not mined at all: a duplicate or a bad line."""
    if duplicate:
        return RepoResult(spec, RepoStatus.DUPLICATE, error="listed more than once; mined once")
    if spec.kind == "invalid":
        status = RepoStatus.NOT_FOUND if "not found" in (spec.error or "") else RepoStatus.INVALID_LINE
        return RepoResult(spec, status, error=spec.error)
    return None


def _read_repo(spec: RepoSpec, options: MineOptions, workdir: Path, cache: FactsCache,
               prefilter: discover.Prefilter, reuse: "_Reuse | None" = None) -> _Pending | RepoResult:
    reads = partial(discover.worth_reading, max_bytes=options.max_bytes)
    with open_snapshot(spec, workdir=workdir, timeout=options.timeout, fetch=options.fetch, reads=reads,
                       blob_limit=options.max_bytes, trusted=tuple(map(str, options.trusted_stores))) as snap:
        reused = reuse.result(spec, snap.commit) if reuse is not None else None
        if reused is not None:
            return reused
        if options.history and snap.commit is not None:
            history = snap.commits(options.since) or [(snap.commit, "")]
            listings = ((sha, date, list(snap.files_at(sha))) for sha, date in history)
        else:
            listings = iter([(snap.commit, None, list(snap.files()))])
        pending = _Pending(spec, snap.commit, 0, [], {}, [], [])
        queued: set[tuple[str, FileKind]] = set()
        scans: dict[tuple[str, FileKind], Scan] = {}
        held = _Held(options.max_repo_bytes)
        for sha, date, files in listings:
            pending.files_seen = len(files)
            pending.trees[sha] = tree.gather(files, lambda fs: (raw or b"" for raw in snap.read_many(fs)))  # None: missing
            problems = pending.problems if sha == snap.commit else []
            selected = _select(files, options, problems, spec.key)
            unreadable: list[SourceFile] = []
            chosen, data, unread = _choose(selected, snap, cache, prefilter, scans, held, unreadable)
            pending.unread[sha] = None if len(selected) < _code_files(files) else unread
            for path in sorted(chosen):
                f, kind = selected[path]
                key = (f.blob, kind)
                if key in pending.facts or key in queued:
                    continue
                cached = cache.get(f.blob, kind)
                if cached is not None:
                    pending.facts[key] = cached
                    continue
                raw = data[path] if path in data else snap.read(f)
                if raw is None:
                    unreadable.append(f)
                    chosen.discard(path)
                    continue
                queued.add(key)
                pending.work.append((f.blob, WorkItem(path, kind, held.add(f.blob, raw), options.file_seconds)))
            problems.extend(_missing_blob(spec.key, f) for f in unreadable)
            if unreadable:
                pending.unread[sha] = None  # what an unreadable file calls is unknown
            pending.commits.append((sha, date, {p: (selected[p][0].blob, selected[p][1]) for p in chosen}))
        return pending



class _Held:
    """The contents a repository holds while it is read, each blob counted
    once (2,000 paths of one blob hold it once). Past the bound, the
    repository is a `failed` row of its own, before the run runs out of memory."""

    def __init__(self, bound: int):
        self.bound, self.bytes, self.blobs = bound, 0, set()

    def add(self, blob: str, raw: bytes) -> bytes:
        if blob not in self.blobs:
            self.blobs.add(blob)
            self.bytes += len(raw)
            if self.bytes > self.bound:
                raise RepoError(RepoStatus.FAILED, f"its candidate files hold more than {self.bound} bytes "
                                "(each distinct file counted once): too large to mine in memory")
        return raw


def _select(files: list[SourceFile], options: MineOptions, problems: list[Problem],
            repo: str) -> dict[str, tuple[SourceFile, FileKind]]:
    """Files to consider, by path and size; what is too large, or missing from
    the object database, is a problem row."""
    selected: dict[str, tuple[SourceFile, FileKind]] = {}
    for f in files:
        kind = discover.file_kind(f.path)
        if kind is None:
            continue
        limit = discover.limit_for(kind, options.max_bytes)
        if f.size > limit:  # a blob our partial clone left out is over its limit: listed at that size
            detail = f"over {f.size - 1} bytes (left out of the clone)" if f.missing else f"{f.size} bytes"
            problems.append(Problem(repo, f.path, "select", "too_large", f"{detail} > {limit}"))
            continue
        if f.missing:
            problems.append(_missing_blob(repo, f))
            continue
        selected[f.path] = (f, kind)
    return selected


def _missing_blob(repo: str, f: SourceFile) -> Problem:
    return Problem(repo, f.path, "read", "missing_blob",
                   f"blob {f.blob} is not in the repository (a partial or incomplete clone); skipped")


def _choose(selected: dict[str, tuple[SourceFile, FileKind]], snap, cache: FactsCache,
            prefilter: discover.Prefilter, memo: dict[tuple[str, FileKind], Scan],
            held: "_Held", unreadable: list[SourceFile]) -> tuple[set[str], dict[str, bytes], frozenset[str] | None]:
    """The files to extract: those the prefilter wants, plus Python modules they
    import and Python modules that import them, and the config and shell files
    that these name (`open("conf/x.yaml")`, `source env.sh`). Scans are cached
    by blob (and kept in `memo` across the commits of one repository). Also the
    files that the Python code and notebooks left unread may import. A file
    that cannot be read leaves `selected` for `unreadable`."""
    scans: dict[str, Scan] = {}
    data: dict[str, bytes] = {}  # the paths of one blob share one bytes object
    new_scans = []
    unseen: dict[tuple[str, FileKind], list[str]] = {}  # paths of each blob not scanned yet: read once
    for path, (f, kind) in selected.items():
        scan = memo.get((f.blob, kind)) or cache.get_scan(f.blob, kind)
        if scan is None:
            unseen.setdefault((f.blob, kind), []).append(path)
        else:
            memo[(f.blob, kind)] = scans[path] = scan
    first = [selected[paths[0]][0] for paths in unseen.values()]
    for ((blob, kind), paths), raw in zip(unseen.items(), snap.read_many(first)):
        if raw is None:  # git cannot give it: `_read_repo` records it
            unreadable.extend(selected.pop(path)[0] for path in paths)
            continue
        imports = tuple(sorted(discover.imported_modules(raw))) if kind == FileKind.PYTHON \
            else _notebook_imports(raw) if kind == FileKind.NOTEBOOK else ()
        scan = memo[(blob, kind)] = Scan(prefilter.wants(kind, raw, paths[0]), imports, _named_files(kind, raw))
        new_scans.append((blob, kind, scan))
        if scan.wanted or kind == FileKind.PYTHON:
            held.add(blob, raw)
            data.update(dict.fromkeys(paths, raw))
        scans.update(dict.fromkeys(paths, scan))
    cache.put_scans(new_scans)
    wanted = {p for p, s in scans.items() if s.wanted}
    py_files = [f for f, kind in selected.values() if kind == FileKind.PYTHON]
    chosen = wanted | _neighbours(wanted, scans, py_files)
    # Named files are read whatever their keys: the code looks them up (`cfg["a"]["b"]`).
    nameable = [p for p, (_, kind) in selected.items() if kind in (FileKind.CONFIG, FileKind.SHELL)]
    naming = chosen
    for _ in range(SOURCE_DEPTH):  # env.sh may source common.sh in turn
        found = referenced_files({ref for p in naming for ref in scans[p].files}, nameable) - chosen
        if not found:
            break
        chosen, naming = chosen | found, found
    unread = [p for p, (_, kind) in selected.items() if kind in (FileKind.PYTHON, FileKind.NOTEBOOK) and p not in chosen]
    return chosen, data, _importable(unread, scans, py_files)


def _code_files(files: list[SourceFile]) -> int:
    return sum(discover.file_kind(f.path) is not None for f in files)


def _notebook_imports(raw: bytes) -> tuple[str, ...]:
    code = notebook_code(raw)
    return tuple(sorted(discover.imported_modules(code.source.encode()))) if not isinstance(code, str) else ()


def _importable(unread: list[str], scans: dict[str, Scan], py_files: list[SourceFile]) -> frozenset[str]:
    """The Python files (and, as `dir/`, the packages) that the files in
    `unread` import: their functions may have callers the resolver never sees."""
    index = discover.files_by_module(py_files)
    by_path = {f.path: f for f in py_files}
    found: set[str] = set()
    for path in unread:
        for module in scans[path].imports:
            for name in (module, module.rpartition(".")[0]):
                for f in discover.resolve_import(name, path, index, by_path) if name and name != "." else ():
                    found.add(f.path)
                    if f.path.endswith("__init__.py"):
                        found.add(f.path[: -len("__init__.py")])
    return frozenset(found)


def _named_files(kind: FileKind, raw: bytes) -> tuple[str, ...]:
    if kind in (FileKind.PYTHON, FileKind.NOTEBOOK):
        return discover.config_references(raw)
    return discover.sourced_files(raw) if kind == FileKind.SHELL else ()


REVERSE_LIMIT = 8  # a module imported by more files than this is library plumbing, not a script's helper
REVERSE_DEPTH = 6  # callers of callers: a wrapper called through other wrappers
REEXPORT_DEPTH = 4  # a name passed on from module to module (`pkg/__init__.py` from `.impl`)


def _neighbours(wanted: set[str], scans: dict[str, Scan], py_files: list[SourceFile]) -> set[str]:
    """Python files next to the wanted ones, which resolution may need: the
    modules they import names from (classes too: a dataclass's fields, a
    settings class), and where those got a name they pass on (and the modules
    a package's `__init__.py` imports); the modules that call or read what a
    wanted one defines (their callers), or pass it on, and those that do the
    same with them (REVERSE_DEPTH levels), unless a module is imported all over
    the repository."""
    index = discover.files_by_module(py_files)
    by_path = {f.path: f for f in py_files}
    settings = [f for f in py_files if discover.settings_file(f.path)]

    def edges(path: str) -> list[tuple[str, str, str]]:
        """(marker, file, name) of each import of `path` that names an in-repo file."""
        out = []
        for entry in scans[path].imports:
            if entry == discover.EXEC_ANY:  # `exec(open(config_file).read())`: any settings file
                out += [("", f.path, "") for f in settings]
                continue
            marker = entry[0] if entry[0] == discover.REEXPORT else ""
            module = entry[len(marker):]
            found, name = discover.resolve_import(module, path, index, by_path), ""
            parent = discover.parent_module(module)
            if not found and parent:  # `from pkg.mod import Name`: Name is no module, pkg.mod is
                found, name = discover.resolve_import(parent, path, index, by_path), module.rpartition(".")[2]
            out += [(marker, f.path, name) for f in found]
        return out

    graph = {path: edges(path) for path in by_path if path in scans}
    ring = {(target, name) for p in wanted for _, target, name in graph.get(p, ())}
    forward = {target for target, _ in ring}
    for step in range(REEXPORT_DEPTH):  # where a module got a name it gives, and so on
        ring = {(t, n) for target, name in ring for t, n in _passed_on(graph.get(target, ()), name, target, step == 0)}
        ring = {(t, n) for t, n in ring if t not in forward}
        if not ring:
            break
        forward |= {t for t, _ in ring}
    if any(discover.EXEC_ANY in scans[p].imports for p in forward | wanted if p in scans):
        forward |= {f.path for f in settings}  # a module it runs runs a settings file named at run time
    importers: dict[str, set[str]] = {}
    for path, found in graph.items():
        for _, target, _ in found:
            if target != path:
                importers.setdefault(target, set()).add(path)
    reverse: set[str] = set()
    ring = set(wanted)
    for _ in range(REVERSE_DEPTH):
        ring = {p for t in ring if len(group := importers.get(t, ())) <= REVERSE_LIMIT for p in group}
        ring -= reverse | wanted
        if not ring:
            break
        reverse |= ring
    return forward | reverse


def _passed_on(edges: list[tuple[str, str, str]], name: str, path: str, first: bool) -> list[tuple[str, str]]:
    """Of a module's imports, those where the value of `name` imported from it
    can come from: the re-export of that name, a star import; at the `first`
    step also the constants it imports, and for a package's `__init__.py`
    imported as a module (no `name`), the modules it imports."""
    init = path.endswith("__init__.py")
    return [(t, n) for marker, t, n in edges
            if (name and n == name and (init or marker == discover.REEXPORT)) or (marker == discover.REEXPORT and not n)
            or (first and ((init and not n and not name) or n.isupper()))]


def _extract_group(group: list, jobs: int, cache: FactsCache, registry: Registry) -> None:
    """Extract the files of a group of repositories: on the pool in batches, or
    in this process when there is little work (or one job)."""
    work = [(p, blob, item) for p in group if isinstance(p, _Pending) for blob, item in p.work]
    if not work:
        return
    items = [item for _, _, item in work]
    blob_of = {id(item): blob for _, blob, item in work}
    done: dict[int, tuple[ParseStatus, bytes]] = {}

    def keep(batch: list[WorkItem], outs: list[tuple[ParseStatus, bytes]]) -> None:
        """Commit a batch's facts at once: a run killed later keeps them."""
        cache.put_many([(blob_of[id(item)], item.kind, packed) for item, (status, packed) in zip(batch, outs)
                        if status != ParseStatus.FAILED])
        done.update((id(item), out) for item, out in zip(batch, outs))

    if jobs <= 1:
        fresh: dict[int, FileFacts] = {}
        for batch in _batches(items):
            extracted = extract_batch(batch, registry.callee_names, commands=registry.command_programs)
            fresh.update((id(item), facts) for item, facts in zip(batch, extracted))
            keep(batch, [(facts.status, pack(facts)) for facts in extracted])
        for pending, blob, item in work:
            pending.fresh[(blob, item.kind)] = fresh[id(item)]
    elif sum(len(i.data) for i in items) < SERIAL_BELOW:
        keep(items, extract_packed(items, registry.callee_names, commands=registry.command_programs))
    else:
        _extract_parallel(_batches(items), jobs, registry.callee_names, registry.command_programs, keep)
    for pending, blob, item in work:
        pending.facts[(blob, item.kind)] = done[id(item)][1]
    for pending in {id(p): p for p, _, _ in work}.values():
        pending.parsed, pending.work = len(pending.work), []  # the bytes are not needed any more


def _extract_parallel(batches: list[list[WorkItem]], jobs: int, keywords: frozenset[str],
                      commands: frozenset[str], keep: Callable[[list[WorkItem], list], None]) -> None:
    """Extract batches on the pool, handing each batch's facts to `keep` as it
    comes back; a batch whose worker failed twice gives FAILED facts for its
    files, and the run goes on."""
    outcomes = pool.run_tasks([delayed(extract_packed)(batch, keywords, commands=commands) for batch in batches],
                              jobs=jobs, on_result=lambda i, outs: keep(batches[i], outs))
    for batch, (outs, failure) in zip(batches, outcomes):
        if outs is None:
            keep(batch, [(ParseStatus.FAILED, pack(FileFacts(path=i.path, kind=i.kind, status=ParseStatus.FAILED,
                                                             error=f"extraction failed twice: {failure}"[:500])))
                         for i in batch])


def _batches(items: list[WorkItem]) -> list[list[WorkItem]]:
    """Batches of about BATCH_BYTES, largest files first so the tail is short."""
    batches: list[list[WorkItem]] = []
    current: list[WorkItem] = []
    size = 0
    for item in sorted(items, key=lambda i: -len(i.data)):
        current.append(item)
        size += len(item.data)
        if size >= BATCH_BYTES:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


def _resolve_group(group: list, jobs: int, registry: Registry) -> list[RepoResult]:
    """Resolve each repository of a group: on the pool when there is enough to
    do (resolution of a large repository takes seconds), else in this process."""
    size = sum(len(b) for p in group if isinstance(p, _Pending) for b in p.facts.values())
    if jobs <= 1 or size < SERIAL_BELOW:
        return [resolve_pending(p, registry) for p in group]
    pending = [p for p in group if isinstance(p, _Pending)]
    shards = {id(p): _shards(p, len(pending), jobs) for p in pending}
    tasks = [delayed(resolve_pending)(p, registry) if shards[id(p)] == 1 else delayed(resolve_part)(p, registry, Shard(i, shards[id(p)]))
             for p in pending for i in range(shards[id(p)])]
    outcomes = iter(pool.run_tasks(tasks, jobs=jobs))
    done = {}
    for p in pending:
        mine = [next(outcomes) for _ in range(shards[id(p)])]
        failure = next((f for r, f in mine if r is None), None)
        done[id(p)] = RepoResult(p.spec, RepoStatus.FAILED, error=f"resolution failed twice: {failure}"[:500]) \
            if failure is not None else mine[0][0] if len(mine) == 1 else _from_parts(p, [r for r, _ in mine])
    return [done.get(id(p), p) for p in group]


def _shards(pending: _Pending, repositories: int, jobs: int) -> int:
    """Into how many tasks a repository's resolution is split: as many as there
    are workers when there are fewer repositories than workers and the
    repository is large (one commit; a history is resolved commit by commit)."""
    size = sum(len(b) for b in pending.facts.values())
    return jobs if repositories < jobs and size >= SHARD_ABOVE and len(pending.commits) == 1 else 1


@dataclass(frozen=True)
class _Part:
    rows: ShardRows
    problems: tuple[Problem, ...]  # the files that did not parse (shard 0 only)


@pool.gc_paused
def resolve_part(pending: _Pending, registry: Registry, shard: Shard) -> _Part:
    """One shard of a one-commit repository's resolution (a task of the pool)."""
    sha, _, chosen = pending.commits[0]
    files = _unpacked(pending, chosen)
    rows = resolve_shard(files, registry, repo=pending.spec.key, commit=sha, tree=pending.trees.get(sha),
                         unread=pending.unread.get(sha), shard=shard)
    return _Part(rows, tuple(_parse_problems(pending, files)) if shard.index == 0 else ())


def _from_parts(pending: _Pending, parts: list[_Part]) -> RepoResult:
    notes: list[str] = []
    usages = merge_shards([p.rows for p in parts], notes)
    sha, date, _ = pending.commits[0]
    return _result(pending, usages, [*parts[0].problems], notes, [(sha, date)])


@pool.gc_paused
def resolve_pending(pending: _Pending | RepoResult, registry: Registry) -> RepoResult:
    """A repository's usages from its packed facts (a task of the pool); a
    failure is the repository's result, never a crash of the run."""
    if isinstance(pending, RepoResult):
        return pending
    try:
        return _resolved(pending, registry)
    except (Exception, MemoryError) as exc:  # noqa: BLE001
        return RepoResult(pending.spec, RepoStatus.FAILED, commit=pending.commit,
                          error=f"resolution failed: {type(exc).__name__}: {exc}"[:500])


def _resolved(pending: _Pending, registry: Registry) -> RepoResult:
    key = pending.spec.key
    usages: list = []
    spans = SpanTracker()
    last_chosen: Chosen | None = None
    last_tree: TreeEvidence | None = None
    head_facts: list[FileFacts] = []
    notes: list[str] = []
    for sha, date, chosen in pending.commits:
        evidence = pending.trees.get(sha)
        if chosen != last_chosen or evidence != last_tree:  # the same files give the same usages
            head_facts = _unpacked(pending, chosen)
            notes.clear()  # those of the last commit resolved (the head) are kept
            usages = resolve_repo(head_facts, registry, repo=key, commit=sha, notes=notes, tree=evidence,
                                  unread=pending.unread.get(sha))
            last_chosen, last_tree = chosen, evidence
        if date is not None:
            spans.see(usages, sha, date)
    return _result(pending, usages, _parse_problems(pending, head_facts), notes, [], spans)


def _parse_problems(pending: _Pending, files: list[FileFacts]) -> list[Problem]:
    return [Problem(pending.spec.key, f.path, "parse", f.status.value, f.error or "")
            for f in files if f.status != ParseStatus.OK]


def _result(pending: _Pending, usages: list, parse_problems: list[Problem], notes: list[str],
            dated: list[tuple[str | None, str | None]], spans: SpanTracker | None = None) -> RepoResult:
    """The repository's result from its usages (at the last commit resolved);
    `dated`: (commit, date) pairs still to give the usages' spans."""
    spans = spans or SpanTracker()
    for sha, date in dated:
        if date is not None:
            spans.see(usages, sha, date)
    problems = list(pending.problems) + parse_problems + [
        Problem(pending.spec.key, None, "resolve", "over_budget", note) for note in notes]
    usages = [replace(u, commit=pending.commit) if u.commit != pending.commit else u for u in usages]
    return RepoResult(pending.spec, RepoStatus.OK, commit=pending.commit, files_seen=pending.files_seen,
                      files_parsed=pending.parsed, files_cached=len(pending.facts) - pending.parsed,
                      usages=tuple(usages), problems=tuple(problems), spans=spans.spans())


def _unpacked(pending: _Pending, chosen: Chosen) -> list[FileFacts]:
    """The facts of the chosen files; a blob at many paths is unpacked once."""
    out = []
    unpacked: dict[tuple[str, FileKind], FileFacts] = {}
    for path, (blob, kind) in sorted(chosen.items()):
        facts = pending.fresh.get((blob, kind)) or unpacked.get((blob, kind))
        if facts is None:
            facts = unpack(pending.facts[(blob, kind)], path) or FileFacts(path, kind, ParseStatus.FAILED,
                                                                          "corrupt cache entry")
            unpacked[(blob, kind)] = facts
        out.append(facts if facts.path == path else replace(facts, path=path))
    return out


def _write(results: list[RepoResult], previous: Previous, options: MineOptions, summary: Summary,
           known: KnownModels | None = None) -> Summary:
    """Write the tables. A repository that failed this time keeps the rows of
    its last good run, marked stale in `repos`."""
    usages = []
    stale: set[str] = set()
    for r in results:
        if r.status == RepoStatus.OK:
            usages.extend(r.usages)
        elif r.status != RepoStatus.DUPLICATE and previous.usages.get(r.spec.key):
            usages.extend(previous.usages[r.spec.key])
            stale.add(r.spec.key)
    listed = {r.spec.key for r in results}
    if options.keep_removed:
        for key, rows in previous.usages.items():
            if key not in listed:
                usages.extend(rows)
    problems = [p for r in results for p in r.problems] + [
        Problem(r.spec.key, None, "repo", r.status.value, r.error or "")
        for r in results if r.status not in (RepoStatus.OK,)
    ]
    out = options.out
    spans = {r.spec.key: r.spans for r in results if r.spans}
    repo_models = tables.repo_models_table(usages, include_vendored=options.include_vendored, roles=options.roles,
                                           spans=spans)
    usages_out = tables.usages_table(usages)
    tables.write_generation(out, {
        "usages": tables.with_known(usages_out, mark_table(known, usages_out)),
        "repo_models": tables.with_known(repo_models, mark_table(known, repo_models)),
        "repos": tables.repos_table(results, stale=frozenset(stale)),
        "problems": tables.problems_table(problems),
    })
    summary.usages = len(usages)
    summary.models = repo_models.num_rows
    summary.stale = len(stale)
    return summary
