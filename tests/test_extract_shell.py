"""Shell extraction: command lines that run Python, and the values of their options."""
from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miner.extract.shell import (
    MAX_VALUES,
    extract_dockerfile,
    extract_makefile,
    extract_markdown,
    extract_shell,
    extract_shell_lines,
    makefile_shell,
    markdown_blocks,
)
from miner.records import FileKind, ParseStatus, ShellArg

FIXTURES = Path(__file__).parent / "fixtures" / "shell"


def args_of(text: str) -> dict[tuple[str | None, str], ShellArg]:
    facts = extract_shell("run.sh", text)
    assert facts.status == ParseStatus.OK, facts.error
    return {(a.program, a.option): a for a in facts.shell_args}


def values(text: str, option: str, program: str | None = "train.py") -> tuple[str, ...]:
    return args_of(text)[(program, option)].values


# --- fixtures -----------------------------------------------------------------


def test_glue_script_fixture() -> None:
    facts = extract_shell("scripts/run_glue.sh", (FIXTURES / "run_glue.sh").read_text())
    assert facts.kind == FileKind.SHELL and facts.status == ParseStatus.OK
    got = {(a.line, a.program, a.option): a for a in facts.shell_args}
    model = got[(12, "run_glue.py", "--model_name_or_path")]
    assert model.values == ("bert-base-cased", "roberta-base", "distilbert-base-uncased")
    assert model.expression == '"$model"'
    assert got[(12, "run_glue.py", "--task_name")].values == ("mnli", "sst2")
    assert "./checkpoints/roberta-base-sst2" in got[(12, "run_glue.py", "--output_dir")].values
    assert got[(12, "run_glue.py", "--per_device_train_batch_size")].values == ("32",)
    assert (12, "run_glue.py", "--do_train") not in got  # a flag has no value
    assert got[(26, "run_summarization.py", "--model_name_or_path")].values == ("t5-large", "t5-base")
    electra = got[(29, "run_mlm.py", "--model_name_or_path")]
    assert electra.values == ("google/electra-small-discriminator",) and electra.expression == "$ELECTRA"
    tokenizer = got[(29, "run_mlm.py", "--tokenizer_name")]
    assert tokenizer.values == () and tokenizer.expression == "$(cat tok.txt)"


def test_sweep_fixture_functions_case_and_positional_defaults() -> None:
    facts = extract_shell("sweep.sh", (FIXTURES / "sweep.sh").read_text())
    got = {(a.line, a.program, a.option): a.values for a in facts.shell_args}
    # `case "$SIZE"` with SIZE="${2:-medium}" takes the `medium|large` arm only.
    assert got[(7, "train.py", "--model")] == ("gpt2-medium", "EleutherAI/pythia-160m")
    assert got[(7, "train.py", "--seed")] == ("42", "7")
    assert got[(17, "finetune.py", "--model_name")] == ("gpt2-medium",)
    assert got[(17, "finetune.py", "--deepspeed")] == ("ds_config.json",)


def test_makefile_fixture() -> None:
    facts = extract_makefile("Makefile", (FIXTURES / "Makefile").read_text())
    assert facts.kind == FileKind.SHELL and facts.status == ParseStatus.OK
    got = {(a.line, a.program, a.option): a.values for a in facts.shell_args}
    assert got[(8, "train.py", "--model")] == ("bert-base-uncased",)
    assert got[(8, "train.py", "--output")] == ()  # `$@` is make's, unknown here
    assert got[(10, "eval.py", "--model")] == ("bert-base-uncased",)
    assert got[(10, "eval.py", "--task")] == ("mnli", "qnli")


def test_markdown_fixture_reads_shell_blocks_only() -> None:
    facts = extract_markdown("README.md", (FIXTURES / "README.md").read_text())
    got = {(a.line, a.program, a.option): a.values for a in facts.shell_args}
    assert got == {
        (8, "summarize.py", "--model_name"): ("facebook/bart-large-cnn",),
        (8, "summarize.py", "--input"): ("data.txt",),
        (14, "predict.py", "--checkpoint"): ("sshleifer/distilbart-cnn-12-6",),
    }


# --- launchers --------------------------------------------------------------


