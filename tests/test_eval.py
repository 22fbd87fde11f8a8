"""`ptm-miner eval`: a tiny labelled benchmark over real git repositories, mined
through a folder of mirrors, and the scorer's figures checked by hand."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from miner.cli import main
from miner.evaluation.labels import LabelError, read_benchmark
from miner.evaluation.run import EvalOptions, evaluate
from miner.evaluation.score import Pair, Site
from miner.evaluation.snapshots import mirror_of
from tests.test_end_to_end import commit, make_repo

HEADER = "path,line,model_id,hub,repo_type,resolution,optional,role,note\n"
A_CODE = '''from transformers import AutoModel
AutoModel.from_pretrained("bert-base-uncased")
MODEL = "org/one"
AutoModel.from_pretrained(MODEL)
import json
AutoModel.from_pretrained(json.load(open("cfg.json"))["model"])
output_dir = "me/finetuned"
'''
B_CODE = '''from transformers import pipeline, AutoTokenizer
clf = pipeline("text-classification", model="org/b-model")
tok = AutoTokenizer.from_pretrained("org/unlabelled")
'''
CLI_CODE = '''import argparse
from transformers import AutoModel
parser = argparse.ArgumentParser()
parser.add_argument("--model")
args = parser.parse_args()
AutoModel.from_pretrained(args.model)
'''
RUN_SH = "python cli.py \\\n  --model org/shell\n"
VENDORED = '''from transformers import AutoModel
AutoModel.from_pretrained("org/vendored-only")
'''


def _label(bench: Path, repo: str, commit_sha: str, loads: str, decoys: str = "") -> None:
    folder = bench / "repos" / repo.replace("/", "__")
    folder.mkdir(parents=True)
    (folder / "meta.toml").write_text(f'repo = "{repo}"\ncommit = "{commit_sha}"\ncategory = "test"\n')
    (folder / "loads.csv").write_text(HEADER + loads)
    (folder / "decoys.csv").write_text("path,line,text,why\n" + decoys)


@pytest.fixture
def bench(tmp_path: Path) -> tuple[Path, Path]:
    """Mirrors: owner/a as the fetch tool lays it out (bare, DIR/owner+a/repo), with a
    commit after the pinned one; owner/b as a work tree (DIR/owner__b); owner/c pinned
    to a commit its mirror lacks; owner/none loads nothing."""
    mirrors, bench = tmp_path / "mirrors", tmp_path / "bench"
    a = make_repo(tmp_path / "src-a", {"app.py": A_CODE, "cli.py": CLI_CODE, "run.sh": RUN_SH})
    pinned_a = a.head.commit.hexsha
    commit(a, {"later.py": 'from transformers import AutoModel\nAutoModel.from_pretrained("org/later")\n'}, "later")
    subprocess.run(["git", "clone", "--bare", "--quiet", str(tmp_path / "src-a"), str(mirrors / "owner+a" / "repo")],
                   check=True)
    b = make_repo(mirrors / "owner__b", {"run.py": B_CODE, "third_party/lib/load.py": VENDORED})
    c = make_repo(mirrors / "owner+c", {"x.py": 'import torch\nm = torch.hub.load("o/r", "e")\n'})
    make_repo(mirrors / "owner" / "none", {"train.py": "import torch\nnet = torch.nn.Linear(2, 2)\n"})
    _label(bench, "owner/a", pinned_a,
           "app.py,2,bert-base-uncased,huggingface,model,literal,false,code,\n"
           "app.py,4,org/one,huggingface,model,constant,false,code,origin=app.py:3\n"
           "app.py,6,org/hidden,huggingface,model,config_file,true,code,read from a file not in the repository\n"
           "cli.py,6,org/shell,huggingface,model,shell_arg,false,code,origin=run.sh:2\n",
           "app.py,7,me/finetuned,an output folder\n")
    _label(bench, "owner/b", b.head.commit.hexsha,
           "run.py,2,org/b-model,huggingface,model,literal,false,code,\n"
           "third_party/lib/load.py,2,org/vendored-only,huggingface,model,literal,false,vendored,\n",
           "run.py,3,org/unlabelled,labelled as a decoy on purpose: the scorer must report it taken\n")
    _label(bench, "owner/c", "0" * 40, "x.py,2,o/r:e,torch_hub,model,literal,false,code,\n")
    _label(bench, "owner/none", make_repo_head(mirrors / "owner" / "none"), "")
    return mirrors, bench


def make_repo_head(path: Path) -> str:
    return subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_mirror_layouts(bench: tuple[Path, Path]) -> None:
    mirrors, _ = bench
    assert mirror_of("owner/a", mirrors) == mirrors / "owner+a" / "repo"
    assert mirror_of("owner/b", mirrors) == mirrors / "owner__b" / ".git"
    assert mirror_of("owner/none", mirrors) == mirrors / "owner" / "none" / ".git"
    assert mirror_of("owner/absent", mirrors) is None


def test_scores_by_hand(bench: tuple[Path, Path], tmp_path: Path) -> None:
    mirrors, labels = bench
    scores, _ = evaluate(EvalOptions(benchmark=labels, out=tmp_path / "out", mirrors=mirrors, jobs=1))
    model = lambda repo, i: Pair(repo, "huggingface", "model", i)  # noqa: E731
    # owner/c: its pinned commit is not in the mirror, so it is not mined (and its labels are all missed).
    assert set(scores.unmined) == {"owner/c"}
    # Pinned: org/later, committed after owner/a's pinned commit, is never mined.
    assert set(scores.mined) == {model("owner/a", "bert-base-uncased"), model("owner/a", "org/one"),
                                 model("owner/a", "org/shell"), model("owner/b", "org/b-model"),
                                 model("owner/b", "org/unlabelled")}
    assert scores.matched("model") == {model("owner/a", "bert-base-uncased"), model("owner/a", "org/one"),
                                       model("owner/a", "org/shell"), model("owner/b", "org/b-model")}
    assert scores.missed() == [model("owner/a", "org/hidden"), Pair("owner/c", "torch_hub", "model", "o/r:e")]
    assert scores.false() == [model("owner/b", "org/unlabelled")]
    assert scores.vendored_only == {model("owner/b", "org/vendored-only")}
    outcomes = {(s.load.repo, s.load.line, s.load.path): s.outcome for s in scores.sites}
    assert outcomes[("owner/a", 2, "app.py")] == Site.FOUND
    assert outcomes[("owner/a", 4, "app.py")] == Site.FOUND
    assert outcomes[("owner/a", 6, "app.py")] == Site.OTHER_ID  # an unresolved usage on that line
    # The id is written on run.sh's second line; the command (and its row) starts on the first.
    assert outcomes[("owner/a", 6, "cli.py")] in (Site.FOUND, Site.AT_ORIGIN)
    assert outcomes[("owner/b", 2, "third_party/lib/load.py")] == Site.FOUND  # usages keep vendored rows
    assert outcomes[("owner/c", 2, "x.py")] == Site.MISSED
    assert [(d.repo, d.text) for d, _ in scores.decoys_taken] == [("owner/b", "org/unlabelled")]
    assert scores.negatives == {"owner/none": 0}


def test_command_prints_the_figures(bench: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    mirrors, labels = bench
    to = tmp_path / "accuracy.md"
    code = main(["eval", "--benchmark", str(labels), "--mirrors", str(mirrors), "--out", str(tmp_path / "out"),
                 "--jobs", "1", "--repo", "owner/a", "--repo", "owner/b", "--to", str(to)])
    text = capsys.readouterr().out
    assert code == 0 and to.read_text() == text
    assert "| (repository, model) pairs | 4/5 (80.0%) | 4/5 (80.0%) |" in text
    assert "| call sites (found, or at the id's origin) | | 5/6 (83.3%) |" in text
    assert "- owner/a huggingface/model `org/hidden`: app.py:6 config_file optional" in text
    assert "- owner/b huggingface/model `org/unlabelled`: run.py:3 literal" in text


def test_malformed_labels_are_refused(tmp_path: Path, capsys) -> None:
    _label(tmp_path, "owner/x", "a" * 40, "app.py,two,org/x,huggingface,model,literal,false,code,\n")
    with pytest.raises(LabelError, match=r"loads.csv:2: line must be"):
        read_benchmark(tmp_path)
    assert main(["eval", "--benchmark", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "bad label" in capsys.readouterr().err


def test_a_row_at_the_start_of_a_continued_command_is_at_the_origin(tmp_path: Path) -> None:
    """The scorer alone: the label says the id is written on run.sh:12; a mined row
    on the first line of that command (run.sh:10) is at the origin, one in another
    file or past the command's span is not, and one on the call's line is found."""
    from miner.evaluation.labels import read_repo
    from miner.evaluation.score import Mined, MinedPair, score

    _label(tmp_path, "o/r", "c" * 40, "cli.py,6,org/x,huggingface,model,shell_arg,false,code,origin=run.sh:12\n")
    labels = [read_repo(tmp_path / "repos" / "o__r")]
    pair = [MinedPair("o/r", "huggingface", "model", "org/x", ("shell_arg",))]

    def outcome(*rows: tuple[str, int]) -> Site:
        mined = [Mined("o/r", p, n, "huggingface", "model", "org/x", "shell_arg") for p, n in rows]
        return score(labels, mined, pair).sites[0].outcome

    assert outcome(("run.sh", 10)) == Site.AT_ORIGIN
    assert outcome(("cli.py", 6), ("run.sh", 10)) == Site.FOUND
    assert outcome(("other.sh", 10)) == Site.MISSED
    assert outcome(("run.sh", 13)) == Site.MISSED  # after the line that writes the id
