"""`ptm-miner eval`: pin every labelled repository, mine the pins, score, render.

The mining is `mine` itself (miner.run.mine) over a list of the pinned git
directories, into `--out` (incremental: a second run re-parses nothing that did
not change); the tables it writes are read back and scored.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq

from miner.evaluation.labels import RepoLabels, read_benchmark
from miner.evaluation.report import render
from miner.evaluation.score import Mined, MinedPair, Scores, score
from miner.evaluation.snapshots import pin

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "accuracy"


@dataclass(frozen=True, slots=True)
class EvalOptions:
    benchmark: Path = BENCHMARK
    out: Path = Path("out/eval")
    mirrors: Path | None = None
    jobs: int = 0
    timeout: float = 300.0
    only: tuple[str, ...] = ()  # owner/name of the repositories to evaluate; all when empty


def evaluate(options: EvalOptions) -> tuple[Scores, list[RepoLabels]]:
    """The scores of the miner on the benchmark (mining into `options.out`)."""
    from miner.run import MineOptions, mine

    labels = read_benchmark(options.benchmark)
    if options.only:
        wanted = {r.lower() for r in options.only}
        labels = [r for r in labels if r.repo.lower() in wanted]
    options.out.mkdir(parents=True, exist_ok=True)
    pins = [pin(r.repo, r.commit, mirrors=options.mirrors, workdir=options.out / ".eval", timeout=options.timeout)
            for r in labels]
    unmined = {p.repo: p.source for p in pins if p.git_dir is None}
    repo_of = {str(p.git_dir.resolve()): p.repo for p in pins if p.git_dir is not None}
    listing = options.out / "eval-repos.txt"
    listing.write_text("".join(f"{path}\n" for path in repo_of), encoding="utf-8")
    if repo_of:
        sources = tuple(Path(p.source) for p in pins if p.git_dir is not None)  # the views borrow their objects
        mine(MineOptions(repos=listing, out=options.out, jobs=options.jobs, fetch=False, timeout=options.timeout,
                         trusted_stores=sources))
    usages, pairs = _read_tables(options.out, repo_of, labels, unmined)
    return score(labels, usages, pairs, unmined), labels


def _read_tables(out: Path, repo_of: dict[str, str], labels: list[RepoLabels],
                 unmined: dict[str, str]) -> tuple[list[Mined], list[MinedPair]]:
    if not repo_of:
        return [], []
    pinned = {r.repo: r.commit for r in labels}
    key_to_repo = {}
    for row in pq.read_table(out / "repos.parquet").to_pylist():
        repo = repo_of.get(row["source"])
        if repo is None:
            continue
        if row["status"] != "ok" or row["commit"] != pinned[repo]:
            unmined[repo] = f"{row['status']}: {row['error'] or 'commit ' + str(row['commit'])}"
            continue
        key_to_repo[row["repo"]] = repo
    usages = [Mined(key_to_repo[u["repo"]], u["path"], u["line"], u["hub"], u["repo_type"], u["model_id"],
                    u["resolution"], u["expression"] or "", bool(u["vendored"]))
              for u in pq.read_table(out / "usages.parquet").to_pylist() if u["repo"] in key_to_repo]
    pairs = [MinedPair(key_to_repo[p["repo"]], p["hub"], p["repo_type"], p["model_id"],
                       tuple(k for k in (p["resolutions"] or "").split(",") if k))
             for p in pq.read_table(out / "repo_models.parquet").to_pylist() if p["repo"] in key_to_repo]
    return usages, pairs


def measured_version() -> str:
    """The commit of this ptm-miner checkout (`+ changes` when its work tree differs)."""
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=30, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return sha + (" + uncommitted changes" if dirty else "")


def eval_report(options: EvalOptions) -> str:
    scores, labels = evaluate(options)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    n_sites = sum(len(r.loads) for r in labels)
    header = ["# ptm-miner accuracy on the labelled benchmark", "",
              f"Measured at commit {measured_version()} on {now}: {len(labels)} repositories "
              f"({len(labels) - len(scores.unmined)} mined), {n_sites} labelled call sites, "
              f"{scores.n_decoys} decoys."]
    return render(scores, header=header)


def add_parser(sub) -> None:
    """The `eval` subcommand's options (miner/cli.py calls this)."""
    ev = sub.add_parser("eval", help="score the miner on the labelled real-repository benchmark")
    ev.add_argument("--mirrors", type=Path, default=None, metavar="DIR",
                    help="a folder of git snapshots (DIR/owner+name/repo, DIR/owner__name, DIR/owner/name); "
                         "repositories not in it are cloned")
    ev.add_argument("--out", type=Path, default=Path("out/eval"), help="where the mined tables go (default: out/eval)")
    ev.add_argument("--benchmark", type=Path, default=BENCHMARK, help="the labelled folder (default: benchmarks/accuracy)")
    ev.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores)")
    ev.add_argument("--timeout", type=float, default=300.0, help="seconds allowed for one clone or fetch")
    ev.add_argument("--repo", action="append", default=[], metavar="OWNER/NAME", help="only this repository (repeatable)")
    ev.add_argument("--to", type=Path, default=None, metavar="FILE", help="also write the report to FILE")


def command(args) -> int:
    """Runs `eval`; 0 when it ran (the figures are the output, not the exit code), 2 on bad labels."""
    import sys

    from miner.evaluation.labels import LabelError

    try:
        text = eval_report(EvalOptions(benchmark=args.benchmark, out=args.out, mirrors=args.mirrors,
                                       jobs=args.jobs, timeout=args.timeout, only=tuple(args.repo)))
    except LabelError as exc:
        print(f"error: bad label: {exc}", file=sys.stderr)
        return 2
    print(text, end="")
    if args.to is not None:
        args.to.write_text(text, encoding="utf-8")
    return 0
