"""Narrowing rules (miner/resolve/narrow.py) on real git repositories: each
case that narrows next to the counter-case that must still be reported, for the
ways a function can be reached without a call the resolver sees."""
from __future__ import annotations

from pathlib import Path

from miner.cli import EXIT_OK, main
from tests.test_end_to_end import make_repo, rows

ENCODER = '''import timm


def build(name, use_pretrained=False):
    return timm.create_model(name, pretrained=use_pretrained)


net = build("resnet18", False)
'''


def mined(tmp_path: Path, files: dict[str, str]) -> set[tuple[str, str | None]]:
    make_repo(tmp_path / "r", files)
    (tmp_path / "list.txt").write_text("r\n")
    assert main(["mine", "--repos", str(tmp_path / "list.txt"), "--out", str(tmp_path / "out"), "--jobs", "1"]) == EXIT_OK
    return {(u["path"], u["model_id"]) for u in rows(tmp_path / "out", "usages")}


def test_a_flag_false_at_every_call_fetches_nothing(tmp_path: Path) -> None:
    assert mined(tmp_path, {"enc.py": ENCODER}) == set()


def test_a_function_handed_on_as_a_value_keeps_its_flag(tmp_path: Path) -> None:
    found = mined(tmp_path, {"enc.py": ENCODER + 'BUILDERS = {"timm": build}\n'})
    assert ("enc.py", "resnet18") in found


def test_a_call_in_a_file_the_miner_does_not_read_keeps_the_flag(tmp_path: Path) -> None:
    # Imported by more files than the miner follows back: none of them is read,
    # and one of them may pass True.
    files = {"enc.py": ENCODER}
    files |= {f"user{i}.py": "from enc import build\n" for i in range(9)}
    files["user0.py"] += 'model = build("resnet50", use_pretrained=True)\n'
    assert ("enc.py", "resnet18") in mined(tmp_path, files)


def test_a_default_reached_through_kwargs_counts(tmp_path: Path) -> None:
    app = ('from transformers import AutoModel\n\n\ndef load(name="bert-base-uncased"):\n'
           '    return AutoModel.from_pretrained(name)\n\n\n'
           'def run(**options):\n    return load(**options)\n\n\nload("gpt2")\nrun()\n')
    found = mined(tmp_path, {"app.py": app})
    assert {("app.py", "bert-base-uncased"), ("app.py", "gpt2")} <= found


def test_a_default_every_call_overrides_is_no_usage(tmp_path: Path) -> None:
    app = ('from transformers import AutoModel\n\n\ndef load(name="bert-base-uncased"):\n'
           '    return AutoModel.from_pretrained(name)\n\n\nload("gpt2")\n')
    assert mined(tmp_path, {"app.py": app}) == {("app.py", "gpt2")}


def test_a_decorated_function_and_a_class_named_by_a_config_keep_their_defaults(tmp_path: Path) -> None:
    app = ('from flask import Flask\nfrom transformers import AutoModel\napp = Flask(__name__)\n\n\n'
           '@app.route("/load")\ndef load(name="bert-base-uncased"):\n    return AutoModel.from_pretrained(name)\n\n\n'
           'class Embedder:\n    def __init__(self, version="google/t5-v1_1-large"):\n'
           '        self.model = AutoModel.from_pretrained(version)\n\n\n'
           'load("gpt2")\nEmbedder("google/flan-t5-base")\n')
    config = "cond_stage:\n  target: app.Embedder\n"
    found = mined(tmp_path, {"app.py": app, "configs/model.yaml": config})
    assert {("app.py", "bert-base-uncased"), ("app.py", "google/t5-v1_1-large")} <= found


def test_a_branch_whose_selector_comes_from_outside_is_kept(tmp_path: Path) -> None:
    app = ('import sys\nimport torch\n\n\ndef make(kind):\n    if kind == "deit":\n'
           '        return torch.hub.load("facebookresearch/deit:main", "deit_tiny_patch16_224")\n'
           '    return None\n\n\nmake(sys.argv[1])\nmake("vit")\n')
    assert ("app.py", "facebookresearch/deit:deit_tiny_patch16_224") in mined(tmp_path, {"app.py": app})


def test_a_branch_no_call_selects_is_no_usage(tmp_path: Path) -> None:
    app = ('import torch\n\n\ndef make(kind):\n    if kind == "deit":\n'
           '        return torch.hub.load("facebookresearch/deit:main", "deit_tiny_patch16_224")\n'
           '    return None\n\n\nmake("vit")\n')
    assert mined(tmp_path, {"app.py": app}) == set()


def test_a_module_flag_set_by_another_function_is_not_known(tmp_path: Path) -> None:
    app = ('import timm\nPRETRAINED = False\n\n\ndef configure():\n    global PRETRAINED\n    PRETRAINED = True\n\n\n'
           'configure()\nnet = timm.create_model("resnet18", pretrained=PRETRAINED)\n')
    assert ("app.py", "resnet18") in mined(tmp_path, {"app.py": app})


def test_a_name_bound_again_inside_the_branch_is_not_pinned(tmp_path: Path) -> None:
    app = ('from transformers import AutoModel\n\n\n'
           'def load(name, fallback):\n    if name == "default":\n        name = fallback\n'
           '        return AutoModel.from_pretrained(name)\n    return None\n\n\n'
           'load("default", "org/fallback")\nload("org/direct", None)\n')
    assert ("app.py", "org/fallback") in mined(tmp_path, {"app.py": app})


def test_a_shell_value_keyed_in_another_scripts_dict_stays_an_id(tmp_path: Path) -> None:
    files = {
        "train.py": ('import argparse\nimport torch\nfrom transformers import AutoTokenizer\n'
                     'p = argparse.ArgumentParser()\np.add_argument("--model")\n'
                     'args = p.parse_args()\ntorch.save(AutoTokenizer.from_pretrained("gpt2"), args.model)\n'),
        "other.py": ('import argparse\nfrom transformers import AutoModel\nNAMES = {"bart-large-cnn": "facebook/bart-large-cnn"}\n'
                     'p = argparse.ArgumentParser()\np.add_argument("--model")\nargs = p.parse_args()\n'
                     'AutoModel.from_pretrained(NAMES[args.model])\n'),
        "run.sh": "python train.py --model bart-large-cnn\n",
    }
    assert ("run.sh", "bart-large-cnn") in mined(tmp_path, files)


def test_a_flag_also_bound_where_the_facts_do_not_show_is_not_known(tmp_path: Path) -> None:
    app = ('import torch\n\n\nclass Loader:\n    def pick(self):\n        return "deit"\n\n'
           '    def run(self):\n        kind = None\n        if True:\n            kind = self.pick()\n'
           '        if kind is not None:\n'
           '            return torch.hub.load("facebookresearch/deit:main", "deit_tiny_patch16_224")\n'
           '        return None\n')
    assert ("app.py", "facebookresearch/deit:deit_tiny_patch16_224") in mined(tmp_path, {"app.py": app})
