"""Shell values that the script they drive reads as keys of its own dict (or
uses as a folder or an architecture name: `scriptuses.py`).

`python summarize.py --model bart-cnndm`, where summarize.py looks the option up
in `SHORT_NAMES = {"bart-cnndm": "facebook/bart-large-cnn", ...}`, names
`facebook/bart-large-cnn` (resolution follows the dict), not a model called
`bart-cnndm`. Such a value is no standalone id. Only a literal dict of the
script, indexed by that very option (`D[args.model]`, `D.get(args.model, ...)`,
`args.model in D`), counts as evidence; anything else keeps the row.
"""
from __future__ import annotations

import ast
import posixpath
import re

from miner.records import Resolution, Usage
from miner.resolve.evaluate import Ctx, Evaluator, _entries, parse_expr
from miner.resolve.repo import FileView
from miner.resolve.scriptuses import script_use


def _keyed_uses(dest: str) -> re.Pattern[str]:
    option = rf"[A-Za-z_]\w*\.{re.escape(dest)}\b"
    return re.compile(rf"([A-Za-z_][\w.]*)\s*(?:\[\s*{option}\s*\]|\.get\(\s*{option})|{option}\s+in\s+([A-Za-z_][\w.]*)")


def drop_script_keys(rows: list[Usage], evaluator: Evaluator) -> list[Usage]:
    """`rows` without the standalone shell rows whose value the driven script
    uses as a key of its own dict."""
    repo = evaluator.repo
    args = {(path, arg.line, arg.option): arg for path, arg in repo.shell_args}
    kept = []
    for row in rows:
        arg = args.get((row.path, row.line, row.api.removeprefix("shell:"))) \
            if row.resolution == Resolution.SHELL_ARG.value and row.api.startswith("shell:") else None
        scripts = _scripts(repo, arg.program) if arg is not None else []
        if arg is None or not (any(_is_key(evaluator, view, arg.option, row.expression, row.model_id) for view in scripts)
                               or _used_otherwise(evaluator, scripts, arg.option, row.expression, row.model_id)):
            kept.append(row)
    return kept


def _used_otherwise(evaluator: Evaluator, scripts: list[FileView], option: str, expression: str,
                    model_id: str | None) -> bool:
    """Every script the line may run uses the value as a local folder, or as
    one of its own architecture names (`scriptuses.py`)."""
    dest, value = option.lstrip("-").replace("-", "_"), _written_value(expression, model_id)
    return bool(scripts) and dest.isidentifier() and value is not None and \
        all(script_use(evaluator, view, dest, value) is not None for view in scripts)


def _scripts(repo, program: str | None) -> list[FileView]:
    if not program:
        return []
    if program.startswith("-m "):
        module = program[3:].strip().replace(".", "/")
        return [v for p, v in repo.files.items() if p.endswith(f"{module}.py") or p.endswith(f"{module}/__main__.py")]
    base = posixpath.basename(program)
    return [v for p, v in repo.files.items() if posixpath.basename(p) == base]


def _is_key(evaluator: Evaluator, view: FileView, option: str, expression: str, model_id: str | None) -> bool:
    """Whether the script indexes a literal dict that has the shell's value as a key."""
    dest = option.lstrip("-").replace("-", "_")
    value = _written_value(expression, model_id)
    if not dest.isidentifier() or value is None:
        return False
    pattern = _keyed_uses(dest)
    texts = [(b.value, b.scope) for b in view.facts.bindings] + \
            [(a.value, c.scope) for c in view.facts.calls for a in c.args] + \
            [(g.test, c.scope) for c in view.facts.calls for g in c.guards]
    for text, scope in texts:
        for match in pattern.finditer(text):
            node = parse_expr(match.group(1) or match.group(2))
            containers = evaluator.containers(node, Ctx(view, scope)) if node is not None else []
            if any(value in {k for k, _ in _entries(c)} for c, _ in containers if isinstance(c, ast.Dict)):
                return True
    return False


def _written_value(expression: str, model_id: str | None) -> str | None:
    """The value as the shell line writes it (the row's id may be normalised)."""
    if model_id and model_id in expression:
        return model_id
    return None
