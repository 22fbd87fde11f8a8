"""Rules for values that come from outside the code: command-line options
(argparse, absl, click, typer and `fire.Fire` defaults and choices, dataclass
argument fields), the shell scripts that pass them, environment variables
(getters, dotenv files, `os.environ[...] = ...`), `sys.argv`, Gradio and
Streamlit inputs, the values a test runner calls a test with (pytest's
`parametrize`, `parameterized.expand`), and config files (YAML/JSON/TOML,
Hydra groups).
"""
from __future__ import annotations

import ast
import itertools
import re

from miner.records import Binding, CallSite, Resolution, Scope, ScopeKind
from miner.resolve.candidates import Candidate, Ctx, MAX_CALLERS, _conditional, wrap
from miner.resolve.repo import FileView, is_config_load
from miner.resolve.syntax import _argument, _call_arg, _callee_name, _dotted, _is_method, parse_expr

_UI_EVENTS = ("click", "submit", "change")  # gradio: `component.click(fn, inputs=[...])`
_UI_COMPONENTS_WITH_CHOICES = frozenset({"Dropdown", "Radio", "CheckboxGroup"})  # gradio: choices come first
_PARAMETRIZE = frozenset({"pytest.mark.parametrize", "_pytest.mark.parametrize"})
_EXPAND = frozenset({"parameterized.parameterized.expand", "parameterized.parameterized", "parameterized.expand"})


class Sources:
    """Evaluation of CLI, environment, UI, shell and config sources (mixed into `Evaluator`, evaluate.py)."""

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

    def _parametrized(self, scope: Scope, name: str, ctx: Ctx) -> list[Candidate]:
        """The values a test runner calls a test with: pytest's
        `@pytest.mark.parametrize("a, b", [...])` on the test or its class
        (`pytest.param(...)` items too), and `@parameterized.expand([...])`,
        whose items bind the parameters in order. Read as the loop it is:
        `for a, b in [...]: test(a, b)`."""
        view = ctx.view
        holders = [scope, view.scopes[scope.parent]] if _is_method(view, scope) else [scope]
        out: list[Candidate] = []
        for holder in holders:
            where = holder.parent if holder.parent is not None else 0
            for deco in holder.decorators:
                node = parse_expr(deco)
                dotted = _dotted(node.func) if isinstance(node, ast.Call) else None
                qualified = view.qualify(dotted, where) if dotted else None
                if qualified in _PARAMETRIZE:
                    loops = _pytest_loop(node)
                elif qualified in _EXPAND and holder is scope:
                    loops = _expand_loop(node, scope, view)
                else:
                    continue
                key = ("parametrize", view.path, holder.id, deco)
                if loops is None or self._cut(key, ctx):
                    continue
                targets, values = loops
                rows = self.iterate(values, ctx.deeper(key, scope=where))
                for target in targets:  # a tuple target takes the rows of its width
                    out += wrap(self._unpack(target, name, rows), Resolution.LOOP)
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

    def _namespace_item(self, container: ast.expr, key: ast.expr | None, ctx: Ctx) -> list[Candidate] | None:
        """`vars(args)["model"]`, `args = parser.parse_args().__dict__` then
        `args.get("model")` or `args.pop("model")`: the option, as `args.model`
        (None where `container` is no such dict)."""
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.isidentifier()):
            return None
        if not _is_namespace_dict(container):
            if not isinstance(container, ast.Name):
                return None
            view = ctx.view
            bindings = next((found for s in view.chain(ctx.scope) if (found := view.bindings.get((s, container.id)))), [])
            if not bindings or not all(_is_namespace_dict(parse_expr(b.value)) for b in bindings):
                return None
        return self._cli_attribute(ast.Attribute(value=ast.Name("args"), attr=key.value), ctx)

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

    def _ui_choice(self, node: ast.Call, ctx: Ctx) -> list[Candidate]:
        """`st.selectbox("Model", ["a", "b"])`: whichever option the user picks."""
        options = _call_arg(node, 1, "options")
        if options is None:
            return []
        rows = self.iterate(options, ctx.deeper())
        return _conditional([c for row in rows for cell in row for c in cell if c.value is not None])

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


