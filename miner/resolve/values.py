"""Rules for values and containers: literals, operators, f-strings, `%`,
`str.format` and `join`, conditional expressions, pass-through string methods
and `split` parts; and the containers an expression can stand for (literal
lists, tuples, dicts, `dict(...)`), what loops take from them, tuple
unpacking, subscripts and `dict.get`.
"""
from __future__ import annotations

import ast
import itertools
import re
import string
from collections.abc import Iterator
from dataclasses import replace

from miner.records import RETURNED, Resolution
from miner.resolve.candidates import (
    Candidate, Ctx, LOCAL_VALUE, MAX_CANDIDATES, MAX_DEPTH, _DEEP, _WEAK, _conditional, consistent_via
)
from miner.resolve.syntax import _call_arg, _dotted, parse_expr

# Values that are only defaults: whoever runs the code may pass another.
_OVERRIDABLE = (Resolution.ARGPARSE_DEFAULT, Resolution.DATACLASS_DEFAULT, Resolution.ENV_DEFAULT,
                Resolution.SHELL_ARG, Resolution.DEFAULT_PARAM)
_SPLITS = frozenset({"split", "rsplit", "partition", "rpartition"})


class Values:
    """Evaluation of values and containers (mixed into `Evaluator`, evaluate.py)."""

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
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
            # `for m in available_models()`, which returns `list(_MODELS.keys())`: the items of what it returns
            return [row for value, sub in self._returned_expressions(node, ctx) for row in self.iterate(value, sub)]
        return []

    def _returned_expressions(self, call: ast.Call, ctx: Ctx) -> list[tuple[ast.expr, Ctx]]:
        """The expressions the in-repo functions that `call` may run return,
        each with the context of its function."""
        name = _dotted(call.func)
        out = []
        for view, fn in self._functions(name, ctx) if name else ():
            key = ("returns", view.path, fn.id)
            if self._cut(key, ctx):
                continue
            sub = Ctx(view, fn.id, ctx.depth + 1, ctx.seen | {key})
            out += [(value, sub) for b in view.bindings.get((fn.id, RETURNED), [])
                    if (value := parse_expr(b.value)) is not None]
        return out

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
            return [(inner, cctx) for value, sub in self._returned_expressions(node, ctx)
                    for inner, cctx in self.containers(value, sub)]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.containers(node.left, ctx.deeper()), self.containers(node.right, ctx.deeper())
            if left and right and isinstance(left[0][0], (ast.List, ast.Tuple)) and isinstance(right[0][0], (ast.List, ast.Tuple)):
                return [(ast.List(elts=[*left[0][0].elts, *right[0][0].elts], ctx=ast.Load()), left[0][1])]
        return []

    def _eval_Subscript(self, node: ast.Subscript, ctx: Ctx) -> list[Candidate]:
        key_node = node.slice
        if self._is_environ(node.value, ctx):  # os.environ["M"]: what the repository sets it to, if anything
            return [replace(c, kind=Resolution.ENV_DEFAULT) for c in self._env_set(key_node, ctx)]
        if self._is_argv(node.value, ctx) and isinstance(key_node, ast.Constant) and type(key_node.value) is int:
            # `sys.argv[1]`: the first word after the script on the shell lines that run it
            return self._shell_values(f"#{key_node.value}", ctx) if key_node.value > 0 else []
        forwarded = self._forwarded(node.value, key_node, ctx)
        if forwarded is None:
            forwarded = self._namespace_item(node.value, key_node, ctx)
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
        if narrowed is not None or any(k.kind in _OVERRIDABLE for k in keys) or exact is None:
            keys = []  # some value of the key is not known (`result["language"]` at one call): any key
        return keys, narrowed

    def _index(self, container: ast.expr, keys: list[Candidate], narrowed: list[object] | None, ctx: Ctx) -> list[Candidate]:
        out: list[Candidate] = []
        for v in _picked(_entries(container), keys, narrowed):
            out += self.eval(v, ctx.deeper())
        return [replace(c, kind=Resolution.DICT_LOOKUP) if c.kind in _WEAK else c for c in out]

    def _dict_get(self, node: ast.Call, ctx: Ctx) -> list[Candidate]:
        key = _call_arg(node, 0, "key")
        default = _call_arg(node, 1, "default")
        out = self._forwarded(node.func.value, key, ctx) or self._namespace_item(node.func.value, key, ctx) \
            or self._config_lookup(node, ctx)
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
        if method == "str" and isinstance(node.func, ast.Name) and node.args:  # `str(img_size)`: "224"
            return [replace(c, value=str(c.value)) if isinstance(c.value, (int, float)) else c
                    for c in self.eval(node.args[0], ctx.deeper())]
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


def _is_dict_call(node: ast.expr) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
            and not node.args and all(k.arg is not None for k in node.keywords))


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
