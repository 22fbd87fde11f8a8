"""Static evaluation of an expression to the strings it can take.

The resolver asks: at this call site, which values can this argument have?
An expression is parsed with `ast` (only the few that matter are parsed) and
followed through names, parameters, in-repo callers, CLI option defaults,
dataclass fields, environment defaults, dicts, loops, f-strings and config files.
The answer is a list of `Candidate`s, each saying how it was found. Nothing is
guessed: what cannot be followed gives no candidate.

This module owns the evaluator's core: `Evaluator.values` (one argument, with
its step budget), the `eval` dispatch on the node type (and on the shape of a
call), the repository's time limit, and the cycle and limit bookkeeping that
decides which results are kept as summaries (`_cut`, `_summarised`). The rules
live in the mixins it is built from (docs/resolution.md, "Where the rules live"):
values.py (values and containers), names.py (names, scopes and imports),
attributes.py (attributes, instances and classes), calls.py (calls, callers and
function summaries), sources.py (CLI, config, environment, UI and shell
sources); candidates.py holds the records they share, syntax.py the shapes of
source text they read.
"""
from __future__ import annotations

import ast
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from miner.records import CallSite, Resolution
from miner.resolve.attributes import Attributes
from miner.resolve.calls import Calls
from miner.resolve.candidates import (
    Candidate, Ctx, LOCAL_VALUE, MAX_CALLERS, MAX_CANDIDATES, MAX_DEPTH, _DEEP, consistent_via, wrap
)
from miner.resolve.names import Names
from miner.resolve.narrow import Narrower
from miner.resolve.repo import FileView, RepoView
from miner.resolve.sources import Sources
from miner.resolve.syntax import _argument, _call_arg, _callee_name, _is_method, parse_expr
from miner.resolve.values import Values, _entries

__all__ = ["LOCAL_VALUE", "MAX_CALLERS", "MAX_CANDIDATES", "MAX_DEPTH", "MAX_STEPS", "REPO_SECONDS", "Candidate",
           "Ctx", "Evaluator", "_argument", "_entries", "_is_method", "consistent_via", "parse_expr", "wrap"]

MAX_STEPS = 5000  # evaluation steps for one argument: a bound on pathological code
MAX_VALUE_LEN = 4096  # longer computed strings are dropped: no model id is that long
REPO_SECONDS = 120.0  # evaluation time for one repository: past it, arguments stay unresolved
_LIMIT = object()  # in `Evaluator._hits`: the step or time limit cut an evaluation short
_PATH_CALLS = re.compile(r"^(os\.path\.\w+|path\.\w+|Path|pathlib\.Path|PurePath|\w+\.joinpath|os\.getcwd|"
                         r"tempfile\.\w+|\w+\.resolve|\w+\.absolute|glob\.glob|expanduser|abspath|join)$")
_ENV_GETTERS = ("os.getenv", "os.environ.get", "getenv", "environ.get", "os.environ.setdefault")
_UI_CHOICES = frozenset({"selectbox", "radio", "select_slider", "pills", "segmented_control"})  # streamlit
_PASS_THROUGH = frozenset({"str", "strip", "lower", "upper", "rstrip", "lstrip", "replace"})


@dataclass(frozen=True, slots=True)
class _Summary:
    """A result of `Evaluator._summarised`, with what it depends on."""

    found: tuple[Candidate, ...]
    height: int  # how far below its starting depth the computation went
    cut_at: int | None  # the starting depth, when the depth limit cut it short (then it holds there only)
    footprint: frozenset  # the keys it followed: where one is followed already, a cycle would cut it
    steps: int  # the evaluation steps it took, counted again when it is reused

    def holds(self, ctx: Ctx, steps: int) -> bool:
        """Whether computing it again in `ctx`, `steps` into the budget, gives the same."""
        depth_ok = ctx.depth == self.cut_at if self.cut_at is not None else ctx.depth + self.height <= MAX_DEPTH
        return depth_ok and steps + self.steps <= MAX_STEPS and self.footprint.isdisjoint(ctx.seen)