def test_launchers_and_wrappers() -> None:
    script = "\n".join([
        "python train.py --m a",
        "python3 -u train.py --m b",
        "python3.10 -W ignore train.py --m c",
        "/usr/bin/python train.py --m d",
        "torchrun --nproc_per_node 8 --standalone train.py --m e",
        "accelerate launch --config_file cfg.yaml --num_processes=2 train.py --m f",
        "deepspeed --num_gpus 2 train.py --m g",
        "python -m torch.distributed.run --nproc_per_node=2 train.py --m h",
        "CUDA_VISIBLE_DEVICES=0,1 WANDB_MODE=off nohup python train.py --m i > log 2>&1 &",
        "srun -N 1 --gres=gpu:1 python train.py --m j",
        "env PYTHONPATH=. python train.py --m k",
        "time python train.py --m l",
        "./train.py --m m",
        "bash -c 'python train.py --m n'",
        "sh -c \"python train.py --m o\"",
        "PY=python3; $PY train.py --m p",
        "$PYTHON train.py --m q",
        "uv run train.py --m r",
        "exec python train.py --m s",
    ])
    got = [(a.line, a.values) for a in extract_shell("x.sh", script).shell_args if a.program == "train.py"]
    assert got == [(i, (chr(ord("a") + i - 1),)) for i in range(1, 20)]


def test_modules_and_non_python_commands() -> None:
    got = args_of("python -m pkg.train --model x\n"
                  "torchrun --nproc_per_node 2 -m pkg.dist --model y\n"
                  "accelerate launch -m pkg.acc --model z\n"
                  "echo python nope.py --model no\n"
                  "pip install --upgrade transformers\n"
                  "python -c 'import x' --model no\n")
    assert got[("-m pkg.train", "--model")].values == ("x",)
    assert got[("-m pkg.dist", "--model")].values == ("y",)
    assert got[("-m pkg.acc", "--model")].values == ("z",)
    assert all(a.values != ("no",) for a in got.values())
    assert len(got) == 3


def test_script_paths() -> None:
    script = ('python "$ROOT/scripts/train.py" --m a\n'
              "python ${DIR}/run.py --m b\n"
              "python $(dirname $0)/x.py --m c\n"
              "python $SCRIPT --m d\n"
              "python ./././local.py --m e\n")
    assert [a.program for a in extract_shell("x.sh", script).shell_args] == [
        "scripts/train.py", "run.py", "x.py", None, "local.py"]


def test_crlf_line_endings() -> None:
    facts = extract_shell("x.sh", "M=bert\r\npython train.py \\\r\n  --model $M\r\npython b.py --n 1\r\n")
    assert [(a.line, a.program, a.option, a.values) for a in facts.shell_args] == [
        (2, "train.py", "--model", ("bert",)), (4, "b.py", "--n", ("1",))]


def test_option_forms_and_positionals() -> None:
    got = args_of("python train.py bert-base data/ --lr=1e-4 --models a b -v --n -1 --flag\n")
    assert got[("train.py", "#1")].values == ("bert-base",)
    assert got[("train.py", "#2")].values == ("data/",)
    assert got[("train.py", "--lr")].values == ("1e-4",)
    assert got[("train.py", "--n")].values == ("-1",)  # a negative number is a value
    assert ("train.py", "--flag") not in got
    models = [a for a in extract_shell("x.sh", "python train.py --models a b\n").shell_args]
    assert [(a.option, a.values, a.expression) for a in models] == [("--models", ("a",), "a"),
                                                                    ("--models", ("b",), "b")]


def test_line_is_where_the_command_starts() -> None:
    script = "\n\nM=x\npython train.py \\\n  --a 1 \\\n  --model $M\n"
    (arg,) = [a for a in extract_shell("x.sh", script).shell_args if a.option == "--model"]
    assert arg.line == 4 and arg.values == ("x",)


# --- variables ----------------------------------------------------------------


def test_assignments_and_defaults() -> None:
    script = """
A=one
export B="two"
C="${C:-three}"
D=${UNSET_D:=four}
: ${E:=five}
F='$A literal'
G=$A/$B
python train.py --a $A --b $B --c $C --d $D --e "$E" --f "$F" --g $G --h ${H:-six} --i ${A:-no}
"""
    got = args_of(script)
    expected = {"--a": "one", "--b": "two", "--c": "three", "--d": "four", "--e": "five", "--f": "$A literal",
                "--g": "one/two", "--h": "six", "--i": "one"}
    assert {k: got[("train.py", k)].values for k in expected} == {k: (v,) for k, v in expected.items()}


