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


def test_a_terminal_gets_one_bar_sized_to_it(listing: Path) -> None:
    columns = 70
    shown, out = run_in_terminal([sys.executable, "-m", "miner", "mine", "--repos", str(listing),
                                  "--out", str(listing.parent / "out"), "--jobs", "1"], columns)
    frames = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", f) for f in re.split(r"[\r\n]+", shown) if f.strip()]
    assert frames, shown
    last = frames[-1]
    assert "3/3 repos, " in last and "100%" in last
    assert re.search(r"3 files \[\d\d:\d\d<\d\d:\d\d\]", last), last  # files, elapsed < remaining
    assert last.startswith("writing tables:")  # the serial phase is the label
    assert all(len(f) <= columns for f in frames), [f for f in frames if len(f) > columns]
    assert not any(f.startswith("[1/3]") for f in frames)  # no per-repository lines on a terminal
    assert "repositories: 2 ok, 1 failed" in out
