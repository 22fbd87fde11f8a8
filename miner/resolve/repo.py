"""A repository's facts, indexed for resolution.

`FileView` answers questions about one file (what a name is bound to in a
scope, what an import alias stands for); `RepoView` joins the files: modules by
name, in-repo callers of a function, CLI option definitions, dataclass fields,
shell command lines and config values.
"""
from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from functools import cached_property

from miner.records import (
    Binding, BindKind, CallSite, ConfigValue, FileFacts, FileKind, Guard, Import, Scope, ScopeKind, ShellArg, ShellVar,
)
from miner.extract.python import EXEC_ALIAS
from miner.extract.shell import sets_environment
from miner.resolve.modules import ModuleIndex, settings_file
from miner.resolve.sourced import shell_args_with_sources


class FileView:
    def __init__(self, facts: FileFacts):
        self.facts = facts
        self.path = facts.path
        self.scopes: tuple[Scope, ...] = facts.scopes or (Scope(0, None, ScopeKind.MODULE, "", 1),)
        self.bindings: dict[tuple[int, str], list[Binding]] = defaultdict(list)
        for b in facts.bindings:
            for name in target_names(b.target):
                self.bindings[(b.scope, name)].append(b)
        self.imports: dict[tuple[int, str], Import] = {}
        self.star_imports: list[str] = []
        self.exec_imports: dict[int, list[Import]] = defaultdict(list)  # `exec(open("f.py").read())`, by scope
        for imp in facts.imports:
            if imp.alias == "*":
                self.star_imports.append(imp.target)
            elif imp.alias == EXEC_ALIAS:
                self.exec_imports[imp.scope].append(imp)
            else:
                self.imports.setdefault((imp.scope, imp.alias), imp)
        self.defs: dict[str, list[Scope]] = defaultdict(list)
        for scope in self.scopes[1:]:
            self.defs[scope.name].append(scope)
        self._chains: dict[int, list[int]] = {}

    def chain(self, scope: int) -> list[int]:
        """The scopes whose names are visible from `scope`, innermost first
        (class bodies are not visible from the methods inside them)."""
        if scope not in self._chains:
            self._chains[scope] = self._chain(scope)
        return self._chains[scope]

    def _chain(self, scope: int) -> list[int]:
        out = [scope]
        parent = self.scopes[scope].parent if scope < len(self.scopes) else None
        while parent is not None:
            if self.scopes[parent].kind != ScopeKind.CLASS:
                out.append(parent)
            parent = self.scopes[parent].parent
        if out[-1] != 0:
            out.append(0)
        return out

    def enclosing_class(self, scope: int) -> Scope | None:
        s: int | None = scope
        while s is not None:
            if self.scopes[s].kind == ScopeKind.CLASS:
                return self.scopes[s]
            s = self.scopes[s].parent
        return None

    def methods_of(self, cls: Scope) -> list[Scope]:
        return [s for s in self.scopes if s.parent == cls.id and s.kind == ScopeKind.FUNCTION]

    def qualify(self, dotted: str, scope: int, line: int | None = None) -> str | None:
        """`AM.from_pretrained` -> `transformers.AutoModel.from_pretrained`
        through the import aliases visible from `scope` (at `line`, if given);
        None if the head name is not imported (a local variable, a builtin), or
        an unconditional assignment or definition after the import shadows it."""
        head, dot, rest = dotted.partition(".")
        for s in self.chain(scope):
            imp = self.imports.get((s, head))
            if imp is not None:
                return None if self._shadowed(s, head, imp.line, line if s == scope else None) else imp.target + dot + rest
            if (s, head) in self.bindings or self._defines(s, head):
                return None
        # `import a.b` binds `a` but is recorded under `a.b` too: try the longest.
        for s in self.chain(scope):
            for alias_len in range(dotted.count("."), 0, -1):
                alias = ".".join(dotted.split(".")[: alias_len + 1])
                imp = self.imports.get((s, alias))
                if imp is not None:
                    return imp.target + dotted[len(alias):]
        return None

    def binds(self, name: str, scope: int) -> bool:
        """`name` is imported, assigned or defined in `scope` or around it
        (then a star import does not provide it)."""
        return any((s, name) in self.imports or (s, name) in self.bindings or self._defines(s, name)
                   for s in self.chain(scope))

    def _defines(self, scope: int, name: str) -> bool:
        return any(d.parent == scope for d in self.defs.get(name, ()))

    def _shadowed(self, scope: int, name: str, after: int, before: int | None) -> bool:
        """A plain `name = ...` or `def name` between an import and its use.
        (A binding in a branch, like `except ImportError: X = None`, is not.)"""
        lines = [b.line for b in self.bindings.get((scope, name), ()) if b.top and b.kind != BindKind.FOR]
        lines += [d.line for d in self.defs.get(name, ()) if d.parent == scope]
        return any(after < n and (before is None or n < before) for n in lines)

    @cached_property
    def calls_by_scope(self) -> dict[int, list[CallSite]]:
        out: dict[int, list[CallSite]] = defaultdict(list)
        for call in self.facts.calls:
            out[call.scope].append(call)
        return out


