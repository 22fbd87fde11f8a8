"""Fuzzing extraction and resolution (issue 6): random and mutated Python,
notebook JSON, shell and YAML never make the miner raise or hang, and it never
reports a model id that the input does not contain.

Inputs
------
* Python modules from a grammar of realistic pieces (`Grammar`): imports of
  transformers / huggingface_hub / sentence_transformers / diffusers / timm /
  open_clip / torch / langchain_huggingface (plain, aliased, `from` and star
  imports), loading calls, and ids carried by literals, constants, tuple and
  annotated assignments, f-strings, `+`, `str.format`, `%`, `str.join`, implicit
  concatenation, dicts and subscripts, `for` loops and comprehensions, default
  parameters and their callers, lambdas, argparse defaults and `args.x`,
  dataclass fields, class and instance attributes, `os.getenv` defaults,
  conditionals, `str.strip`/`lower`, YAML config lookups and constants imported
  from other modules of the repository; around them Python 2 `print`/`exec`,
  `match`, decoy ids (below), several indentation styles. Each module is also
  run as a notebook (cells split at random lines, `!` shell escapes, magics).
* Repositories: `pkg/settings.py` (constants), `pkg/models.py` (a loading
  function), `pkg/__init__.py`, a `train.py` importing them (`from .settings
  import NAME`, `import pkg.settings as s`, `from pkg.models import
  load_model`), a shell script running it with model options, a YAML config it
  reads, sometimes a notebook.
* Noise: junk lines (unbalanced brackets, unterminated strings, NUL bytes, BOMs,
  line/paragraph separators, bidi marks, fullwidth identifiers, random
  indentation), PEP 263 cookies and UTF-16, 0-6 random mutations (delete,
  duplicate or insert characters, swap lines) of programs, notebooks and whole
  repositories, random text and bytes as every file kind, and random string
  expressions for the evaluator (`expression_programs`).

Properties
----------
1. Extraction never raises, and its status says what happened. `extract_file`
   catches everything, so this is checked on the status: Python is SKIPPED only
   for binary content (a NUL in the first 8 KiB), else OK or PARTIAL (FAILED
   would be an internal exception or the time budget); a notebook fails only
   with the notebook reader's own messages; a shell script never fails (its
   problems make it PARTIAL); a YAML/JSON file fails only with a parser error or
   the walker's caps. Every fact's line lies inside the file (a notebook's, which
   count in its joined code, are not checked).
2. `resolve_repo` never raises, and each row keeps the contract: `model_id` is
   null exactly when the resolution is `unresolved` or `local_path`; `repo_type`
   is model, dataset or space; `path` is one of the files.
3. Provenance, for every input (tier 1). A `library_default` row has the
   `default_id` of the pattern its `api` matches; a `pipeline_task_default` row
   has the value of that pattern's `task_defaults` table for a task name that
   passes the check below. Any other `model_id` is split at ":" (the miner joins
   `repo:entry` with it) and each part P is checked against T: every input's
   text as the miner decodes it, and three readings of it (escapes decoded with
   `unicode_escape`; all quotes and backslashes removed, as shell quoting does;
   for a notebook, every JSON string and the concatenation of every list of
   strings), all compared after `str.upper().casefold()` (`.lower()`/`.upper()`
   pass through the evaluator). Then:
     - if no input holds a composition marker (`+`, `%`, `$`, a backtick, a
       backslash-newline, `join`, `format`, `replace`, an `f` before a quote, or
       two string literals next to each other), P is one substring of T: without
       composition a value is a literal's content, maybe with a prefix
       (`hf_hub:`, a huggingface.co URL) or whitespace cut away;
     - otherwise P is a concatenation of substrings of T and of characters that
       number formatting writes (ASCII letters and digits, `+-. ,_` quotes and
       backslash, `chr` of the input's integer literals). That half is weak on
       its own, which is what tier 2 is for.
4. Exact provenance, for the grammar's programs and repositories without noise
   (tier 2). The generator records in `World.allowed` every string it writes
   where code, a script or a config can read it as a value, and the org and
   name atoms of namespaced ids; its compositions only join an org piece, "/"
   and a name piece (after an optional prefix), in variables that hold nothing
   else. So each ":"-part of a non-default `model_id` is a recorded string or a
   recorded `org/name` pair. Decoy ids (`ghost-...`) in comments, docstrings,
   unused variables, `print`, `echo`, non-model YAML keys, markdown cells, calls
   of functions that are not loading APIs and of a local function shadowing an
   imported `pipeline` are never recorded: reporting one fails.

`test_checks_reject_invented_ids` shows the checks catch invented ids, and
`test_generated_repositories_resolve_through_every_path` that the generators
reach every resolution kind they are built for (the properties are not vacuous).

Never hang: properties run with `deadline=None` on inputs of a few KB, and
`test_largest_inputs_finish` runs, once, inputs 10-40 times bigger than any the
properties draw, a 36-module repository and pathological shapes; the suite
finishing is the check (nothing is timed). Every property is derandomized, so CI
runs the same examples (about 20 s for the file on one core).

Bugs these properties found are pinned at the end as minimal regression tests
(large integers in formats, `.str()`, huge widths, unbounded string growth,
shadowed star imports).
"""
from __future__ import annotations

import json
import random
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miner.extract import WorkItem, extract_file
from miner.extract.text import decode_python, decode_text, looks_binary
from miner.patterns import default_registry
from miner.records import FileFacts, FileKind, ParseStatus, Resolution, Usage
from miner.resolve import resolve_repo

# The resolver parses mined expressions with `ast`, which warns about their invalid escapes.
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence", "ignore::SyntaxWarning")

REGISTRY = default_registry()
LEGACY = sorted(k for k in ("bert-base-uncased", "gpt2", "roberta-base", "t5-small", "distilgpt2",
                            "xlm-roberta-base", "bert-base-german-dbmdz-cased", "albert-base-v2")
                if k in REGISTRY.table("legacy_hf"))
TASKS = sorted(REGISTRY.table("pipeline_tasks"))[:12] + ["my-custom-task"]
MAX_BLOCKS = 12  # statements groups of a generated module: inputs stay a few KB

FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much, HealthCheck.large_base_example])


# --- choices: hypothesis draws in properties, a seeded RNG in the plain tests -------


class Draws:
    def __init__(self, draw) -> None:
        self._draw = draw

    def pick(self, seq):
        return self._draw(st.sampled_from(list(seq)))

    def chance(self, percent: int) -> bool:
        return self._draw(st.integers(0, 99)) < percent

    def int(self, lo: int, hi: int) -> int:
        return self._draw(st.integers(lo, hi))

    def word(self, alphabet: str, lo: int, hi: int) -> str:
        return self._draw(st.text(alphabet, min_size=lo, max_size=hi))


class Seeded:
    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)

    def pick(self, seq):
        return self._r.choice(list(seq))

    def chance(self, percent: int) -> bool:
        return self._r.randrange(100) < percent

    def int(self, lo: int, hi: int) -> int:
        return self._r.randint(lo, hi)

    def word(self, alphabet: str, lo: int, hi: int) -> str:
        return "".join(self._r.choice(alphabet) for _ in range(self._r.randint(lo, hi)))


# --- the world: atoms, and what may legitimately come out ---------------------------

_LOWER = "abcdefghijklmnopqrstuvwxyz"
Block = list  # of (depth, line) pairs, depth relative to the block


