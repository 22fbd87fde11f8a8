"""Refactorings that do not change what a program loads, applied to fixture repositories.

Each refactoring takes a repository's files (path -> text) and returns a variant
(or None where it does not apply): the same program, with its code moved or
wrapped. Mined, a variant must give the same set of (api, model_id) as the
original. The codemods use libcst, so comments and layout stay as written.

  move:import / move:from / move:star / move:package
      a top-level function or class moves into a new module, imported back
      with `import m` (uses become `m.F`), `from m import F`, `from m import *`,
      or through a package `__init__.py` that re-exports it
  wrap:init / wrap:classmethod / wrap:staticmethod
      a module-level statement that calls a loading API runs inside a class's
      `__init__`, a classmethod or a staticmethod, called at once
  kwargs
      a loading call goes through `def f(*args, **kwargs): return CALL(*args, **kwargs)`
  rebind
      a string argument becomes a variable, rebound to a decoy id after the call
  constant
      a module-level string constant moves into a module of its own

A refactoring is applied only where the variant is the same program: a
definition moves only if the names it uses are builtins or imports (which move
with it), and a statement is wrapped only if nothing else reads what it binds.
"""
from __future__ import annotations

import builtins
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

Files = dict[str, str]
DECOY = "metamorphic-decoy/not-loaded"


@dataclass(frozen=True)
class Variant:
    name: str  # the refactoring
    files: Files
    note: str  # what was changed, for failure messages


def parse(text: str) -> cst.Module | None:
    try:
        return cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None


# -- what a module binds and uses ---------------------------------------------


