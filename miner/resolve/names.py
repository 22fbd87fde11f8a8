"""Rules for names, scopes and imports: what a name holds in a scope (its
parameter, its bindings, the imports and star imports that bring it, the
settings files that `exec` runs), the names another module of the repository
defines (`_imported`, `_module_attr`, `_in_module`), and which file defines a
dotted name (`_qualify`, `_defining_view`).
"""
from __future__ import annotations

import ast
from dataclasses import replace

from miner.extract.python import EXEC_ANY
from miner.records import BindKind, Binding, Resolution, ScopeKind
from miner.resolve.candidates import Candidate, Ctx, MAX_CANDIDATES, MAX_DEPTH, _DEEP, wrap
from miner.resolve.repo import FileView, visible_at
from miner.resolve.syntax import _is_param, parse_expr


class Names:
    """Evaluation of names through scopes and imports (mixed into `Evaluator`, evaluate.py)."""

    def _eval_Name(self, node: ast.Name, ctx: Ctx) -> list[Candidate]:
        return self.lookup(node.id, ctx)

    def lookup(self, name: str, ctx: Ctx) -> list[Candidate]:
        """Every value `name` can have in `ctx.scope` (at `ctx.line`), innermost scope first."""
        at = (ctx.at.guards, ctx.at.direct) if ctx.at is not None else None
        return self._summarised(("name", ctx.view.path, ctx.scope, name, ctx.line, at), ctx,
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
            here = scope_id == ctx.scope
            bindings = visible_at(view.bindings.get((scope_id, name), []), ctx.line if here else None,
                                  at=ctx.at if here else None)
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
                sub = ctx
                if b.direct and isinstance(target, ast.Name) and _mentions(value, name):
                    sub = _just_before(b, name, sub)  # `x += "-big"`, `x = x + "-big"`
                sub = self.narrow.pinned(b.guards, b.line, sub) if b.guards else sub
                out += self._bound_value(value, sub) if sub is not None else []  # None: a branch never taken
        return out

    def _bound_value(self, value: ast.expr, ctx: Ctx) -> list[Candidate]:
        """A name bound to `parser.parse_args()`-like results is a namespace, not a
        value; anything else is followed as a constant."""
        return wrap(self.eval(value, ctx), Resolution.CONSTANT)

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
        (`from .backbones import load` in a package's `__init__.py`). The facts
        do not change while a repository resolves: each answer is kept."""
        key = (module, name, importer, depth)
        if key not in self._defining_memo:
            self._defining_memo[key] = self._find_defining_view(module, name, importer, depth)
        return self._defining_memo[key]

    def _find_defining_view(self, module: str, name: str, importer: str, depth: int) -> FileView | None:
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


def _mentions(node: ast.expr, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _just_before(b: Binding, name: str, ctx: Ctx) -> Ctx:
    """Where a binding that reads its own name (`x = x + "-big"`) reads it: at its
    line, from the bindings before it (none in a loop: `b` is direct). The cycle
    key of the lookup that reached it is lifted (lines only go back, and the
    binding's own key stops a loop)."""
    key = ("before", ctx.view.path, b.scope, b.line, name)
    return Ctx(ctx.view, b.scope, ctx.depth + 1, (ctx.seen - {(ctx.view.path, b.scope, name)}) | {key}, b.line,
               at=b) if key not in ctx.seen else ctx