@dataclass(frozen=True)
class Val:
    """A string value the program passes: `text`, which is `prefix + org + "/" + name`
    when it is a namespaced hub id (then it can also be composed from pieces)."""

    text: str
    org: str | None = None
    name: str | None = None
    prefix: str = ""


@dataclass
class World:
    c: Draws | Seeded
    orgs: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    allowed: set[str] = field(default_factory=set)
    ghosts: set[str] = field(default_factory=set)
    options: set[str] = field(default_factory=set)  # argparse options defined by the code
    settings: list[tuple[str, Val]] = field(default_factory=list)  # constants of pkg/settings.py
    yaml_keys: list[str] = field(default_factory=list)  # model keys of conf/train.yaml, as "model.x"

    # atoms
    def org(self) -> str:
        if self.orgs and self.c.chance(50):
            return self.c.pick(self.orgs)
        o = "org-" + self.c.word(_LOWER, 1, 6)
        self.orgs.append(o)
        return o

    def name(self) -> str:
        if self.names and self.c.chance(40):
            return self.c.pick(self.names)
        n = "m-" + self.c.word(_LOWER + "0123456789", 1, 5)
        if self.c.chance(20):  # hub names also hold capitals, dots, underscores and non-ASCII letters
            n += self.c.word("ABCxyz019._-éüßİ", 1, 4) + self.c.pick("az9")
        self.names.append(n)
        return n

    def tag(self) -> str:
        t = "t-" + self.c.word(_LOWER, 1, 4)
        return self.allow(t)

    def ghost(self) -> str:
        g = self.c.pick(["ghost-", "Ghost-"]) + self.c.word(_LOWER, 1, 4) + "/m-" + self.c.word(_LOWER, 1, 4)
        g = g if self.c.chance(80) else "ghostname" + self.c.word(_LOWER, 0, 3)
        self.ghosts.add(g)
        return g

    def junk(self) -> str:
        return self.allow(self.c.pick(["adam", "0.001", "cuda", "out/run1", "fp16", "42", "train", "bf16"]))

    def allow(self, s: str) -> str:
        self.allowed.add(s)
        self.allowed.update(s.split(":"))
        return s

    # values
    def hub_val(self, prefixes: tuple[str, ...] = ("",), bare: bool = True) -> Val:
        r = self.c.int(0, 9)
        if r < 7 or not bare:
            o, n = self.org(), self.name()
            prefix = self.c.pick(prefixes)
            return Val(prefix + o + "/" + n, o, n, prefix)
        return Val(self.c.pick(LEGACY) if r < 9 else self.name())

    def val(self, kind: str) -> Val:
        if kind == "hf":
            return self.hub_val(("", "", "", "", "https://huggingface.co/", " "))
        if kind == "st":
            return self.hub_val()
        if kind == "timm":
            return self.hub_val(("hf_hub:", "hf-hub:")) if self.c.chance(70) else Val(self.name())
        if kind == "open_clip_hf":
            return self.hub_val(("hf-hub:",), bare=False)
        if kind == "arch":
            return Val("arch-" + self.c.word(_LOWER, 1, 4))
        if kind == "torch_hub":
            return self.hub_val(bare=False)
        raise AssertionError(kind)

    def lit(self, v: Val | str) -> str:
        """A Python string literal for `v`, recorded as a value the code holds."""
        text = v.text if isinstance(v, Val) else v
        self.allow(text)
        if isinstance(v, Val) and v.org:
            self.allow(v.org + "/" + v.name)
        if "'" not in text and self.c.chance(30):
            return "'" + text + "'"
        return json.dumps(text)


def indent_lines(block: Block, unit: str, base: int = 0) -> list[str]:
    return [unit * (base + d) + line if line else "" for d, line in block]


# --- the Python grammar -------------------------------------------------------------

ORG_VARS = ("ORG", "OWNER", "NAMESPACE")
NAME_VARS = ("NAME", "MODEL_NAME", "CKPT_NAME")
ID_VARS = ("MODEL", "MODEL_ID", "CHECKPOINT", "REPO_ID")
LOOP_VARS = ("m", "mid", "repo")
PARAMS = ("name", "model_name", "ckpt_id")
FUNCS = ("load", "build_model", "get_model")
DICTS = ("MODELS", "CKPTS")
TAG_VARS = ("TAG", "WEIGHTS")
GHOST_VARS = ("unused", "old_model", "note")
OPTIONS = ("model_name_or_path", "model", "base_model", "tokenizer_name")

# (import line, callee text) choices, call template, kind of the id value
APIS: list[tuple[tuple[tuple[str, str], ...], str, str]] = [
    ((("import transformers", "transformers.AutoModel"), ("import transformers as T", "T.AutoModel"),
      ("from transformers import AutoModel", "AutoModel"), ("from transformers import AutoModel as AM", "AM")),
     "{callee}.from_pretrained({E})", "hf"),
    ((("from transformers import AutoTokenizer", "AutoTokenizer"), ("import transformers as T", "T.AutoTokenizer")),
     "{callee}.from_pretrained({E}, revision=\"main\", trust_remote_code=True)", "hf"),
    ((("from transformers import pipeline", "pipeline"), ("import transformers", "transformers.pipeline")),
     "{callee}(\"{task}\", model={E})", "hf"),
    ((("from transformers import pipeline", "pipeline"), ("import transformers", "transformers.pipeline")),
     "{callee}({taskarg})", "task"),
    ((("from huggingface_hub import hf_hub_download", "hf_hub_download"),
      ("import huggingface_hub as hh", "hh.hf_hub_download")),
     "{callee}(repo_id={E}, filename=\"model.safetensors\")", "hf"),
    ((("from huggingface_hub import snapshot_download", "snapshot_download"),),
     "{callee}({E}, repo_type=\"model\")", "hf"),
    ((("from sentence_transformers import SentenceTransformer", "SentenceTransformer"),
      ("import sentence_transformers", "sentence_transformers.SentenceTransformer")),
     "{callee}({E})", "st"),
    ((("from langchain_huggingface import HuggingFaceEmbeddings", "HuggingFaceEmbeddings"),),
     "{callee}(model_name={E})", "st"),
    ((("from langchain_huggingface import HuggingFaceEmbeddings", "HuggingFaceEmbeddings"),),
     "{callee}()", "none"),
    ((("from diffusers import DiffusionPipeline", "DiffusionPipeline"),
      ("import diffusers", "diffusers.StableDiffusionPipeline")),
     "{callee}.from_pretrained({E}, torch_dtype=torch.float16)", "hf"),
    ((("import timm", "timm.create_model"), ("from timm import create_model", "create_model")),
     "{callee}({E}, pretrained=True)", "timm"),
    ((("import open_clip", "open_clip.create_model_and_transforms"),),
     "{callee}({E}, pretrained={E2})", "arch"),
    ((("import open_clip", "open_clip.create_model_and_transforms"),),
     "{callee}({E})", "open_clip_hf"),
    ((("import torch", "torch.hub.load"),), "{callee}({E}, {E2})", "torch_hub"),
    ((("from transformers import AutoModel, AutoModelForCausalLM", "model_cls"),
      ("from transformers import PreTrainedModel", "MyModel"), ("from transformers import *", "AutoModel")),
     "{callee}.from_pretrained({E})", "hf"),
]

