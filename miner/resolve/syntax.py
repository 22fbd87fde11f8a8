"""The shapes of source text the evaluator reads: an expression parsed from
its text (`parse_expr`, cached), dotted names, a call's arguments (of an `ast`
call, or of an extracted `CallSite`), and what a scope is (a method, a
parameter). Pure functions of the text and the records; no evaluation.
"""
from __future__ import annotations

import ast
from functools import lru_cache

from miner.records import CallSite, Scope, ScopeKind
from miner.resolve.repo import FileView


@lru_cache(maxsize=1 << 16)
def parse_expr(text: str) -> ast.expr | None:
    """The expression a source text holds (None if none). Cached: the same texts
    (a default, a binding) are met again and again, and no caller changes a tree."""
    try:
        return ast.parse(f"(\n{text}\n)", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _callee_name(node: ast.Call) -> str | None:
    return _dotted(node.func)


def _call_arg(node: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    for k in node.keywords:
        if k.arg == keyword:
            return k.value
    if position is not None and position < len(node.args) and not any(isinstance(a, ast.Starred) for a in node.args[: position + 1]):
        return node.args[position]
    return None


def _argument(call: CallSite, keyword: str | None, index: int | None) -> str | None:
    """The text of the argument `call` passes by `keyword`, else at `index`
    among its positional arguments (unless a `*` splat comes first)."""
    named = next((a for a in call.args if keyword is not None and a.keyword == keyword), None)
    if named is not None:
        return named.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if index is not None and index < len(positional) and not any(a.star for a in call.args[: index + 1]):
        return positional[index].value
    return None


def _is_method(view: FileView, scope: Scope) -> bool:
    return scope.parent is not None and view.scopes[scope.parent].kind == ScopeKind.CLASS


def _is_param(scope: Scope, name: str) -> bool:
    return scope.kind == ScopeKind.FUNCTION and any(p.name.lstrip("*") == name for p in scope.params)
