"""Rules for attributes, instances and classes: `self.x`, `module.CONST`,
`Class.CONST`, `obj.attr` of an in-repo class (its methods, properties, base
classes and subclasses), Enum members, `Namespace(...)` keywords and
`getattr`; and the class hierarchy (`_bases`, `_subclasses`, `_derives`) that
calls.py uses to find the calls that run a method.
"""
from __future__ import annotations

import ast
from collections.abc import Callable

from miner.records import Resolution, Scope, ScopeKind
from miner.resolve.candidates import Candidate, Ctx, _conditional, wrap
from miner.resolve.repo import FileView
from miner.resolve.syntax import _call_arg, _dotted, parse_expr

_NAMESPACES = frozenset({"Namespace", "SimpleNamespace", "EasyDict", "edict", "AttrDict", "Munch", "DotMap",
                         "ConfigDict", "Box"})


class Attributes:
    """Evaluation of attributes and in-repo classes (mixed into `Evaluator`, evaluate.py)."""

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

    def _properties(self, view: FileView, cls: Scope, attr: str, ctx: Ctx) -> list[Candidate]:
        """`obj.attr` where the class defines `attr` as a property."""
        return [c for m in view.methods_of(cls) if m.name == attr and any(
                    d.rsplit(".", 1)[-1] in ("property", "cached_property") for d in m.decorators)
                for c in self._returns(view, m, ctx)]

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


def _own_class(node: ast.Attribute) -> str | None:
    """`type(self).X` and `self.__class__.X` as `self.X`."""
    value = node.value
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "type" \
            and len(value.args) == 1 and isinstance(value.args[0], ast.Name) and value.args[0].id == "self":
        return f"self.{node.attr}"
    dotted = _dotted(node)
    return "self." + dotted[len("self.__class__."):] if dotted and dotted.startswith("self.__class__.") else dotted