NOISE_LINES = ("foo(", ")]}", "\"unterminated", "'''", "x = [1, 2", "def (:", "class", "\x00", "\ufeff",
               "\u2028", "\u200f\u202e", "ｍｏｄｅｌ = \"org-fw/m-fw\"", "lambda: (yield)",
               "print >>sys.stderr, 'x'",
               "async def", "match x:", "\t \t x = 1", "else:", "\\", "@", "\"\"\"", "f\"{", "\r", "\x0c",
               "é = 'ü'", "import", "from . import", "$(rm -rf /)", "{{{{", "((((((((((((((((((((")


class Grammar:
    def __init__(self, w: World, *, package: bool = False) -> None:
        self.w = w
        self.c = w.c
        self.imports: list[str] = []
        self.wrap = "{call}"
        self.package = package  # the module is pkg/<x>.py: relative imports work
        # `from transformers import *` makes any unknown name a possible transformers attribute,
        # so the decoys that rely on a name not being one are left out then (and shadowing a
        # star-imported name is a known bug: test_local_definition_shadows_a_star_import).
        self.star = self.c.chance(10)

    def need(self, line: str) -> None:
        if line not in self.imports and self.c.chance(95):  # sometimes missing: nothing may then be found
            self.imports.append(line)

    # id expressions: (lines before, expression, header lines the call goes under, lines after)
    def expr(self, v: Val, kind: str) -> tuple[Block, str, Block, Block]:
        w, c = self.w, self.c
        forms = ["literal", "literal", "constant", "dict", "loop", "env", "argparse", "conditional", "passthrough",
                 "classattr", "dataclass", "default_param", "method", "tuple", "annotated", "comprehension",
                 "lambda", "walrus"]
        if v.org:
            forms += ["compose"] * 4
        if w.settings and kind in ("hf", "st"):
            forms += ["crossfile"] * 2
        if w.yaml_keys and kind in ("hf", "st"):
            forms += ["config"]
        form = c.pick(forms)
        other = w.val(kind)
        if form == "literal":
            return [], w.lit(v), [], []
        if form == "constant":
            x = c.pick(ID_VARS)
            return [(0, f"{x} = {w.lit(v)}")], x, [], []
        if form == "tuple":
            x, y = c.pick([("MODEL", "MODEL_ID"), ("REPO_ID", "CHECKPOINT"), ("CHECKPOINT", "MODEL")])
            return [(0, f"{x}, {y} = {w.lit(v)}, {w.lit(other)}")], x, [], []
        if form == "annotated":
            x = c.pick(ID_VARS)
            return [(0, f"{x}: str = {w.lit(v)}")], x, [], []
        if form == "comprehension":
            x = c.pick(LOOP_VARS)
            self.wrap = f"models = [{{call}} for {x} in [{w.lit(v)}, {w.lit(other)}]]"
            return [], x, [], []
        if form == "lambda":
            p = c.pick(PARAMS)
            self.wrap = f"loader = lambda {p}={w.lit(v)}: {{call}}"
            return [], p, [], [(0, "loader()")]
        if form == "walrus":
            return [], f"({c.pick(LOOP_VARS)} := {w.lit(v)})", [], []
        if form == "compose":
            return self._compose(v)
        if form == "dict":
            d, (k1, k2) = c.pick(DICTS), c.pick([("base", "large"), ("small", "tiny"), ("a", "b")])
            pre = [(0, f'{d} = {{"{k1}": {w.lit(v)}, "{k2}": {w.lit(other)}}}')]
            return pre, c.pick([f'{d}["{k1}"]', f'{d}.get("{k1}")', f'{d}.get("zz", {w.lit(v)})']), [], []
        if form == "loop":
            x, items = c.pick(LOOP_VARS), f"{w.lit(v)}, {w.lit(other)}"
            head = c.pick([f"for {x} in [{items}]:", f"for {x} in ({items}):", f"for i, {x} in enumerate([{items}]):"])
            return [], x, [(0, head)], []
        if form == "env":
            self.need("import os")
            getter = c.pick(['os.getenv("MODEL_NAME", {})', 'os.environ.get("HF_MODEL", {})'])
            return [], getter.format(w.lit(v)), [], []
        if form == "argparse":
            self.need("import argparse")
            opt = c.pick(OPTIONS)
            w.options.add(opt)
            pre = [(0, "parser = argparse.ArgumentParser()"),
                   (0, f'parser.add_argument("--{opt}", type=str, default={w.lit(v)})'),
                   (0, "args = parser.parse_args()")]
            return pre, f"args.{opt}", [], []
        if form == "conditional":
            return [], c.pick([f"{w.lit(v)} if use_large else {w.lit(other)}",
                               f'os.environ.get("M") or {w.lit(v)}']), [], []
        if form == "passthrough":
            forms = [f"{w.lit(v)}.strip()", f"str({w.lit(v)})"]
            if v.text == v.text.lower():
                forms.append(f"{w.lit(v)}.lower()")
            return [], c.pick(forms), [], []
        if form == "classattr":
            cls = c.pick(["Config", "Cfg", "Defaults"])
            return [(0, f"class {cls}:"), (1, f"MODEL = {w.lit(v)}")], f"{cls}.MODEL", [], []
        if form == "dataclass":
            self.need("from dataclasses import dataclass, field")
            value = c.pick([f"field(default={w.lit(v)})", w.lit(v)])
            pre = [(0, "@dataclass"), (0, "class ModelArguments:"), (1, f"model_name_or_path: str = {value}"),
                   (0, "margs = ModelArguments()")]
            return pre, "margs.model_name_or_path", [], []
        if form == "default_param":
            f, p = c.pick(FUNCS), c.pick(PARAMS)
            post = [(0, f"{f}()")]
            if c.chance(60):
                post.append((0, c.pick([f"{f}({w.lit(other)})", f"{f}({p}={w.lit(other)})"])))
            param = c.pick([f"{p}={w.lit(v)}", f"{p}: str = {w.lit(v)}"])
            return [], p, [(0, f"def {f}({param}, device=\"cpu\"):")], post
        if form == "method":
            head = [(0, "class Runner:"), (1, "def __init__(self):"), (2, f"self.model_id = {w.lit(v)}"),
                    (1, "def run(self):")]
            return [], "self.model_id", head, [(0, "Runner().run()")]
        if form == "crossfile":
            var, _ = c.pick(w.settings)
            style = c.pick(["from", "module", "alias"] + (["relative"] if self.package else []))
            if style == "relative":
                self.imports.append(f"from .settings import {var}")
                return [], var, [], []
            if style == "from":
                self.imports.append(f"from pkg.settings import {var}")
                return [], var, [], []
            if style == "module":
                self.imports.append("from pkg import settings")
                return [], f"settings.{var}", [], []
            self.imports.append("import pkg.settings as s")
            return [], f"s.{var}", [], []
        if form == "config":
            self.need("import yaml")
            key = c.pick(w.yaml_keys)
            path = "".join(f'["{k}"]' for k in key.split("."))
            return [(0, 'cfg = yaml.safe_load(open("conf/train.yaml"))')], f"cfg{path}", [], []
        raise AssertionError(form)

    def _compose(self, v: Val) -> tuple[Block, str, Block, Block]:
        """`prefix + org + "/" + name` built from pieces; every piece variable holds an org or a name."""
        w, c = self.w, self.c
        pre: Block = []
        o, n = c.pick(ORG_VARS), c.pick(NAME_VARS)
        pre.append((0, f"{o} = {w.lit(v.org)}"))
        pre.append((0, f"{n} = {w.lit(v.name)}"))
        p = v.prefix
        if p:
            w.allow(p)
        lp = json.dumps(p) + " + " if p else ""
        forms = [
            f'f"{p}{{{o}}}/{{{n}}}"', f'f"{p}{v.org}/{{{n}}}"', f'f"{p}{{{o}}}/{v.name}"',
            f'{lp}{o} + "/" + {n}', f'"{p}{v.org}/" + {n}', f'{lp}{o} + "/{v.name}"',
            f'"{p}{{}}/{{}}".format({o}, {n})', f'"{p}{{o}}/{{n}}".format(o={o}, n={n})',
            f'"{p}%s/%s" % ({o}, {n})', f'"{p}{v.org}" "/{v.name}"',
        ]
        if not p:
            forms.append(f'"/".join([{o}, {n}])')
        return pre, c.pick(forms), [], []

    def ghost_block(self) -> Block:
        c, g = self.c, self.w.ghost()
        if not self.star and c.chance(10):  # a local function shadows the imported one
            return [(0, "def pipeline(*args, **kwargs):"), (1, "return None"),
                    (0, f'pipeline("text-classification", model="{g}")')]
        if c.chance(5):
            return [(0, "match use_large:"), (1, "case True:"), (2, f'print("{g}")'), (1, "case _:"), (2, "pass")]
        return [c.pick([
            (0, f'# model = AutoModel.from_pretrained("{g}")'),
            (0, f'"""Fine-tuned from {g}."""'),
            (0, f'print("{g}")'),
            (0, f'{c.pick(GHOST_VARS)} = "{g}"'),
            (0, f'helper.load_state("{g}")' if self.star else f'helper.from_pretrained("{g}")'),
            (0, f'load_weights("{g}")'),
            (0, f'print "loading {g}"'),
            (0, 'exec "x = 1"'),
            (0, "pass"),
            (0, f"x = {c.int(0, 9)}"),
        ])]

    def loader_block(self) -> Block:
        w, c = self.w, self.c
        imports, template, kind = c.pick(APIS)
        imp, callee = c.pick([i for i in imports if ("*" in i[0]) == self.star] or imports)
        self.need(imp)
        pre: Block = []
        if callee == "model_cls":
            pre.append((0, "model_cls = AutoModelForCausalLM if use_large else AutoModel"))
        elif callee == "MyModel":
            pre += [(0, "class MyModel(PreTrainedModel):"), (1, "config_class = None")]
        if kind == "task":
            task = c.pick(TASKS)
            taskarg = c.pick([f'"{task}"', f'task="{task}"', "TASK"])
            if taskarg == "TASK":
                pre.append((0, f'TASK = "{task}"'))
            return pre + [(0, template.format(callee=callee, taskarg=taskarg))]
        if kind == "none":
            return pre + [(0, template.format(callee=callee))]
        v = w.val(kind)
        self.wrap = "{call}"  # what the call is written into (a comprehension, a lambda)
        before, e, head, after = self.expr(v, kind)
        e2 = ""
        if kind in ("arch", "torch_hub"):
            t = w.tag()
            if c.chance(30):
                tv = c.pick(TAG_VARS)
                pre.append((0, f"{tv} = {w.lit(t)}"))
                e2 = tv
            else:
                e2 = w.lit(t)
        call = self.wrap.format(call=template.format(callee=callee, E=e, E2=e2, task=c.pick(TASKS)))
        depth = max((d for d, _ in head), default=-1) + 1
        return pre + before + head + [(depth, call)] + after

    def module(self, blocks: int, *, noisy: bool = False, main_guard: bool = True) -> str:
        c = self.c
        body: Block = []
        for _ in range(blocks):
            block = self.loader_block() if c.chance(65) else self.ghost_block()
            wrap = c.int(0, 9) if main_guard else 0
            if wrap == 7:
                block = [(0, "def main():")] + [(d + 1, t) for d, t in block] + [(0, "main()")]
            elif wrap == 8:
                block = [(0, "try:")] + [(d + 1, t) for d, t in block] + [(0, "except Exception:"), (1, "pass")]
            elif wrap == 9:
                block = [(0, "with torch.no_grad():")] + [(d + 1, t) for d, t in block]
            body += block
        unit = c.pick(["    ", "  ", "\t", "   "])
        lines = indent_lines(body, unit)
        if noisy:
            for _ in range(c.int(1, 6)):
                at = c.int(0, len(lines))
                junk = c.pick(NOISE_LINES)
                if c.chance(50) and lines:
                    at = min(at, len(lines) - 1)
                    lines[at] = (" " * c.int(0, 5)) + lines[at]  # random indentation
                lines.insert(at, (" " * c.int(0, 3)) + junk)
        head = []
        if c.chance(20):
            head.append("#!/usr/bin/env python")
        if c.chance(15):
            head.append("# -*- coding: utf-8 -*-")
        if c.chance(25):
            head.append(f'"""Demo of {self.w.ghost()}."""')
        imports = list(self.imports)
        if len(imports) > 1 and c.chance(30):
            i = c.int(0, len(imports) - 1)
            imports[i] = f"try:\n{unit}{imports[i]}\nexcept ImportError:\n{unit}pass"
        if "import torch" not in imports and c.chance(50):
            imports.append("import torch")
        return "\n".join(head + imports + ["use_large = False"] + lines) + "\n"