def _names(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            found.add(n.value)

    node.visit(Visitor())
    return found


def _top_bindings(module: cst.Module) -> dict[str, int]:
    """Names bound at the top level (assignments, defs, classes, for targets), with counts."""
    counts: dict[str, int] = {}

    def add(target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            counts[target.value] = counts.get(target.value, 0) + 1
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                add(el.value)

    for stmt in module.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            counts[stmt.name.value] = counts.get(stmt.name.value, 0) + 1
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        add(t.target)
                elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                    add(small.target)
        elif isinstance(stmt, (cst.For, cst.If, cst.While, cst.With, cst.Try)):
            for name in _assigned_inside(stmt):
                counts[name] = counts.get(name, 0) + 2  # bound in a branch: never "once"
    return counts


def _assigned_inside(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_AssignTarget(self, n: cst.AssignTarget) -> None:
            found.update(_names(n.target))

        def visit_For(self, n: cst.For) -> None:
            found.update(_names(n.target))

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            found.add(n.name.value)
            return False

        def visit_ClassDef(self, n: cst.ClassDef) -> bool:
            found.add(n.name.value)
            return False

    node.visit(Visitor())
    return found


def _import_lines(module: cst.Module) -> list[tuple[cst.SimpleStatementLine, set[str]]]:
    """Top-level import statements, with the names each binds."""
    out = []
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 \
                and isinstance(stmt.body[0], (cst.Import, cst.ImportFrom)):
            imp = stmt.body[0]
            if isinstance(imp, cst.ImportFrom) and isinstance(imp.names, cst.ImportStar):
                out.append((stmt, {"*"}))
                continue
            bound = set()
            for alias in imp.names:
                if alias.asname is not None:
                    bound.add(cst.ensure_type(alias.asname.name, cst.Name).value)
                else:
                    bound.add(_dotted(alias.name).split(".")[0])
            out.append((stmt, bound))
    return out


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _relative_imports(module: cst.Module) -> bool:
    return any(isinstance(s.body[0], cst.ImportFrom) and s.body[0].relative for s, _ in _import_lines(module))


def _module_name(path: str) -> str:
    return path[:-3].replace("/", ".")


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] + "/" if "/" in path else ""


_BUILTINS = frozenset(dir(builtins)) | {"self", "cls", "__name__", "__file__"}


# -- move a definition into another module ------------------------------------


def _movable(module: cst.Module, files: Files, path: str) -> list[tuple[int, str, list[cst.SimpleStatementLine]]]:
    """Top-level defs (index, name, the import lines they need) that can move:
    every name they use that the module binds is an import or their own."""
    imports = _import_lines(module)
    if any("*" in bound for _, bound in imports) or _relative_imports(module):
        return []
    imported = {n for _, bound in imports for n in bound}
    top = _top_bindings(module)
    out = []
    for i, stmt in enumerate(module.body):
        if not isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        name = stmt.name.value
        used = _names(stmt)
        inner = _assigned_inside(stmt.body) | _params(stmt)
        foreign = {n for n in used if n in top and n not in imported and n != name and n not in inner}
        if foreign or top.get(name, 0) != 1 or name.startswith("_"):
            continue
        if _subclassed_or_global(name, module, stmt):
            continue
        needed = [s for s, bound in imports if bound & used]
        out.append((i, name, needed))
    return out


def _params(stmt: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_Param(self, n: cst.Param) -> None:
            found.add(n.name.value)

    stmt.visit(Visitor())
    return found


def _subclassed_or_global(name: str, module: cst.Module, stmt: cst.CSTNode) -> bool:
    """A `global` statement inside: moving would change which module it writes."""
    code = module.code_for_node(stmt)
    return bool(re.search(r"^\s*(global|nonlocal)\b", code, re.M))


class _Qualify(cst.CSTTransformer):
    """`F` -> `m.F` for loads of a moved name (not attributes, not keywords)."""

    def __init__(self, name: str, module: str):
        self.name, self.module = name, module
        self.depth_attr = 0

    def visit_Attribute(self, node: cst.Attribute) -> None:
        pass

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        # the `.attr` part is a Name too; put back what was there
        if isinstance(original.attr, cst.Name) and original.attr.value == self.name:
            return updated.with_changes(attr=original.attr)
        return updated

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Param(self, original: cst.Param, updated: cst.Param) -> cst.Param:
        return updated.with_changes(name=original.name)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if original.value == self.name:
            return cst.Attribute(value=cst.Name(self.module), attr=cst.Name(self.name))
        return updated


def move_definition(files: Files, rng: random.Random, style: str) -> Variant | None:
    choices = []
    for path in sorted(files):
        if not path.endswith(".py") or path.endswith("__init__.py"):
            continue
        module = parse(files[path])
        if module is None:
            continue
        for i, name, needed in _movable(module, files, path):
            if style == "import" and any(name in text for p, text in files.items() if p != path):
                continue  # other files import it from here: `import m` would not re-bind it
            choices.append((path, module, i, name, needed))
    if not choices:
        return None
    path, module, i, name, needed = rng.choice(choices)
    stmt = module.body[i]
    folder = _folder(path)
    new_name = f"moved_{name.lower()}"
    header = "".join(module.code_for_node(s) for s in needed)
    body = module.code_for_node(stmt)
    rest = list(module.body[:i]) + list(module.body[i + 1:])
    out = dict(files)
    if style == "package":
        pkg = f"{new_name}_pkg"
        out[f"{folder}{pkg}/__init__.py"] = f"from .impl import {name}\n"
        out[f"{folder}{pkg}/impl.py"] = header + "\n\n" + body
        line = f"from {'.' if f'{folder}__init__.py' in files else ''}{pkg} import {name}\n"
    else:
        out[f"{folder}{new_name}.py"] = header + "\n\n" + body
        dot = "." if f"{folder}__init__.py" in files else ""  # in a package, a sibling is imported relatively
        line = {"import": f"from . import {new_name}\n" if dot else f"import {new_name}\n",
                "from": f"from {dot}{new_name} import {name}\n", "star": f"from {dot}{new_name} import *\n"}[style]
    remaining = module.with_changes(body=rest)
    if style == "import":
        remaining = remaining.visit(_Qualify(name, new_name))
    out[path] = _insert_after_imports(remaining, line)
    return Variant(f"move:{style}", out, f"{path}: {name} -> {new_name}")


def _insert_after_imports(module: cst.Module, line: str) -> str:
    body = list(module.body)
    at = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], (cst.Import, cst.ImportFrom)):
            at = i + 1
        elif i == 0 and isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Expr) \
                and isinstance(stmt.body[0].value, cst.SimpleString):
            at = 1  # after the docstring
    new = cst.parse_statement(line)
    return module.with_changes(body=body[:at] + [new] + body[at:]).code


