"""Rules for calls, callers and function summaries: what a parameter takes
(its default, and the arguments of the repository's calls, `**kwargs` and
`*args` included), which in-repo calls run a function or method (`_calls_of`,
`_reaches`), which in-repo functions a call runs (`_functions`), and what a
function returns (`_returns`, summarised once per repository).
"""
from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from dataclasses import replace

from miner.records import CallSite, RETURNED, Resolution, Scope, ScopeKind
from miner.resolve.candidates import Candidate, Ctx, MAX_CALLERS, wrap
from miner.resolve.repo import FileView
from miner.resolve.syntax import _argument, _dotted, _is_method, _is_param, parse_expr


class Calls:
    """Evaluation through function parameters, callers and returns (mixed into `Evaluator`, evaluate.py)."""

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
        out += self._parametrized(scope, name, ctx)
        out += self._callers(scope, name, ctx)
        return [c for c in out if c.value is not None]

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


def _defines_init(view: FileView, cls: Scope) -> bool:
    return any(m.name == "__init__" for m in view.methods_of(cls))


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
