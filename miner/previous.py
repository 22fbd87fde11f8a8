"""The rows of the previous run over the same output folder.

They stand for repositories whose commit has not changed, and for those that
fail to fetch this time (kept, marked stale), so that nothing mined is lost;
only when the four tables are one complete generation.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from miner import tables
from miner.records import Problem, Usage


@dataclass
class Previous:
    usages: dict[str, list[Usage]] = field(default_factory=dict)
    problems: dict[str, list[Problem]] = field(default_factory=dict)
    # The commit each repository's rows were mined at (ok rows of `repos`):
    # rows stand for a commit only if the tables were written for it.
    commits: dict[str, str] = field(default_factory=dict)

    def only(self, repo: str) -> "Previous":
        """The rows of one repository (what a per-repository task needs)."""
        commits = {repo: self.commits[repo]} if repo in self.commits else {}
        return Previous({repo: self.usages.get(repo, [])}, {repo: self.problems.get(repo, [])}, commits)

    @classmethod
    def load(cls, out: Path) -> "Previous":
        """The rows of the last run, if its tables are one complete generation
        (see `tables.write_generation`); otherwise none: every repository is
        then resolved again (from the facts cache, without parsing again)."""
        previous = cls()
        if not any((out / f"{name}.parquet").exists() for name in tables.TABLES):
            return previous  # a first run
        if tables.generation_of(out) is None:
            print(f"warning: the tables in {out} are not one complete set (one is missing, unreadable or "
                  "left by another run): none of their rows are reused", file=sys.stderr)
            return previous
        try:
            by_repo: dict[str, list[Usage]] = defaultdict(list)
            for usage in tables.read_usages(out / "usages.parquet"):
                by_repo[usage.repo].append(usage)
            previous.usages = dict(by_repo)
            problems: dict[str, list[Problem]] = defaultdict(list)
            if (out / "problems.parquet").exists():
                for row in pq.read_table(out / "problems.parquet").to_pylist():
                    problems[row["repo"]].append(Problem(**{k: row[k] for k in tables.PROBLEMS.names}))
            previous.problems = dict(problems)
            if (out / "repos.parquet").exists():
                repos = pq.read_table(out / "repos.parquet", columns=["repo", "commit", "status"]).to_pylist()
                previous.commits = {r["repo"]: r["commit"] for r in repos if r["status"] == "ok" and r["commit"]}
        except Exception as exc:  # noqa: BLE001 - an unreadable old table is no reason to stop
            print(f"warning: the previous tables in {out} are unreadable and not reused: {exc}", file=sys.stderr)
        return previous