# -- wrap a module-level loading statement ----------------------------------------


_LOADING = re.compile(r"\b(from_pretrained|pipeline|hf_hub_download|snapshot_download|SentenceTransformer|load)\s*\(")


def _wrappable(module: cst.Module, files: Files, path: str) -> list[int]:
    """Module-level simple statements that call something like a loading API, bind
    nothing that is read elsewhere, and read only names bound once."""
    top = _top_bindings(module)
    code = module.code
    out = []
    for i, stmt in enumerate(module.body):
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        if not isinstance(small, (cst.Assign, cst.Expr)):
            continue
        text = module.code_for_node(stmt)
        if not _LOADING.search(text) or "expect" not in text:
            continue
        bound = set()
        if isinstance(small, cst.Assign):
            for t in small.targets:
                bound |= _names(t.target)
        read = _names(small.value)
        if any(top.get(n, 0) > 1 for n in read if n in top):
            continue  # a name rebound later: a function run at once sees the value at its call
        if any(len(re.findall(rf"\b{re.escape(n)}\b", code)) > 1 for n in bound):
            continue
        if any(re.search(rf"\b{re.escape(n)}\b", t) for n in bound for p, t in files.items() if p != path):
            continue
        out.append(i)
    return out


def wrap_statement(files: Files, rng: random.Random, style: str) -> Variant | None:
    choices = []
    for path in sorted(files):
        if path.endswith(".py"):
            module = parse(files[path])
            if module is not None:
                choices += [(path, module, i) for i in _wrappable(module, files, path)]
    if not choices:
        return None
    path, module, i = rng.choice(choices)
    stmt = module.body[i]
    text = module.code_for_node(stmt).strip("\n")
    indented = "\n".join("        " + line for line in text.split("\n"))
    cls = f"_Wrapped{i}"
    if style == "init":
        code = f"class {cls}:\n    def __init__(self):\n{indented}\n\n\n{cls}()\n"
    else:
        first = "cls" if style == "classmethod" else ""
        code = f"class {cls}:\n    @{style}\n    def run({first}):\n{indented}\n\n\n{cls}.run()\n"
    new = cst.parse_module(code).body
    body = list(module.body[:i]) + list(new) + list(module.body[i + 1:])
    out = dict(files)
    out[path] = module.with_changes(body=body).code
    return Variant(f"wrap:{style}", out, f"{path}: statement {i + 1} in {style}")


# -- pass through *args / **kwargs ---------------------------------------------------


class _Reroute(cst.CSTTransformer):
    """The first loading call of a statement, called through `helper`."""

    def __init__(self, helper: str):
        self.helper = helper
        self.done = False

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = _dotted(original.func)
        if self.done or not name or not _LOADING.search(name + "("):
            return updated
        self.done = True
        self.callee = cst.Module([]).code_for_node(original.func)
        return updated.with_changes(func=cst.Name(self.helper))


def through_kwargs(files: Files, rng: random.Random) -> Variant | None:
    choices = []
    for path in sorted(files):
        if path.endswith(".py"):
            module = parse(files[path])
            if module is not None:
                choices += [(path, module, i) for i in _wrappable(module, files, path)]
    if not choices:
        return None
    path, module, i = rng.choice(choices)
    helper = f"_forward{i}"
    reroute = _Reroute(helper)
    stmt = module.body[i].visit(reroute)
    if not reroute.done:
        return None
    wrapper = cst.parse_module(f"def {helper}(*args, **kwargs):\n    return {reroute.callee}(*args, **kwargs)\n").body
    body = list(module.body[:i]) + list(wrapper) + [stmt] + list(module.body[i + 1:])
    out = dict(files)
    out[path] = module.with_changes(body=body).code
    return Variant("kwargs", out, f"{path}: statement {i + 1} through **kwargs")