# --- notebooks, shell scripts and YAML ----------------------------------------------


def as_notebook(c, source: str, w: World | None = None) -> str:
    """Python source as an nbformat-4 notebook: cells split at random lines, source
    given as a string or a list of lines, markdown, magics and `!` lines around."""
    lines = source.split("\n")
    cells: list[dict] = []
    i = 0
    while i < len(lines):
        j = min(len(lines), i + c.int(1, 8))
        chunk = lines[i:j]
        if c.chance(20):
            chunk.insert(0, c.pick(["%matplotlib inline", "%pip install transformers", "%%time"]))
        if w is not None and c.chance(20):
            opt = c.pick(OPTIONS)
            chunk.append(f"!python train.py --{opt} {w.allow(w.val('st').text)}")
        text = "\n".join(chunk)
        src: object = [line + "\n" for line in text.split("\n")] if c.chance(60) else text
        if isinstance(src, list) and src:
            src[-1] = src[-1][:-1]
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src})
        if c.chance(25):
            cells.append({"cell_type": "markdown", "metadata": {}, "source": f"Uses `{w.ghost() if w else 'x'}`"})
        i = j
    nb = {"cells": cells, "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=c.pick([None, 1]), ensure_ascii=c.chance(50))


def shell_script(w: World) -> str:
    c = w.c
    opts = sorted(w.options) or list(OPTIONS)
    out = ["#!/bin/bash", "set -e"]
    for _ in range(c.int(1, 6)):
        opt, v, other = c.pick(opts), w.val("st"), w.val("st")
        launcher = c.pick(["python train.py", "python3 train.py", "accelerate launch train.py",
                           "torchrun --nproc_per_node 2 train.py", "python -m train", "nohup python train.py"])
        form = c.int(0, 11)
        if form == 9:  # download command lines: an id is what they name, never what an upload or echo names
            out.append(c.pick([f"hf download {w.allow(v.text)} --revision {w.junk()}",
                               f"huggingface-cli download --repo-type model {w.allow(v.text)} weights.bin",
                               f"hf upload {w.ghost()} ./out", f'echo "hf download {w.ghost()}"']))
        elif form == 10:
            out.append(c.pick([f"git clone --depth 1 https://huggingface.co/{w.allow(v.text)}",
                               f"wget -O w.bin https://huggingface.co/{w.allow(v.text)}/resolve/main/w.bin",
                               f"git clone https://github.com/{w.ghost()}"]))
        elif form == 0:
            out.append(f"{launcher} --{opt} {w.allow(v.text)} --lr {w.junk()}")
        elif form == 1:
            out += [f'MODEL="{w.allow(v.text)}"', f'{launcher} --{opt}="$MODEL" --output_dir {w.junk()}']
        elif form == 2 and v.org:
            out += [f"ORG={w.allow(v.org)}", f'{launcher} --{opt} "$ORG/{w.allow(v.name)}"']
        elif form == 3:
            out += [f"for m in {w.allow(v.text)} {w.allow(other.text)}; do", f"  {launcher} --{opt} $m", "done"]
        elif form == 4:
            out.append(f'{launcher} --{opt} "${{MODEL:-{w.allow(v.text)}}}"')
        elif form == 5:
            out += [f'if [ "$1" = "big" ]; then M={w.allow(v.text)}; else M={w.allow(other.text)}; fi',
                    f"{launcher} --{opt} $M"]
        elif form == 6:
            out += [f'run() {{ {launcher} --{opt} "$1"; }}', f"run {w.allow(v.text)}"]
        elif form == 7:
            out.append(f"echo \"{w.ghost()}\"  # python train.py --{opt} {w.ghost()}")
        else:
            out.append(f"{launcher} --{opt} '{w.allow(v.text)}' \\\n    --seed {w.junk()}")
    return "\n".join(out) + "\n"


def yaml_config(w: World) -> str:
    c = w.c
    model: dict[str, str] = {}
    for key in c.pick([("name_or_path",), ("base_model", "tokenizer"), ("model_name_or_path",), ("base_model",)]):
        model[key] = w.allow(w.val("st").text)
        w.yaml_keys.append(f"model.{key}")
    lines = ["model:"]
    for key, value in model.items():
        lines.append(f"  {key}: " + c.pick([value, json.dumps(value), f"'{value}'"]))
    lines += ["train:", f"  lr: {w.junk()}", f"  optimizer: {w.junk()}", "data:", f"  path: {w.ghost()}",
              f"# base_model: {w.ghost()}"]
    if c.chance(30):
        v = w.allow(w.val("st").text)
        lines += [f"teacher_model: &t {v}", "student_model: *t"]
    return "\n".join(lines) + "\n"


# --- repositories -----------------------------------------------------------------


@dataclass
class Repo:
    files: dict[str, tuple[FileKind, bytes]]
    world: World


def build_repo(c, *, with_notebook: bool | None = None) -> Repo:
    w = World(c)
    files: dict[str, tuple[FileKind, bytes]] = {}
    # settings first: other modules read its constants
    lines = []
    for _ in range(c.int(1, 4)):
        var, v = c.pick(ID_VARS + ("DEFAULT_MODEL", "BASE")), w.val("hf")
        lines.append(f"{var} = {w.lit(v)}")
        w.settings.append((var, v))
    files["pkg/settings.py"] = (FileKind.PYTHON, ("\n".join(lines) + "\n").encode())
    files["pkg/__init__.py"] = (FileKind.PYTHON, c.pick(["", "from .settings import *\n",
                                                         "from .models import load_model\n"]).encode())
    config = yaml_config(w) if c.chance(70) else None
    g = Grammar(w, package=True)
    default = c.pick(["DEFAULT", "literal"])
    body = [f"def load_model(name={'MODEL_DEFAULT' if default == 'DEFAULT' else w.lit(w.val('hf'))}):",
            "    return AutoModel.from_pretrained(name)"]
    head = ["from transformers import AutoModel"]
    if default == "DEFAULT":
        var, _ = c.pick(w.settings)
        head.append(f"from .settings import {var} as MODEL_DEFAULT")
    rest = g.module(c.int(0, 2), main_guard=False)  # more loading code, with its own imports
    files["pkg/models.py"] = (FileKind.PYTHON, ("\n".join(head + body) + "\n" + rest).encode())
    main = Grammar(w)
    text = main.module(c.int(1, MAX_BLOCKS))
    calls = []
    for _ in range(c.int(0, 2)):
        calls.append(c.pick(["load_model()", f"load_model({w.lit(w.val('hf'))})",
                             f"load_model(name={w.lit(w.val('hf'))})"]))
    if calls:
        text = "from pkg.models import load_model\n" + text + "\n".join(calls) + "\n"
    files["train.py"] = (FileKind.PYTHON, text.encode())
    if config is not None:
        files["conf/train.yaml"] = (FileKind.CONFIG, config.encode())
    if c.chance(80):
        files["scripts/run.sh"] = (FileKind.SHELL, shell_script(w).encode())
    if with_notebook if with_notebook is not None else c.chance(30):
        nb = Grammar(w)
        files["demo.ipynb"] = (FileKind.NOTEBOOK, as_notebook(c, nb.module(c.int(1, 4)), w).encode())
    return Repo(files, w)


# --- mutations and random input -----------------------------------------------------

_INSERTS = ("(", ")", "[", "]", "{", "}", "'", '"', '"""', ":", ",", "\\", "\n", "\t", " ", "#", "=", ".", "\x00",
            "\u2028", "é", "\U0001f600", "\r\n", "import ", "from_pretrained(", "pipeline(", "f\"", "org-zz/", "-")


def mutate(c, text: str, rounds: int) -> str:
    for _ in range(rounds):
        if not text:
            text = c.pick(_INSERTS)
            continue
        op, i = c.int(0, 3), c.int(0, len(text) - 1)
        j = min(len(text), i + c.int(1, 12))
        if op == 0:
            text = text[:i] + text[j:]
        elif op == 1:
            text = text[:j] + text[i:j] + text[j:]
        elif op == 2:
            text = text[:i] + c.pick(_INSERTS) + text[i:]
        else:
            lines = text.split("\n")
            a, b = c.int(0, len(lines) - 1), c.int(0, len(lines) - 1)
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text


_TOKENS = ("import transformers\n", "from transformers import AutoModel\n", "AutoModel.from_pretrained(",
           "pipeline(", "'org-ab/m-cd'", '"gpt2"', "hf_hub:", "x = ", "f\"{x}\"", " + ", "\n", "    ", "(", ")",
           "[", "]", "{", "}", ":", ",", "python train.py --model ", "model: ", "- ", "$M", "${M:-", "\"", "'",
           "\\\n", "#", "for m in [", "def f(name=", "os.getenv(", "\x00", "\ufeff", "\u2028", "é", "!", "%",
           "import timm\ntimm.create_model(", ", pretrained=True)", "torch.hub.load(", "org-", "/m-", "-")
RANDOM_TEXT = st.one_of(
    st.lists(st.sampled_from(_TOKENS) | st.text(max_size=4), max_size=60).map("".join),
    st.text(max_size=300),
)


# --- running and checking -----------------------------------------------------------

def _error_names(base: type) -> tuple[str, ...]:
    names, stack = [], [base]
    while stack:
        cls = stack.pop()
        names.append(cls.__name__ + ":")
        stack += cls.__subclasses__()
    return tuple(names)


# What a config file may fail with: the parser's own errors and the walker's caps.
_YAML_ERRORS = _error_names(yaml.YAMLError) + ("_Exhausted:", "RecursionError:")
_JSON_ERRORS = ("ValueError: invalid JSON value", "ValueError: extra data after the JSON value", "JSONDecodeError:",
                "_Exhausted:", "RecursionError:")
_NOTEBOOK_ERRORS = ("invalid notebook JSON", "notebook ")


def extract_checked(path: str, kind: FileKind, data: bytes) -> FileFacts:
    facts = extract_file(WorkItem(path, kind, data), REGISTRY.callee_names, commands=REGISTRY.command_programs)
    assert isinstance(facts, FileFacts) and facts.path == path and facts.kind == kind
    assert isinstance(facts.status, ParseStatus)
    if looks_binary(data) or data.startswith(b"version https://git-lfs.github.com/spec/"):
        assert facts.status == ParseStatus.SKIPPED, facts  # never read: binary, or a git LFS pointer
        return facts
    if kind == FileKind.PYTHON:
        assert facts.status in (ParseStatus.OK, ParseStatus.PARTIAL), facts.error
    elif kind == FileKind.NOTEBOOK:
        if facts.status == ParseStatus.FAILED:
            assert facts.error and facts.error.startswith(_NOTEBOOK_ERRORS), facts.error
    elif kind == FileKind.SHELL:
        assert facts.status in (ParseStatus.OK, ParseStatus.PARTIAL), facts.error
    elif facts.status in (ParseStatus.FAILED, ParseStatus.PARTIAL):
        allowed = _JSON_ERRORS if path.endswith(".json") else _YAML_ERRORS
        assert facts.error and facts.error.startswith(allowed), facts.error
    if facts.status != ParseStatus.SKIPPED:
        decoded = (decode_python(data) if kind == FileKind.PYTHON else decode_text(data)).text
        if kind != FileKind.NOTEBOOK:  # a notebook's lines count in its joined code, not in the JSON
            n = decoded.count("\n") + 1
            lines = ([x.line for x in facts.calls] + [x.line for x in facts.bindings] + [x.line for x in facts.imports]
                     + [x.line for x in facts.shell_args] + [x.line for x in facts.config_values])
            assert all(1 <= line <= n for line in lines), (lines, n)
    return facts


def _norm(text: str) -> str:
    return text.upper().casefold()


def _readings(text: str) -> list[str]:
    out = [text]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes are kept as written, with a warning
        out.append(text.encode("latin-1", "backslashreplace").decode("unicode_escape", "ignore"))
    out.append(text.replace("\\", "").replace("'", "").replace('"', ""))
    return out


def _json_strings(node: object, out: list[str], depth: int = 0) -> None:
    if depth > 200:
        return
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, list):
        if node and all(isinstance(x, str) for x in node):
            out.append("".join(node))
        for x in node:
            _json_strings(x, out, depth + 1)
    elif isinstance(node, dict):
        for x in node.values():
            _json_strings(x, out, depth + 1)


