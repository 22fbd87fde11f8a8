"""Which files the miner reads besides those the prefilter selects: the flows a
filter might cut, on real git repositories, read back from Parquet.

The prefilter selects only files that name a loading API; an id often reaches
that call from files that do not (a script calling a wrapper, a wrapper calling
another, a dataclass or a settings object in a module of its own). These tests
write such repositories and check that the id still resolves at the call.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from miner.run import REVERSE_DEPTH, REVERSE_LIMIT
from tests.test_end_to_end import make_repo, run

WRAPPER = '''from transformers import AutoModel


class Backbone:
    def __init__(self, hub_name):
        self.model = AutoModel.from_pretrained(hub_name)
'''


def _models(tmp_path: Path, files: dict[str, str]) -> set[str]:
    make_repo(tmp_path / "repo", files)
    listing = tmp_path / "list.txt"
    listing.write_text(str(tmp_path / "repo") + "\n")
    assert run(listing, tmp_path / "out") == 0
    return {r["model_id"] for r in pq.read_table(tmp_path / "out" / "usages.parquet").to_pylist() if r["model_id"]}


def test_every_caller_of_a_wrapper_up_to_the_limit_is_read(tmp_path: Path) -> None:
    """REVERSE_LIMIT scripts import the wrapper by a class import and call it:
    none names a loading API, each one's id resolves."""
    files = {"vision/__init__.py": "", "vision/backbone.py": WRAPPER}
    for i in range(REVERSE_LIMIT):
        files[f"scripts/run_{i}.py"] = f'from vision.backbone import Backbone\n\nbb = Backbone("org/vit-{i}")\n'
    assert _models(tmp_path, files) == {f"org/vit-{i}" for i in range(REVERSE_LIMIT)}


def test_callers_of_callers_are_read(tmp_path: Path) -> None:
    """A chain of modules REVERSE_DEPTH deep above the loading call: a package
    re-export, then wrappers calling wrappers, imported by name and by module."""
    files = {"vision/__init__.py": "from .backbone import Backbone\n", "vision/backbone.py": WRAPPER,
             "level1.py": "from vision import Backbone\n\n\ndef build(name):\n    return Backbone(name)\n"}
    for level in range(2, REVERSE_DEPTH - 1):  # the package re-export is a level too
        files[f"level{level}.py"] = (f"import level{level - 1}\n\n\ndef build(name):\n"
                                     f"    return level{level - 1}.build(name)\n")
    files["main.py"] = f'from level{REVERSE_DEPTH - 2} import build\n\nmodel = build("org/deep-model")\n'
    assert _models(tmp_path, files) == {"org/deep-model"}


def test_a_class_imported_only_as_a_base_does_not_make_a_caller(tmp_path: Path) -> None:
    """The counter-case of the rule: a file that subclasses the wrapper and never
    calls it adds nothing (and is still read through its subclass's callers)."""
    files = {"vision/__init__.py": "", "vision/backbone.py": WRAPPER,
             "tiny.py": ('from vision.backbone import Backbone\n\n\nclass Tiny(Backbone):\n'
                         '    def __init__(self):\n        super().__init__("org/vit-tiny")\n'),
             "main.py": "from tiny import Tiny\n\nmodel = Tiny()\n"}
    assert _models(tmp_path, files) == {"org/vit-tiny"}


def test_a_dataclass_and_a_settings_object_in_modules_of_their_own_are_read(tmp_path: Path) -> None:
    files = {
        "arguments.py": ('from dataclasses import dataclass, field\n\n\n@dataclass\nclass ModelArguments:\n'
                         '    model_name_or_path: str = field(default="org/from-dataclass")\n'),
        "settings.py": 'class Config:\n    def __init__(self):\n        self.name = "org/from-settings"\n\n\nconfig = Config()\n',
        "train.py": ("from transformers import AutoModel, HfArgumentParser\n\nfrom arguments import ModelArguments\n"
                     "from settings import config\n\n"
                     "args, = HfArgumentParser((ModelArguments,)).parse_args_into_dataclasses()\n"
                     "a = AutoModel.from_pretrained(args.model_name_or_path)\n"
                     "b = AutoModel.from_pretrained(config.name)\n"),
    }
    assert _models(tmp_path, files) == {"org/from-dataclass", "org/from-settings"}