def test_if_branches_give_every_value() -> None:
    script = """
if [ "$1" = big ]; then M=large; elif [ -n "$2" ]; then M=medium; else M=small; fi
python train.py --model t5-$M
if [ -n "$3" ]; then N=x; fi
python train.py --n ${N:-default}
"""
    assert values(script, "--model") == ("t5-large", "t5-medium", "t5-small")
    assert values(script, "--n") == ("x", "default")


def test_later_assignment_replaces_earlier() -> None:
    assert values("M=a\nM=b\npython train.py --model $M\n", "--model") == ("b",)


def test_arrays_loops_and_splitting() -> None:
    script = """
MODELS=(bert-base-cased roberta-base)
MODELS+=(gpt2)
LIST="a b"
for m in "${MODELS[@]}"; do python train.py --model $m; done
for x in $LIST c; do python eval.py --x $x; done
python first.py --model $MODELS --second ${MODELS[1]}
"""
    got = args_of(script)
    assert got[("train.py", "--model")].values == ("bert-base-cased", "roberta-base", "gpt2")
    assert got[("eval.py", "--x")].values == ("a", "b", "c")
    assert got[("first.py", "--model")].values == ("bert-base-cased",)
    assert got[("first.py", "--second")].values == ("roberta-base",)


def test_unknown_values_are_left_out() -> None:
    script = """
M=$(cat model.txt)
python train.py --a $M --b "$HOME/x" --c `date` --d $((1+2)) --e ${M/x/y} --f "${#M}"
"""
    got = args_of(script)
    assert all(got[("train.py", k)].values == () for k in ("--a", "--b", "--c", "--d", "--e", "--f"))
    assert got[("train.py", "--b")].expression == '"$HOME/x"'


def test_partly_known_variable_keeps_the_known_values() -> None:
    script = 'if x; then M=$(cmd); else M=bert; fi\npython train.py --model "$M"\n'
    assert values(script, "--model") == ("bert",)


def test_functions_get_call_arguments() -> None:
    script = """
function run {
  python train.py --model "$1" --task "${2:-mnli}"
}
run bert
run roberta sst2
never() { python eval.py --model "${1:-fallback}"; }
"""
    got = args_of(script)
    assert got[("train.py", "--model")].values == ("bert", "roberta")
    assert got[("train.py", "--task")].values == ("mnli", "sst2")
    assert got[("eval.py", "--model")].values == ("fallback",)


def test_heredoc_is_not_a_command_unless_a_shell_reads_it() -> None:
    script = """cat > job.sh <<EOF
python no.py --model no
EOF
bash <<'END'
python yes.py --model yes
END
python after.py --model after
"""
    got = {(a.line, a.program): a.values for a in extract_shell("x.sh", script).shell_args}
    assert got == {(5, "yes.py"): ("yes",), (7, "after.py"): ("after",)}


def test_command_substitution_is_scanned() -> None:
    script = 'OUT=$(python score.py --model bert)\necho "$(python2 other.py --m x)"\n'
    got = args_of(script)
    assert got[("score.py", "--model")].values == ("bert",)
    assert got[("other.py", "--m")].values == ("x",)


def test_combinations_are_capped() -> None:
    script = "A=(" + " ".join(f"a{i}" for i in range(20)) + ")\nB=(" + " ".join(f"b{i}" for i in range(20)) + ")\n"
    script += 'for a in "${A[@]}"; do for b in "${B[@]}"; do python train.py --m $a-$b; done; done\n'
    got = values(script, "--m")
    assert 0 < len(got) <= MAX_VALUES and all(re.fullmatch(r"a\d+-b\d+", v) for v in got)


# --- notebook escapes, Markdown and Makefile helpers ----------------------------


def test_notebook_shell_lines() -> None:
    lines = [(3, "python train.py --model bert-base-uncased"),
             (5, "python train.py --model {model_name} --lr $lr"),
             (9, "MODEL=t5-small\npython sum.py \\\n  --model $MODEL")]
    got = {(a.line, a.program, a.option): a.values for a in extract_shell_lines("nb.ipynb", lines)}
    assert got[(3, "train.py", "--model")] == ("bert-base-uncased",)
    assert got[(5, "train.py", "--model")] == ()  # `{model_name}` is Python interpolation
    assert got[(5, "train.py", "--lr")] == ()
    assert got[(10, "sum.py", "--model")] == ("t5-small",)


def test_notebook_lines_do_not_share_variables() -> None:
    lines = [(1, "export M=x"), (2, "python a.py --model $M")]
    assert [a.values for a in extract_shell_lines("nb.ipynb", lines)] == [()]