def _runs_gradio(view: FileView, call: CallSite) -> bool:
    """`gr.Interface(...)`, or an event method in a file that imports gradio."""
    if call.callee.rsplit(".", 1)[-1] == "Interface":
        return view.qualify(call.callee, call.scope) == "gradio.Interface"
    return "." in call.callee and any(i.target.split(".")[0] == "gradio" for i in view.facts.imports)


def _looks_like_args_class(scope: Scope) -> bool:
    return bool(re.search(r"(Arguments|Args|Config|Cfg|Options|Params|Settings|Hparams|HParams)$", scope.name))


def _pytest_loop(node: ast.Call) -> tuple[list[ast.expr], ast.expr] | None:
    """`parametrize(argnames, argvalues, indirect=False, ...)` as a loop
    target and iterable; None where the values go to fixtures (`indirect`),
    which may make anything of them."""
    names, values = _call_arg(node, 0, "argnames"), _call_arg(node, 1, "argvalues")
    indirect = _call_arg(node, 2, "indirect")
    if names is None or values is None or not (indirect is None or _is_false(indirect)):
        return None
    if isinstance(names, ast.Constant) and isinstance(names.value, str):
        listed = [n.strip() for n in names.value.split(",") if n.strip()]
    elif isinstance(names, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) and isinstance(e.value, str)
                                                          for e in names.elts):
        listed = [e.value.strip() for e in names.elts]
    else:
        return None
    if not listed or not all(n.isidentifier() for n in listed):
        return None
    target: ast.expr = ast.Name(listed[0]) if len(listed) == 1 else ast.Tuple([ast.Name(n) for n in listed])
    return [target], _unwrapped_params(values, single=len(listed) == 1)


def _expand_loop(node: ast.Call, scope: Scope, view: FileView) -> tuple[list[ast.expr], ast.expr] | None:
    """`parameterized.expand([(a, b), c, param(d, e)])`: an item binds the
    test's positional parameters in order, a plain value the first."""
    values = _call_arg(node, 0, "input")
    params = [p.name for p in scope.params]
    if _is_method(view, scope) and params and params[0] in ("self", "cls"):
        params = params[1:]
    positional = list(itertools.takewhile(lambda p: not p.startswith("*"), params))
    if values is None or not positional:
        return None
    values = _unwrapped_params(values, single=False)
    if isinstance(values, (ast.List, ast.Tuple)):  # a plain value is a one-item row
        values = type(values)([e if isinstance(e, (ast.Tuple, ast.List)) else ast.Tuple([e]) for e in values.elts])
    targets: list[ast.expr] = [ast.Tuple([ast.Name(p) for p in positional[:width]])
                               for width in range(1, len(positional) + 1)]
    return targets, values


def _unwrapped_params(values: ast.expr, *, single: bool) -> ast.expr:
    """A literal list of items with `pytest.param(a, b, marks=...)` (or
    parameterized's `param(a, b)`) items read as the tuples they stand for."""
    if not isinstance(values, (ast.List, ast.Tuple)):
        return values
    items = []
    for item in values.elts:
        if isinstance(item, ast.Call) and (_dotted(item.func) or "").rpartition(".")[2] == "param" and item.args:
            item = item.args[0] if single and len(item.args) == 1 else ast.Tuple(list(item.args))
        items.append(item)
    return type(values)(items)


def _is_false(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value in (False, None)


def _is_namespace_dict(node: ast.expr | None) -> bool:
    """`vars(x)` or `x.__dict__`: an object's attributes as a dict."""
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id == "vars" and len(node.args) == 1
    return isinstance(node, ast.Attribute) and node.attr == "__dict__"
