"""Static evaluation of an expression to the strings it can take.

The resolver asks: at this call site, which values can this argument have?
An expression is parsed with `ast` (only the few that matter are parsed) and
followed through names, parameters, in-repo callers, CLI option defaults,
dataclass fields, environment defaults, dicts, loops, f-strings and config files.
The answer is a list of `Candidate`s, each saying how it was found. Nothing is
guessed: what cannot be followed gives no candidate.
"""
from __future__ import annotations

import ast
import itertools
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache

from miner.records import RETURNED, Binding, BindKind, CallSite, Resolution, Scope, ScopeKind
from miner.extract.python import EXEC_ANY
from miner.resolve.narrow import Narrower
from miner.resolve.repo import FileView, RepoView, is_config_load, visible_at

MAX_DEPTH = 16
MAX_CANDIDATES = 64
MAX_STEPS = 5000  # evaluation steps for one argument: a bound on pathological code
MAX_VALUE_LEN = 4096  # longer computed strings are dropped: no model id is that long
REPO_SECONDS = 120.0  # evaluation time for one repository: past it, arguments stay unresolved
MAX_CALLERS = 64  # in-repo call sites followed for one parameter (a method named like a library's has thousands)


class _Local:
    """The value of an expression that builds a filesystem path."""

    def __repr__(self) -> str:
        return "LOCAL"


LOCAL_VALUE = _Local()
_LIMIT = object()  # in `Evaluator._hits`: the step or time limit cut an evaluation short
_DEEP = object()  # in `Evaluator._hits`: the depth limit cut an evaluation short


@dataclass(frozen=True, slots=True)
class Candidate:
    value: object  # str, bool, int, float, None, or LOCAL_VALUE
    kind: Resolution
    origin: tuple[str, int] | None = None  # (path, line) of a shell or config file
    carrier: str | None = None  # what carried it there (`shell:--model`, `config:model.name`)
    expression: str | None = None
    # The in-repo calls it can hold in, as (function, calls) pairs: a value read from
    # a call's argument holds in that call, a default in the calls that leave it
    # out; two values with no call in common never combine into one id.
    via: frozenset = frozenset()


@dataclass(frozen=True, slots=True)
class Ctx:
    view: FileView
    scope: int
    depth: int = 0
    seen: frozenset = frozenset()
    line: int | None = None  # where the expression is, in `scope`; None: anywhere (a later call)
    # Values an `if` test leaves to a name in the expression being read (narrow.py):
    # ((source text, candidates), ...); not carried into bindings, calls or other scopes.
    pins: tuple = ()

    def deeper(self, key: object = None, *, view: FileView | None = None, scope: int | None = None) -> "Ctx":
        same_place = (view is None or view is self.view) and (scope is None or scope == self.scope)
        return Ctx(
            view or self.view,
            self.scope if scope is None else scope,
            self.depth + 1,
            self.seen | {key} if key is not None else self.seen,
            self.line if same_place else None,
            self.pins if same_place and key is None else (),
        )


_WEAK = (Resolution.LITERAL, Resolution.CONSTANT)
# Values that are only defaults: whoever runs the code may pass another.
_OVERRIDABLE = (Resolution.ARGPARSE_DEFAULT, Resolution.DATACLASS_DEFAULT, Resolution.ENV_DEFAULT,
                Resolution.SHELL_ARG, Resolution.DEFAULT_PARAM)
_PATH_CALLS = re.compile(r"^(os\.path\.\w+|path\.\w+|Path|pathlib\.Path|PurePath|\w+\.joinpath|os\.getcwd|"
                         r"tempfile\.\w+|\w+\.resolve|\w+\.absolute|glob\.glob|expanduser|abspath|join)$")
_ENV_GETTERS = ("os.getenv", "os.environ.get", "getenv", "environ.get", "os.environ.setdefault")
_NAMESPACES = frozenset({"Namespace", "SimpleNamespace", "EasyDict", "edict", "AttrDict", "Munch", "DotMap",
                         "ConfigDict", "Box"})
_UI_EVENTS = ("click", "submit", "change")  # gradio: `component.click(fn, inputs=[...])`
_UI_COMPONENTS_WITH_CHOICES = frozenset({"Dropdown", "Radio", "CheckboxGroup"})  # gradio: choices come first
_UI_CHOICES = frozenset({"selectbox", "radio", "select_slider", "pills", "segmented_control"})  # streamlit
_SPLITS = frozenset({"split", "rsplit", "partition", "rpartition"})
_PASS_THROUGH = frozenset({"str", "strip", "lower", "upper", "rstrip", "lstrip", "replace"})


def wrap(cands: list[Candidate], kind: Resolution) -> list[Candidate]:
    """Resolution through a name keeps the more telling inner kind."""
    return [replace(c, kind=kind) if c.kind in _WEAK else c for c in cands]