@dataclass(frozen=True)
class Evidence:
    """What a reported id is checked against (see the module docstring)."""

    text: str  # T, normalised
    composed: bool  # some input holds a composition marker
    free: frozenset[str]  # characters number formatting can make up (empty when not composed)


def evidence(files: dict[str, tuple[FileKind, bytes]]) -> Evidence:
    texts: list[str] = []
    for kind, data in files.values():
        decoded = decode_python(data) if kind == FileKind.PYTHON else decode_text(data)
        texts += [decoded.text, data.decode("utf-8", "replace")]
        if kind == FileKind.NOTEBOOK:
            try:
                strings: list[str] = []
                _json_strings(json.loads(data.decode("utf-8", "replace")), strings)
                texts += strings
            except (ValueError, RecursionError):
                pass
    composed = any(_MARKER.search(t) for t in texts)
    free: set[str] = set()
    if composed:  # f-strings, `%`, `str.format` and `str()` write numbers (`f"{0x41}"` is "65")
        free |= set(_NUMBER_CHARS)
        for t in texts:
            for m in _INT.finditer(t):
                try:
                    n = int(m.group(0).replace("_", ""), 0)
                except ValueError:
                    n = int(m.group(0).replace("_", "")) if m.group(0).replace("_", "").isdigit() else -1
                if 0 <= n < 0x110000:
                    free.add(chr(n))
    return Evidence("\n\n".join(_norm(r) for t in texts for r in _readings(t)), composed,
                    frozenset(_norm(ch) for ch in free))


