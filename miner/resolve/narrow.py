"""Narrowing: where the code itself says which values run.

Resolution widens (every value of a dict, every branch of a conditional, every
default); this module answers the questions that narrow it again, each one
soundly -- whatever it cannot prove, it answers with "keep":

- `exact`: the complete set of values an expression can take, or None when any
  part of it is unknown (a value from outside, an attribute, a call, a name
  bound in a way the facts do not show);
- `closed`: whether every call of an in-repo function is in the facts (no
  reference to it other than calls, no file left unread that imports its
  module, no decorator, no config naming it): an entry point is never closed;
- `overridden`: a parameter whose default no call lets through;
- `always_false`: a weights flag (`pretrained=use_pretrained`) false wherever
  it is set;
- `can_run`: whether the `if` tests around a call can hold;
- `Pins`: in a branch, the values of a name its test checks that pass the test
  (values combine per branch, not across branches).
"""
from __future__ import annotations

import ast
import operator
from typing import TYPE_CHECKING

from miner.records import BindKind, CallSite, FileKind, ParseStatus, Scope, ScopeKind
from miner.resolve.repo import FileView

if TYPE_CHECKING:
    from miner.resolve.evaluate import Evaluator

MAX_VALUES = 32  # a larger set is not worth proving anything with
MAX_DEPTH = 8
# Decorators that leave a function called only where the code calls it.
_PLAIN_DECORATORS = frozenset({"staticmethod", "torch.no_grad()", "no_grad()", "torch.inference_mode()",
                               "functools.wraps", "abstractmethod", "abc.abstractmethod"})
_ENTRY_FILES = ("hubconf.py",)  # torch.hub runs the functions of a hubconf
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Is: operator.is_, ast.IsNot: operator.is_not,
            ast.In: lambda a, b: operator.contains(b, a), ast.NotIn: lambda a, b: not operator.contains(b, a)}


