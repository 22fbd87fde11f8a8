"""Workers end with their coordinator: `python -m miner mine --jobs 2` is
killed with SIGKILL (the coordinator alone, as the OOM killer or `kill -9`
does) while its workers mine; every process it started ends by itself."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.test_bounds import cache_rows, make_repo

ROOT = Path(__file__).resolve().parents[1]
LOAD = "from transformers import AutoModel\nmodel = AutoModel.from_pretrained({!r})\n"


def session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes of session `sid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            data = (entry / "stat").read_bytes()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != b"Z":  # state, ppid, pgrp, session
            found.append(int(entry.name))
    return found


def test_workers_end_when_their_coordinator_is_killed(tmp_path: Path) -> None:
    body = "".join(f"def f{j}(x):\n    return [x, {j}, 'text {j}']\n" for j in range(400))
    repos = [make_repo(tmp_path / f"r{i}", {f"m{k}.py": LOAD.format(f"org/r{i}m{k}") + body for k in range(150)})
             for i in range(4)]  # enough new repositories for one task per repository, each a while to mine
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{r}\n" for r in repos))
    out = tmp_path / "out"
    coordinator = subprocess.Popen([sys.executable, "-m", "miner", "mine", "--repos", str(listing), "--out", str(out),
                                    "--jobs", "2"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
    try:
        while cache_rows(out, 'scans') < 150 and coordinator.poll() is None:  # workers at work
            time.sleep(0.05)
        workers = [p for p in session_processes(coordinator.pid) if p != coordinator.pid]
        os.kill(coordinator.pid, signal.SIGKILL)  # the coordinator only
        coordinator.wait(timeout=60)
        assert coordinator.returncode == -signal.SIGKILL, "killed while at work, not finished"
        assert workers, "the run had started its workers"
        deadline = time.monotonic() + 60  # a liveness bound, not a measure: they end within a second or two
        while session_processes(coordinator.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session_processes(coordinator.pid) == [], "every worker (and its git processes) has ended"
    finally:
        for pid in session_processes(coordinator.pid):
            os.kill(pid, signal.SIGKILL)