_MARKER = re.compile(r"""[+%$`]|\\\r?\n|join|format|replace|str\(|[fF]['"]|['"](?:[\s\\]|#[^\n]*\n)*[rRbBuUfF]{0,2}['"]""")
# What f-strings, `%` and `str.format` can write that the input need not contain: digits and
# letters of numbers in any base and notation, signs, points, separators, padding, repr quotes.
_NUMBER_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-. ,_'\"\\"
_INT = re.compile(r"\b(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)\b")


def _concatenation_of_substrings(part: str, ev: Evidence) -> bool:
    reach = [True] + [False] * len(part)
    for i in range(len(part)):
        if reach[i]:
            if part[i] in ev.free:
                reach[i + 1] = True
            for j in range(len(part), i, -1):
                if not reach[j] and part[i:j] in ev.text:
                    reach[j] = True
    return reach[-1]


def from_input(value: str, ev: Evidence) -> bool:
    for part in _norm(value).split(":"):
        if part and part not in ev.text and not (ev.composed and _concatenation_of_substrings(part, ev)):
            return False
    return True


_ID_NONE = {Resolution.UNRESOLVED.value, Resolution.LOCAL_PATH.value}


def check_usages(usages: list[Usage], files: dict[str, tuple[FileKind, bytes]], world: World | None) -> None:
    ev = evidence(files)
    for u in usages:
        assert u.path in files, u
        assert u.line >= 1 and u.repo_type in ("model", "dataset", "space"), u
        assert Resolution(u.resolution)
        assert (u.model_id is None) == (u.resolution in _ID_NONE), u
        if u.model_id is None:
            continue
        pattern = REGISTRY.match(u.api)
        if u.resolution == Resolution.LIBRARY_DEFAULT.value:
            assert pattern is not None and u.model_id == pattern.default_id, u
            continue
        if u.resolution == Resolution.PIPELINE_TASK_DEFAULT.value:
            assert pattern is not None and pattern.task_defaults, u
            tasks = [k for k, v in REGISTRY.table(pattern.task_defaults).items() if v == u.model_id]
            assert any(from_input(t, ev) for t in tasks), (u, tasks)
            continue
        assert from_input(u.model_id, ev), (u.model_id, u)
        if world is not None:
            for part in u.model_id.split(":"):
                org, _, name = part.partition("/")
                assert part in world.allowed or (org in world.orgs and name in world.names), (
                    f"{part!r} is a decoy" if part in world.ghosts else f"{part!r} was never written as a value", u)


def run_repo(files: dict[str, tuple[FileKind, bytes]], world: World | None = None) -> list[Usage]:
    facts = [extract_checked(path, kind, data) for path, (kind, data) in files.items()]
    usages = resolve_repo(facts, REGISTRY, repo="fuzz/repo", commit="0" * 40)
    assert isinstance(usages, list) and all(isinstance(u, Usage) for u in usages)
    check_usages(usages, files, world)
    return usages


# --- strategies ---------------------------------------------------------------------


@st.composite
def grammar_modules(draw, noisy: bool = False) -> tuple[str, World, Draws]:
    c = Draws(draw)
    w = World(c)
    return Grammar(w).module(c.int(1, MAX_BLOCKS), noisy=noisy), w, c