@lru_cache(maxsize=1 << 16)
def parse_expr(text: str) -> ast.expr | None:
    """The expression a source text holds (None if none). Cached: the same texts
    (a default, a binding) are met again and again, and no caller changes a tree."""
    try:
        return ast.parse(f"(\n{text}\n)", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


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


class Evaluator:
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

    # -- literals and operators -------------------------------------------

    def _eval_Constant(self, node: ast.Constant, ctx: Ctx) -> list[Candidate]:
        return [Candidate(node.value, Resolution.LITERAL)]

    def _eval_JoinedStr(self, node: ast.JoinedStr, ctx: Ctx) -> list[Candidate]:
        parts: list[list[Candidate]] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append([Candidate(str(part.value), Resolution.LITERAL)])
            elif isinstance(part, ast.FormattedValue):
                vals = [c for c in self.eval(part.value, ctx.deeper()) if isinstance(c.value, (str, int, float))]
                if not vals:
                    return self._local_if_path(node, ctx)
                parts.append(vals)
        return [Candidate("".join(str(c.value) for c in combo), Resolution.FSTRING, via=via) for combo, via in _combos(parts)]

    def _eval_BinOp(self, node: ast.BinOp, ctx: Ctx) -> list[Candidate]:
        left = self.eval(node.left, ctx.deeper())
        if any(c.value is LOCAL_VALUE for c in left) and isinstance(node.op, ast.Div):
            return [Candidate(LOCAL_VALUE, Resolution.LOCAL_PATH)]
        right = self.eval(node.right, ctx.deeper())
        if isinstance(node.op, ast.Add):
            strings = [[c for c in side if isinstance(c.value, str)] for side in (left, right)]
            return [Candidate(a.value + b.value, Resolution.CONCAT, via=via) for (a, b), via in _combos(strings)]
        if isinstance(node.op, ast.Mod) and left:
            return self._percent(node, left, ctx)
        return []

    def _percent(self, node: ast.BinOp, left: list[Candidate], ctx: Ctx) -> list[Candidate]:
        items = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        columns = [[c for c in self.eval(e, ctx.deeper()) if isinstance(c.value, (str, int))] for e in items]
        formats = [c for c in left if isinstance(c.value, str) and not _WIDE_PERCENT.search(c.value)]
        out = []
        for (fmt, *combo), via in _combos([formats, *columns]):
            try:
                out.append(Candidate(fmt.value % tuple(c.value for c in combo), Resolution.CONCAT, via=via))
            except (TypeError, ValueError, KeyError, OverflowError):
                continue
        return out

    def _eval_BoolOp(self, node: ast.BoolOp, ctx: Ctx) -> list[Candidate]:
        if not isinstance(node.op, ast.Or):
            return self.eval(node.values[-1], ctx.deeper())
        out: list[Candidate] = []
        for value in node.values:
            out.extend(c for c in self.eval(value, ctx.deeper()) if c.value not in (None, "", False))
        return _conditional(out)

    def _eval_IfExp(self, node: ast.IfExp, ctx: Ctx) -> list[Candidate]:
        """Each branch with what its test leaves to the names it tests (narrow.py)."""
        body = self.narrow.pinned_test(node.test, True, ctx.deeper())
        orelse = self.narrow.pinned_test(node.test, False, ctx.deeper())
        return _conditional(self.eval(node.body, body) + self.eval(node.orelse, orelse))

    # -- names ---------------------------------------------------------------

    def _eval_Name(self, node: ast.Name, ctx: Ctx) -> list[Candidate]:
        return self.lookup(node.id, ctx)

    def lookup(self, name: str, ctx: Ctx) -> list[Candidate]:
        """Every value `name` can have in `ctx.scope` (at `ctx.line`), innermost scope first."""
        return self._summarised(("name", ctx.view.path, ctx.scope, name, ctx.line), ctx,
                                lambda: self._lookup(name, ctx))

    def _lookup(self, name: str, ctx: Ctx) -> list[Candidate]:
        view = ctx.view
        for scope_id in view.chain(ctx.scope):
            key = (view.path, scope_id, name)
            if self._cut(key, ctx):
                return []
            sub = ctx.deeper(key, scope=scope_id)
            scope = view.scopes[scope_id]
            found: list[Candidate] = []
            if scope.kind == ScopeKind.FUNCTION:
                found += self._param(scope, name, sub)
            bindings = visible_at(view.bindings.get((scope_id, name), []), ctx.line if scope_id == ctx.scope else None)
            found += self._bindings(bindings, name, sub)
            imp = view.imports.get((scope_id, name))
            if imp is not None:
                found += self._imported(imp.target, sub)
            elif scope.kind == ScopeKind.MODULE and not bindings:
                found += self._star_imported(name, sub)  # `from .consts import *` in a package's __init__
            found += self._executed(name, scope_id, ctx.line if scope_id == ctx.scope else None, sub)
            if found or bindings or imp is not None or _is_param(scope, name):
                return found
        return []

    def _executed(self, name: str, scope_id: int, line: int | None, ctx: Ctx) -> list[Candidate]:
        """What the files that `exec(open(...).read())` runs in the scope (before
        `line`) bind `name` to; a file named at run time is any settings file of
        the repository that assigns it (nanoGPT's `config/*.py`)."""
        out: list[Candidate] = []
        for imp in ctx.view.exec_imports.get(scope_id, ()):
            if line is not None and imp.line >= line:
                continue
            if imp.target != EXEC_ANY:
                out += self._imported(f"{imp.target}.{name}", ctx)
                continue
            for view, b in self.repo.settings_files.get(name, [])[:MAX_CANDIDATES]:
                key = ("settings", view.path, b.line)
                if not self._cut(key, ctx):
                    sub = Ctx(view, 0, ctx.depth + 1, ctx.seen | {key})
                    out += [replace(c, kind=Resolution.CONFIG_FILE, origin=c.origin or (view.path, b.line),
                                    carrier=c.carrier or f"config:{name}", expression=c.expression or f"{name} = {b.value}")
                            for c in self.eval(parse_expr(b.value), sub) if isinstance(c.value, str)]
        return out

    def _star_imported(self, name: str, ctx: Ctx) -> list[Candidate]:
        found: list[Candidate] = []
        for module in ctx.view.star_imports:
            found += self._imported(f"{module}{'' if module.endswith('.') else '.'}{name}", ctx)
        return found

    def _bindings(self, bindings: list[Binding], name: str, ctx: Ctx) -> list[Candidate]:
        out: list[Candidate] = []
        for b in bindings:
            value = parse_expr(b.value)
            if value is None:
                continue
            target = parse_expr(b.target)
            if b.kind == BindKind.FOR:
                out += wrap(self._unpack(target, name, self.iterate(value, ctx)), Resolution.LOOP)
            elif isinstance(target, (ast.Tuple, ast.List)):  # `repo, arch = ZOO[args.variant]`
                out += wrap(self._unpack(target, name, self._tuples(value, ctx)), Resolution.CONSTANT)
            else:
                sub = self.narrow.pinned(b.guards, b.line, ctx) if b.guards else ctx
                out += self._bound_value(value, sub) if sub is not None else []  # None: a branch never taken
        return out

    def _bound_value(self, value: ast.expr, ctx: Ctx) -> list[Candidate]:
        """A name bound to `parser.parse_args()`-like results is a namespace, not a
        value; anything else is followed as a constant."""
        return wrap(self.eval(value, ctx), Resolution.CONSTANT)

    def _tuples(self, value: ast.expr, ctx: Ctx) -> list[list[list[Candidate]]]:
        """The rows a tuple assignment can take from `value`: its own elements,
        or those of each literal tuple or list it can stand for."""
        if isinstance(value, (ast.Tuple, ast.List)):
            return [self._elements(value, ctx)]
        rows = [self._elements(c, cctx) for c, cctx in self.containers(value, ctx.deeper())
                if isinstance(c, (ast.Tuple, ast.List))]
        return rows or [self._elements(value, ctx)]

    def _unpack(self, target: ast.expr | None, name: str, rows: list[list[list[Candidate]]]) -> list[Candidate]:
        """From tuples of candidates, the ones in `name`'s position of `target`
        (nested targets, `i, (key, value)`, are read flat, as `enumerate` rows are)."""
        if isinstance(target, ast.Name):
            return [c for row in rows for cell in row for c in cell] if target.id == name else []
        if not isinstance(target, (ast.Tuple, ast.List)):
            return []
        names = _flat_names(target)
        if name not in names:
            return []
        pos = names.index(name)
        out: list[Candidate] = []
        for row in rows:
            if len(row) == len(names):
                out += row[pos]
        return out

    def iterate(self, node: ast.expr, ctx: Ctx) -> list[list[list[Candidate]]]:
        """The items a `for` loop takes from `node`: each item as a row of cells
        (one cell for a plain value, one per element for a tuple item)."""
        for container, cctx in self.containers(node, ctx):
            if isinstance(container, (ast.List, ast.Tuple, ast.Set)):
                return [self._elements(e, cctx) for e in container.elts]
            if isinstance(container, ast.Dict):
                return [[self.eval(k, cctx.deeper())] for k in container.keys if k is not None]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("values", "keys", "items"):
                for container, cctx in self.containers(node.func.value, ctx):
                    if isinstance(container, ast.Dict):
                        return self._dict_items(container, node.func.attr, cctx)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("enumerate", "sorted", "list", "tuple", "set", "reversed") and node.args:
            rows = self.iterate(node.args[0], ctx)
            if node.func.id == "enumerate":
                return [[[Candidate(i, Resolution.LITERAL)], *row] for i, row in enumerate(rows)]
            return rows
        return []

    def _dict_items(self, d: ast.Dict, which: str, ctx: Ctx) -> list[list[list[Candidate]]]:
        rows = []
        for k, v in zip(d.keys, d.values):
            if k is None:
                continue
            keys, vals = self.eval(k, ctx.deeper()), self.eval(v, ctx.deeper())
            rows.append([keys] if which == "keys" else [vals] if which == "values" else [keys, vals])
        return rows

    def _elements(self, node: ast.expr, ctx: Ctx) -> list[list[Candidate]]:
        if isinstance(node, (ast.Tuple, ast.List)):
            return [self.eval(e, ctx.deeper()) for e in node.elts]
        return [self.eval(node, ctx.deeper())]

    def containers(self, node: ast.expr, ctx: Ctx) -> list[tuple[ast.expr, Ctx]]:
        """The literal list/tuple/dict expressions `node` can stand for."""
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            return [(node, ctx)]
        if _is_dict_call(node):  # dict(a="x", b="y"): the same as its literal
            return [(ast.Dict(keys=[ast.Constant(k.arg) for k in node.keywords],
                              values=[k.value for k in node.keywords]), ctx)]
        if ctx.depth > MAX_DEPTH:
            self._hits.append(_DEEP)
            return []
        if isinstance(node, ast.Name):
            return self._name_containers(node.id, ctx)
        if isinstance(node, ast.Attribute):
            return [(n, c) for n, c in self._attribute_bindings(node, ctx, raw=True)]
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):  # CFG["encoder"]["name"]
            return [(inner, cctx) for outer, cctx in self.containers(node.value, ctx.deeper())
                    for key, value in _entries(outer) if key == node.slice.value
                    for inner, cctx in self.containers(value, cctx.deeper())]
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):  # ZOO[args.variant]
            keys, narrowed = self._keys(node.slice, ctx)
            return [(inner, cctx) for outer, cctx in self.containers(node.value, ctx.deeper())
                    for value in _picked(_entries(outer), keys, narrowed)
                    for inner, cctx in self.containers(value, cctx.deeper())]
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):  # `all_models()`
            name = _dotted(node.func)
            return [(inner, cctx) for view, fn in (self._functions(name, ctx) if name else ())
                    for b in view.bindings.get((fn.id, RETURNED), [])
                    if (value := parse_expr(b.value)) is not None and not self._cut(("returns", view.path, fn.id), ctx)
                    for inner, cctx in self.containers(value, Ctx(view, fn.id, ctx.depth + 1,
                                                                  ctx.seen | {("returns", view.path, fn.id)}))]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.containers(node.left, ctx.deeper()), self.containers(node.right, ctx.deeper())
            if left and right and isinstance(left[0][0], (ast.List, ast.Tuple)) and isinstance(right[0][0], (ast.List, ast.Tuple)):
                return [(ast.List(elts=[*left[0][0].elts, *right[0][0].elts], ctx=ast.Load()), left[0][1])]
        return []

    def _name_containers(self, name: str, ctx: Ctx) -> list[tuple[ast.expr, Ctx]]:
        view = ctx.view
        for scope_id in view.chain(ctx.scope):
            key = ("containers", view.path, scope_id, name)
            if self._cut(key, ctx):
                return []
            sub = ctx.deeper(key, scope=scope_id)
            bindings = view.bindings.get((scope_id, name), [])
            out = []
            for b in bindings:
                value = parse_expr(b.value)
                if value is not None and b.kind == BindKind.ASSIGN and isinstance(parse_expr(b.target), ast.Name):
                    out += self.containers(value, sub)
            imp = view.imports.get((scope_id, name))
            targets = [imp.target] if imp is not None else [
                f"{m}{'' if m.endswith('.') else '.'}{name}" for m in view.star_imports] if scope_id == 0 and not bindings else []
            for target in targets:  # an import, or a star import (`from zoo import *`)
                found = self._module_attr(target, view)
                if found is not None:
                    other, attr = found
                    out += self._name_containers(attr, Ctx(other, 0, sub.depth + 1, sub.seen))
            if bindings or imp is not None or out:
                return out
        return []

    def _param(self, scope: Scope, name: str, ctx: Ctx) -> list[Candidate]:
        param = next((p for p in scope.params if p.name == name), None)
        if param is None:
            return []
        out: list[Candidate] = []
        if param.default is not None and not self.narrow.overridden(ctx.view, scope, name):
            default = parse_expr(param.default)
            if default is not None:
                cli = self._cli_param_default(default, ctx)
                kind = Resolution.ARGPARSE_DEFAULT if self._fired(scope, ctx.view) else Resolution.DEFAULT_PARAM
                found = cli if cli is not None else wrap(self.eval(default, ctx), kind)
                tag = self._default_tag(scope, name, ctx)  # it holds only in the calls that do not pass it
                out += [replace(c, via=c.via | {tag}) for c in found]
        out += self._click_default(scope, name, ctx)
        out += self._ui_inputs(scope, name, ctx)
        out += self._callers(scope, name, ctx)
        return [c for c in out if c.value is not None]

    def _fired(self, scope: Scope, view: FileView) -> bool:
        """A function handed to `fire.Fire` is a command line: its defaults are
        option defaults."""
        if view.path not in self._fire_memo:
            self._fire_memo[view.path] = frozenset(call.args[0].value for call in view.facts.calls
                                                   if call.callee.endswith("Fire") and call.args)
        return scope.name in self._fire_memo[view.path]

    def _cli_param_default(self, node: ast.expr, ctx: Ctx) -> list[Candidate] | None:
        """typer's `name: str = typer.Option("x")` and the like."""
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)):
            attr = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if attr in ("Option", "Argument"):
                value = _call_arg(node, 0, "default")
                return wrap(self.eval(value, ctx.deeper()), Resolution.ARGPARSE_DEFAULT) if value is not None else []
        return None

    def _click_default(self, scope: Scope, name: str, ctx: Ctx) -> list[Candidate]:
        out: list[Candidate] = []
        for deco in scope.decorators:
            node = parse_expr(deco)
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("option", "argument")):
                continue
            opts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            names = {o.lstrip("-").replace("-", "_") for o in opts if "/" not in o}
            default = _call_arg(node, None, "default")
            if name in names and default is not None:
                out += wrap(self.eval(default, ctx.deeper()), Resolution.ARGPARSE_DEFAULT)
        return out

    def _ui_inputs(self, scope: Scope, name: str, ctx: Ctx) -> list[Candidate]:
        """A function that Gradio runs, `gr.Interface(fn, inputs=[...])` or
        `button.click(fn, inputs=[...])` in a file that imports gradio: what the
        input component in the parameter's place can hold."""
        params = [p.name for p in scope.params if not p.name.startswith("*")]
        if name not in params or _is_method(ctx.view, scope):
            return []
        if self._ui_runs is None:
            self._ui_runs = [(view, call) for last in ("Interface", *_UI_EVENTS)
                             for view, call in self.repo.callers.get(last, ())][:MAX_CALLERS]
            self._ui_handlers = frozenset((_argument(call, "fn", 0) or "").rpartition(".")[2] for _, call in self._ui_runs)
        if scope.name not in self._ui_handlers:
            return []
        out: list[Candidate] = []
        for view, call in self._ui_runs:
            fn = _argument(call, "fn", 0)
            if not fn or fn.rpartition(".")[2] != scope.name or not _runs_gradio(view, call) \
                    or not any(v is ctx.view and f is scope for v, f in self._functions(fn, Ctx(view, call.scope))):
                continue
            inputs = parse_expr(_argument(call, "inputs", 1) or "")
            components = inputs.elts if isinstance(inputs, (ast.List, ast.Tuple)) else [inputs]
            key = ("ui", view.path, call.line)
            if params.index(name) < len(components) and not self._cut(key, ctx):
                sub = Ctx(view, call.scope, ctx.depth + 1, ctx.seen | {key})
                out += self._component_values(components[params.index(name)], sub)
        return out

    def _component_values(self, node: ast.expr | None, ctx: Ctx) -> list[Candidate]:
        """What a Gradio input component can hold: its choices, and its value."""
        if isinstance(node, ast.Name):  # `model = gr.Dropdown(...)` earlier
            bound = [parse_expr(b.value) for s in ctx.view.chain(ctx.scope) for b in ctx.view.bindings.get((s, node.id), [])]
            return [c for n in bound if isinstance(n, ast.Call) for c in self._component_values(n, ctx)]
        if not isinstance(node, ast.Call) or not (ctx.view.qualify(_dotted(node.func) or "", ctx.scope) or "").startswith("gradio."):
            return []
        with_choices = (_dotted(node.func) or "").rsplit(".", 1)[-1] in _UI_COMPONENTS_WITH_CHOICES
        choices = _call_arg(node, 0, "choices") if with_choices else None
        value = _call_arg(node, None if with_choices else 0, "value")
        found = [c for row in (self.iterate(choices, ctx.deeper()) if choices is not None else []) for cell in row for c in cell]
        found += self.eval(value, ctx.deeper()) if value is not None else []
        return _conditional([c for c in found if c.value is not None])

    def _callers(self, scope: Scope, name: str | None, ctx: Ctx, *, position: int | None = None) -> list[Candidate]:
        """Arguments that in-repo calls pass for parameter `name` of `scope`
        (by keyword or at its place), or at `position` among the positional
        arguments (what a `*args` parameter takes)."""
        view = ctx.view
        params = [p.name for p in scope.params]
        if _is_method(view, scope) and params and params[0] in ("self", "cls"):
            params = params[1:]
        positional = list(itertools.takewhile(lambda p: not p.startswith("*"), params))
        index = position if position is not None else positional.index(name) if name in positional else None
        out: list[Candidate] = []
        for caller_view, call, shift in self._calls_of(scope, view):
            at = None if index is None else index + shift
            key = ("caller", caller_view.path, call.line, name, index)
            if self._cut(key, ctx):
                continue
            for value in [_argument(call, name, at)] if _argument(call, name, at) is not None else _splats(call, name, at):
                node = parse_expr(value)
                if node is not None:  # read where the call is: `enc` rebound between two calls
                    sub = Ctx(caller_view, call.scope, ctx.depth + 1, ctx.seen | {key}, call.line)
                    tag = ((view.path, scope.id), frozenset([(caller_view.path, call.line, call.callee)]))
                    out += [replace(c, via=c.via | {tag}) for c in wrap(self.eval(node, sub), Resolution.CALL_ARG)]
        return out

    def _default_tag(self, scope: Scope, name: str, ctx: Ctx) -> tuple:
        """The `via` entry of a parameter's default: the function, and the
        in-repo calls that leave the parameter out (None: a call from elsewhere)."""
        params = [p.name for p in scope.params]
        if _is_method(ctx.view, scope) and params and params[0] in ("self", "cls"):
            params = params[1:]
        positional = list(itertools.takewhile(lambda p: not p.startswith("*"), params))
        index = positional.index(name) if name in positional else None
        calls = [(v.path, c.line, c.callee) for v, c, shift in self._calls_of(scope, ctx.view)
                 if _argument(c, name, None if index is None else index + shift) is None
                 and not _splats(c, name, None if index is None else index + shift)]
        return ((ctx.view.path, scope.id), frozenset([None, *calls]))

    def _calls_of(self, scope: Scope, view: FileView) -> list[tuple[FileView, CallSite, int]]:
        """The in-repo calls that run function `scope` (MAX_CALLERS at most), with
        how many leading positional arguments they pass besides the parameters
        (`Base.__init__(self, x)`).
        A constructor runs for its class and for the subclasses that inherit
        it, and through `super().__init__(...)` in the subclasses that do not."""
        key = (view.path, scope.id)
        if key not in self._calls_of_memo:
            self._calls_of_memo[key] = list(itertools.islice(self._calls_of_uncached(scope, view), MAX_CALLERS))
        return self._calls_of_memo[key]

    def _calls_of_uncached(self, scope: Scope, view: FileView) -> Iterator[tuple[FileView, CallSite, int]]:
        if _is_method(view, scope) and scope.name != "__init__":  # `Net.from_pretrained(x)`, `obj.build(x)`
            owner = view.scopes[scope.parent]
            yield from ((v, c, 0) for v, c in self.repo.callers.get(scope.name, ()) if self._calls_method(v, c, view, owner))
            return
        if not _is_method(view, scope):
            yield from ((v, c, 0) for v, c in self.repo.callers.get(scope.name, ()) if self._reaches(v, c, view, scope.name))
            return
        owner = view.scopes[scope.parent]
        inheriting = [(view, owner), *self._subclasses(view, owner, keep=lambda v, c: not _defines_init(v, c))]
        for cls_view, cls in inheriting:
            yield from ((v, c, 0) for v, c in self.repo.callers.get(cls.name, ()) if self._reaches(v, c, cls_view, cls.name))
        overriding = {(v.path, c.id) for base_view, base in inheriting
                      for v, c in self._subclasses(base_view, base, levels=1) if _defines_init(v, c)}
        in_files = {path for path, _ in overriding}
        explicit = f"{owner.name}.__init__"
        for v, c in self.repo.callers.get("__init__", ()):
            if c.callee == explicit:
                yield v, c, 1
            elif v.path in in_files and c.callee.startswith("super(") and (cls := v.enclosing_class(c.scope)) \
                    and (v.path, cls.id) in overriding:
                yield v, c, 0

    def _calls_method(self, caller: FileView, call: CallSite, definer: FileView, owner: Scope) -> bool:
        """Whether `call` (`X.m(...)`, named like method m of class `owner`) runs
        that method: X names the class or a subclass of it, or holds an instance
        of one (`obj = Owner()`)."""
        head, dot, _ = call.callee.rpartition(".")
        if not dot or _dotted(parse_expr(head)) is None:
            return False
        if head in ("self", "cls"):
            found = [(caller, c) for c in [caller.enclosing_class(call.scope)] if c is not None]
        else:
            found = self._classes(head, caller, call.scope) or self._instance_classes(head, Ctx(caller, call.scope))
        if found or caller.qualify(head, call.scope) is not None:
            return any(self._derives(v, c, definer, owner) for v, c in found)
        return self._reaches(caller, call, definer, owner.name)  # `self.encoder.build(x)`: an object of unknown class

    def _derives(self, view: FileView, cls: Scope, definer: FileView, owner: Scope, depth: int = 0) -> bool:
        """`cls` is `owner` or an in-repo class derived from it."""
        if view is definer and cls is owner:
            return True
        return depth < 4 and any(self._derives(v, c, definer, owner, depth + 1) for v, c in self._bases(view, cls))

    def _subclasses(self, view: FileView, cls: Scope, levels: int = 3, *,
                    keep: Callable[[FileView, Scope], bool] = lambda v, c: True) -> list[tuple[FileView, Scope]]:
        """In-repo classes derived from `cls`, directly or through others (up to
        `levels`); a class that `keep` refuses is left out, with those below it."""
        if levels <= 0 or not self.repo.subclasses.get(cls.name):
            return []
        found: list[tuple[FileView, Scope]] = []
        for sub_view, sub in self.repo.subclasses[cls.name]:
            if sub is not cls and keep(sub_view, sub) \
                    and any(self._names_class(sub_view, sub, base, view, cls) for base in sub.bases):
                found += [(sub_view, sub), *self._subclasses(sub_view, sub, levels - 1, keep=keep)]
        return found

    def _names_class(self, view: FileView, scope: Scope, base: str, definer: FileView, cls: Scope) -> bool:
        """Whether `base`, written in class `scope` of `view`, is `cls` of `definer`."""
        if base.rsplit(".", 1)[-1] != cls.name:
            return False
        if view is definer:
            return "." not in base
        qualified = self._qualify(view, base, scope.parent or 0)
        module, _, attr = (qualified or "").rpartition(".")
        return bool(module) and self._defining_view(module, attr, view.path) is definer

    def _reaches(self, caller: FileView, call, definer: FileView, name: str) -> bool:
        """Whether `call` (named like the function) can call the one `definer`
        defines: the same file, or a file that imports it from there."""
        key = (caller.path, call.scope, call.callee, definer.path)
        if key not in self._reach:
            self._reach[key] = self._reaches_uncached(caller, call, definer, name)
        return self._reach[key]

    def _reaches_uncached(self, caller: FileView, call, definer: FileView, name: str) -> bool:
        if caller is definer:
            return True
        qualified = self._qualify(caller, call.callee, call.scope)
        if qualified is not None:
            module, _, attr = qualified.rpartition(".")
            if self._defining_view(module, attr, caller.path) is definer:
                return True  # also `encoders.Embedder.Embedder`: a module named like its class
            if module.endswith("." + name) or module == name:  # `mod.Class.method`
                module, _, attr = module.rpartition(".")
                return self._defining_view(module, attr, caller.path) is definer
            return False
        if "." not in call.callee:
            return False  # a bare name that is not imported is some other function
        return any(self.repo.module(i.target.rsplit(".", 1)[0], importer=caller.path) is definer
                   or self.repo.module(i.target, importer=caller.path) is definer
                   for i in caller.facts.imports if i.alias != "*")

    def _qualify(self, view: FileView, dotted: str, scope: int) -> str | None:
        """`view.qualify`, and for a name no import or binding of the file gives, the
        in-repo module of a star import (`from models import *`) that defines it."""
        qualified = view.qualify(dotted, scope)
        head = dotted.partition(".")[0]
        if qualified is not None or not view.star_imports or view.binds(head, scope):
            return qualified
        for module in view.star_imports:
            found = self._defining_view(module, head, view.path)
            if found is not None and (found.defs.get(head) or (0, head) in found.bindings):
                return f"{module}{'' if module.endswith('.') else '.'}{dotted}"
        return None

    def _defining_view(self, module: str, name: str, importer: str, depth: int = 0) -> FileView | None:
        """The file that defines `module.name`, following re-exports
        (`from .backbones import load` in a package's `__init__.py`)."""
        view = self.repo.module(module, importer=importer) if module else None
        if view is None or depth > 5 or view.defs.get(name):
            return view
        imp = view.imports.get((0, name))
        if imp is None:  # `from .tokenized import *` in a package's `__init__.py`
            for star in view.star_imports if (0, name) not in view.bindings else ():
                found = self._defining_view(star, name, view.path, depth + 1)
                if found is not None and found.defs.get(name):
                    return found
            return view
        target_module, _, attr = imp.target.rpartition(".")
        return self._defining_view(target_module or ".", attr, view.path, depth + 1)

    def _imported(self, target: str, ctx: Ctx) -> list[Candidate]:
        """The value of an imported name: a constant of another module of the repo."""
        found = self._module_attr(target, ctx.view)
        if found is None:
            return []
        other, attr = found
        key = ("import", other.path, attr)
        if self._cut(key, ctx):
            return []
        sub = Ctx(other, 0, ctx.depth + 1, ctx.seen | {key})
        return wrap(self.lookup(attr, sub), Resolution.CONSTANT)

    def _module_attr(self, target: str, view: FileView) -> tuple[FileView, str] | None:
        """`pkg.settings.BASE` -> (the view of pkg/settings.py, "BASE")."""
        module, _, attr = target.rpartition(".")
        if not attr:
            return None
        if module.endswith(".") or not module:
            module = module or "."
        other = self.repo.module(module, importer=view.path)
        return (other, attr) if other is not None else None

    # -- attributes, subscripts, calls ---------------------------------------

    def _eval_Attribute(self, node: ast.Attribute, ctx: Ctx) -> list[Candidate]:
        direct = self._attribute_bindings(node, ctx) or (
            self._enum_value(node, ctx) or self._flag_value(node, ctx) if node.attr == "value" else [])
        if direct:
            return direct
        config = self._config_lookup(node, ctx)
        if config:
            return config
        return self._cli_attribute(node, ctx)

    def _attribute_bindings(self, node: ast.Attribute, ctx: Ctx, *, raw: bool = False):
        """`self.x`, `module.CONST`, `Class.CONST`, `obj.attr` assigned in scope."""
        dotted = _own_class(node)
        if dotted is None:
            return []
        view = ctx.view
        out: list = []
        head, _, rest = dotted.partition(".")
        if head in ("self", "cls"):
            cls = view.enclosing_class(ctx.scope)
            if cls is None:
                return out
            for method in [cls, *view.methods_of(cls)]:
                for b in view.bindings.get((method.id, dotted), []) + (
                    view.bindings.get((cls.id, rest), []) if method is cls else []):
                    out += self._binding_result(b, ctx.deeper(("attr", view.path, method.id, dotted), scope=method.id), raw)
            if "." not in rest:
                if not out:  # a property, or what a base class sets
                    out = self._instance_attribute(view, cls, rest, ctx, raw)
                for sub_view, sub in self._subclasses(view, cls):  # and what subclasses set instead
                    out += self._instance_attribute(sub_view, sub, rest, ctx, raw, inherited=False)
            return out
        for scope_id in view.chain(ctx.scope):
            for b in view.bindings.get((scope_id, dotted), []):
                out += self._binding_result(b, ctx.deeper(("attr", view.path, scope_id, dotted), scope=scope_id), raw)
        if out:
            return out
        qualified = self._qualify(view, dotted, ctx.scope)
        if qualified is not None:
            found = self._module_attr(qualified, view)
            if found is not None:
                other, attr = found
                key = ("import", other.path, attr)
                if not self._cut(key, ctx):
                    sub = Ctx(other, 0, ctx.depth + 1, ctx.seen | {key})
                    return self._name_containers(attr, sub) if raw else wrap(self.lookup(attr, sub), Resolution.CONSTANT)
            elif "." in rest:
                return self._in_module(qualified, view, ctx, raw)
        for cls in view.defs.get(head, ()):
            if cls.kind == ScopeKind.CLASS and "." not in rest:
                for b in view.bindings.get((cls.id, rest), []):
                    out += self._binding_result(b, ctx.deeper(("cls", view.path, cls.id, rest), scope=cls.id), raw)
        if not out and "." not in rest:
            for cls_view, cls in self._instance_classes(head, ctx):
                out += self._instance_attribute(cls_view, cls, rest, ctx, raw)
        if not out and "." not in rest and not raw:
            out += self._namespace_keyword(head, rest, ctx)
        return out

    def _in_module(self, qualified: str, view: FileView, ctx: Ctx, raw: bool) -> list:
        """`settings.config.model_name`: the longest head that is a module of the
        repository, and the rest read in it as code of its own (`config.model_name`)."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 2, 0, -1):
            other = self.repo.module(".".join(parts[:cut]), importer=view.path)
            key = ("module", ".".join(parts[:cut]), ".".join(parts[cut:]))
            if other is not None and not self._cut(key, ctx):
                node = parse_expr(".".join(parts[cut:]))
                sub = Ctx(other, 0, ctx.depth + 1, ctx.seen | {key})
                return self.containers(node, sub) if raw else self.eval(node, sub)
        return []

    def _namespace_keyword(self, name: str, attr: str, ctx: Ctx) -> list[Candidate]:
        """`args = Namespace(model="x")` (or SimpleNamespace, EasyDict(...)): `args.model`."""
        view = ctx.view
        for scope_id in view.chain(ctx.scope):
            bindings = view.bindings.get((scope_id, name), [])
            out: list[Candidate] = []
            for b in bindings:
                node = parse_expr(b.value)
                if isinstance(node, ast.Call) and (_dotted(node.func) or "").rsplit(".", 1)[-1] in _NAMESPACES:
                    value = _call_arg(node, None, attr)
                    if value is not None:
                        out += wrap(self.eval(value, ctx.deeper(("ns", view.path, b.line), scope=scope_id)),
                                    Resolution.CONSTANT)
            if bindings:
                return out
        return []

    def _instance_classes(self, name: str, ctx: Ctx) -> list[tuple[FileView, Scope]]:
        """In-repo classes whose instance `name` holds (`cfg = Settings()`)."""
        view = ctx.view
        found: list[tuple[FileView, Scope]] = []
        for scope_id in view.chain(ctx.scope):
            bindings = view.bindings.get((scope_id, name), [])
            for b in bindings:
                node = parse_expr(b.value)
                dotted = _dotted(node.func) if isinstance(node, ast.Call) else None
                if dotted is not None:
                    found += self._classes(dotted, view, scope_id)
            if bindings:
                break
            imp = view.imports.get((scope_id, name))
            if imp is not None:  # `from settings import config`, where settings.py has `config = Config()`
                target = self._module_attr(imp.target, view)
                key = ("instance", imp.target)
                if target is not None and not self._cut(key, ctx):
                    found += self._instance_classes(target[1], Ctx(target[0], 0, ctx.depth + 1, ctx.seen | {key}))
                break
        return found

    def _classes(self, dotted: str, view: FileView, scope_id: int) -> list[tuple[FileView, Scope]]:
        """The in-repo classes that `dotted`, written in `scope_id` of `view`, names."""
        local = [c for c in view.defs.get(dotted, ()) if c.kind == ScopeKind.CLASS]
        if local:
            return [(view, c) for c in local]
        qualified = self._qualify(view, dotted, scope_id)
        if not qualified or "." not in qualified:
            return []
        module, _, cls_name = qualified.rpartition(".")
        other = self._defining_view(module, cls_name, view.path)
        return [(other, c) for c in other.defs.get(cls_name, ()) if c.kind == ScopeKind.CLASS] if other else []

    def _enum_value(self, node: ast.Attribute, ctx: Ctx) -> list[Candidate]:
        """`Models.BERT.value` and `Models["BERT"].value` for an in-repo Enum:
        the value assigned to the member."""
        member = node.value
        if isinstance(member, ast.Attribute):
            cls_node, name = member.value, member.attr
        elif isinstance(member, ast.Subscript) and isinstance(member.slice, ast.Constant) \
                and isinstance(member.slice.value, str):
            cls_node, name = member.value, member.slice.value
        else:
            return []
        dotted = _dotted(cls_node)
        out: list[Candidate] = []
        for view, cls in self._classes(dotted, ctx.view, ctx.scope) if dotted else ():
            if any(b.rsplit(".", 1)[-1].endswith("Enum") for b in cls.bases):
                for b in view.bindings.get((cls.id, name), []):
                    out += self._binding_result(b, Ctx(view, cls.id, ctx.depth + 1, ctx.seen | {("enum", view.path, cls.id, name)}), False)
        return out

    def _flag_value(self, node: ast.Attribute, ctx: Ctx) -> list[Candidate]:
        """`_M.value` where `_M = flags.DEFINE_string("m", DEFAULT, ...)` (an absl
        FlagHolder): the flag's default."""
        if not isinstance(node.value, ast.Name):
            return []
        view = ctx.view
        for scope_id in view.chain(ctx.scope):
            bindings = view.bindings.get((scope_id, node.value.id), [])
            defines = {(b.line, b.value.split("(", 1)[0].strip()) for b in bindings
                       if b.value.split("(", 1)[0].rsplit(".", 1)[-1].startswith("DEFINE")}
            out = [c for call in view.facts.calls if (call.line, call.callee) in defines
                   for c in self._option_default(view, call, ctx)]
            if bindings:
                return out
        return []

    def _instance_attribute(self, view: FileView, cls: Scope, attr: str, ctx: Ctx, raw: bool, *,
                            inherited: bool = True, depth: int = 0):
        """`attr` of an instance: a class attribute, `self.attr = ...` in a
        method, a property; else (`inherited`) what the nearest in-repo base
        class that has it gives."""
        out: list = []
        for b in view.bindings.get((cls.id, attr), []):
            out += self._binding_result(b, Ctx(view, cls.id, ctx.depth + 1, ctx.seen | {("inst", view.path, cls.id, attr)}), raw)
        for method in view.methods_of(cls):
            key = ("inst", view.path, method.id, attr)
            if self._cut(key, ctx):
                continue
            for b in view.bindings.get((method.id, f"self.{attr}"), []):
                out += self._binding_result(b, Ctx(view, method.id, ctx.depth + 1, ctx.seen | {key}), raw)
        if not out and not raw:
            out = self._properties(view, cls, attr, ctx)
        if not out and inherited and depth < 3:
            for base_view, base in self._bases(view, cls):
                out += self._instance_attribute(base_view, base, attr, ctx, raw, depth=depth + 1)
                if out:
                    break
        return out

    def _bases(self, view: FileView, cls: Scope) -> list[tuple[FileView, Scope]]:
        """The in-repo classes that `cls` derives from directly."""
        return [found for base in cls.bases for found in self._classes(base, view, cls.parent or 0)
                if found[1] is not cls]

    def _binding_result(self, b: Binding, ctx: Ctx, raw: bool):
        value = parse_expr(b.value)
        if value is None:
            return []
        if ctx.depth > MAX_DEPTH:
            self._hits.append(_DEEP)
            return []
        if raw:
            return self.containers(value, ctx)
        return wrap(self.eval(value, ctx), Resolution.CONSTANT)

    def _cli_attribute(self, node: ast.Attribute, ctx: Ctx) -> list[Candidate]:
        """`args.model` from an argparse option, `FLAGS.model` from absl, or
        `model_args.model_name_or_path` from a dataclass field, and the values
        that the repository's shell scripts pass for it."""
        attr = node.attr
        here = ctx.view.path
        out: list[Candidate] = []
        for view, call in self.repo.nearest(self.repo.cli_options.get(attr, []), here):
            out += self._option_default(view, call, ctx)
        defaults = [(v, c) for v, c in self.repo.set_defaults if any(a.keyword == attr for a in c.args)]
        for view, call in self.repo.nearest(defaults, here):
            for arg in call.args:
                if arg.keyword == attr:
                    out += wrap(self._nested_values(arg.value, view, call.scope, ctx), Resolution.ARGPARSE_DEFAULT)
        if not out:
            fields = [(v, scope, b) for v, scope, b in self.repo.class_fields.get(attr, ())
                      if any("dataclass" in d for d in scope.decorators) or _looks_like_args_class(scope)]
            for view, scope, b in self.repo.nearest(fields, here):
                out += self._field_default(view, scope, b, ctx)
        out += self._shell_values(attr, ctx)
        return out

    def _option_default(self, view: FileView, call, ctx: Ctx) -> list[Candidate]:
        key = ("option", view.path, call.line)
        if self._cut(key, ctx):
            return []
        sub = Ctx(view, call.scope, ctx.depth + 1, ctx.seen | {key})
        is_absl = call.callee.rsplit(".", 1)[-1].startswith("DEFINE")
        default = next((a.value for a in call.args if a.keyword == "default"), None)
        if default is None and is_absl:
            positional = [a for a in call.args if a.keyword is None]
            default = positional[1].value if len(positional) > 1 else None
        out = wrap(self._nested_values(default, view, call.scope, ctx), Resolution.ARGPARSE_DEFAULT) if default else []
        out = [c for c in out if c.value is not None]
        choices = next((a.value for a in call.args if a.keyword in ("choices", "enum_values")), None)
        if choices is None and is_absl and call.callee.endswith("DEFINE_enum"):
            positional = [a for a in call.args if a.keyword is None]
            choices = positional[2].value if len(positional) > 2 else None
        if not out and choices:
            node = parse_expr(choices)
            if node is not None:
                for row in self.iterate(node, sub):
                    out += wrap([c for cell in row for c in cell], Resolution.ARGPARSE_DEFAULT)
        return out

    def _field_default(self, view: FileView, scope: Scope, b: Binding, ctx: Ctx) -> list[Candidate]:
        node = parse_expr(b.value)
        if node is None:
            return []
        if isinstance(node, ast.Call) and _callee_name(node) in ("field", "dataclasses.field"):
            node = _call_arg(node, None, "default")
            if node is None:
                return []
        key = ("field", view.path, b.line)
        if self._cut(key, ctx):
            return []
        sub = Ctx(view, scope.id, ctx.depth + 1, ctx.seen | {key})
        return [c for c in wrap(self.eval(node, sub), Resolution.DATACLASS_DEFAULT) if c.value is not None]

    def _shell_values(self, option: str, ctx: Ctx) -> list[Candidate]:
        out = []
        for path, arg in self.repo.shell_args_for(ctx.view.path, option):
            for value in arg.values:
                out.append(Candidate(value, Resolution.SHELL_ARG, origin=(path, arg.line),
                                     carrier=f"shell:{arg.option}", expression=arg.expression))
        return out

    def _eval_Subscript(self, node: ast.Subscript, ctx: Ctx) -> list[Candidate]:
        key_node = node.slice
        if self._is_environ(node.value, ctx):  # os.environ["M"]: what the repository sets it to, if anything
            return [replace(c, kind=Resolution.ENV_DEFAULT) for c in self._env_set(key_node, ctx)]
        if self._is_argv(node.value, ctx) and isinstance(key_node, ast.Constant) and type(key_node.value) is int:
            # `sys.argv[1]`: the first word after the script on the shell lines that run it
            return self._shell_values(f"#{key_node.value}", ctx) if key_node.value > 0 else []
        forwarded = self._forwarded(node.value, key_node, ctx)
        if forwarded is not None:
            return forwarded
        if isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute) \
                and node.value.func.attr in _SPLITS:
            return self._split_part(node.value, key_node, ctx)
        config = self._config_lookup(node, ctx)
        if config:
            return config
        out: list[Candidate] = []
        keys, narrowed = self._keys(key_node, ctx) if not isinstance(key_node, ast.Slice) else ([], None)
        for container, cctx in self.containers(node.value, ctx.deeper()):
            out += self._index(container, keys, narrowed, cctx)
        return out

    def _split_part(self, call: ast.Call, index: ast.expr, ctx: Ctx) -> list[Candidate]:
        """`label.split(" (")[0]`, `s.rsplit("/", 1)[-1]`, `s.partition(":")[0]` on
        the strings the receiver can be, with constant separators and index."""
        if not (isinstance(index, (ast.Constant, ast.UnaryOp)) and type(i := ast.literal_eval(index)) is int):
            return []
        try:
            args = [ast.literal_eval(a) for a in call.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
        except (ValueError, TypeError, SyntaxError):
            return []
        out: list[Candidate] = []
        for c in self.eval(call.func.value, ctx.deeper()):
            if isinstance(c.value, str):
                try:
                    out.append(replace(c, value=getattr(c.value, call.func.attr)(*args, **kwargs)[i]))
                except (TypeError, ValueError, IndexError):
                    continue
        return out

    def _keys(self, key: ast.expr, ctx: Ctx) -> tuple[list[Candidate], list[object] | None]:
        """The values a lookup key can have, and the argparse `choices` that
        narrow it; a default the user can override means any key (of the choices),
        unless the key's every value is known (narrow.py)."""
        exact = self.narrow.exact(key, ctx.view, ctx.scope)
        if exact and all(isinstance(v, (str, int)) for v in exact):
            return [Candidate(v, Resolution.LITERAL) for v in sorted(exact, key=repr)], None
        keys = self.eval(key, ctx.deeper())
        narrowed = self._choices(key, ctx)
        if narrowed is not None or any(k.kind in _OVERRIDABLE for k in keys):
            keys = []
        return keys, narrowed

    def _forwarded(self, container: ast.expr, key: ast.expr | None, ctx: Ctx) -> list[Candidate] | None:
        """`kwargs["name"]` and `args[0]`, where `kwargs` and `args` are the
        function's `**kwargs` and `*args`: what the repository's calls pass
        (None when `container` is no such parameter)."""
        if not isinstance(container, ast.Name) or not isinstance(key, ast.Constant):
            return None
        for scope_id in ctx.view.chain(ctx.scope):
            scope = ctx.view.scopes[scope_id]
            if (scope_id, container.id) in ctx.view.bindings:
                return None  # rebound: a dict or list of its own
            if not _is_param(scope, container.id):
                continue
            params = [p.name for p in scope.params]
            sub = ctx.deeper(scope=scope_id)
            if f"**{container.id}" in params and isinstance(key.value, str):
                return self._callers(scope, key.value, sub)
            if f"*{container.id}" in params and type(key.value) is int and key.value >= 0:
                before = params.index(f"*{container.id}") - (1 if _is_method(ctx.view, scope) and params[0] in ("self", "cls") else 0)
                return self._callers(scope, None, sub, position=before + key.value)
            return None
        return None

    def _is_environ(self, node: ast.expr, ctx: Ctx) -> bool:
        dotted = _dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        return dotted is not None and dotted.endswith("environ") and \
            ctx.view.qualify(dotted, ctx.scope, ctx.line) == "os.environ"

    def _env_set(self, key: ast.expr | None, ctx: Ctx) -> list[Candidate]:
        """The values the repository gives environment variable `key`: in a
        dotenv file (`.env.example`), or in code (`os.environ[key] = ...`)."""
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return []
        out = [Candidate(value, Resolution.ENV_DEFAULT, origin=(path, var.line), carrier=f"env:{var.name}",
                         expression=f"{var.name}={value}")
               for path, var in self.repo.dotenv.get(key.value, [])[:8] for value in var.values]
        for view, b in self.repo.env_assignments.get(key.value, [])[:8]:
            marker = ("environ", view.path, b.line)
            if not self._cut(marker, ctx):
                sub = Ctx(view, b.scope, ctx.depth + 1, ctx.seen | {marker}, line=None)
                out += [c for c in self._binding_result(b, sub, raw=False) if c.value is not None]
        return out

    def _is_argv(self, node: ast.expr, ctx: Ctx) -> bool:
        dotted = _dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        return dotted is not None and dotted.endswith("argv") and \
            ctx.view.qualify(dotted, ctx.scope, ctx.line) == "sys.argv"

    def _index(self, container: ast.expr, keys: list[Candidate], narrowed: list[object] | None, ctx: Ctx) -> list[Candidate]:
        out: list[Candidate] = []
        for v in _picked(_entries(container), keys, narrowed):
            out += self.eval(v, ctx.deeper())
        return [replace(c, kind=Resolution.DICT_LOOKUP) if c.kind in _WEAK else c for c in out]

    def _choices(self, key: ast.expr, ctx: Ctx) -> list[object] | None:
        """The argparse `choices=` of `args.x` used as a key, if any."""
        if not isinstance(key, ast.Attribute):
            return None
        for view, call in self.repo.cli_options.get(key.attr, ()):
            choices = next((a.value for a in call.args if a.keyword == "choices"), None)
            node = parse_expr(choices) if choices else None
            if node is not None:
                rows = self.iterate(node, Ctx(view, call.scope, ctx.depth + 1, ctx.seen))
                return [c.value for row in rows for cell in row for c in cell]
        return None

    def _eval_Call(self, node: ast.Call, ctx: Ctx) -> list[Candidate]:
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
            return self._format(node, ctx) if node.func.attr == "format" else self._join(node, ctx)
        name = _callee_name(node)
        if name is None:
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

    def _ui_choice(self, node: ast.Call, ctx: Ctx) -> list[Candidate]:
        """`st.selectbox("Model", ["a", "b"])`: whichever option the user picks."""
        options = _call_arg(node, 1, "options")
        if options is None:
            return []
        rows = self.iterate(options, ctx.deeper())
        return _conditional([c for row in rows for cell in row for c in cell if c.value is not None])

    def _getattr(self, node: ast.Call, ctx: Ctx) -> list[Candidate]:
        """`getattr(obj, "name")` is `obj.name`; with a default, either."""
        if len(node.args) not in (2, 3) or node.keywords:
            return []
        names = {c.value for c in self.eval(node.args[1], ctx.deeper()) if isinstance(c.value, str) and c.value.isidentifier()}
        out: list[Candidate] = []
        for name in sorted(names):
            out += self.eval(ast.copy_location(ast.Attribute(node.args[0], name, ast.Load()), node), ctx.deeper())
        if len(node.args) == 3:
            out = _conditional(out + [c for c in self.eval(node.args[2], ctx.deeper()) if c.value is not None])
        return out

    # -- functions -------------------------------------------------------------

    def _functions(self, name: str, ctx: Ctx) -> list[tuple[FileView, Scope]]:
        """The in-repo functions that a call of `name` (`f`, `self.f`, `module.f`) runs."""
        view = ctx.view
        head, dot, rest = name.partition(".")
        if head in ("self", "cls") and dot and "." not in rest:
            cls = view.enclosing_class(ctx.scope)
            return [(view, m) for m in view.methods_of(cls) if m.name == rest] if cls is not None else []
        if not dot:
            for scope_id in view.chain(ctx.scope):
                defs = [d for d in view.defs.get(name, ()) if d.parent == scope_id]
                if defs:
                    return [(view, d) for d in defs if d.kind == ScopeKind.FUNCTION]
                if (scope_id, name) in view.bindings or (scope_id, name) in view.imports:
                    break
        qualified = self._qualify(view, name, ctx.scope)
        if not qualified or "." not in qualified:
            return []
        module, _, attr = qualified.rpartition(".")
        other = self._defining_view(module or ".", attr, view.path)
        if other is None:
            return []
        return [(other, d) for d in other.defs.get(attr, ()) if d.parent == 0 and d.kind == ScopeKind.FUNCTION]

    def _returns(self, view: FileView, fn: Scope, ctx: Ctx) -> list[Candidate]:
        """What `fn` returns; its parameters take their defaults and the
        arguments of the repository's calls."""
        return self._summarised(("returns", view.path, fn.id), ctx, lambda: self._returned(view, fn, ctx))

    def _returned(self, view: FileView, fn: Scope, ctx: Ctx) -> list[Candidate]:
        key = ("returns", view.path, fn.id)
        if self._cut(key, ctx):
            return []
        sub = Ctx(view, fn.id, ctx.depth + 1, ctx.seen | {key})
        out: list[Candidate] = []
        for b in view.bindings.get((fn.id, RETURNED), []):
            value = parse_expr(b.value)
            if value is not None:
                out += wrap(self.eval(value, sub), Resolution.CONSTANT)
        return out

    def _properties(self, view: FileView, cls: Scope, attr: str, ctx: Ctx) -> list[Candidate]:
        """`obj.attr` where the class defines `attr` as a property."""
        return [c for m in view.methods_of(cls) if m.name == attr and any(
                    d.rsplit(".", 1)[-1] in ("property", "cached_property") for d in m.decorators)
                for c in self._returns(view, m, ctx)]

    def _dict_get(self, node: ast.Call, ctx: Ctx) -> list[Candidate]:
        key = _call_arg(node, 0, "key")
        default = _call_arg(node, 1, "default")
        out = self._forwarded(node.func.value, key, ctx) or self._config_lookup(node, ctx)
        if not out and key is not None:
            keys, narrowed = self._keys(key, ctx)
            for container, cctx in self.containers(node.func.value, ctx.deeper()):
                out += self._index(container, keys, narrowed, cctx)
        if default is not None:  # `d.get(k, k)`: the default runs only for a k that is no key (narrow.py)
            out += [replace(c, kind=Resolution.DICT_LOOKUP) if c.kind in _WEAK else c
                    for c in self.eval(default, self.narrow.missing_key(node, key, default, ctx.deeper()))
                    if c.value is not None]
        return out

    def _format(self, node: ast.Call, ctx: Ctx) -> list[Candidate]:
        fmts = [c for c in self.eval(node.func.value, ctx.deeper()) if isinstance(c.value, str) and _simple_format(c.value)]
        positional = [[c for c in self.eval(a, ctx.deeper()) if isinstance(c.value, (str, int))] for a in node.args]
        named = {k.arg: [c for c in self.eval(k.value, ctx.deeper()) if isinstance(c.value, (str, int))]
                 for k in node.keywords if k.arg}
        names = list(named)
        out: list[Candidate] = []
        for (fmt, *combo), via in _combos([fmts, *positional, *named.values()]):
            values = [c.value for c in combo]
            args, kwargs = values[: len(positional)], dict(zip(names, values[len(positional):]))
            try:
                out.append(Candidate(fmt.value.format(*args, **kwargs), Resolution.CONCAT, via=via))
            except (IndexError, KeyError, ValueError, OverflowError):
                continue
        return out

    def _join(self, node: ast.Call, ctx: Ctx) -> list[Candidate]:
        sep = node.func.value.value if isinstance(node.func.value, ast.Constant) else None
        if not isinstance(sep, str) or not node.args:
            return []
        for container, cctx in self.containers(node.args[0], ctx.deeper()):
            if isinstance(container, (ast.List, ast.Tuple)):
                cols = [[c for c in self.eval(e, cctx.deeper()) if isinstance(c.value, str)] for e in container.elts]
                return [Candidate(sep.join(c.value for c in combo), Resolution.CONCAT, via=via) for combo, via in _combos(cols)]
        return []

    def _pass_through(self, node: ast.Call, method: str, ctx: Ctx) -> list[Candidate]:
        if method == "str" and isinstance(node.func, ast.Name) and node.args:
            return self.eval(node.args[0], ctx.deeper())
        if not isinstance(node.func, ast.Attribute):
            return []
        out = []
        args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        for c in self.eval(node.func.value, ctx.deeper()):
            if isinstance(c.value, str) and method != "str":  # `x.str()` is no method of a string
                try:
                    out.append(replace(c, value=getattr(c.value, method)(*args)))
                except (TypeError, ValueError):
                    continue
        return out

    def _local_if_path(self, node: ast.expr, ctx: Ctx) -> list[Candidate]:
        """An f-string that cannot be evaluated but plainly builds a path."""
        first = node.values[0] if isinstance(node, ast.JoinedStr) and node.values else None
        if isinstance(first, ast.Constant) and str(first.value).startswith(("/", "./", "../", "~")):
            return [Candidate(LOCAL_VALUE, Resolution.LOCAL_PATH)]
        return []

    # -- config files ------------------------------------------------------

    def _config_lookup(self, node: ast.expr, ctx: Ctx) -> list[Candidate]:
        """`cfg["model"]["name"]`, `cfg.model.name` or `cfg.get("model")` where
        `cfg` was loaded from a YAML/JSON/TOML file of the repository."""
        keys: list[str] = []
        cur: ast.expr = node
        if isinstance(cur, ast.Call) and isinstance(cur.func, ast.Attribute) and cur.func.attr == "get":
            key = _call_arg(cur, 0, "key")
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                return []
            keys.append(key.value)
            cur = cur.func.value
        while isinstance(cur, (ast.Subscript, ast.Attribute)):
            if isinstance(cur, ast.Subscript):
                if not (isinstance(cur.slice, ast.Constant) and isinstance(cur.slice.value, (str, int))):
                    return []
                keys.append(str(cur.slice.value))
            else:
                keys.append(cur.attr)
            cur = cur.value
        if not keys or not isinstance(cur, (ast.Name, ast.Attribute)):
            return []
        source = self._config_source(cur, ctx)
        if source is None:
            return []
        return self._config_values(".".join(reversed(keys)), source)

    def _config_source(self, root: ast.expr, ctx: Ctx) -> str | None:
        """The text of the expression that loaded the config `root` stands for
        ('' when it is a config but its file is unknown), or None."""
        dotted = _dotted(root)
        if dotted is None:
            return None
        view = ctx.view
        for scope_id in view.chain(ctx.scope):
            for b in view.bindings.get((scope_id, dotted), []):
                if is_config_load(b.value):
                    return b.value
            scope = view.scopes[scope_id]
            if scope.kind == ScopeKind.FUNCTION and scope.params and scope.params[0].name == dotted:
                if any("hydra" in d for d in scope.decorators):
                    return " ".join(scope.decorators)
        return None

    def _config_values(self, key_path: str, source: str) -> list[Candidate]:
        """Values at `key_path` in the config files: those the loading code names
        if they have the key, else any. A file in a folder named like the first
        key (Hydra's config groups: `conf/model/bert.yaml` for `cfg.model.name`)
        holds the rest of the path."""
        def matches(path: str, key: str) -> bool:
            if key == key_path or key.endswith("." + key_path):
                return True
            group, _, rest = key_path.partition(".")
            return bool(rest) and path.split("/")[-2:-1] == [group] and (key == rest or key.endswith("." + rest))

        found = [(p, v) for p, v in self.repo.config_values if matches(p, v.key)]
        named = [(p, v) for p, v in found if p.rsplit("/", 1)[-1].rsplit(".", 1)[0] in source]
        return [Candidate(v.value, Resolution.CONFIG_FILE, origin=(p, v.line), carrier=f"config:{v.key}",
                          expression=f"{v.key}: {v.value}") for p, v in (named or found)]


def _is_param(scope: Scope, name: str) -> bool:
    return scope.kind == ScopeKind.FUNCTION and any(p.name.lstrip("*") == name for p in scope.params)


def _runs_gradio(view: FileView, call: CallSite) -> bool:
    """`gr.Interface(...)`, or an event method in a file that imports gradio."""
    if call.callee.rsplit(".", 1)[-1] == "Interface":
        return view.qualify(call.callee, call.scope) == "gradio.Interface"
    return "." in call.callee and any(i.target.split(".")[0] == "gradio" for i in view.facts.imports)


def _defines_init(view: FileView, cls: Scope) -> bool:
    return any(m.name == "__init__" for m in view.methods_of(cls))


def _is_method(view: FileView, scope: Scope) -> bool:
    return scope.parent is not None and view.scopes[scope.parent].kind == ScopeKind.CLASS


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


def _splats(call: CallSite, keyword: str | None, index: int | None) -> list[str]:
    """Where a call's `**kw` and `*args` may carry the argument for `keyword`
    (or the positional place `index`): `(kw)["name"]`, `(args)[i]`."""
    out: list[str] = []
    before = 0  # positional arguments before the first `*`
    for arg in call.args:
        if arg.star == "**" and keyword is not None and not keyword.startswith("*"):
            out.append(f"({arg.value})[{keyword!r}]")
        elif arg.star == "*" and before >= 0:
            if index is not None and index >= before:
                out.append(f"({arg.value})[{index - before}]")
            before = -1  # past a `*`, places are unknown
        elif arg.keyword is None and not arg.star and before >= 0:
            before += 1
    return out


def _looks_like_args_class(scope: Scope) -> bool:
    return bool(re.search(r"(Arguments|Args|Config|Cfg|Options|Params|Settings|Hparams|HParams)$", scope.name))


def _entries(container: ast.expr) -> list[tuple[object, ast.expr]]:
    """(key, value) of a literal dict (constant keys), or (index, item) of a list or tuple."""
    if isinstance(container, ast.Dict):
        return [(k.value, v) for k, v in zip(container.keys, container.values) if isinstance(k, ast.Constant)]
    if isinstance(container, (ast.List, ast.Tuple)):
        return list(enumerate(container.elts))
    return []


def _picked(entries: list[tuple[object, ast.expr]], keys: list[Candidate], narrowed: list[object] | None) -> list[ast.expr]:
    """The values of a container's entries that a lookup with `keys` can reach:
    those of the known keys, else every one (of the `narrowed` choices)."""
    known = [k.value for k in keys if isinstance(k.value, (str, int))]
    if known:
        return [v for k, v in entries if k in known]
    return [v for k, v in entries if narrowed is None or k in narrowed]


def _flat_names(target: ast.expr) -> list[str | None]:
    """The names of a tuple target, nested tuples read flat: `i, (k, v)` -> [i, k, v]."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _flat_names(e)]
    return [target.id if isinstance(target, ast.Name) else None]


def _own_class(node: ast.Attribute) -> str | None:
    """`type(self).X` and `self.__class__.X` as `self.X`."""
    value = node.value
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "type" \
            and len(value.args) == 1 and isinstance(value.args[0], ast.Name) and value.args[0].id == "self":
        return f"self.{node.attr}"
    dotted = _dotted(node)
    return "self." + dotted[len("self.__class__."):] if dotted and dotted.startswith("self.__class__.") else dotted


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


def _simple_format(fmt: str) -> bool:
    """Only `{}`, `{0}` and `{name}` fields, with no attribute or index access
    and at most a small width (`{:02d}`): a width of a billion is a gigabyte."""
    try:
        return all(f is None or (re.fullmatch(r"\w*", f) and _SMALL_SPEC.fullmatch(spec or ""))
                   for _, f, spec, _ in string.Formatter().parse(fmt))
    except ValueError:
        return False


_SMALL_SPEC = re.compile(r"[<>^=]?[+ -]?0?\d{0,3}(?:\.\d{1,3})?[sdf]?")
_WIDE_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d{4,}|\d*\.(?:\*|\d{4,}))")


def _too_long(value: object) -> bool:
    return isinstance(value, str) and len(value) > MAX_VALUE_LEN


MAX_COMBINATIONS = 4096  # combinations tried for one expression, consistent or not


def _combos(columns: list[list[Candidate]]) -> Iterator[tuple[tuple[Candidate, ...], frozenset]]:
    """One candidate of each column, MAX_CANDIDATES combinations at most, with
    the calls they were read from; values read from different calls of one
    function (`load(name, namespace=ns)` called twice) are never combined."""
    made = 0
    for combo in itertools.islice(itertools.product(*columns), MAX_COMBINATIONS):
        via = consistent_via(c.via for c in combo)
        if via is not None:
            yield combo, via
            made += 1
            if made >= MAX_CANDIDATES:
                return


def consistent_via(vias: Iterable[frozenset]) -> frozenset | None:
    """The calls in which several values can all hold, per function, or None
    when for some function there is no such call."""
    merged: dict[object, frozenset] = {}
    for via in vias:
        for function, calls in via:
            both = merged[function] & calls if function in merged else calls
            if not both:
                return None
            merged[function] = both
    return frozenset(merged.items())


def _conditional(cands: list[Candidate]) -> list[Candidate]:
    return [replace(c, kind=Resolution.CONDITIONAL) if c.kind in _WEAK else c for c in cands]


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


def _is_dict_call(node: ast.expr) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
            and not node.args and all(k.arg is not None for k in node.keywords))