def test_markdown_blocks() -> None:
    text = ("# t\n```sh\n$ python a.py\n```\n"
            "```console\n(venv) $ python b.py --m x\noutput\n```\n"
            "```\npython c.py\n```\n")
    assert markdown_blocks(text) == [(3, "python a.py"), (6, "python b.py --m x\n")]


def test_makefile_shell_text() -> None:
    variables, recipes = makefile_shell("A.B ?= x\nC = $(A.B)/y\nall:\n\t@echo $$HOME $(C) $<\n")
    assert variables.splitlines()[:2] == ['A_B="${A_B:-x}"', 'C="${A_B}/y"']
    assert recipes == [(4, "echo $HOME ${C} ${__make_automatic__}")]


# --- hostile input ---------------------------------------------------------------


def test_unterminated_quotes_give_partial() -> None:
    for script in ("python train.py --model 'bert\n", 'python train.py --model "bert\n', "echo $(python x.py",
                   "echo ${A:-", "cat <<EOF\npython x.py --m y\n", "for m in a; do python t.py --m $m"):
        facts = extract_shell("x.sh", script)
        assert facts.status in (ParseStatus.OK, ParseStatus.PARTIAL), script


def test_unterminated_quote_reads_to_the_end_like_bash() -> None:
    facts = extract_shell("x.sh", "python a.py --m 'x\npython b.py --m y\n")
    assert facts.status == ParseStatus.PARTIAL and "unterminated" in facts.error
    assert [a.program for a in facts.shell_args] == ["a.py"]


def test_ten_thousand_line_script_is_read_whole() -> None:
    lines = []
    for i in range(10_000):
        lines.append(f"M{i % 50}=model-{i}" if i % 3 else f"python train.py --model $M{i % 50} --i {i}")
    facts = extract_shell("big.sh", "\n".join(lines))
    assert facts.status == ParseStatus.OK
    assert len([a for a in facts.shell_args if a.option == "--i"]) == 3334


def test_deep_nesting_is_bounded() -> None:
    for script in ("if x; then " * 5000 + "python a.py --m x" + "; fi" * 5000,
                   "(" * 20000 + "python a.py --m x" + ")" * 20000,
                   "echo ${A:-" * 5000 + "x" + "}" * 5000,
                   "echo $(" * 3000 + "python a.py --m x" + ")" * 3000,
                   "f() { f; f; }\nf\n",
                   "A=x\n" + "A=$A$A\n" * 60 + "python a.py --m $A\n",
                   "! " * 50000 + "python a.py --m x"):
        facts = extract_shell("x.sh", script)
        assert facts.status in (ParseStatus.OK, ParseStatus.PARTIAL), facts.error


def test_exponential_function_calls_hit_the_budget() -> None:
    script = "".join(f"f{i}() {{ {f'f{i + 1}; ' * 10}}}\n" for i in range(7))  # 10**7 calls of f7
    script += "f7() { python a.py --m x; }\nf0\n"
    facts = extract_shell("x.sh", script)
    assert facts.status == ParseStatus.PARTIAL and "evaluation stopped" in facts.error
    assert [a.values for a in facts.shell_args] == [("x",)]


def test_binary_garbage() -> None:
    garbage = bytes(range(256)) * 64 + b"\npython t.py --model ok\n" + bytes(reversed(range(256))) * 64
    facts = extract_shell("x.sh", garbage.decode("utf-8", errors="replace"))
    assert facts.status in (ParseStatus.OK, ParseStatus.PARTIAL)


def test_size_cap_skips() -> None:
    facts = extract_shell("x.sh", "echo hi\n" * 100, max_bytes=100)
    assert facts.status == ParseStatus.SKIPPED and facts.shell_args == ()


# --- properties ------------------------------------------------------------------

_RUN = re.compile(r"[A-Za-z0-9_./]+")
_ATOMS = ["bert", "roberta-base", "org/m", "a.b", "x_1", "7"]
_PIECES = st.sampled_from([
    *_ATOMS, " ", "  ", "\n", "\\\n", ";", "&&", "|", "'", '"', "$", "${", "}", ":-", ":=", "=", "(", ")", "[@]",
    "M", "N", "$1", "$M", "${M}", "${M:-bert}", "M=", "N=", "export ", "for m in ", "; do ", "; done", "if x; then ",
    "; else ", "; fi", "case $M in ", "*) ", ";; esac", "f() { ", "; }", "f ", "python ", "train.py ", "--model ",
    "--n=", "-m ", "torchrun ", "$(", "`", "<<EOF\n", "EOF\n", "#", "\t", "bash -c ",
])