@st.composite
def repos(draw) -> Repo:
    return build_repo(Draws(draw))


# --- properties ---------------------------------------------------------------------


@settings(FUZZ, max_examples=600)
@given(grammar_modules())
def test_property_grammar_python_and_notebook(module: tuple[str, World, Draws]) -> None:
    source, world, c = module
    run_repo({"train.py": (FileKind.PYTHON, source.encode())}, world)
    run_repo({"demo.ipynb": (FileKind.NOTEBOOK, as_notebook(c, source).encode())}, world)


@settings(FUZZ, max_examples=600)
@given(grammar_modules(noisy=True), st.integers(0, 6), st.booleans(),
       st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
def test_property_noisy_and_mutated_python(module: tuple[str, World, Draws], rounds: int, notebook: bool,
                                           encoding: str) -> None:
    source, _, c = module
    source = mutate(c, source, rounds)
    if encoding in ("latin-1", "cp1252"):  # with a PEP 263 cookie (a wrong one when not encodable)
        source = f"# -*- coding: {encoding} -*-\n" + source
    data = source.encode(encoding, "replace")
    if notebook:
        run_repo({"demo.ipynb": (FileKind.NOTEBOOK, mutate(c, as_notebook(c, source), rounds // 2)
                                 .encode("utf-8", "surrogatepass"))})
    else:
        run_repo({"train.py": (FileKind.PYTHON, data)})


@settings(FUZZ, max_examples=600)
@given(st.one_of(RANDOM_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=200)),
       st.sampled_from([("m.py", FileKind.PYTHON), ("n.ipynb", FileKind.NOTEBOOK), ("run.sh", FileKind.SHELL),
                        ("Makefile", FileKind.SHELL), ("README.md", FileKind.SHELL), ("Dockerfile", FileKind.SHELL),
                        ("c.yaml", FileKind.CONFIG), ("c.json", FileKind.CONFIG)]))
def test_property_random_input_of_every_kind(data: bytes, target: tuple[str, FileKind]) -> None:
    path, kind = target
    files = {path: (kind, data)}
    if kind != FileKind.PYTHON:  # give shell and config values a script to feed
        files["train.py"] = (FileKind.PYTHON, b"import transformers, argparse\np = argparse.ArgumentParser()\n"
                                              b"p.add_argument('--model')\na = p.parse_args()\n"
                                              b"transformers.AutoModel.from_pretrained(a.model)\n")
    run_repo(files)


@settings(FUZZ, max_examples=400)
@given(repos())
def test_property_repositories(repo: Repo) -> None:
    run_repo(repo.files, repo.world)


@settings(FUZZ, max_examples=400)
@given(repos(), st.data())
def test_property_mutated_repositories(repo: Repo, data) -> None:
    c = Draws(data.draw)
    files = dict(repo.files)
    for path in c.pick([[p] for p in files] + [list(files)]):
        kind, content = files[path]
        text = mutate(c, content.decode("utf-8"), c.int(1, 6))
        files[path] = (kind, text.encode("utf-8", "surrogatepass"))
    run_repo(files)


# String expressions: the evaluator's own fuzz target (it has no catch-all). Integers stay
# below 1001 and `.str()` is left out: larger ones and `.str()` hit the known crashes pinned
# at the end of this file.
_PIECES = ("org-a", "org-bc", "/", "m-x", "m-yz", "", "-", "gpt2", "hf_hub:", "%s", "%s/%s", "%d", "%5s", "%-3s",
           "%x", "%c", "%r", "%.2f", "%(k)s", "%%", "{}", "{}/{}", "{0}", "{x}", "{!r}", "{:>4}", "{:x}", "{:c}",
           "{:,}", "{:e}", "{0[0]}", "{0.x}", "{{}}", "{:{}}", " org-a/m-x ", "https://huggingface.co/org-a/m-x")


def _expressions(inner):
    two = st.tuples(inner, inner)
    return st.one_of(
        two.map(lambda t: f"({t[0]} + {t[1]})"),
        two.map(lambda t: f"({t[0]} % {t[1]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} % ({t[1]}, {t[2]}))"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]}.format({t[1]}, x={t[2]})"),
        two.map(lambda t: f"{t[0]}.join([{t[0]}, {t[1]}])"),
        two.map(lambda t: f'f"{{{t[0]}}}/{{{t[1]}!r:>4}}"'),
        two.map(lambda t: f"({t[0]} if c else {t[1]})"),
        two.map(lambda t: f"({t[0]} or {t[1]})"),
        two.map(lambda t: f"[{t[0]}, {t[1]}][1]"),
        two.map(lambda t: f"{{'k': {t[0]}, 1: {t[1]}}}[{t[1]}]"),
        two.map(lambda t: f"{{'k': {t[0]}}}.get('k', {t[1]})"),
        inner.map(lambda t: f"str({t})"),
        inner.map(lambda t: f"os.getenv('X', {t})"),
        two.map(lambda t: f"({t[0]} / {t[1]})"),
    )


_ATOMS = st.one_of(st.sampled_from(_PIECES).map(json.dumps), st.integers(0, 1000).map(str),
                   st.sampled_from(["0x41", "1.5", "True", "None", "A", "B", "b'x'", "[]", "1e400"]))
_EXPRESSIONS = st.recursive(_ATOMS, _expressions, max_leaves=8)
_METHODS = ("strip", "lower", "upper", "rstrip", "lstrip", "replace", "format", "join", "get", "split")


@st.composite
def expression_programs(draw) -> str:
    lines = ["import os", "import transformers", "import timm", "c = len(os.environ)"]
    for name in "AB":
        lines.append(f"{name} = {draw(_EXPRESSIONS)}")
        if draw(st.booleans()):
            args = ", ".join(draw(st.lists(_EXPRESSIONS, max_size=2)))
            lines.append(f"{name} = {name}.{draw(st.sampled_from(_METHODS))}({args})")
    if draw(st.booleans()):
        lines += [f"for L in [{draw(_EXPRESSIONS)}, {draw(_EXPRESSIONS)}]:",
                  "    transformers.AutoModel.from_pretrained(L)"]
    lines.append(f"transformers.AutoModel.from_pretrained({draw(_EXPRESSIONS)})")
    lines.append(f"timm.create_model({draw(st.sampled_from(['A', 'B']))}, pretrained=True)")
    return "\n".join(lines) + "\n"


@settings(FUZZ, max_examples=600)
@given(expression_programs())
def test_property_string_expressions(source: str) -> None:
    run_repo({"a.py": (FileKind.PYTHON, source.encode())})


# --- the generators reach what they are meant to reach ------------------------------


def test_generated_repositories_resolve_through_every_path() -> None:
    """Not vacuous: the same generators, seeded, give ids by every resolution kind the
    grammar is built for, and every tier-2 check passes on them."""
    seen: Counter = Counter()
    found_ids = 0
    for seed in range(60):
        repo = build_repo(Seeded(seed), with_notebook=seed % 3 == 0)
        usages = run_repo(repo.files, repo.world)
        seen.update(u.resolution for u in usages)
        found_ids += sum(1 for u in usages if u.model_id)
    expected = {"literal", "constant", "fstring", "concat", "dict_lookup", "loop", "env_default", "argparse_default",
                "default_param", "call_arg", "conditional", "dataclass_default", "shell_arg", "config_file",
                "pipeline_task_default", "library_default", "local_path", "unresolved"}
    assert expected <= set(seen), expected - set(seen)
    assert found_ids > 300