class Evaluator(Values, Names, Attributes, Calls, Sources):
    """What an expression of a repository can evaluate to (one per repository:
    its memos and summaries hold for the whole repository)."""

    def __init__(self, repo: RepoView, unread: frozenset[str] | None = None):
        self.repo = repo
        self.narrow = Narrower(self, unread)  # what the code says does not run (narrow.py)
        self._deadline = time.monotonic() + REPO_SECONDS
        self.out_of_time = False  # then every later evaluation gives nothing
        self._steps = 0
        self._memo: dict[tuple, list[Candidate]] = {}
        self._reach: dict[tuple[str, int, str, str], bool] = {}
        self._calls_of_memo: dict[tuple[str, int], list[tuple[FileView, CallSite, int]]] = {}
        # Summaries (`_summarised`): what a name or a function's return holds, by key. While
        # they are computed, `_hits` says what cut them short, `_trail` which keys they
        # followed (a key, or the footprint of a summary reused), `_deepest` how deep they went.
        self._summaries: dict[tuple, list[_Summary]] = {}
        self._hits: list[object] = []
        self._trail: list[object] = []
        self._deepest = 0
        self._fire_memo: dict[str, frozenset] = {}  # per file: the names handed to `fire.Fire`
        self._defining_memo: dict[tuple[str, str, str, int], FileView | None] = {}  # Names._defining_view
        self._ui_runs: list[tuple[FileView, CallSite]] | None = None  # the calls that hand Gradio a function
        self._ui_handlers: frozenset = frozenset()  # the names those calls hand it

    def values(self, text: str, view: FileView, scope: int, line: int | None = None,
               guards: tuple = ()) -> list[Candidate]:
        """The values of `text` at `line`, where the `if` tests `guards` hold (narrow.py)."""
        key = (text, view.path, scope, line, guards)
        if key not in self._memo:
            node = parse_expr(text)
            self._steps = 0
            del self._hits[:], self._trail[:]  # no evaluation is under way
            try:
                ctx = self.narrow.pinned(guards, line, Ctx(view, scope, line=line))
                found = self.eval(node, ctx)[:MAX_CANDIDATES] if node is not None and ctx is not None else []
            except (Exception, MemoryError):  # noqa: BLE001 - a value of mined code must not stop the run
                found = []  # the usage stays unresolved
            self._memo[key] = found
        return self._memo[key]

    def _nested_values(self, text: str, view: FileView, scope: int, ctx: Ctx) -> list[Candidate]:
        """The values of source text met during an evaluation (same step budget)."""
        node = parse_expr(text)
        return self.eval(node, Ctx(view, scope, ctx.depth + 1, ctx.seen)) if node is not None else []

    def _cut(self, key: object, ctx: Ctx) -> bool:
        """Whether `key` is being followed already (a cycle): then this path gives
        nothing. Either answer is part of what is being computed (`_summarised`)."""
        if key in ctx.seen:
            self._hits.append(key)
            return True
        self._trail.append(key)
        return False

    def _summarised(self, key: tuple, ctx: Ctx, compute: Callable[[], list[Candidate]]) -> list[Candidate]:
        """`compute()`, read once and reused wherever it gives the same: where no
        key it found unfollowed is followed, within the depth and step limits
        it met (`_Summary.holds`). Reuse never changes a result, only its cost:
        a function that many paths reach is read once, not once per path."""
        for summary in self._summaries.get(key, ()):
            if summary.holds(ctx, self._steps):
                self._steps += summary.steps
                self._trail.append(summary.footprint)
                self._deepest = max(self._deepest, ctx.depth + summary.height)
                return list(summary.found)
        hits, trail, steps, deepest = len(self._hits), len(self._trail), self._steps, self._deepest
        self._deepest = ctx.depth
        found = compute()
        cut = list(itertools.islice(self._hits, hits, None))
        if not any(hit is _LIMIT or hit in ctx.seen for hit in cut):
            footprint = frozenset().union(*(k if isinstance(k, frozenset) else (k,)
                                             for k in itertools.islice(self._trail, trail, None)))
            deep = _DEEP in cut or self._deepest > MAX_DEPTH
            self._summaries.setdefault(key, []).append(_Summary(
                tuple(found), self._deepest - ctx.depth, ctx.depth if deep else None, footprint, self._steps - steps))
        self._deepest = max(deepest, self._deepest)
        return found

    def eval(self, node: ast.expr, ctx: Ctx) -> list[Candidate]:
        self._steps += 1
        if self._steps % 256 == 1 and time.monotonic() > self._deadline:
            self.out_of_time = True
        if ctx.depth > self._deepest:
            self._deepest = ctx.depth
        if ctx.depth > MAX_DEPTH:
            self._hits.append(_DEEP)
            return []
        if self.out_of_time or self._steps > MAX_STEPS:
            self._hits.append(_LIMIT)
            return []
        if ctx.pins and isinstance(node, (ast.Name, ast.Attribute)):
            pinned = self.narrow.pinned_value(node, ctx)
            if pinned is not None:
                return pinned
        try:
            method = getattr(self, f"_eval_{type(node).__name__}", None)
            return _dedupe([c for c in method(node, ctx) if not _too_long(c.value)]) if method else []
        except RecursionError:
            return []

    def _eval_Call(self, node: ast.Call, ctx: Ctx) -> list[Candidate]:
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
            return self._format(node, ctx) if node.func.attr == "format" else self._join(node, ctx)
        name = _callee_name(node)
        if name is None:  # `vars(parser.parse_args()).get("model")`; other calls on a call's result are unknown
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "pop"):
                return self._namespace_item(node.func.value, _call_arg(node, 0, "key"), ctx) or []
            return []
        qualified = ctx.view.qualify(name, ctx.scope) or name
        last = name.rsplit(".", 1)[-1]
        if qualified in _ENV_GETTERS or name in _ENV_GETTERS:
            default = _call_arg(node, 1, "default")
            found = [c for c in self.eval(default, ctx.deeper()) if c.value is not None] if default is not None else []
            return [replace(c, kind=Resolution.ENV_DEFAULT) for c in found + self._env_set(_call_arg(node, 0, "key"), ctx)]
        if last in ("get", "pop") and isinstance(node.func, ast.Attribute):
            return self._dict_get(node, ctx)
        if last in _PASS_THROUGH:
            return self._pass_through(node, last, ctx)
        if _PATH_CALLS.match(name) or _PATH_CALLS.match(qualified):
            return [Candidate(LOCAL_VALUE, Resolution.LOCAL_PATH)]
        if name == "getattr":
            return self._getattr(node, ctx)
        if qualified.startswith("streamlit.") and last in _UI_CHOICES:
            return self._ui_choice(node, ctx)
        return [c for view, fn in self._functions(name, ctx) for c in self._returns(view, fn, ctx)]


def _too_long(value: object) -> bool:
    return isinstance(value, str) and len(value) > MAX_VALUE_LEN


def _dedupe(cands: list[Candidate]) -> list[Candidate]:
    """Each candidate once, MAX_CANDIDATES at most: every distinct value first,
    then the same values held in other calls (`via`), so that many calls
    passing one value never crowd out another value."""
    seen: set = set()
    values: set = set()
    out: list[Candidate] = []
    again: list[Candidate] = []
    for c in cands:
        key = (repr(c.value), c.kind, c.origin)
        if (key, c.via) in seen:
            continue
        seen.add((key, c.via))
        (again if key in values else out).append(c)
        values.add(key)
    return (out + again)[:MAX_CANDIDATES]