class Narrower:
    def __init__(self, evaluator: "Evaluator", unread: frozenset[str] | None):
        self.ev = evaluator
        self.repo = evaluator.repo
        # Files that code the miner did not read may import (None: any file).
        self.unread = unread
        self._closed: dict[tuple[str, int], bool] = {}
        self._exact: dict[tuple, frozenset | None] = {}
        self._loose: frozenset[str] | None = None
        self._named: str | None = None
        self._attrs: frozenset[str] | None = None
        self._pins = Pins(self)

    def pinned(self, guards, line, ctx):
        return self._pins.pinned(guards, line, ctx)

    def pinned_test(self, test, holds, ctx):
        return self._pins.pinned_test(test, holds, ctx)

    def pinned_value(self, node, ctx):
        return self._pins.value(node, ctx)

    def missing_key(self, call: ast.Call, key: ast.expr | None, default: ast.expr, ctx):
        """`d.get(k, k)`: where the default is the key itself, it is read only
        with the values of k that are not keys of d."""
        if key is None or not isinstance(key, (ast.Name, ast.Attribute)) or ast.dump(key) != ast.dump(default):
            return ctx
        test = ast.Compare(left=key, ops=[ast.NotIn()], comparators=[call.func.value])
        return self._pins.pinned_test(test, True, ctx)

    # -- exact value sets --------------------------------------------------

    def exact_text(self, text: str, view: FileView, scope: int) -> frozenset | None:
        from miner.resolve.evaluate import parse_expr
        node = parse_expr(text)
        return self.exact(node, view, scope) if node is not None else None

    def exact(self, node: ast.expr, view: FileView, scope: int, seen: frozenset = frozenset(),
              depth: int = 0) -> frozenset | None:
        """Every value `node` can take, or None if that is not known."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            return frozenset([node.value]) if _hashable(node.value) else None
        if isinstance(node, ast.Name):
            key = (view.path, scope, node.id)
            if key in seen:
                return frozenset()  # a cycle adds no value of its own
            memo = (key, seen)  # a result cut short by a cycle holds only under the same `seen`
            if memo not in self._exact:
                self._exact[memo] = self._name(node.id, view, scope, seen | {key}, depth + 1)
            return self._exact[memo]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.exact(node.operand, view, scope, seen, depth + 1)
            return None if inner is None else frozenset(not v for v in inner)
        parts: list[ast.expr] = []
        if isinstance(node, ast.IfExp):  # either branch (the test is not read: a superset)
            parts = [node.body, node.orelse]
        elif isinstance(node, ast.BoolOp):  # `a or b` is one of its operands
            parts = list(node.values)
        out: set = set()
        for part in parts:
            found = self.exact(part, view, scope, seen, depth + 1)
            if found is None:
                return None
            out |= found
        return frozenset(out) if parts and len(out) <= MAX_VALUES else None

    def _name(self, name: str, view: FileView, scope: int, seen: frozenset, depth: int) -> frozenset | None:
        if name in view.facts.opaque:
            return None  # also bound where the facts do not show (`x += 1`, `... as x`, `x = self.f()`)
        for scope_id in view.chain(scope):
            sc = view.scopes[scope_id]
            bindings = view.bindings.get((scope_id, name), [])
            is_param = sc.kind == ScopeKind.FUNCTION and any(p.name == name for p in sc.params)
            if any(p.name.lstrip("*") == name and p.name != name for p in sc.params) \
                    or (scope_id, name) in view.imports:
                return None
            if not (bindings or is_param):
                continue
            if not self._bound_only_here(name, view, sc):
                return None
            out: set = set()
            if is_param:
                found = self.param_values(view, sc, name, seen, depth)
                if found is None:
                    return None
                out |= found
            for b in bindings:
                found = self.exact_binding(b, name, view, scope_id, seen, depth)
                if found is None:
                    return None
                out |= found
            return frozenset(out) if len(out) <= MAX_VALUES else None
        return None

    def exact_binding(self, b, name: str, view: FileView, scope_id: int, seen: frozenset,
                      depth: int) -> frozenset | None:
        from miner.resolve.evaluate import parse_expr
        if b.kind != BindKind.ASSIGN or b.target != name:
            return None  # a loop, a `with`, an unpacking: not followed
        node = parse_expr(b.value)
        return self.exact(node, view, scope_id, seen, depth + 1) if node is not None else None

    def _bound_only_here(self, name: str, view: FileView, sc: Scope) -> bool:
        """No other scope of the file binds `name` (it could be `global` or
        `nonlocal` there, which the facts do not show), and for a module-level
        name no file sets it as an attribute (`config.NAME = ...`)."""
        for other in view.scopes:
            if other.id != sc.id and other.kind == ScopeKind.FUNCTION and view.bindings.get((other.id, name)):
                if sc.kind == ScopeKind.MODULE or self._inside(view, other, sc):
                    return False
        return sc.kind != ScopeKind.MODULE or name not in self._attribute_targets

    @staticmethod
    def _inside(view: FileView, inner: Scope, outer: Scope) -> bool:
        parent = inner.parent
        while parent is not None:
            if parent == outer.id:
                return True
            parent = view.scopes[parent].parent
        return False

    # -- parameters and their callers -----------------------------------------

    def param_values(self, view: FileView, fn: Scope, name: str, seen: frozenset = frozenset(),
                     depth: int = 0) -> frozenset | None:
        """What parameter `name` of `fn` takes over all in-repo calls (the
        default where a call leaves it out); None unless `fn` is closed."""
        calls = self._closed_calls(view, fn)
        if not calls:
            return None
        param = next(p for p in fn.params if p.name == name)
        index = self._index(view, fn, name)
        out: set = set()
        for caller, call, shift in calls:
            text = _passed(call, name, None if index is None else index + shift)
            if text is None and any(a.star for a in call.args):
                return None
            if text is None and param.default is None:
                return None
            found = self.exact_text_seen(text or param.default, caller if text else view,
                                         call.scope if text else (fn.parent or 0), seen, depth)
            if found is None:
                return None
            out |= found
        return frozenset(out)

    def exact_text_seen(self, text: str, view: FileView, scope: int, seen: frozenset, depth: int):
        from miner.resolve.evaluate import parse_expr
        node = parse_expr(text)
        return self.exact(node, view, scope, seen, depth + 1) if node is not None else None

    def overridden(self, view: FileView, fn: Scope, name: str) -> bool:
        """Every call of `fn` passes `name`: its default never runs."""
        calls = self._closed_calls(view, fn)
        index = self._index(view, fn, name)
        return bool(calls) and all(_passed(call, name, None if index is None else index + shift) is not None
                                   for _, call, shift in calls)

    def _index(self, view: FileView, fn: Scope, name: str) -> int | None:
        from miner.resolve.evaluate import _is_method
        params = [p.name for p in fn.params]
        if _is_method(view, fn) and params and params[0] in ("self", "cls"):
            params = params[1:]
        positional: list[str] = []
        for p in params:
            if p.startswith("*"):
                break
            positional.append(p)
        return positional.index(name) if name in positional else None

    def _closed_calls(self, view: FileView, fn: Scope) -> list[tuple[FileView, CallSite, int]]:
        """The in-repo calls of `fn` when they are all of its calls, else []."""
        from miner.resolve.evaluate import MAX_CALLERS
        if not self.closed(view, fn):
            return []
        calls = self.ev._calls_of(fn, view)
        if len(calls) >= MAX_CALLERS:
            return []
        name = view.scopes[fn.parent].name if fn.name == "__init__" and fn.parent else fn.name
        reached = {id(call) for _, call, _ in calls}
        if any(id(call) not in reached for _, call in self.repo.callers.get(name, ())):
            return []  # a call named like it that the resolver does not follow: maybe it
        return calls

    def closed(self, view: FileView, fn: Scope) -> bool:
        key = (view.path, fn.id)
        if key not in self._closed:
            self._closed[key] = self._closed_uncached(view, fn)
        return self._closed[key]

    def _closed_uncached(self, view: FileView, fn: Scope) -> bool:
        from miner.resolve.evaluate import _is_method
        if self.unread is None or fn.kind != ScopeKind.FUNCTION or view.path.rsplit("/", 1)[-1] in _ENTRY_FILES:
            return False
        if view.path in self.unread or any(view.path.startswith(d) for d in self.unread if d.endswith("/")):
            return False  # a file the miner did not read imports this module
        if any(f.status == ParseStatus.FAILED and f.kind in (FileKind.PYTHON, FileKind.NOTEBOOK)
               for f in self.repo._files):
            return False
        owner = fn
        if _is_method(view, fn):
            if fn.name != "__init__":
                return False  # `obj.method(...)`: the object's class is seldom known
            owner = view.scopes[fn.parent]
            if any("classmethod" in d for m in view.methods_of(owner) for d in m.decorators):
                return False  # `cls(...)` constructs it unseen
        if any(d not in _PLAIN_DECORATORS for d in (*fn.decorators, *owner.decorators)):
            return False  # registered, routed, a command line, ...
        return owner.name not in self.loose_names and owner.name not in self.config_text

    @property
    def loose_names(self) -> frozenset[str]:
        if self._loose is None:
            self._loose = frozenset().union(*(v.facts.loose for v in self.repo.files.values()))
        return self._loose

    @property
    def config_text(self) -> str:
        """Config values, which may name a class to build (`target: pkg.Model`)."""
        if self._named is None:
            self._named = "\n".join(v.value for _, v in self.repo.config_values)
        return self._named

    @property
    def _attribute_targets(self) -> frozenset[str]:
        if self._attrs is None:
            self._attrs = frozenset(b.target.rsplit(".", 1)[-1] for v in self.repo.files.values()
                                    for b in v.facts.bindings if "." in b.target and "(" not in b.target)
        return self._attrs

    # -- flags and branches ----------------------------------------------------

    def always_false(self, text: str, view: FileView, scope: int) -> bool:
        """The expression is false wherever the code sets it."""
        values = self.exact_text(text, view, scope)
        return bool(values) and all(_is_false(v) for v in values)

    def can_run(self, call: CallSite, view: FileView) -> bool:
        """Each `if` test around `call` can take the value the call needs."""
        from miner.resolve.evaluate import parse_expr
        for guard in call.guards:
            node = parse_expr(guard.test)
            if node is not None and not self.can_be(node, guard.holds, view, call.scope):
                return False
        return True

    def can_be(self, node: ast.expr, want: bool, view: FileView, scope: int) -> bool:
        """Whether test `node` can evaluate (as a truth value) to `want`; True
        unless proven otherwise."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.can_be(node.operand, not want, view, scope)
        if isinstance(node, ast.BoolOp):
            results = [self.can_be(v, want, view, scope) for v in node.values]
            every = isinstance(node.op, ast.And) == want  # `a and b` true: both; `a or b` false: both
            return all(results) if every else any(results)
        outcomes = self._outcomes(node, view, scope)
        return outcomes is None or want in outcomes

    def _outcomes(self, node: ast.expr, view: FileView, scope: int) -> set[bool] | None:
        if isinstance(node, ast.Name):
            values = self.exact(node, view, scope)
            return {bool(v) for v in values} if values else None
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE):
            return None
        left = self.exact(node.left, view, scope)
        right = _constants(node.comparators[0]) if isinstance(node.ops[0], (ast.In, ast.NotIn)) \
            else self.exact(node.comparators[0], view, scope)
        if not left or not right:
            return None
        compare = _COMPARE[type(node.ops[0])]
        try:
            if isinstance(node.ops[0], (ast.In, ast.NotIn)):
                return {bool(compare(a, right)) for a in left}
            return {bool(compare(a, b)) for a in left for b in right}
        except TypeError:
            return None