# --- never hang ---------------------------------------------------------------------


def test_largest_inputs_finish() -> None:
    """The biggest shapes the properties draw, and a few pathological ones, run once
    each through extraction and resolution: finishing is the check."""
    c = Seeded(12345)
    w = World(c)
    big = Grammar(w).module(40 * MAX_BLOCKS)
    run_repo({"big.py": (FileKind.PYTHON, big.encode())}, w)
    run_repo({"big.ipynb": (FileKind.NOTEBOOK, as_notebook(c, big, w).encode())}, w)
    noisy = mutate(c, Grammar(World(c)).module(10 * MAX_BLOCKS, noisy=True), 40)
    run_repo({"noisy.py": (FileKind.PYTHON, noisy.encode("utf-8", "surrogatepass"))})
    repo = build_repo(c, with_notebook=True)
    files = dict(repo.files)
    for i in range(30):  # many modules that import each other: callers, neighbours, options across files
        text = f"import mods.m{(i + 1) % 30} as nxt\nfrom pkg.models import load_model\n"
        text += Grammar(repo.world).module(MAX_BLOCKS)
        text += f"load_model(nxt.MODEL)\nMODEL = {repo.world.lit(repo.world.val('hf'))}\n"
        files[f"mods/m{i}.py"] = (FileKind.PYTHON, text.encode())
    run_repo(files, repo.world)
    # doubling chains, deep nesting and long continued lines
    chain = "\n".join(["import transformers", 'a0 = "org-a/m-"'] + [f"a{i + 1} = a{i} + a{i}" for i in range(40)]
                      + ['b0 = "x"'] + [f'b{i + 1} = f"{{b{i}}}{{b{i}}}"' for i in range(40)]
                      + ["transformers.AutoModel.from_pretrained(a40)", "transformers.AutoModel.from_pretrained(b40)"])
    run_repo({"chain.py": (FileKind.PYTHON, chain.encode())})
    deep = ("import transformers\nx = " + "(" * 3000 + '"org-a/m-b"' + ")" * 3000
            + "\ntransformers.AutoModel.from_pretrained(x)\n")
    run_repo({"deep.py": (FileKind.PYTHON, deep.encode())})
    shell = "M=a\n" + "M=$M$M\n" * 30 + "python train.py --model \"$M\" " + "\\\n" * 500 + "\n"
    run_repo({"run.sh": (FileKind.SHELL, shell.encode()), "train.py": (FileKind.PYTHON, b"")})


# --- the checks themselves are not vacuous --------------------------------------------


def _usage(model_id: str, resolution: str = "literal", api: str = "transformers.AutoModel.from_pretrained",
           path: str = "a.py") -> Usage:
    return Usage(repo="r", commit=None, path=path, line=1, api=api, hub="huggingface", repo_type="model",
                 model_id=model_id, resolution=resolution, expression="")


@pytest.mark.parametrize("model_id, resolution, api", [
    ("google-bert/bert-base-uncased", "literal", "transformers.AutoModel.from_pretrained"),  # canonical for written
    ("org-a/m-bc", "constant", "transformers.AutoModel.from_pretrained"),  # glued without any composition
    ("openai-community/gpt2", "library_default", "transformers.AutoModel.from_pretrained"),  # no such default
    ("openai-community/gpt2", "pipeline_task_default", "transformers.pipeline"),  # its task is not in the input
    ("ghost-a/m-a", "literal", "transformers.AutoModel.from_pretrained"),  # a decoy in a comment
])
def test_checks_reject_invented_ids(model_id: str, resolution: str, api: str) -> None:
    source = ('import transformers\nM = "org-a/m-b"\nN = "c"\n# "ghost-a/m-a"\n'
              'transformers.AutoModel.from_pretrained("bert-base-uncased")\ntransformers.pipeline("fill-mask")\n')
    files = {"a.py": (FileKind.PYTHON, source.encode())}
    w = World(Seeded(0))
    w.allowed |= {"org-a/m-b", "c", "bert-base-uncased", "fill-mask"}
    world = w if model_id.startswith("ghost") else None
    with pytest.raises(AssertionError):
        check_usages([_usage(model_id, resolution, api)], files, world)
    check_usages([_usage("bert-base-uncased"), _usage("org-a/m-b", "constant"),
                  _usage("distilbert/distilroberta-base", "pipeline_task_default", "transformers.pipeline")], files, w)


# --- bugs found while building these tests: minimal reproducers ------------------------
#
# Each once made an exception escape `resolve_repo` (and `miner mine` stop before any
# table was written), made a value grow without bound, or attributed a local name to a
# star-imported library.

_CRASHES = {
    # Evaluator._percent: OverflowError
    "percent-c": 'transformers.AutoModel.from_pretrained("%c" % 99999999999)\n',
    # Evaluator._format: the same through str.format
    "format-c": 'transformers.AutoModel.from_pretrained("{:c}".format(99999999999))\n',
    # Evaluator._pass_through: `x.str()` is no method of a string
    "str-method": 'X = "a"\ntransformers.AutoModel.from_pretrained(X.str())\n',
}


@pytest.mark.parametrize("code", list(_CRASHES.values()), ids=list(_CRASHES))
def test_resolution_survives_odd_string_operations(code: str) -> None:
    run_repo({"a.py": (FileKind.PYTHON, b"import transformers\n" + code.encode())})


_MEMORY_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # a 100 GB request fails at once, whatever overcommit says
from miner.extract import WorkItem, extract_file
from miner.patterns import default_registry
from miner.records import FileKind
from miner.resolve import resolve_repo
registry = default_registry()
code = b'import transformers\\ntransformers.AutoModel.from_pretrained("%99999999999s" % "a")\\n'
facts = extract_file(WorkItem("a.py", FileKind.PYTHON, code), registry.keywords)
resolve_repo([facts], registry, repo="r", commit=None)
print("resolved")
"""


def test_resolution_survives_a_huge_format_width() -> None:
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-c", _MEMORY_CHILD], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parent.parent)
    if done.stderr.rstrip().endswith("MemoryError"):
        raise MemoryError(done.stderr[-2000:])
    assert done.returncode == 0 and "resolved" in done.stdout, done.stderr[-2000:]


def test_computed_values_stay_small() -> None:
    from miner.resolve.evaluate import Evaluator
    from miner.resolve.repo import RepoView

    code = "\n".join(['a0 = "ab"'] + [f'a{i + 1} = a{i}.replace("", "{"x" * 30}")' for i in range(4)]) + "\n"
    facts = extract_checked("a.py", FileKind.PYTHON, code.encode())
    view = RepoView([facts])
    values = Evaluator(view).values("a4", view.view("a.py"), 0)
    # uncapped, a4 would be 1.8 million characters long, from 200 bytes of code
    assert all(len(c.value) <= 64 * 1024 for c in values if isinstance(c.value, str))


@pytest.mark.parametrize("code", [
    'def pipeline(task, model=None):\n    return None\npipeline("text-classification", model="ghost/model")\n',
    'helper = object()\nhelper.from_pretrained("ghost/model")\n',
], ids=["def", "assignment"])
def test_local_definition_shadows_a_star_import(code: str) -> None:
    # With `from transformers import pipeline` instead, the same code gives no usage.
    assert run_repo({"a.py": (FileKind.PYTHON, b"from transformers import *\n" + code.encode())}) == []
