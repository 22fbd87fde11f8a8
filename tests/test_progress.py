"""What `mine` shows while it runs: on a terminal (a real pseudo-terminal
here) one tqdm bar no wider than the terminal, with repositories done/total,
files, elapsed time and ETA and the serial phase as its label; not on a
terminal, one plain line per repository on standard output before the
summary, no escape codes, and nothing on standard error (which keeps one line
per warning or error)."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from miner.cli import EXIT_OK, main
from tests.test_export_world import make_git_repo

CODE = 'from transformers import AutoModel\nm = AutoModel.from_pretrained("bert-base-uncased")\n'
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def listing(tmp_path: Path) -> Path:
    make_git_repo(tmp_path / "one", {"a.py": CODE})
    make_git_repo(tmp_path / "two", {"b.py": CODE, "c.py": "x = 1\n"})
    (tmp_path / "list.txt").write_text("one\ntwo\n./missing\n")
    return tmp_path / "list.txt"


def test_not_a_terminal_gives_one_line_per_repository(listing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mine", "--repos", str(listing), "--out", str(listing.parent / "out"), "--jobs", "1"])
    assert code == 1  # the missing folder is a failed line
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == f"[1/3] {listing.parent / 'one'}: ok, 1 usages"
    assert lines[1] == f"[2/3] {listing.parent / 'two'}: ok, 1 usages"
    assert lines[2] == f"[3/3] {listing.parent / 'missing'}: not_found, 0 usages"
    assert "\r" not in captured.out and "\x1b" not in captured.out
    assert lines[3] == "repositories: 2 ok, 1 failed"
    assert captured.err == ""


def run_in_terminal(argv: list[str], columns: int) -> tuple[str, str]:
    """Run `argv` with standard error on a pseudo-terminal `columns` wide;
    (what the terminal received, standard output)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns)}
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, cwd=ROOT, env=env)
    os.close(slave)
    received = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal's other end is closed
                break
            if not chunk:
                break
            received += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    out = proc.stdout.read().decode() if proc.stdout else ""
    proc.wait(timeout=120)
    return received.decode(errors="replace"), out


@pytest.fixture
def four(tmp_path: Path) -> Path:
    """Four repositories and a missing one: enough for two jobs to mine whole
    repositories on the pool."""
    for i in range(4):
        make_git_repo(tmp_path / f"r{i}", {"a.py": CODE, "b.py": f"x = {i}\n"})
    (tmp_path / "list.txt").write_text("r0\nr1\n./missing\nr2\nr3\n")
    return tmp_path / "list.txt"


BAR = re.compile(r"(reading|extracting|resolving|mining|writing tables): +\d+%\|.*\| \d/5 repos, \d+ files "
                 r"\[\d\d:\d\d<(\d\d:\d\d|\?)\]")


@pytest.mark.parametrize(("jobs", "phases"), [
    ("1", ["reading", "extracting", "resolving", "writing tables"]),  # files batched across the run's steps
    ("2", ["reading", "mining", "writing tables"]),  # whole repositories on the pool
])
def test_a_terminal_gets_one_bar_sized_to_it(four: Path, jobs: str, phases: list[str]) -> None:
    columns = 70
    shown, out = run_in_terminal([sys.executable, "-m", "miner", "mine", "--repos", str(four),
                                  "--out", str(four.parent / "out"), "--jobs", jobs], columns)
    frames = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", f) for f in re.split(r"[\r\n]+", shown) if f.strip()]
    assert frames, shown
    assert all(BAR.fullmatch(f.rstrip()) for f in frames), frames  # the bar alone: no line per repository
    assert all(len(f) <= columns for f in frames), [f for f in frames if len(f) > columns]
    labels = [f.split(":")[0] for f in frames]
    assert labels[0] == "reading" and set(labels) == set(phases), labels  # each serial step is shown as the bar's label
    last = frames[-1]
    assert last.startswith("writing tables: 100%|") and "5/5 repos, 8 files [" in last, last
    assert out.splitlines()[0] == "repositories: 4 ok, 1 failed"  # the summary, on standard output
