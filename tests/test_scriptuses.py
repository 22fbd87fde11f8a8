"""Shell values that the script they drive uses as a local folder or as one of
its own architecture names are no model ids (issue 16, item 7;
miner/resolve/scriptuses.py); each rule with its counter-cases, on real git
repositories mined through the command line and read back from Parquet."""
from __future__ import annotations

from pathlib import Path

from tests.test_placeholders import mined

# A script the miner reads (one loading call of its own); an unread script is no evidence: its rows stay.
PARSER = ('import argparse, os\nfrom transformers import AutoModel\nbase = AutoModel.from_pretrained("org/base")\n'
          'p = argparse.ArgumentParser()\np.add_argument("--model_name"{})\nargs = p.parse_args()\n')


def test_a_value_the_script_only_uses_as_a_folder_is_no_model(tmp_path: Path) -> None:
    ids, models = mined(tmp_path, {
        "run.sh": "python train.py --model_name bert-finetuned-ours\n",
        "train.py": PARSER.format("") + 'save_path = os.path.join(args.model_name, "best.pt")\n'
                    'log_dir = f"{args.model_name}/logs"\n',
    })
    assert "bert-finetuned-ours" not in ids and models == {"org/base"}


def test_a_folder_value_the_script_also_loads_or_hands_on_stays(tmp_path: Path) -> None:
    _, loaded = mined(tmp_path / "a", {
        "run.sh": "python train.py --model_name bert-finetuned-ours\n",
        "train.py": PARSER.format("") + 'save_path = os.path.join(args.model_name, "best.pt")\n'
                    "m = AutoModel.from_pretrained(args.model_name)\n",
    })
    assert "bert-finetuned-ours" in loaded, "passed to from_pretrained: an id"
    _, handed = mined(tmp_path / "b", {
        "run.sh": "python train.py --model_name bert-finetuned-ours\n",
        "train.py": PARSER.format("") + 'save_path = os.path.join(args.model_name, "best.pt")\n'
                    "name = args.model_name\n",
    })
    assert "bert-finetuned-ours" in handed, "handed on to a name the miner does not follow: unknown, kept"
    ids, _ = mined(tmp_path / "c", {
        "run.sh": "python train.py --model_name bert-finetuned-ours\n",
        "train.py": PARSER.format("") + "from pathlib import Path\n"
                    "m = AutoModel.from_pretrained(Path(args.model_name).resolve(strict=True), cache_dir=os.path.join(args.model_name, 'c'))\n",
    })
    assert "bert-finetuned-ours" in ids, "a folder-shaped use inside a loading call's arguments is still a load"


def test_one_of_the_scripts_own_architecture_names_is_no_model(tmp_path: Path) -> None:
    script = PARSER.format(', choices=["bert_combined", "bert_single"]') + (
        "class BertCombined:\n    pass\nclass BertSingle:\n    pass\n"
        'MODELS = {"bert_combined": BertCombined, "bert_single": BertSingle}\n'
        "net = MODELS[args.model_name]()\n"
        'if args.model_name == "bert_combined":\n    head = BertCombined()\n')
    ids, models = mined(tmp_path, {"run.sh": "python main.py --model_name bert_combined\n", "main.py": script})
    assert "bert_combined" not in ids and models == {"org/base"}


def test_a_choice_the_script_loads_or_does_not_name_stays(tmp_path: Path) -> None:
    loads = PARSER.format(', choices=["bert-base-uncased", "bert_large"]') + (
        'if args.model_name == "bert_large":\n    size = 2\n'
        "from transformers import AutoTokenizer\ntok = AutoTokenizer.from_pretrained(args.model_name)\n")
    _, models = mined(tmp_path / "a", {"run.sh": "python main.py --model_name bert-base-uncased\n", "main.py": loads})
    assert "bert-base-uncased" in models
    other = PARSER.format("") + 'if args.model_name == "bert_combined":\n    size = 2\n'
    ids, _ = mined(tmp_path / "b", {"run.sh": "python main.py --model_name bert_other\n", "main.py": other})
    assert "bert_other" in ids, "not one of the names the script compares with: kept"


def test_a_folder_that_another_command_line_writes_is_local(tmp_path: Path) -> None:
    train = "python train.py --model_name_or_path bert-base-uncased --output_dir ./bert-ours\n"
    _, models = mined(tmp_path / "a", {"run.sh": train + "python eval.py --model_name_or_path bert-ours\n"})
    assert models == {"bert-base-uncased"}, "a standalone row of the folder train.py writes: gone"
    evaluate = ('import argparse\nfrom transformers import AutoModel\np = argparse.ArgumentParser()\n'
                'p.add_argument("--model_name_or_path")\nargs = p.parse_args()\n'
                'm = AutoModel.from_pretrained(args.model_name_or_path)\n')
    ids, models = mined(tmp_path / "b", {"run.sh": train + "python eval.py --model_name_or_path bert-ours\n",
                                         "eval.py": evaluate})
    assert models == {"bert-base-uncased"} and None in ids, "the call that loads the folder: a local usage"


def test_a_value_written_as_an_output_only_on_its_own_line_or_another_value_stays(tmp_path: Path) -> None:
    _, models = mined(tmp_path, {"run.sh": "python train.py --model_name_or_path bert-mine --output_dir bert-mine\n"
                                           "python eval.py --model_name_or_path bert-theirs --output_dir out\n"})
    assert models == {"bert-mine", "bert-theirs"}
