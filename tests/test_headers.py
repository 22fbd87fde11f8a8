"""Copies known by their files' copyright headers (miner/resolve/headers.py,
the `notices` of patterns/_vendored.toml), each rule with its counter-case, on
real git repositories mined through the command line and read back from
Parquet; the repository's owner (its key) is judged on facts extracted from a
real repository's blobs."""
from __future__ import annotations

from pathlib import Path

from miner.extract import WorkItem, extract_file
from miner.patterns import default_registry
from miner.records import FileKind
from miner.resolve import resolve_repo
from tests.test_copies import mine
from tests.test_end_to_end import make_repo

FB = "# Copyright (c) Facebook, Inc. and its affiliates.\n# All rights reserved.\n"
HF = "# coding=utf-8\n# Copyright 2020 The HuggingFace Inc. team. All rights reserved.\n#\n# Licensed under the Apache License\n"
TF_HUB = 'import tensorflow_hub as hub\nm = hub.load("{}")\n'


def hf_load(model: str) -> str:
    return f'from transformers import AutoModel\nm = AutoModel.from_pretrained("{model}")\n'


def test_a_folder_whose_files_all_carry_an_upstream_header_is_a_copy(tmp_path: Path) -> None:
    roles, models = mine(tmp_path, {
        "train.py": hf_load("org/own-model"),
        "SentEval/senteval/__init__.py": "",
        "SentEval/senteval/engine.py": FB + "def run(m):\n    return m\n",
        "SentEval/examples/googleuse.py": FB + "from senteval import engine\n"
                                          + TF_HUB.format("https://tfhub.dev/google/universal-sentence-encoder/4"),
    })
    assert roles == {"org/own-model": "code", "https://tfhub.dev/google/universal-sentence-encoder/4": "vendored"}
    assert models == {"org/own-model"}


def test_a_folder_mixing_upstream_files_with_the_repositorys_own_is_its_own_code(tmp_path: Path) -> None:
    roles, _ = mine(tmp_path, {
        "train.py": hf_load("org/own-model"),
        "pkg/base_model.py": FB + hf_load("org/derived"),
        "pkg/engine.py": FB + "from pkg.model import M\n",
        "pkg/model.py": "from pkg.base_model import m\n" + hf_load("org/their-own"),  # no header: the repository's
    })
    assert roles == {"org/own-model": "code", "org/derived": "code", "org/their-own": "code"}


def test_the_projects_own_header_at_the_top_level_is_no_copy(tmp_path: Path) -> None:
    roles, _ = mine(tmp_path, {
        "main.py": FB + hf_load("org/entry"),  # the project's own entry point carries the notice
        "models/backbone.py": FB + hf_load("org/backbone"),
        "models/head.py": FB + "import torch\n",
    })
    assert roles == {"org/entry": "code", "org/backbone": "code"}


def test_a_header_that_another_holder_signs_too_is_no_copy(tmp_path: Path) -> None:
    signed = FB.replace("# All", "# Copyright (c) 2023 Some Lab. All")
    roles, _ = mine(tmp_path, {
        "train.py": hf_load("org/own-model"),
        "lib/a.py": signed + hf_load("org/modified"),
        "lib/b.py": signed + "import torch\n",
    })
    assert roles["org/modified"] == "code"


def test_a_copied_hugging_face_script_is_vendored_unless_the_repository_drives_it(tmp_path: Path) -> None:
    script = HF + ("from transformers import AutoModel\nimport argparse\np = argparse.ArgumentParser()\n"
                   'p.add_argument("--model_name_or_path", default="bert-base-cased")\n'
                   "a = p.parse_args()\nm = AutoModel.from_pretrained(a.model_name_or_path)\n")
    roles, models = mine(tmp_path, {
        "train.py": hf_load("org/own-model"),
        "run_glue.py": script,
        "run.sh": "python run_glue.py --model_name_or_path org/driven\n",
        "scripts/finetune.py": HF + hf_load("org/derived-main"),  # an HF header on a script of another name: the repository's
    })
    assert roles["bert-base-cased"] == "vendored", "the copied script's own default"
    assert roles["org/driven"] == "code", "the repository's own script passes it"
    assert roles["org/derived-main"] == "code"
    assert {"org/driven", "org/own-model", "org/derived-main"} <= models and "bert-base-cased" not in models


def resolve_as(root: Path, files: dict[str, str], key: str) -> dict[str, str]:
    """Each model's role when the repository at `root` is mined under `key`."""
    repo = make_repo(root, files)
    blobs = [b for b in repo.head.commit.tree.traverse() if b.type == "blob" and b.path.endswith(".py")]
    registry = default_registry()
    facts = [extract_file(WorkItem(b.path, FileKind.PYTHON, b.data_stream.read()), registry.callee_names)
             for b in blobs]
    return {u.model_id: u.role for u in resolve_repo(facts, registry, repo=key, commit=None)}


def test_the_owner_in_the_key_decides_whose_header_it_is(tmp_path: Path) -> None:
    files = {"pkg/a.py": FB + hf_load("org/a"), "pkg/b.py": FB + "import torch\n"}  # no top-level code
    assert resolve_as(tmp_path / "r1", files, "someone/research") == {"org/a": "vendored"}
    assert resolve_as(tmp_path / "r2", files, "facebookresearch/project") == {"org/a": "code"}
    assert resolve_as(tmp_path / "r3", files, str(tmp_path / "r3")) == {"org/a": "code"}, "a local path: unknown"


def test_the_header_notice_is_extracted_and_survives_the_facts_cache() -> None:
    from miner.cache import pack, unpack

    text = FB + "# The above copyright notice shall be included\n" + hf_load("org/a") + "# Copyright (c) Later Text\n" * 50
    facts = extract_file(WorkItem("x.py", FileKind.PYTHON, text.encode()), default_registry().callee_names)
    assert facts.notice.splitlines()[0] == "Copyright (c) Facebook, Inc. and its affiliates."
    assert unpack(pack(facts), "x.py") == facts
