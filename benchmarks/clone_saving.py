"""What a partial clone saves on a data-heavy repository (issue 13, item 4).

Builds one data-heavy fixture repository (a small ML project's code, a
notebook with large outputs, and the data files such projects commit:
weights, arrays, CSVs, images; random bytes, so nothing compresses), serves it
over file:// (`uploadpack.allowFilter` on, as GitHub has it), then compares:

- a full bare clone (`git clone --bare --no-local`, what the miner did before);
- the miner's own clone, made by `python -m miner mine` with the default
  `--max-file-bytes` (a partial clone leaving out blobs over it, the
  notebook fetched back by id).

Bytes are the object store's size on disk (packs and loose objects), which is
also what crossed the wire: a clone writes the pack it receives.

    python -m benchmarks.clone_saving [--keep]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ENV = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
       "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.org",
       "GIT_AUTHOR_DATE": "1700000000 +0000", "GIT_COMMITTER_DATE": "1700000000 +0000"}
LOAD = "from transformers import AutoModel\nmodel = AutoModel.from_pretrained({!r})\n"
MIB = 1 << 20


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout


def fixture(root: Path) -> dict[str, int]:
    """The repository: returns bytes by kind of file."""
    noise = random.Random(2026)
    files: dict[str, bytes] = {}
    for i in range(40):
        files[f"src/module_{i:02d}.py"] = (LOAD.format(f"org/model-{i}") + "# code\n" * 100).encode()
    files["train.sh"] = b"python src/module_00.py --model_name_or_path org/model-sh\n"
    files["notebooks/explore.ipynb"] = json.dumps({"nbformat": 4, "metadata": {}, "cells": [{
        "cell_type": "code", "metadata": {}, "source": LOAD.format("org/notebook"),
        "outputs": [{"output_type": "display_data", "data": {"image/png": noise.randbytes(3 * MIB).hex()}}]}]}).encode()
    for name, size in (("checkpoints/model.pt", 40 * MIB), ("checkpoints/optimizer.pt", 20 * MIB),
                       ("data/train.npy", 16 * MIB), ("data/val.npy", 4 * MIB)):
        files[name] = noise.randbytes(size)
    for i in range(6):
        files[f"data/table_{i}.csv"] = "\n".join(",".join(str(noise.random()) for _ in range(8))
                                                  for _ in range(40_000)).encode()
    for i in range(20):
        files[f"assets/figure_{i:02d}.png"] = noise.randbytes(600_000)
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    git(root.parent, "init", "-q", "--initial-branch=main", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fixture")
    git(root, "config", "uploadpack.allowFilter", "true")
    kinds: dict[str, int] = {}
    for name, data in files.items():
        kind = "code" if name.endswith((".py", ".sh", ".ipynb")) else "data"
        kinds[kind] = kinds.get(kind, 0) + len(data)
    return kinds


def store_bytes(git_dir: Path) -> int:
    objects = git_dir / "objects"
    return sum(p.stat().st_size for p in objects.rglob("*") if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="clone-saving-"))
    try:
        upstream = work / "upstream"
        kinds = fixture(upstream)
        url = f"file://{upstream}"
        full = work / "full.git"
        git(work, "clone", "-q", "--bare", "--no-local", url, str(full))
        (work / "list.txt").write_text(url + "\n")
        out = work / "out"
        subprocess.run([sys.executable, "-m", "miner", "mine", "--repos", str(work / "list.txt"), "--out", str(out)],
                       check=True, capture_output=True, env={**ENV, "PYTHONSAFEPATH": "1"})
        (partial,) = (out / ".work").glob("*.git")
        full_bytes, partial_bytes = store_bytes(full), store_bytes(partial)
        usages = subprocess.run([sys.executable, "-c", "import pyarrow.parquet as pq, sys; "
                                 "print(pq.read_table(sys.argv[1]).num_rows)", str(out / "usages.parquet")],
                                check=True, capture_output=True, text=True).stdout.strip()
        print(f"fixture: {sum(kinds.values()) / MIB:.1f} MiB in the work tree "
              f"({kinds['code'] / MIB:.1f} MiB code and notebook, {kinds['data'] / MIB:.1f} MiB data)")
        print(f"full bare clone: {full_bytes / MIB:.1f} MiB; the miner's partial clone: {partial_bytes / MIB:.2f} MiB "
              f"({partial_bytes / full_bytes:.1%} of it, {full_bytes / partial_bytes:.0f}x less); usages: {usages}")
    finally:
        if args.keep:
            print(f"kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
