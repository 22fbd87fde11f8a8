"""Vendored and upstream copies recognised by what they are (patterns/_vendored.toml),
each rule with its counter-case, on real git repositories mined through the
command line and read back from Parquet."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from miner.cli import EXIT_OK, main
from miner.patterns import default_registry
from miner.records import SourceFile
from miner.resolve.copies import copied_roots, projects
from miner.resolve.tree import TreeEvidence, declared_name, gather
from tests.test_end_to_end import make_repo


def load(model: str) -> str:
    return f'from transformers import AutoModel\nm = AutoModel.from_pretrained("{model}")\n'


def mine(tmp_path: Path, files: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    """Each model's role, and the models of repo_models."""
    make_repo(tmp_path / "repo", files)
    (tmp_path / "list.txt").write_text(f"{tmp_path / 'repo'}\n")
    assert main(["mine", "--repos", str(tmp_path / "list.txt"), "--out", str(tmp_path / "out"), "--jobs", "1"]) == EXIT_OK
    usages = pq.read_table(tmp_path / "out" / "usages.parquet").to_pylist()
    models = {r["model_id"] for r in pq.read_table(tmp_path / "out" / "repo_models.parquet").to_pylist()}
    roles = {u["model_id"]: u["role"] for u in usages}
    assert all(u["vendored"] == (u["role"] == "vendored") for u in usages)
    return roles, models


def test_a_fork_at_the_root_has_its_package_vendored_and_the_rest_kept_when_the_repository_is_unknown(tmp_path: Path) -> None:
    roles, models = mine(tmp_path, {
        "setup.py": 'from setuptools import setup\nsetup(\n    name="fairseq",\n    version="0.12.2",\n)\n',
        "fairseq/__init__.py": "", "fairseq/models/roberta/hub.py": load("org/fairseq-own"),
        "fairseq/tasks/__init__.py": "", "fairseq/criterions/__init__.py": "",
        # mined from a local path: this may be fairseq's own repository, so its other code is kept
        "examples/roberta/run.py": load("org/fairseq-example"),
    })
    assert roles == {"org/fairseq-own": "vendored", "org/fairseq-example": "example"}
    assert models == {"org/fairseq-example"}


def tree_of(root: Path, files: dict[str, str]) -> TreeEvidence:
    """The evidence `gather` reads from a real git repository's HEAD."""
    repo = make_repo(root, files)
    blobs = [b for b in repo.head.commit.tree.traverse() if b.type == "blob"]
    listing = [SourceFile(b.path, b.hexsha, b.size) for b in blobs]
    return gather(listing, lambda wanted: [repo.odb.stream(bytes.fromhex(f.blob)).read() for f in wanted])


def test_the_repository_itself_is_a_copy_only_when_its_key_names_another_repository(tmp_path: Path) -> None:
    tree = tree_of(tmp_path / "repo", {"setup.py": 'from setuptools import setup\nsetup(name="fairseq")\n',
                                       "train.py": load("org/x")})
    registry = default_registry()
    assert copied_roots(tree, registry, "someone/fairseq-custom") == {""}, "a fork: the whole repository"
    assert copied_roots(tree, registry, "facebookresearch/fairseq") == set(), "the project's own repository"
    assert copied_roots(tree, registry, str(tmp_path / "repo")) == set(), "a local path: unknown, kept"


def test_a_repository_whose_setup_py_names_its_own_distribution_is_its_own_code(tmp_path: Path) -> None:
    roles, models = mine(tmp_path, {
        "setup.py": 'from setuptools import setup\nsetup(name="my-research-project", packages=["mrp"])\n',
        "mrp/__init__.py": "", "mrp/model.py": load("org/mine"),
        "third/setup.py": 'from setuptools import setup\nNAME = "fairseq"\nsetup(name=NAME)\n',  # computed: unknown
        "third/encoder.py": load("org/kept"),
    })
    assert roles == {"org/mine": "code", "org/kept": "code"} and models == {"org/mine", "org/kept"}


