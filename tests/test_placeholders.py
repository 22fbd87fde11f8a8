"""Ids that documentation writes for the reader to fill (issue 16, item 7) are
no model ids; ids that merely contain such words stay. Real git repositories,
mined through the command line and read back from Parquet."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from miner.resolve.ids import placeholder
from tests.test_copies import load
from tests.test_end_to_end import make_repo
from miner.cli import EXIT_OK, main


def mined(tmp_path: Path, files: dict[str, str]) -> tuple[set[str | None], set[str]]:
    make_repo(tmp_path / "repo", files)
    (tmp_path / "list.txt").write_text(f"{tmp_path / 'repo'}\n")
    assert main(["mine", "--repos", str(tmp_path / "list.txt"), "--out", str(tmp_path / "out"), "--jobs", "1"]) == EXIT_OK
    usages = pq.read_table(tmp_path / "out" / "usages.parquet").to_pylist()
    models = {r["model_id"] for r in pq.read_table(tmp_path / "out" / "repo_models.parquet").to_pylist()}
    return {u["model_id"] for u in usages}, models


def test_placeholder_ids_are_no_models_and_real_ids_that_look_alike_stay(tmp_path: Path) -> None:
    ids, models = mined(tmp_path, {
        "README.md": "```bash\ngit clone https://huggingface.co/username/your-model-name\n"
                     "git clone https://huggingface.co/coqui/YourTTS\n```\n",
        "a.py": load("your-username/your-model"),
        "b.py": load("YOUR_MODEL"),
        "c.py": load("my-org/model-namer"),
        "d.py": 'import torch\ntorch.hub.load_state_dict_from_url(f"https://dl.example.com/models/{\'/path/to/model.pt\'}")\n',
        "e.py": 'import torch\ntorch.hub.load_state_dict_from_url("https://dl.example.com/models/resnet50.pth")\n',
    })
    assert models == {"coqui/YourTTS", "my-org/model-namer", "https://dl.example.com/models/resnet50.pth"}
    assert not any(i and ("your" in i.lower() and i != "coqui/YourTTS" or "path/to" in i) for i in ids)


def test_what_counts_as_a_placeholder() -> None:
    assert placeholder("username/your-model-name") and placeholder("hf_username/bert-finetuned")
    assert placeholder("https://dl.fbaipublicfiles.com/DiT/models//path/to/model.pt")
    assert not placeholder("yourtts/model") and not placeholder("user-research/model-x")
    assert not placeholder("https://tfhub.dev/google/universal-sentence-encoder/4")