_LOAD_CALL = re.compile(r"\b(safe_load|load|full_load|load_all|from_yaml|from_json|read_config|load_config|"
                        r"OmegaConf\.\w+|toml\.load|tomllib\.load|json\.loads?|yaml\.\w+)\b")


class RepoView:
    def __init__(self, files: list[FileFacts]):
        self.files = {f.path: FileView(f) for f in files if f.kind in (FileKind.PYTHON, FileKind.NOTEBOOK)}
        self.modules = ModuleIndex(files)
        self._files = files
        self.shell_args: list[tuple[str, ShellArg]] = shell_args_with_sources(files)
        self.config_values: list[tuple[str, ConfigValue]] = [(f.path, v) for f in files for v in f.config_values]
        self.config_paths = frozenset(f.path for f in files if f.kind == FileKind.CONFIG)
        self.memo: dict[tuple, object] = {}  # what a rule worked out about the repository, by its own key

    def view(self, path: str) -> FileView | None:
        return self.files.get(path)

    def module(self, module: str, *, importer: str) -> FileView | None:
        facts = self.modules.find(module, importer=importer)
        return self.files.get(facts.path) if facts is not None else None

    @cached_property
    def callers(self) -> dict[str, list[tuple[FileView, CallSite]]]:
        """Calls by the callee's last name, for in-repo call_arg resolution."""
        out: dict[str, list[tuple[FileView, CallSite]]] = defaultdict(list)
        for view in self.files.values():
            for call in view.facts.calls:
                out[call.callee.rsplit(".", 1)[-1]].append((view, call))
        return out

    @cached_property
    def subclasses(self) -> dict[str, list[tuple[FileView, Scope]]]:
        """Classes by the last name of each of their bases (`nn.Module` -> `Module`)."""
        out: dict[str, list[tuple[FileView, Scope]]] = defaultdict(list)
        for view in self.files.values():
            for scope in view.scopes:
                if scope.kind == ScopeKind.CLASS:
                    for base in scope.bases:
                        out[base.rsplit(".", 1)[-1]].append((view, scope))
        return out

    @cached_property
    def cli_options(self) -> dict[str, list[tuple[FileView, CallSite]]]:
        """argparse `add_argument` and absl `DEFINE_*` calls, by destination name."""
        out: dict[str, list[tuple[FileView, CallSite]]] = defaultdict(list)
        for view in self.files.values():
            for call in view.facts.calls:
                last = call.callee.rsplit(".", 1)[-1]
                if last == "add_argument":
                    dest = argparse_dest(call)
                elif last.startswith("DEFINE"):
                    first = call.args[0].value if call.args and call.args[0].keyword in (None, "name") else ""
                    dest = first.strip("'\"") if first[:1] in "'\"" else None
                else:
                    continue
                if dest:
                    out[dest].append((view, call))
        return out

    @cached_property
    def neighbours(self) -> dict[str, set[str]]:
        """Files linked by an import, either way."""
        graph: dict[str, set[str]] = defaultdict(set)
        for view in self.files.values():
            for imp in view.facts.imports:
                for module in {imp.target, imp.target.rpartition(".")[0]} - {""}:
                    other = self.module(module, importer=view.path)
                    if other is not None and other is not view:
                        graph[view.path].add(other.path)
                        graph[other.path].add(view.path)
        return graph

    def nearest(self, found: list, path: str) -> list:
        """Of definitions found across the repository (tuples whose first item is
        a FileView), those that can concern code in `path`: in the same file,
        else in files one or two imports away, else the only file that has any."""
        if not found:
            return []
        same = [f for f in found if f[0].path == path]
        if same:
            return same
        near = self.neighbours.get(path, set())
        for ring in (near, near | {p for n in near for p in self.neighbours.get(n, ())}):
            close = [f for f in found if f[0].path in ring]
            if close:
                return close
        return found if len({f[0].path for f in found}) == 1 else []

    @cached_property
    def set_defaults(self) -> list[tuple[FileView, CallSite]]:
        return [(v, c) for v in self.files.values() for c in v.facts.calls if c.callee.endswith("set_defaults")]

    @cached_property
    def class_fields(self) -> dict[str, list[tuple[FileView, Scope, Binding]]]:
        """Class-body assignments (dataclass fields, class constants), by name."""
        out: dict[str, list[tuple[FileView, Scope, Binding]]] = defaultdict(list)
        for view in self.files.values():
            for (scope_id, target), bindings in view.bindings.items():
                scope = view.scopes[scope_id]
                if scope.kind == ScopeKind.CLASS:
                    for b in bindings:
                        out[target].append((view, scope, b))
        return out

    @cached_property
    def settings_files(self) -> dict[str, list[tuple[FileView, Binding]]]:
        """Top-level assignments of the Python files in config folders that define
        nothing (`config/train_small.py`: `init_from = "gpt2"`), by name: what a
        file run by `exec` at run time can set."""
        found: dict[str, list[tuple[FileView, Binding]]] = defaultdict(list)
        for view in self.files.values():
            if settings_file(view.path) and len(view.scopes) == 1:
                for b in view.facts.bindings:
                    if b.scope == 0 and b.kind == BindKind.ASSIGN:
                        found[b.target].append((view, b))
        return found

    @cached_property
    def dotenv(self) -> dict[str, list[tuple[str, ShellVar]]]:
        """`KEY=value` lines of the repository's dotenv files (`.env.example`)
        and Dockerfiles (`ENV KEY=value`), by KEY."""
        found: dict[str, list[tuple[str, ShellVar]]] = defaultdict(list)
        for f in self._files:
            if f.kind == FileKind.SHELL and sets_environment(f.path):
                for var in f.shell_vars:
                    found[var.name].append((f.path, var))
        return found

    @cached_property
    def env_assignments(self) -> dict[str, list[tuple[FileView, Binding]]]:
        """`os.environ["KEY"] = value` anywhere in the repository, by KEY."""
        found: dict[str, list[tuple[FileView, Binding]]] = defaultdict(list)
        for view in self.files.values():
            for b in view.facts.bindings:
                match = _ENV_TARGET.match(b.target) if "environ" in b.target else None
                if match and view.qualify(match.group(1), b.scope, b.line) == "os.environ":
                    found[match.group(3)].append((view, b))
        return found

    def shell_args_for(self, script_path: str, option: str) -> list[tuple[str, ShellArg]]:
        """Shell command lines that run `script_path` with `option`."""
        base = posixpath.basename(script_path)
        module = script_path[:-3].replace("/", ".") if script_path.endswith(".py") else script_path
        out = []
        for path, arg in self.shell_args:
            if arg.option.lstrip("-").replace("-", "_") != option.lstrip("-").replace("-", "_"):
                continue
            program = arg.program or ""
            if posixpath.basename(program) == base or (program.startswith("-m ") and module.endswith(program[3:])):
                out.append((path, arg))
        return out