class Pins:
    """What an `if` test leaves to the names it tests: in `if not path.startswith("http"):
    url = BASE + path`, only the values of `path` that do not start with "http"
    (values combine per branch, never across them). A candidate is dropped only
    where the test surely rejects it."""

    def __init__(self, narrower: Narrower):
        self.narrow = narrower
        self.ev = narrower.ev

    def pinned(self, guards, line: int | None, ctx):
        """`ctx` with the names that `guards` test pinned to the values that pass
        (a name bound again between a test and `line` is left alone); None when
        the tests cannot all hold."""
        from miner.resolve.evaluate import parse_expr
        for guard in guards:
            node = parse_expr(guard.test)
            if node is None:
                continue
            if not self.narrow.can_be(node, guard.holds, ctx.view, ctx.scope):
                return None
            ctx = self.pinned_test(node, guard.holds, ctx, since=guard.line, until=line)
        return ctx

    def pinned_test(self, test: ast.expr, holds: bool, ctx, *, since: int | None = None, until: int | None = None):
        from dataclasses import replace
        pins = dict(ctx.pins)
        for subject, decide in self._conditions(test, holds, ctx):
            text = ast.unparse(subject)
            if since is not None and self._rebound(text, ctx, since, until):
                continue
            cands = list(pins[text]) if text in pins else self.ev.eval(subject, replace(ctx, pins=()))
            kept = tuple(c for c in cands if _decided(decide, c.value) is not False)
            if len(kept) < len(cands):
                pins[text] = kept
        return replace(ctx, pins=tuple(pins.items())) if len(pins) != len(ctx.pins) or pins != dict(ctx.pins) else ctx

    @staticmethod
    def value(node: ast.expr, ctx) -> list | None:
        text = ast.unparse(node)
        return next((list(cands) for pinned, cands in ctx.pins if pinned == text), None)

    @staticmethod
    def _rebound(text: str, ctx, since: int, until: int | None) -> bool:
        return any(since <= b.line and (until is None or b.line < until)
                   for b in ctx.view.bindings.get((ctx.scope, text), ()))

    def _conditions(self, test: ast.expr, holds: bool, ctx):
        """(subject, decide) pairs: `decide(value)` is whether the test gives
        `holds` when the subject has that value (None: cannot say)."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self._conditions(test.operand, not holds, ctx)
        if isinstance(test, ast.BoolOp):  # `a and b` true, `a or b` false: each part alike
            return [c for v in test.values for c in self._conditions(v, holds, ctx)] \
                if isinstance(test.op, ast.And) == holds else []
        if isinstance(test, (ast.Name, ast.Attribute)):
            return [(test, lambda v: bool(v) == holds)]
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) \
                and test.func.attr in ("startswith", "endswith") and len(test.args) == 1 and not test.keywords:
            affix = _constants(test.args[0]) or (frozenset([test.args[0].value]) if isinstance(test.args[0], ast.Constant)
                                                 and isinstance(test.args[0].value, str) else None)
            subject, method = test.func.value, test.func.attr
            if affix and all(isinstance(a, str) for a in affix) and isinstance(subject, (ast.Name, ast.Attribute)):
                return [(subject, lambda v: getattr(v, method)(tuple(affix)) == holds if isinstance(v, str) else None)]
            return []
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _COMPARE):
            return []
        op, left, right = test.ops[0], test.left, test.comparators[0]
        if not isinstance(left, (ast.Name, ast.Attribute)):
            return []
        compare = _COMPARE[type(op)]
        if isinstance(op, (ast.In, ast.NotIn)):
            keys = _constants(right)
            if keys is not None:
                return [(left, lambda v: compare(v, keys) == holds)]
            sets = self._key_sets(right, ctx)
            if not sets:
                return []
            inside = isinstance(op, ast.In)
            return [(left, lambda v: _in_all(v, sets, inside, holds))]
        if isinstance(right, ast.Constant) and _hashable(right.value):
            return [(left, lambda v: compare(v, right.value) == holds)]
        return []

    def _key_sets(self, node: ast.expr, ctx) -> list[frozenset]:
        """The constant keys of each literal dict (or items of a list) `node` may be."""
        from miner.resolve.evaluate import _entries
        found = []
        for container, _ in self.ev.containers(node, ctx.deeper()):
            if isinstance(container, ast.Dict):
                if not all(isinstance(k, ast.Constant) for k in container.keys):
                    return []
                found.append(frozenset(k for k, _ in _entries(container) if _hashable(k)))
            else:
                values = _constants(container)
                if values is None:
                    return []
                found.append(values)
        return found


def _in_all(value: object, sets: list[frozenset], inside: bool, holds: bool) -> bool | None:
    """`value in D` (or `not in`) for a D that is one of `sets`: known only when
    every set agrees."""
    members = {value in s for s in sets}
    if len(members) != 1:
        return None
    return (members.pop() == inside) == holds


def _decided(decide, value: object) -> bool | None:
    from miner.resolve.evaluate import LOCAL_VALUE
    if value is LOCAL_VALUE:
        return None  # some path: it may be anything
    try:
        return decide(value)
    except (TypeError, ValueError):
        return None


def _constants(node: ast.expr) -> frozenset | None:
    """The elements of a literal tuple, list or set of constants."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and all(isinstance(e, ast.Constant) for e in node.elts):
        values = [e.value for e in node.elts]
        return frozenset(values) if all(_hashable(v) for v in values) else None
    return None


def _passed(call: CallSite, keyword: str, index: int | None) -> str | None:
    from miner.resolve.evaluate import _argument
    return _argument(call, keyword, index)


def _is_false(value: object) -> bool:
    return value is None or value is False or value == "" or (type(value) is int and value == 0)


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