def test_a_checkout_under_src_named_by_setup_cfg_or_pyproject_is_vendored(tmp_path: Path) -> None:
    roles, _ = mine(tmp_path, {
        "src/taming-transformers/setup.cfg": "[metadata]\nname = taming-transformers\n",
        "src/taming-transformers/taming/models/cond.py": load("org/taming-own"),
        "src/clip/pyproject.toml": '[project]\nname = "open_clip_torch"\n',
        "src/clip/factory.py": load("org/openclip-own"),
        "train.py": load("org/user-model"),
    })
    assert roles == {"org/taming-own": "vendored", "org/openclip-own": "vendored", "org/user-model": "code"}


def test_a_package_with_a_listed_projects_layout_is_vendored_but_a_namesake_is_not(tmp_path: Path) -> None:
    roles, _ = mine(tmp_path, {
        "lavis/__init__.py": "", "lavis/models/blip.py": load("org/lavis-own"),
        "lavis/processors/__init__.py": "", "lavis/tasks/__init__.py": "",
        # the user's own package named like a library, without that library's layout
        "clip/__init__.py": "", "clip/train_clip.py": load("org/user-clip"),
    })
    assert roles == {"org/lavis-own": "vendored", "org/user-clip": "code"}


def test_a_nested_license_of_an_upstream_holder_marks_a_copy(tmp_path: Path) -> None:
    roles, _ = mine(tmp_path, {
        "LICENSE": "Copyright (c) Facebook, Inc. and its affiliates.\n",  # the root: the repository's own
        "annotator/midas/LICENSE": "MIT License\n\nCopyright (c) 2019 Intel ISL (Intel Intelligent Systems Lab)\n",
        "annotator/midas/api.py": load("org/midas-own"),
        "annotator/hed/LICENSE": "MIT License\n\nCopyright (c) 2023 Jane Doe\n",  # not an upstream holder
        "annotator/hed/api.py": load("org/hed"),
        "app.py": load("org/app"),
    })
    assert roles == {"org/midas-own": "vendored", "org/hed": "code", "org/app": "code"}


@pytest.mark.parametrize("filename, text, name", [
    ("setup.py", "setup(name='Taming_Transformers', version='0.0.1')", "taming-transformers"),
    ("setup.py", "setup(version=VERSION, name=NAME)", None),
    ("setup.cfg", "[metadata]\nname = salesforce-lavis\n", "salesforce-lavis"),
    ("pyproject.toml", '[tool.poetry]\nname = "simpletransformers"\n', "simpletransformers"),
    ("pyproject.toml", "[project\n", None),
])
def test_declared_names_are_read_as_literals_only(filename: str, text: str, name: str | None) -> None:
    assert declared_name(filename, text) == name


def test_the_project_list_loads() -> None:
    listed = projects(default_registry())
    assert any("fairseq" in p.distributions for p in listed) and all(p.name for p in listed)


def test_a_bad_project_row_is_a_pattern_error() -> None:
    from miner.patterns import PatternError, Registry

    with pytest.raises(PatternError, match="layouts"):
        projects(Registry(apis=(), tables={}, version="bad-row", rows={"vendored": ({"name": "x", "layouts": "models/"},)}))


def test_a_namespace_package_with_a_listed_projects_layout_is_vendored_but_a_namesake_is_not(tmp_path: Path) -> None:
    roles, models = mine(tmp_path / "a", {
        # ControlNet's `ldm/`: latent-diffusion's layout, no `__init__.py`
        "ldm/models/diffusion/ddpm.py": "import torch\n", "ldm/modules/encoders/modules.py": load("org/ldm-clip"),
        "cldm/model.py": load("org/own"),
    })
    assert roles == {"org/ldm-clip": "vendored", "org/own": "code"} and models == {"org/own"}
    roles, _ = mine(tmp_path / "b", {"ldm/modules/encoders/modules.py": load("org/user-ldm")})  # no ddpm.py
    assert roles == {"org/user-ldm": "code"}