_NAME = re.compile(r"[A-Za-z_]\w*")
_ENV_TARGET = re.compile(r"""^((?:\w+\.)?environ)\[\s*(["'])([^"'\\]+)\2\s*\]$""")


def target_names(target: str) -> list[str]:
    """The names an assignment target binds: itself, or each name of a tuple."""
    if "," not in target and not target.startswith(("(", "[")):
        return [target]
    return [m.group(0) for m in _NAME.finditer(target)]


def visible_at(bindings: list[Binding], line: int | None, *, at: Binding | None = None) -> list[Binding]:
    """The bindings that can still hold at `line` of the same scope (None: the
    end of the scope): the last one made directly in the scope body before it,
    and any made after that in a branch or loop, less those that an `if`
    with an `else` rebinds in every branch. A use before every binding (a
    function that runs later) sees them all. Read for the binding `at` (at its
    own line), not those in another branch of an `if` around it."""
    if line is None:
        before = bindings
    else:
        before = [b for b in bindings if b.line < line]
        if not before:
            return [] if at is not None else bindings  # `at` runs before any later binding
    if at is not None and at.direct:
        before = [b for b in before if not _exclusive(b, at)]
    tops = [b for b in before if b.top]
    if tops:
        last = max(b.line for b in tops)
        before = [b for b in before if b.line >= last]
    branched = [b for b in before if b.direct and b.guards]
    return [b for b in before if not _rebound(b, branched)] if len(branched) > 1 else before


def _exclusive(a: Binding, b: Binding) -> bool:
    """Bindings in different branches of one `if`, neither in a loop: one pass
    through the scope runs at most one of them."""
    if not a.direct:
        return False
    held = {g.line: g.holds for g in a.guards}
    return any(held.get(g.line, g.holds) != g.holds for g in b.guards)


def _rebound(first: Binding, branched: list[Binding]) -> bool:
    """Whether every branch of some `if`/`elif`/`else` after `first` rebinds
    the name directly, where `first` ran: then `first` is never what it holds."""
    later = {b.guards for b in branched if b.line > first.line}
    for guards in later:
        for cut in range(len(first.guards) + 1):
            outer, chain = guards[:cut], guards[cut:]
            if outer != first.guards[:cut] or not chain or any(g.holds for g in chain):
                continue  # not where `first` ran, or not an `else` branch
            if all(outer + chain[:k] + (Guard(g.test, True, g.line),) in later for k, g in enumerate(chain)):
                return True
    return False


def argparse_dest(call: CallSite) -> str | None:
    """The attribute name `add_argument` stores into: `dest=`, else the first
    long option with dashes made underscores, else the positional name."""
    names: list[str] = []
    for arg in call.args:
        if arg.keyword == "dest":
            return arg.value.strip("'\"")
        if arg.keyword is None and arg.value[:1] in "'\"":
            names.append(arg.value.strip("'\""))
    longs = [n for n in names if n.startswith("--")]
    chosen = longs[0] if longs else (names[0] if names else "")
    return chosen.lstrip("-").replace("-", "_") or None


def is_config_load(text: str) -> bool:
    return bool(_LOAD_CALL.search(text))
