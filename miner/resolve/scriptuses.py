"""How the script a shell line drives uses an option's value: a local folder,
or one of its own architecture names; and the folders that the repository's
own command lines write (`--output_dir`).

`python train.py --model_dir bert-finetuned` where train.py only ever joins
`args.model_dir` with file names (`os.path.join(args.model_dir, "best.pt")`)
names a folder it writes, not a hub model; `python train.py --model
bert_combined` where train.py only compares `args.model` with its own names
(`if args.model == "bert_combined":`) or looks it up in a dict of classes
names an architecture, and loads nothing by that name. The evidence is every
mention of `<args>.<dest>` that the facts keep (assignments, the arguments of
recorded calls, the `if` tests around them): all of them must be such uses,
and for an architecture the value must be one of the names the script
compares it with, looks up, or lists in `choices`. A mention passed anywhere
else (`from_pretrained(args.model)`, in any argument of a recorded call, `name =
args.model`) keeps the row; so does a script the facts do not show (the run
reads a script only when it has a loading call or is imported by one).
"""
from __future__ import annotations

import ast
import re
from enum import Enum

from miner.resolve.evaluate import Ctx, Evaluator, _entries, parse_expr
from miner.resolve.repo import FileView


class Use(str, Enum):
    FOLDER = "folder"
    CHOICE = "choice"


_ARGPARSE = frozenset({"add_argument", "set_defaults", "add_argument_group", "DEFINE_string", "DEFINE_enum"})
_FOLDER_BEFORE = re.compile(r"(?:\bos\.path\.join|\bosp\.join|\bpath\.join|\bPath|\bos\.makedirs|\bos\.mkdir|"
                            r"\bos\.listdir|\.save_pretrained|\.save_model|\bshutil\.rmtree)\(\s*$")
_FOLDER_AFTER = re.compile(r"""^(?:\s*\+\s*[rfb]?['"][/\\]|\}[/\\]|\)?\s*/\s*['"\w])""")
_COMPARED = re.compile(r"""^\s*(?:==|!=)\s*[rb]?(['"])(.*?)\1""")
_COMPARED_BEFORE = re.compile(r"""[rb]?(['"])([^'"]*)\1\s*(?:==|!=)\s*$""")
_IN_LITERAL = re.compile(r"""^\s*(?:not\s+)?in\s+([\[\(\{][^\]\)\}]*[\]\)\}])""")
_SUBSCRIPT = re.compile(r"([A-Za-z_][\w.]*)\s*(?:\[\s*|\.get\(\s*)$")


def written_folders(shell_args: list, table: dict[str, str]) -> dict[str, set[tuple[str, int]]]:
    """The values the repository's own command lines give to an option that
    names a folder they write (`--output_dir`, from `patterns/_output_keys.toml`),
    with the (path, line) of each command line."""
    keys = {k.lower() for k in table}
    found: dict[str, set[tuple[str, int]]] = {}
    for path, arg in shell_args:
        if arg.option.lstrip("-").replace("-", "_").lower() in keys:
            for value in arg.values:
                found.setdefault(value.removeprefix("./").rstrip("/"), set()).add((path, arg.line))
    return found


def script_use(evaluator: Evaluator, view: FileView, dest: str, value: str) -> Use | None:
    """How `view` uses the option `dest` given `value`; None: not known to be
    a folder or an architecture name (keep the row)."""
    mention = re.compile(rf"[A-Za-z_]\w*\.{re.escape(dest)}\b(?!\s*=[^=])")
    uses: set[str] = set()
    names: set[str] = set()
    for text, scope, counts in _texts(view):
        for match in mention.finditer(text):
            if not counts:
                return None
            before, after = text[max(0, match.start() - 200):match.start()], text[match.end():match.end() + 200]
            if _FOLDER_BEFORE.search(before) or _FOLDER_AFTER.match(after):
                uses.add(Use.FOLDER)
            elif (found := _compared(before, after)) is not None:
                uses.add(Use.CHOICE)
                names |= found
            elif (found := _class_keys(evaluator, view, scope, before, after)) is not None:
                uses.add(Use.CHOICE)
                names |= found
            else:
                return None
    names |= _choices(view, dest)
    if uses == {Use.FOLDER}:
        return Use.FOLDER
    if uses == {Use.CHOICE} and value in names:
        return Use.CHOICE
    return None


def _texts(view: FileView) -> list[tuple[str, object, bool]]:
    """(text, scope, whether a use there can count): assignments and `if`
    tests; an argument of a recorded call (a loading call, `partial`, ...)
    never does, whatever wraps the mention (`from_pretrained(Path(args.m))`)."""
    facts = view.facts
    return [(b.value, b.scope, True) for b in facts.bindings] + \
        [(a.value, c.scope, False) for c in facts.calls if c.callee.rsplit(".", 1)[-1] not in _ARGPARSE for a in c.args] + \
        [(g.test, c.scope, True) for c in facts.calls for g in c.guards] + \
        [(g.test, b.scope, True) for b in facts.bindings for g in b.guards]


def _compared(before: str, after: str) -> set[str] | None:
    """The string constants an `==`, `!=` or `in (...)` test compares the mention with."""
    if (m := _COMPARED.match(after)) or (m := _COMPARED_BEFORE.search(before)):
        return {m.group(2)}
    if (m := _IN_LITERAL.match(after)) is not None:
        node = parse_expr(m.group(1))
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and node.elts and \
                all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            return {e.value for e in node.elts}
    return None


def _class_keys(evaluator: Evaluator, view: FileView, scope, before: str, after: str) -> set[str] | None:
    """The keys of a literal dict of classes or builders (no string values)
    that the mention indexes (`MODELS[args.model]`, `MODELS.get(args.model)`)."""
    m = _SUBSCRIPT.search(before)
    if m is None or not re.match(r"^\s*[\]),]", after):
        return None
    node = parse_expr(m.group(1))
    containers = evaluator.containers(node, Ctx(view, scope)) if node is not None else []
    dicts = [c for c, _ in containers if isinstance(c, ast.Dict)]
    if not dicts or len(dicts) != len(containers):
        return None
    entries = [e for d in dicts for e in _entries(d)]
    if not entries or any(_may_be_text(evaluator, v, Ctx(view, scope)) for _, v in entries):
        return None
    return {k for k, _ in entries if isinstance(k, str)}


def _may_be_text(evaluator: Evaluator, value: ast.expr, ctx: Ctx) -> bool:
    """A dict value that is or may stand for a string (an id): only names of
    classes and builders, and tuples of them, are no text."""
    items = value.elts if isinstance(value, ast.Tuple) else [value]
    return any(not isinstance(v, (ast.Name, ast.Attribute, ast.Call, ast.Lambda)) or
               any(isinstance(c.value, str) for c in evaluator.eval(v, ctx)) for v in items)


def _choices(view: FileView, dest: str) -> set[str]:
    """The literal `choices=[...]` of the option `dest` in the script."""
    found: set[str] = set()
    for c in view.facts.calls:
        if c.callee.rsplit(".", 1)[-1] != "add_argument":
            continue
        flags = [a.value.strip("'\"") for a in c.args if a.keyword is None]
        named = any(f.lstrip("-").replace("-", "_") == dest for f in flags) or \
            any(a.keyword == "dest" and a.value.strip("'\"") == dest for a in c.args)
        choices = next((a.value for a in c.args if a.keyword == "choices"), None)
        node = parse_expr(choices) if named and choices else None
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            found |= {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return found
