"""The `role` of usages and the per-role counts of repo_models, on a real git
repository mined through the command line and read back from Parquet."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from miner.cli import EXIT_OK, EXIT_USAGE, main
from tests.test_end_to_end import make_repo

FILES = {
    "train.py": 'from transformers import AutoModel\nm = AutoModel.from_pretrained("org/shared")\n',
    "tests/test_model.py": 'from transformers import AutoModel\n\ndef test_load():\n'
                           '    AutoModel.from_pretrained("org/shared")\n    AutoModel.from_pretrained("org/test-only")\n',
    # named like a test, but an evaluation script: no test function, no test framework
    "tools/test_net.py": 'from transformers import AutoModel\nnet = AutoModel.from_pretrained("org/eval-net")\n',
    "src/test_utils.py": 'import unittest\nfrom transformers import AutoModel\n'
                         'class TestLoad(unittest.TestCase):\n    m = AutoModel.from_pretrained("org/unit")\n',
    "examples/run_glue.py": 'from transformers import AutoModel\nm = AutoModel.from_pretrained("org/example-only")\n',
    "README.md": "# Use\n\n```sh\nhf download org/docs-only\n```\n",
    "third_party/lib/loader.py": 'from transformers import AutoModel\nm = AutoModel.from_pretrained("org/vendored-only")\n',
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("roles") / "repo"
    make_repo(root, FILES)
    return root


def mine(repo: Path, out: Path, *options: str) -> tuple[list[dict], dict[str, dict]]:
    listing = out.parent / f"{out.name}.txt"
    listing.write_text(f"{repo}\n")
    assert main(["mine", "--repos", str(listing), "--out", str(out), "--jobs", "1", *options]) == EXIT_OK
    usages = pq.read_table(out / "usages.parquet").to_pylist()
    models = {r["model_id"]: r for r in pq.read_table(out / "repo_models.parquet").to_pylist()}
    return usages, models


def test_each_usage_has_the_role_of_its_file(repo: Path, tmp_path: Path) -> None:
    usages, _ = mine(repo, tmp_path / "out")
    roles = {(u["path"], u["model_id"]): u["role"] for u in usages}
    assert roles == {
        ("train.py", "org/shared"): "code",
        ("tests/test_model.py", "org/shared"): "test",
        ("tests/test_model.py", "org/test-only"): "test",
        ("tools/test_net.py", "org/eval-net"): "code",
        ("src/test_utils.py", "org/unit"): "test",
        ("examples/run_glue.py", "org/example-only"): "example",
        ("README.md", "org/docs-only"): "docs",
        ("third_party/lib/loader.py", "org/vendored-only"): "vendored",
    }


def test_repo_models_counts_each_role_and_the_default_leaves_vendored_out(repo: Path, tmp_path: Path) -> None:
    _, models = mine(repo, tmp_path / "out")
    assert "org/vendored-only" not in models
    shared = models["org/shared"]
    assert (shared["n_code"], shared["n_test"], shared["n_usages"]) == (1, 1, 2)
    assert models["org/docs-only"]["n_docs"] == 1 and models["org/example-only"]["n_example"] == 1


def test_roles_option_says_which_roles_make_a_pair(repo: Path, tmp_path: Path) -> None:
    _, models = mine(repo, tmp_path / "out", "--roles", "code")
    assert set(models) == {"org/shared", "org/eval-net"}
    shared = models["org/shared"]
    assert (shared["n_usages"], shared["n_code"], shared["n_test"]) == (1, 1, 1), \
        "n_usages totals the roles asked for; each role is still counted"
    _, everything = mine(repo, tmp_path / "all", "--roles", "code,test,example,docs,vendored")
    assert everything["org/vendored-only"]["n_vendored"] == 1
    _, legacy = mine(repo, tmp_path / "legacy", "--include-vendored")
    assert "org/vendored-only" in legacy and "org/test-only" in legacy


def test_an_unknown_role_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"{repo}\n")
    with pytest.raises(SystemExit) as exc:
        main(["mine", "--repos", str(listing), "--out", str(tmp_path / "out"), "--roles", "code,tset"])
    assert exc.value.code == EXIT_USAGE


def test_usages_written_before_roles_read_back_with_the_role_of_their_vendored_flag(tmp_path: Path) -> None:
    import pyarrow as pa

    from miner.tables import USAGES, read_usages

    old = pa.schema([f for f in USAGES if f.name != "role"])
    row = {f.name: None for f in old} | {"repo": "r", "path": "third_party/x.py", "line": 1, "api": "a", "hub": "huggingface",
                                         "repo_type": "model", "model_id": "org/x", "resolution": "literal",
                                         "expression": "", "library": "", "auth": False, "partial_parse": False}
    pq.write_table(pa.Table.from_pylist([row | {"vendored": True}, row | {"vendored": False, "path": "x.py"}], schema=old),
                   tmp_path / "usages.parquet")
    assert [u.role for u in read_usages(tmp_path / "usages.parquet")] == ["vendored", "code"]
