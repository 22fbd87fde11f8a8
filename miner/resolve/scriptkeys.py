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
from dataclasses import replace

from miner.records import Resolution, Usage
from miner.resolve.evaluate import Ctx, Evaluator, _entries, parse_expr
from miner.resolve.repo import FileView
from miner.resolve.scriptuses import script_use, written_folders


def _keyed_uses(dest: str) -> re.Pattern[str]:
    option = rf"[A-Za-z_]\w*\.{re.escape(dest)}\b"
    return re.compile(rf"([A-Za-z_][\w.]*)\s*(?:\[\s*{option}\s*\]|\.get\(\s*{option})|{option}\s+in\s+([A-Za-z_][\w.]*)")


def drop_script_keys(rows: list[Usage], evaluator: Evaluator, output_keys: dict[str, str]) -> list[Usage]:
    """`rows` without the standalone shell rows whose value the driven script
    uses as a key of its own dict, as a folder or as an architecture name, or
    that another command line of the repository writes as its output folder."""
    repo = evaluator.repo
    args = {(path, arg.line, arg.option): arg for path, arg in repo.shell_args}
    written = written_folders(repo.shell_args, output_keys)
    kept = []
    for row in rows:
        if _written_elsewhere(row, written):
            continue
        arg = args.get((row.path, row.line, row.api.removeprefix("shell:"))) \
            if row.resolution == Resolution.SHELL_ARG.value and row.api.startswith("shell:") else None
        scripts = _scripts(repo, arg.program) if arg is not None else []
        if arg is None or not (any(_is_key(evaluator, view, arg.option, row.expression, row.model_id) for view in scripts)
                               or _used_otherwise(evaluator, scripts, arg.option, row.expression, row.model_id)):
            kept.append(row)
    return kept


def local_outputs(rows: list[Usage], shell_args: list, output_keys: dict[str, str]) -> list[Usage]:
    """Rows whose id a shell line carried to the call, where another command
    line of the repository writes that very value as its output folder: local."""
    written = written_folders(shell_args, output_keys)
    return [replace(u, model_id=None, canonical_id=None, resolution=Resolution.LOCAL_PATH.value)
            if u.carrier and u.carrier.startswith("shell:") and _written_elsewhere(u, written) else u for u in rows]


def _written_elsewhere(row: Usage, written: dict[str, set[tuple[str, int]]]) -> bool:
    """The row's id is a value that a command line other than its own writes as a folder."""
    at = (row.origin_path, row.origin_line) if row.origin_path else (row.path, row.line)
    shell = row.api.startswith("shell:") or (row.carrier or "").startswith("shell:")
    return shell and row.model_id is not None and bool(written.get(row.model_id, set()) - {at})


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
