"""The command line: `python -m miner mine|patterns|export|report|eval ...`.

Exit codes: 0 when every line of the list was mined; 1 when the run finished
and wrote its tables but some lines failed (see `repos.status`); 2 when the run
could not start or could not write its tables (bad arguments, unreadable list,
bad pattern file, bad known-models file, an --out that cannot be written, a
full disk; for `export` and `report`: a missing or unreadable OUT_DIR); 130
when interrupted (Ctrl-C). Each fault is one line on stderr, never a
traceback, and leaves the previous tables as they were.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import threading
from pathlib import Path

from miner.evaluation import run as evaluation
from miner.export.load import ExportError
from miner.known import KnownModelsError
from miner.patterns import PatternError
from miner.tables import TablesWritten

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
MAX_FILE_SECONDS = 86_400.0  # a day; the interval timer refuses a far longer one


def _roles(text: str) -> frozenset[str]:
    from miner.resolve.roles import parse_roles

    try:
        return parse_roles(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ptm-miner", description="Mine repositories for the pre-trained models they load.")
    sub = parser.add_subparsers(dest="command", required=True)
    mine = sub.add_parser("mine", help="mine the repositories of a list into Parquet tables")
    mine.add_argument("--repos", required=True, type=Path, help="the list: one URL, owner/name or path per line")
    mine.add_argument("--out", required=True, type=Path, help="output folder for the tables (and the cache)")
    mine.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores)")
    mine.add_argument("--workdir", type=Path, default=None, help="where remote repositories are cloned (default: OUT/.work)")
    mine.add_argument("--max-file-bytes", type=int, default=None, help="skip larger files (default: 2 MiB)")
    mine.add_argument("--timeout", type=float, default=300.0, help="seconds allowed for one clone or fetch")
    mine.add_argument("--file-seconds", type=float, default=None,
                      help="seconds of extraction allowed per file; past it the file is a `failed` problem (default: 30)")
    mine.add_argument("--no-fetch", action="store_true", help="do not fetch repositories already cloned")
    mine.add_argument("--include-vendored", action="store_true",
                      help="count usages inside vendored library copies in repo_models (the same as adding vendored to --roles)")
    mine.add_argument("--roles", type=_roles, default=None, metavar="ROLES",
                      help="comma-separated usage roles that make a repo_models pair: code, test, example, docs, "
                           "vendored (default: all but vendored)")
    mine.add_argument("--keep-removed", action="store_true",
                      help="keep rows of repositories no longer in the list")
    mine.add_argument("--backend", choices=("local", "dask"), default="local",
                      help="local worker processes, or a dask.distributed cluster (one task per repository)")
    mine.add_argument("--scheduler", default=None, help="with --backend dask: the scheduler address (tcp://host:8786)")
    mine.add_argument("--history", action="store_true",
                      help="mine every commit of the default branch; adds first/last seen to repo_models")
    mine.add_argument("--since", default=None, help="with --history: only commits after this date (git's --since)")
    mine.add_argument("--known-models", type=Path, default=None, metavar="FILE",
                      help="CSV or Parquet of hub ids (e.g. a PeaTMOSS model table): fills the `known` column")
    sub.add_parser("patterns", help="print the supported libraries as a Markdown table")
    export = sub.add_parser("export", help="write mined tables in another dataset's or tool's format")
    export.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="a folder written by `mine`")
    export.add_argument("--format", required=True, choices=("peatmoss", "cyclonedx"),
                        help="peatmoss: a SQLite file with PeaTMOSS's reuse tables; cyclonedx: one BOM per repository")
    export.add_argument("--to", required=True, type=Path, metavar="PATH",
                        help="the SQLite file (peatmoss) or the folder of BOMs (cyclonedx)")
    report = sub.add_parser("report", help="write a self-contained HTML page of the headline numbers")
    report.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="a folder written by `mine`")
    report.add_argument("--to", type=Path, default=None, metavar="FILE", help="the HTML file (default: OUT_DIR/report.html)")
    evaluation.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "patterns":
            return _patterns()
        if args.command == "export":
            return _export(args)
        if args.command == "report":
            return _report(args)
        if args.command == "eval":
            return evaluation.command(args)
        return _mine(args)
    except PatternError as exc:
        print(f"error: bad pattern file: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (KnownModelsError, ExportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TablesWritten:
        _cancel_timers()
        print("interrupted: the new tables were written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        _cancel_timers()
        print("interrupted: previous tables kept" if args.command == "mine" else "interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # a full disk, a folder that went away: what and where
        print(f"error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.Error as exc:
        where = f"the facts cache in {args.out}/.cache" if args.command == "mine" else "SQLite"
        print(f"error: {where}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _cancel_timers() -> None:
    """Cancel the watchdog timers an interrupt left running (GitPython's
    `kill_after_timeout` is not cancelled when Ctrl-C lands in a git call):
    the process would otherwise wait up to --timeout before it exits."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


def _os_error(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def _unwritable(out: Path) -> str | None:
    """Why the tables cannot be written in `out`, or None: it is (or can be
    made) a folder in which a file can be created."""
    if out.exists() and not out.is_dir():
        return f"--out is not a folder: {out}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        return f"--out cannot be written: {_os_error(exc)}"
    return None


def _mine(args: argparse.Namespace) -> int:
    from miner import discover
    from miner.cluster import ClusterError
    from miner.progress import MineProgress
    from miner.run import MineOptions, mine

    if args.backend == "dask" and not args.scheduler:
        print("error: --backend dask needs --scheduler ADDRESS", file=sys.stderr)
        return EXIT_USAGE
    if args.file_seconds is not None and not 0 < args.file_seconds <= MAX_FILE_SECONDS:
        print(f"error: --file-seconds must be more than 0 and at most {MAX_FILE_SECONDS:g}, not {args.file_seconds:g}",
              file=sys.stderr)
        return EXIT_USAGE
    if not args.repos.is_file():
        print(f"error: repository list not found: {args.repos}", file=sys.stderr)
        return EXIT_USAGE
    if why := _unwritable(args.out):
        print(f"error: {why}", file=sys.stderr)
        return EXIT_USAGE
    options = MineOptions(
        repos=args.repos, out=args.out, jobs=args.jobs, workdir=args.workdir,
        max_bytes=args.max_file_bytes or discover.DEFAULT_MAX_BYTES, include_vendored=args.include_vendored,
        keep_removed=args.keep_removed, fetch=not args.no_fetch, timeout=args.timeout,
        history=args.history or args.since is not None, since=args.since,
        scheduler=args.scheduler if args.backend == "dask" else None, known_models=args.known_models,
        roles=args.roles,
        **({"file_seconds": args.file_seconds} if args.file_seconds is not None else {}),
    )
    progress = MineProgress(sys.stderr, sys.stdout)
    try:
        summary = mine(options, progress=progress)
    except ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        progress.close()
    for line in summary.lines():
        print(line)
    print(f"tables: {args.out}/usages.parquet, repo_models.parquet, repos.parquet, problems.parquet")
    return EXIT_SOME_FAILED if summary.repos_failed else EXIT_OK


def _patterns() -> int:
    from miner.patterns import default_registry
    from miner.supported import markdown_table

    print(markdown_table(default_registry()))
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from miner.export import export

    written = export(args.out_dir, args.format, args.to)
    print(f"{args.format}: {written.summary}")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from miner.report import write_report

    to = args.to or args.out_dir / "report.html"
    write_report(args.out_dir, to)
    print(f"report: {to}")
    return EXIT_OK


def main_entry() -> None:
    sys.exit(main())