# -- rebind a variable after the call -----------------------------------------------


class _FirstString(cst.CSTTransformer):
    def __init__(self, name: str):
        self.name = name
        self.value: str | None = None

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        if self.value is None and isinstance(original.value, cst.SimpleString) and "/" in original.value.value:
            self.value = original.value.value
            return updated.with_changes(value=cst.Name(self.name))
        return updated


def rebind(files: Files, rng: random.Random) -> Variant | None:
    choices = []
    for path in sorted(files):
        if path.endswith(".py"):
            module = parse(files[path])
            if module is not None:
                choices += [(path, module, i) for i in _wrappable(module, files, path)]
    rng.shuffle(choices)
    for path, module, i in choices:
        name = f"_rebound{i}"
        first = _FirstString(name)
        stmt = module.body[i].visit(first)
        if first.value is None:
            continue
        before = cst.parse_statement(f"{name} = {first.value}\n")
        after = cst.parse_statement(f"{name} = {DECOY!r}\n")
        body = list(module.body[:i]) + [before, stmt, after] + list(module.body[i + 1:])
        out = dict(files)
        out[path] = module.with_changes(body=body).code
        return Variant("rebind", out, f"{path}: {first.value} through {name}, rebound after")
    return None


# -- split a constant into a module of its own ---------------------------------------


def split_constant(files: Files, rng: random.Random) -> Variant | None:
    choices = []
    for path in sorted(files):
        if not path.endswith(".py"):
            continue
        module = parse(files[path])
        if module is None or _relative_imports(module):
            continue
        top = _top_bindings(module)
        for i, stmt in enumerate(module.body):
            if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign):
                assign = stmt.body[0]
                if len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name) \
                        and isinstance(assign.value, cst.SimpleString) and top.get(assign.targets[0].target.value) == 1:
                    choices.append((path, module, i, assign.targets[0].target.value))
    if not choices:
        return None
    path, module, i, name = rng.choice(choices)
    folder = _folder(path)
    new_name = f"const_{name.lower()}"
    out = dict(files)
    out[f"{folder}{new_name}.py"] = module.code_for_node(module.body[i])
    rest = module.with_changes(body=list(module.body[:i]) + list(module.body[i + 1:]))
    dot = "." if f"{folder}__init__.py" in files else ""
    out[path] = _insert_after_imports(rest, f"from {dot}{new_name} import {name}\n")
    return Variant("constant", out, f"{path}: {name} -> {new_name}.py")


REFACTORINGS: dict[str, Callable[[Files, random.Random], Variant | None]] = {
    "move:import": lambda f, r: move_definition(f, r, "import"),
    "move:from": lambda f, r: move_definition(f, r, "from"),
    "move:star": lambda f, r: move_definition(f, r, "star"),
    "move:package": lambda f, r: move_definition(f, r, "package"),
    "wrap:init": lambda f, r: wrap_statement(f, r, "init"),
    "wrap:classmethod": lambda f, r: wrap_statement(f, r, "classmethod"),
    "wrap:staticmethod": lambda f, r: wrap_statement(f, r, "staticmethod"),
    "kwargs": through_kwargs,
    "rebind": rebind,
    "constant": split_constant,
}


def variants(files: Files, seed: str) -> list[Variant]:
    """Every refactoring that applies to `files`, each once, chosen with `seed`."""
    out = []
    for name, refactor in REFACTORINGS.items():
        variant = refactor(files, random.Random(f"{seed}:{name}"))
        if variant is not None:
            out.append(variant)
    return out