def _is_concatenation(value: str, text: str) -> bool:
    """Whether `value` is made of whole runs of word characters that occur in
    `text`, glued with single other characters of `text` (or a space)."""
    runs = set(_RUN.findall(text))
    glue = set(_RUN.sub("", text)) | {" "}
    reachable = [True] + [False] * len(value)
    for i in range(len(value)):
        if not reachable[i]:
            continue
        if value[i] in glue:
            reachable[i + 1] = True
        for run in runs:
            if value.startswith(run, i):
                reachable[i + len(run)] = True
    return reachable[-1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=60).map("".join))
def test_property_values_are_concatenations_of_input_words(text: str) -> None:
    for facts in (extract_shell("x.sh", text), extract_markdown("x.md", f"```bash\n{text}\n```\n")):
        assert facts.status in (ParseStatus.OK, ParseStatus.PARTIAL), facts.error
        for arg in facts.shell_args:
            assert arg.line >= 1
            for value in arg.values:
                assert _is_concatenation(value, text), (value, text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_property_random_text_never_raises(text: str) -> None:
    for extract in (extract_shell, extract_markdown, extract_makefile):
        facts = extract("x", text)
        assert facts.status in (ParseStatus.OK, ParseStatus.PARTIAL), facts.error
        for arg in facts.shell_args:
            assert all(set(v) <= set(text) | {" "} for v in arg.values)
    extract_shell_lines("x.ipynb", [(1, text)])


def test_sourced_files_and_the_variables_a_script_leaves() -> None:
    from miner.extract.shell import SOURCED_NAME
    from miner.records import ShellSource, ShellVar

    env = extract_shell("env.sh", "export MODEL=gpt2\nTMP=$(mktemp)\nif x; then MAYBE=1; fi\nA=1\nA=2\n")
    # known values only: not `$(mktemp)`, not one set on one branch only
    assert env.shell_vars == (ShellVar(5, "A", ("2",)), ShellVar(1, "MODEL", ("gpt2",)))
    script = extract_shell("run.sh", 'python t.py --m "$MODEL"\nsource "$(dirname "$0")/env.sh"\n'
                                     'python t.py --m "$MODEL" --n "${ORG}/x" --k "${K:-d}"\n')
    assert script.shell_sources == (ShellSource(2, "env.sh"),)
    by_line = {(a.line, a.option): a.values for a in script.shell_args}
    assert by_line[(1, "--m")] == ()  # before the `source`, an unset variable is just unknown
    assert [SOURCED_NAME.sub(r"<\1>", v) for v in by_line[(3, "--m")]] == ["<MODEL>"]
    assert [SOURCED_NAME.sub(r"<\1>", v) for v in by_line[(3, "--n")]] == ["<ORG>/x"]
    assert by_line[(3, "--k")] == ("d",)  # a default stays a default


def test_a_dockerfile_is_read_as_the_shell_it_runs() -> None:
    text = "\n".join([
        "FROM python:3.11",                                   # 1
        "# ENV NOT=read",                                     # 2
        "ENV MODEL_ID=org/model-a \\",                       # 3
        "    TOKENIZER=\"org/tok a\"",                        # 4
        "ENV LEGACY org/model-b",                             # 5
        "ARG SIZE=base",                                      # 6
        "RUN pip install x && \\",                           # 7
        "    hf download org/model-$SIZE",                    # 8
        'CMD ["python", "serve.py", "--model_name_or_path", "org/model-c"]',  # 9
        'ENTRYPOINT ["broken json',                           # 10
    ])
    facts = extract_dockerfile("Dockerfile", text, commands=frozenset({"hf"}))
    assert facts.status == ParseStatus.OK, facts.error
    assert {(v.line, v.name, v.values) for v in facts.shell_vars} == {
        (3, "MODEL_ID", ("org/model-a",)), (3, "TOKENIZER", ("org/tok a",)), (5, "LEGACY", ("org/model-b",)),
        (6, "SIZE", ("base",))}
    args = {(a.line, a.program, a.option): a.values for a in facts.shell_args}
    assert args[(7, "hf", "#2")] == ("org/model-base",), "a continued RUN counts from its first line"
    assert args[(9, "serve.py", "--model_name_or_path")] == ("org/model-c",)
