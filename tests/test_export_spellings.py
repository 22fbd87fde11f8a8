"""The PeaTMOSS export spells models as PeaTMOSS does, so that a plain sqlite3
join finds them: spaCy pipelines, timm architectures and sentence-transformers
short names by the Hugging Face id they are published under (`canonical_id`),
and root models by their 2023 names. A local clone named `acme/vision` on its
list line is mined for real and joined onto a PeaTMOSS-shaped database."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from miner.cli import EXIT_OK, main
from miner.export import keys
from miner.patterns import default_registry
from tests.test_export_world import PEATMOSS, SHARED_PAIRS, make_git_repo

CODE = '''import spacy
import timm
from sentence_transformers import SentenceTransformer
from transformers import AutoModel

nlp = spacy.load("en_core_web_sm")
backbone = timm.create_model("resnet50", pretrained=True)
encoder = SentenceTransformer("all-MiniLM-L6-v2")
bert = AutoModel.from_pretrained("google-bert/bert-base-uncased")
custom = spacy.load("./training/model-best")
'''


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spellings")
    make_git_repo(root / "vision", {"models.py": CODE})
    (root / "list.txt").write_text("vision  acme/vision\n")
    assert main(["mine", "--repos", str(root / "list.txt"), "--out", str(root / "out"), "--jobs", "1"]) == EXIT_OK
    return root / "out"


def test_canonical_id_is_the_hugging_face_id(mined: Path) -> None:
    rows = {(r["hub"], r["model_id"]): r["canonical_id"] for r in pq.read_table(mined / "repo_models.parquet").to_pylist()}
    assert rows == {
        ("spacy", "en_core_web_sm"): "spacy/en_core_web_sm",
        ("timm", "resnet50"): "timm/resnet50.a1_in1k",
        ("huggingface", "all-MiniLM-L6-v2"): "sentence-transformers/all-MiniLM-L6-v2",
        ("huggingface", "google-bert/bert-base-uncased"): None,
    }


def test_sqlite3_join_on_peatmoss_spelling(mined: Path, tmp_path: Path) -> None:
    ours = tmp_path / "ptm.db"
    assert main(["export", str(mined), "--format", "peatmoss", "--to", str(ours)]) == EXIT_OK
    peatmoss = tmp_path / "PeaTMOSS.db"
    with sqlite3.connect(peatmoss) as con:
        con.executescript((PEATMOSS / "schema.sql").read_text())
        con.executescript((PEATMOSS / "spellings.sql").read_text())
        con.execute("ATTACH ? AS ours", (str(ours),))
        pairs = con.execute(SHARED_PAIRS).fetchall()
        mined_ids = con.execute("""
            SELECT m.context_id, x.hub, x.hub_model_id, x.canonical_id
            FROM ours.ptm_miner_model x JOIN ours.model m ON m.id = x.model_id ORDER BY m.context_id""").fetchall()
    con.close()
    # every PeaTMOSS pair of acme/vision is found
    assert pairs == [("bert-base-uncased", "github.com/acme/vision"),
                     ("sentence-transformers/all-MiniLM-L6-v2", "github.com/acme/vision"),
                     ("spacy/en_core_web_sm", "github.com/acme/vision"),
                     ("timm/resnet50.a1_in1k", "github.com/acme/vision")]
    # the miner's own ids stay in ptm_miner_model
    assert mined_ids == [
        ("bert-base-uncased", "huggingface", "google-bert/bert-base-uncased", None),
        ("sentence-transformers/all-MiniLM-L6-v2", "huggingface", "all-MiniLM-L6-v2",
         "sentence-transformers/all-MiniLM-L6-v2"),
        ("spacy/en_core_web_sm", "spacy", "en_core_web_sm", "spacy/en_core_web_sm"),
        ("timm/resnet50.a1_in1k", "timm", "resnet50", "timm/resnet50.a1_in1k")]


def test_models_without_a_hub_id_keep_their_own_hub() -> None:
    legacy = default_registry().table("legacy_hf")
    assert keys.peatmoss_model("spacy", "xx_custom_pipeline", None, legacy) == (keys.hub_id("spacy"), "xx_custom_pipeline")
    assert keys.peatmoss_model("torch_hub", "pytorch/vision:resnet18", None, legacy) == (2, "pytorch/vision/resnet18")
    assert keys.peatmoss_model("huggingface", "gpt2", "openai-community/gpt2", legacy) == (1, "gpt2")
    assert keys.peatmoss_model("huggingface", "openai-community/gpt2", None, legacy) == (1, "gpt2")
    assert keys.peatmoss_model("huggingface", "acme/gpt2", None, legacy) == (1, "acme/gpt2")


def test_the_spacy_table_is_generated_from_the_pinned_registry() -> None:
    """patterns/_spacy.toml is exactly what its generator writes from the registry copy."""
    import importlib.util
    import json

    path = Path(__file__).resolve().parent.parent / "patterns" / "generate" / "hub_tables.py"
    spec = importlib.util.spec_from_file_location("hub_tables", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    want = module.spacy_table(json.loads(module.SPACY_REGISTRY.read_text()),
                              json.loads(module.SPACY_SHORTCUTS.read_text()))
    assert (module.PATTERNS / "_spacy.toml").read_text() == want, "run patterns/generate/hub_tables.py spacy"
