"""How the miner scales: with the size of one repository, and with the number of repositories.

- The slowest repositories: each of the corpus's largest repositories (by
  parse work and resolution time) mined alone, cold, with 2 jobs, as a ratio
  to its own honest floor (`benchmarks.floor`); the largest also with 1 job, for
  the speed-up that one large repository gets from a second core.
- Many small repositories: `MANY` generated repositories of two files each
  (a loading call and a helper), mined cold and again unchanged, as wall time
  per repository: the fixed cost that 30,000 repositories multiply.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

MANY = 1000
_MODEL = """\
from transformers import AutoModel
from helpers import NAME

model = AutoModel.from_pretrained(NAME)
"""
_HELPER = 'NAME = "org/model-{i:04d}"\n'


def many_repos(cache: Path, count: int = MANY, log=print) -> Path:
    """A list file naming `count` small git repositories under `cache/many/`,
    built once (git fast-import: one process per repository) and reused."""
    root = cache / "many"
    list_file = root / "list.txt"
    if list_file.exists() and len(list_file.read_text().splitlines()) == count:
        return list_file
    log(f"building {count} small repositories")
    root.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(count):
        repo = root / f"r{i:04d}"
        if not (repo / "HEAD").exists():
            _fast_import(repo, {"model.py": _MODEL, "helpers.py": _HELPER.format(i=i)})
        lines.append(f"./{repo.name}")
    list_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return list_file


def _fast_import(repo: Path, files: dict[str, str]) -> None:
    """A bare repository with one commit holding `files`, fixed author and date."""
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(repo)], check=True)
    payload = b"commit refs/heads/main\ncommitter bench <bench@localhost> 1704067200 +0000\ndata 4\ninit\n"
    for name, text in files.items():
        data = text.encode()
        payload += f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n"
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=payload, check=True)
