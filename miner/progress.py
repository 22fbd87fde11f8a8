"""What `mine` shows while it runs, on standard error.

This module owns the progress display. On a terminal: one tqdm bar sized to
the terminal with the repositories done out of the list, the files seen so far,
the elapsed time and an estimate of the time left, and the serial phase the run
is in (reading, extracting, resolving, or mining when whole repositories run on
the pool, then writing tables) as its label. When standard error is not a
terminal (a pipe, a log file, CI): no bar and no escape codes, and one plain
line per repository as it finishes, on standard output with the closing
summary (standard error keeps one line per warning or error).
The closing summary is the CLI's, not this.
"""
from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm

from miner.records import RepoResult

BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} repos{postfix} [{elapsed}<{remaining}]"  # tqdm puts ", " before the postfix


class MineProgress:
    """Told by the run how many lines the list has, which phase it is in, and
    each repository's result as it comes."""

    def __init__(self, stream: TextIO | None = None, log: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr  # where the bar goes, if it is a terminal
        self.log = log or sys.stdout  # where the lines go, if it is not
        self.tty = _is_terminal(self.stream)
        self.total = 0
        self.done = 0
        self.files = 0
        self.bar: tqdm | None = None

    def start(self, total: int) -> None:
        self.total = total
        if self.tty:
            self.bar = tqdm(total=total, file=self.stream, dynamic_ncols=True, desc="reading", unit="repo",
                            bar_format=BAR_FORMAT, postfix="0 files", mininterval=0.2)

    def phase(self, name: str) -> None:
        """The serial step the run is in: shown as the bar's label."""
        if self.bar is not None:
            self.bar.set_description_str(name)

    def repo(self, result: RepoResult) -> None:
        self.done += 1
        self.files += result.files_seen
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.files:,} files", refresh=False)
            self.bar.update(1)
            return
        print(f"[{self.done}/{self.total}] {result.spec.key}: {result.status.value}, "
              f"{len(result.usages)} usages", file=self.log, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        return False
