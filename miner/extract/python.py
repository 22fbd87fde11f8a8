"""Facts from one Python file, read with tree-sitter.

tree-sitter is fast and error-tolerant, so Python 2 files and broken files still
yield what is readable. Only statements are walked in Python code (imports,
definitions, assignments, loops). Calls are looked up in the tree only where
one could matter to resolution: at a name that `(` follows and that is a
registry keyword, a name this file defines or imports, or a CLI-definition call,
and at the module aliases the file imports. Expressions are kept as source
text; the resolver parses the few it needs.
"""
from __future__ import annotations

import builtins
import keyword
import re
import sys
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from time import monotonic
from dataclasses import dataclass, field

import ahocorasick_rs
import tree_sitter as ts
import tree_sitter_python as tsp

from miner.extract import budget
from miner.records import (
    Arg,
    Binding,
    BindKind,
    CallSite,
    FileFacts,
    FileKind,
    Guard,
    Import,
    Param,
    ParseStatus,
    RETURNED,
    Scope,
    ScopeKind,
)

LANGUAGE = ts.Language(tsp.language())
_CHUNK = 1 << 16  # bytes handed to the parser at a time
# A called name and the `(` after it, read backwards: in the reversed source each
# match starts at a `(`, which the regex engine finds at C speed, where a forward
# scan would backtrack through every identifier. Calls are then looked up in the
# tree at these names only, instead of a query visiting every node of the tree.
_CALLED_REVERSED = re.compile(rb"\([ \t\r\n\f\\]*([\w\x80-\xff]+)")
# A `(` that opens a line: a comment may stand between it and its callee.
_LINE_LEADING_PAREN = re.compile(rb"\n[ \t\f]*\(")
_GETATTR_CALLED = re.compile(rb"getattr(?<![\w.]getattr)[ \t]*\(")
_COMPREHENSIONS = frozenset({"list_comprehension", "set_comprehension", "dictionary_comprehension",
                             "generator_expression"})
_FUNCTION = LANGUAGE.field_id_for_name("function")
_ARGUMENTS = LANGUAGE.field_id_for_name("arguments")
_WALRUS = ts.Query(LANGUAGE, "(named_expression) @walrus")
_PY2_STATEMENTS = ts.Query(LANGUAGE, "[(print_statement) (exec_statement)] @py2")
_PY2_HINT = re.compile(rb"^[ \t]*(?:print|exec)[ \t]+[^\s(=]", re.M)

# Calls the resolver reads besides the loading APIs: CLI definitions,
# `functools.partial`, which wraps a loading API, and the Gradio events that
# run a function on input components.
RESOLVER_CALLS = frozenset(
    {
        "add_argument", "set_defaults", "add_argument_group", "Fire", "run", "partial",
        "DEFINE_string", "DEFINE_enum", "DEFINE_list", "DEFINE_multi_string", "DEFINE",
        "click", "submit", "change",
    }
)
# Receivers whose method results are never a model id: tensors, arrays, layers.
# An assignment from a call on them is not worth keeping (most ML code is these),
# unless the method is one the resolver reads values through.
_TENSOR_HEADS = frozenset({b"self", b"torch", b"np", b"numpy", b"nn", b"F", b"tf", b"jnp", b"jax", b"pd",
                           b"math", b"mx", b"paddle", b"x", b"h", b"hidden_states", b"outputs", b"logits"})
_VALUE_METHODS = frozenset({b"get", b"format", b"join", b"getenv", b"lower", b"strip", b"replace", b"pop",
                            b"setdefault", b"parse_args", b"parse_known_args", b"parse_args_into_dataclasses"})
# Libraries whose calls never feed a model id into in-repo functions.
_COMMON_LIBS = frozenset({"torch", "numpy", "np", "tensorflow", "tf", "jax", "jnp", "pandas", "pd", "scipy",
                          "sklearn", "matplotlib", "plt", "cv2", "PIL", "einops", "tqdm", "nn", "F", "wandb",
                          "mlflow", "requests", "yaml", "json", "flax", "optax", "paddle", "mindspore", "mx"})
_COMPOUND_BODIES = ("block", "else_clause", "elif_clause", "except_clause", "finally_clause",
                    "except_group_clause", "case_clause", "match_block")
_MAX_TEXT = 2000  # longest expression text kept (a giant literal is not an id)
# ... but a model zoo is a literal table of ids or URLs (`_MODELS = {"tiny": "https://..."}`):
# a list, tuple, set or dict assigned or returned is kept whole up to this size.
_MAX_TABLE_TEXT = 32 * 1024
_TABLES = frozenset({"dictionary", "list", "tuple", "set"})
_MAX_CALL_TEXT = 200


@dataclass
class _State:
    src: bytes
    scopes: list[Scope] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    scope_spans: list[tuple[int, int, int]] = field(default_factory=list)  # (start byte, end byte, scope id)
    defined: set[str] = field(default_factory=set)
    imported: set[str] = field(default_factory=set)
    module_aliases: set[str] = field(default_factory=set)
    ifs: list[ts.Node] = field(default_factory=list)  # every `if` statement
    def_names: list[int] = field(default_factory=list)  # start bytes of the names of definitions
    import_spans: list[tuple[int, int]] = field(default_factory=list)
    top: bool = True  # the statements being walked are directly in their scope's body
    direct: bool = True  # ... or in `if` branches there, with no loop, try, with or match block between
    guards: tuple[Guard, ...] = ()  # the `if` tests around them, in their scope
    star_import: bool = False  # a star import of a module whose calls are worth keeping
    opaque: set[str] = field(default_factory=set)  # names bound by assignments not kept


def _text(state: "_State", node: ts.Node | None, limit: int = _MAX_TEXT) -> str:
    # Sliced from our own copy of the source: `Node.text` copies the whole file first.
    if node is None:
        return ""
    start, end = node.start_byte, node.end_byte
    if end - start > limit:
        end = start + limit
    return state.src[start:end].decode("utf-8", errors="replace")


def _raw(state: "_State", node: ts.Node) -> bytes:
    return state.src[node.start_byte:node.end_byte]


def _line(node: ts.Node) -> int:
    return node.start_point[0] + 1


_PARSER = ts.Parser(LANGUAGE)


def extract_python(path: str, source: str, *, keywords: frozenset[str], kind: FileKind = FileKind.PYTHON) -> FileFacts:
    """All facts of one Python source text; never raises."""
    try:
        return _extract(path, source, keywords, kind)
    except (RecursionError, MemoryError, ValueError) as exc:
        return FileFacts(path=path, kind=kind, status=ParseStatus.FAILED, error=f"{type(exc).__name__}: {exc}")


def _extract(path: str, source: str, keywords: frozenset[str], kind: FileKind) -> FileFacts:
    src, defused = defuse(source.encode("utf-8", errors="replace"))
    tree = _parse(src)
    broken = tree.root_node.has_error
    if broken and len(src) <= REPARSE_MAX_BYTES:
        src, tree = _without_broken_lines(src, tree)
    root = tree.root_node
    state = _State(src=src)
    state.scopes.append(Scope(id=0, parent=None, kind=ScopeKind.MODULE, name="", line=1))
    _walk_statements(root, 0, state)
    if b":=" in src:
        _walrus_bindings(root, state)
    calls = _calls(root, state, keywords)
    loose = _loose_names(state, calls)
    opaque = _opaque_names(src) | state.opaque
    note = defused or ("syntax errors; read what parsed" if broken else _python2(src, root))
    return FileFacts(
        path=path,
        kind=kind,
        status=ParseStatus.PARTIAL if note else ParseStatus.OK,
        error=note,
        scopes=tuple(state.scopes),
        imports=tuple(state.imports),
        bindings=tuple(state.bindings),
        calls=tuple(c for c, _ in calls),
        loose=loose,
        opaque=frozenset(opaque),
    )


MAX_REPARSES = 4
REPARSE_MAX_BYTES = 256 * 1024  # a larger broken file is mostly not code (a data dump): read as it parsed
MAX_BROKEN_STATEMENTS = 32  # more broken statements than this: not code worth parsing again


def _without_broken_lines(src: bytes, tree: ts.Tree) -> tuple[bytes, ts.Tree]:
    """A file that does not parse cleanly, parsed again with the first line of
    each broken statement blanked (lines stay where they were): tree-sitter's
    error recovery can swallow the statements after a broken one (a `for`
    header) into it. The clean parse is taken when it has less in error."""
    best_src, best_tree, best_error = src, tree, _error_bytes(tree.root_node)
    for _ in range(MAX_REPARSES):
        starts = {n.start_byte for n in _outer_errors(best_tree.root_node)}
        if not starts or len(starts) > MAX_BROKEN_STATEMENTS:
            break
        blanked = bytearray(best_src)
        for start in starts:
            begin = best_src.rfind(b"\n", 0, start) + 1
            end = best_src.find(b"\n", start)
            end = len(best_src) if end < 0 else end
            blanked[begin:end] = re.sub(rb"[^\r]", b" ", best_src[begin:end])
        candidate_src = bytes(blanked)
        if candidate_src == best_src:
            break
        candidate = _parse(candidate_src)
        error = _error_bytes(candidate.root_node)
        if error >= best_error:
            break
        best_src, best_tree, best_error = candidate_src, candidate, error
    return best_src, best_tree


def _outer_errors(root: ts.Node) -> list[ts.Node]:
    """The ERROR nodes that no other ERROR node contains."""
    found: list[ts.Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR":
            found.append(node)
        elif node.has_error:
            stack.extend(node.children)
    return found


def _error_bytes(root: ts.Node) -> int:
    return sum(n.end_byte - n.start_byte for n in _outer_errors(root)) if root.has_error else 0


def _python2(src: bytes, root: ts.Node) -> str | None:
    """A note when the file is Python 2: tree-sitter-python reads its print
    and exec statements without an error, but the file is not Python 3."""
    if (b"print " not in src and b"exec " not in src) or _PY2_HINT.search(src) is None \
            or not ts.QueryCursor(_PY2_STATEMENTS).captures(root):
        return None
    return "Python 2 (print or exec statements); read what parsed"


def _parse(src: bytes) -> ts.Tree:
    """Parsed in chunks with a progress callback, so that the time budget
    can stop a parse (a timer's handler runs in the callback)."""
    deadline = budget.deadline()  # read once: the callback runs some 5 times per KiB
    try:
        return _PARSER.parse(lambda offset, _: src[offset:offset + _CHUNK],
                             progress_callback=lambda *_: monotonic() > deadline)
    except BaseException:
        _PARSER.reset()  # else the next parse would resume this one
        if budget.expired():
            raise budget.BudgetExceeded("over the time budget") from None
        raise


# --- inputs tree-sitter cannot take as they are ------------------------------
#
# tree-sitter-python's scanner keeps its stack of indentation widths in a buffer
# of 1 KiB and writes past its end (heap corruption, then a segfault) once some
# 500 widths are open, and widths wrap around at 65536. Python itself refuses
# more than 100 levels, so a file with more distinct indentation widths than
# MAX_INDENT_WIDTHS is never valid code: its widths are renumbered by rank and
# the deepest flattened. Long runs of backslash-continued lines make the parser's
# error recovery superlinear (a 2 MiB file of `x\` lines would take hours);
# past MAX_CONTINUED_LINES consecutive ones, the backslash becomes a space. Both
# rewrites keep every line where it was; the file is then marked partial.
# The scanner also looks ahead over every following comment or blank line at
# each one, so a long run of them costs its length times its size (4000 lines
# of 80-character comments: 4 s); blank lines cost nothing. In a run of more
# than MAX_COMMENT_LINES, comments become blank lines: they are not code, so
# the file stays whole.

MAX_INDENT_WIDTHS = 200
MAX_CONTINUED_LINES = 64
_LEADING = re.compile(rb"[\n\r\f]((?:[ \t]|\\\r?\n)*)")
_LEADING_PLAIN = re.compile(rb"[\n\r\f]([ \t]*)")  # the same, in a file without continuations: faster
_CONTINUATION = re.compile(rb"\\\r?\n")
_DEEP_INDENT = tuple(sep + b" " * MAX_INDENT_WIDTHS for sep in (b"\n", b"\r", b"\f"))
MAX_COMMENT_LINES = 64
_COMMENT_RUN = re.compile(rb"(?:^[ \t]*+(?:#[^\r\n]*+)?+\r?\n){%d,}+" % (MAX_COMMENT_LINES + 1), re.M)
_COMMENT_TEXT = re.compile(rb"[ \t]*#[^\r\n]*")


def defuse(src: bytes) -> tuple[bytes, str | None]:
    """`src` rewritten so that tree-sitter parses it safely and in linear time,
    with a note on what was changed (None when nothing was)."""
    notes = []
    if src.count(b"\\\n") + src.count(b"\\\r\n") > MAX_CONTINUED_LINES:
        src, changed = _break_continuations(src)
        if changed:
            notes.append(f"more than {MAX_CONTINUED_LINES} backslash-continued lines in a row: no longer joined")
    if src.count(b"#") > MAX_COMMENT_LINES:
        src = _COMMENT_RUN.sub(lambda run: _COMMENT_TEXT.sub(b"", run.group()), src)
    if b"\n" in src or b"\r" in src or b"\f" in src:
        src, changed = _flatten_indentation(src)
        if changed:
            notes.append(f"more than {MAX_INDENT_WIDTHS} indentation levels: the deepest are flattened")
    return src, "; ".join(notes) or None


def _break_continuations(src: bytes) -> tuple[bytes, bool]:
    lines = src.split(b"\n")
    run = 0
    changed = False
    for i, line in enumerate(lines[:-1]):  # the last piece has no newline after it
        body = line[:-1] if line.endswith(b"\r") else line
        if not body.endswith(b"\\"):
            run = 0
            continue
        run += 1
        if run > MAX_CONTINUED_LINES:
            lines[i] = body[:-1] + b" " + line[len(body):]
            changed = True
    return (b"\n".join(lines), True) if changed else (src, False)


def _width(leading: bytes) -> int:
    """The indentation the scanner counts: a space 1, a tab 8, across continuations."""
    return leading.count(b" ") + 8 * leading.count(b"\t")


def _flatten_indentation(src: bytes) -> tuple[bytes, bool]:
    continued = b"\\\n" in src or b"\\\r\n" in src
    if not continued and b"\t" not in src and not any(deep in src for deep in _DEEP_INDENT):
        return src, False  # only spaces, fewer than MAX_INDENT_WIDTHS: as many widths at most
    distinct = set((_LEADING if continued else _LEADING_PLAIN).findall(src))
    if len(distinct) <= MAX_INDENT_WIDTHS and all(len(d) < 8192 for d in distinct):
        return src, False  # few widths, all < 65536: the scanner's stack stays small
    widths = sorted({_width(d) for d in distinct})
    if len(widths) <= MAX_INDENT_WIDTHS and widths[-1] < 65536:
        return src, False
    rank = {w: min(i, MAX_INDENT_WIDTHS) for i, w in enumerate(widths)}

    def renumber(match: re.Match) -> bytes:
        # Continuations inside the leading space become plain newlines: lines stay put.
        pieces = _CONTINUATION.split(match.group(1))
        return match.group(0)[:1] + b"\n" * (len(pieces) - 1) + b" " * rank[_width(match.group(1))]

    return _LEADING.sub(renumber, src), True


def _walk_statements(root: ts.Node, scope: int, state: _State) -> None:
    """Visit statements depth-first with an explicit stack (no recursion limit)."""
    stack: list[tuple[ts.Node, int, bool, tuple[Guard, ...], bool]] = [(root, scope, True, (), True)]
    while stack:
        node, scope, top, guards, direct = stack.pop()
        state.top, state.guards, state.direct = top, guards, direct
        nested: list[tuple[ts.Node, int, bool, tuple[Guard, ...], bool]] = []
        for child in node.named_children:
            kind = child.type
            if kind == "if_statement":
                state.ifs.append(child)
                nested += [(body, scope, False, guards + more, direct) for body, more in _if_branches(child, state)]
            elif kind in ("import_statement", "import_from_statement"):
                _import(child, scope, state)
            elif kind == "expression_statement":
                _expression_statement(child, scope, state)
            elif kind in ("function_definition", "class_definition"):
                nested.append((child.child_by_field_name("body"), _define(child, scope, state, ()), True, (), True))
            elif kind == "decorated_definition":
                definition = child.child_by_field_name("definition")
                decorators = tuple(_text(state, d)[1:].strip() for d in child.named_children if d.type == "decorator")
                if definition is not None:
                    body = definition.child_by_field_name("body")
                    nested.append((body, _define(definition, scope, state, decorators), True, (), True))
            elif kind == "return_statement":
                _return(child, scope, state)
            elif kind == "for_statement":
                _for(child, scope, state)
                nested.append((child, scope, False, guards, False))
            elif kind == "block":  # the body of what `node` is: direct if that is (an `else` branch)
                nested.append((child, scope, False, guards, direct))
            elif kind in _COMPOUND_BODIES or kind.endswith("_statement") and kind not in _SIMPLE:
                nested.append((child, scope, False, guards, False))
        stack.extend(reversed(nested))


def _if_branches(node: ts.Node, state: _State) -> list[tuple[ts.Node, tuple[Guard, ...]]]:
    """The bodies of an `if` statement, each with the tests that hold where it runs."""
    test = Guard(_text(state, node.child_by_field_name("condition")), True, _line(node))
    out = [(node.child_by_field_name("consequence"), (test,))]
    passed = (Guard(test.test, False, test.line),)
    for clause in node.named_children:
        if clause.type == "elif_clause":
            cond = Guard(_text(state, clause.child_by_field_name("condition")), True, _line(clause))
            out.append((clause.child_by_field_name("consequence"), passed + (cond,)))
            passed += (Guard(cond.test, False, cond.line),)
        elif clause.type == "else_clause":
            out.append((clause, passed))
    return [(body, guards) for body, guards in out if body is not None]


_SIMPLE = frozenset({"return_statement", "pass_statement", "break_statement", "continue_statement",
                     "raise_statement", "assert_statement", "delete_statement", "global_statement",
                     "nonlocal_statement", "print_statement", "exec_statement", "future_import_statement"})


def _define(node: ts.Node, parent: int, state: _State, decorators: tuple[str, ...]) -> int:
    name_node = node.child_by_field_name("name")
    name = _text(state, name_node)
    if name_node is not None:
        state.def_names.append(name_node.start_byte)
    scope_id = len(state.scopes)
    if node.type == "class_definition":
        supers = node.child_by_field_name("superclasses")
        bases = tuple(_text(state, b) for b in supers.named_children if b.type != "keyword_argument") if supers else ()
        scope = Scope(scope_id, parent, ScopeKind.CLASS, name, _line(node), bases=bases, decorators=decorators)
    else:
        params = _params(node.child_by_field_name("parameters"), state)
        scope = Scope(scope_id, parent, ScopeKind.FUNCTION, name, _line(node), params=params, decorators=decorators)
    state.scopes.append(scope)
    state.scope_spans.append((node.start_byte, node.end_byte, scope_id))
    state.defined.add(name)
    return scope_id


def _params(node: ts.Node | None, state: "_State") -> tuple[Param, ...]:
    """Parameter names and default texts (annotations are not read: nothing
    needs them); `*args`, `**kwargs` and a bare `*` keep their stars."""
    if node is None:
        return ()
    params: list[Param] = []
    for p in node.named_children:
        kind = p.type
        if kind == "identifier":
            params.append(Param(_text(state, p)))
        elif kind == "typed_parameter":
            ident = p.named_children[0] if p.named_child_count else None
            if ident is not None and ident.type in ("identifier", "list_splat_pattern", "dictionary_splat_pattern"):
                params.append(Param(_text(state, ident)))
        elif kind in ("default_parameter", "typed_default_parameter"):
            params.append(Param(_text(state, p.child_by_field_name("name")), default=_text(state, p.child_by_field_name("value"))))
        elif kind in ("list_splat_pattern", "dictionary_splat_pattern", "keyword_separator"):
            params.append(Param(_text(state, p)))  # `*args`, `**kwargs`, `*`: the stars stay in the name
    return tuple(params)


def _import(node: ts.Node, scope: int, state: _State) -> None:
    state.import_spans.append((node.start_byte, node.end_byte))
    line = _line(node)
    if node.type == "import_statement":
        for item in node.named_children:
            if item.type == "aliased_import":
                target, alias = _text(state, item.child_by_field_name("name")), _text(state, item.child_by_field_name("alias"))
            else:
                target = _text(state, item)
                alias = target.split(".")[0]
                target = alias  # `import a.b` binds `a`
                if "." in _text(state, item):  # but `a.b` is reachable through it: keep it too
                    state.imports.append(Import(scope, _text(state, item), _text(state, item), line))
            state.imports.append(Import(scope, alias, target, line))
            if _calls_through(target):
                state.module_aliases.add(alias)
        return
    module = _text(state, node.child_by_field_name("module_name"))
    for item in node.named_children:
        if item == node.child_by_field_name("module_name"):
            continue
        if item.type == "wildcard_import":
            state.imports.append(Import(scope, "*", module, line))
            state.star_import = state.star_import or _calls_through(module)
            continue
        if item.type == "aliased_import":
            name, alias = _text(state, item.child_by_field_name("name")), _text(state, item.child_by_field_name("alias"))
        elif item.type == "dotted_name":
            name = alias = _text(state, item)
        else:
            continue
        sep = "" if module.endswith(".") else "."
        state.imports.append(Import(scope, alias, f"{module}{sep}{name}", line))
        state.imported.add(alias)
        if _calls_through(module):  # `from torchvision import models`, `from netlib import Encoder`: `models.x(...)`
            state.module_aliases.add(alias)


def _calls_through(module: str) -> bool:
    """Whether calls made through a name imported from `module` are worth
    keeping: not for the common numeric libraries and the standard library."""
    root = module.split(".")[0]
    return root not in _COMMON_LIBS and root not in sys.stdlib_module_names


def _expression_statement(node: ts.Node, scope: int, state: _State) -> None:
    # An assignment is its statement's only child (`a = 1, b = 2` is no Python).
    child = node.named_child(0)
    if child is not None and child.type == "assignment":
        _assignment(child, scope, state)
    elif child is not None and child.type == "augmented_assignment":
        _augmented(child, scope, state)
    elif child is not None and child.type == "call" and _raw(state, child).startswith(b"exec"):
        _exec(child, scope, state)


# `exec(open("models.py").read())` runs a file's code in this scope: its names
# become visible here as a star import's would. An import with alias EXEC_ALIAS
# is such a run; EXEC_ANY is its target when the file is named at run time
# (nanoGPT's configurator: `exec(open(config_file).read())`).
EXEC_ALIAS = "*exec"
EXEC_ANY = "<exec>"
_EXEC_OPEN = re.compile(r"^exec\(\s*open\((.*)\)\s*\.read\(\)\s*\)$", re.S)


def _exec(call: ts.Node, scope: int, state: _State) -> None:
    match = _EXEC_OPEN.match(_text(state, call, 500))
    if match is None:
        return
    named = re.match(r"""^\s*(["'])(?:\./)?([\w./-]+)\.py\1\s*(?:,.*)?$""", match.group(1), re.S)
    target = named.group(2).lstrip("/").replace("/", ".") if named else EXEC_ANY
    state.imports.append(Import(scope, EXEC_ALIAS, target, _line(call)))


def _assignment(node: ts.Node, scope: int, state: _State) -> None:
    right = node.child_by_field_name("right")
    if right is None:
        return  # `x: int` declares, binds nothing
    targets = [node.child_by_field_name("left")]
    while right.type == "assignment":  # a = b = value
        targets.append(right.child_by_field_name("left"))
        right = right.child_by_field_name("right")
        if right is None:
            return
    if right.type == "call" and _tensor_call(right, state):
        for t in targets:
            if t is not None:
                state.opaque.update(n.decode("utf-8", "replace") for n in _IDENTIFIER.findall(_raw(state, t)))
        return
    if right.type == "call" and _raw(state, right.child_by_field_name("function")).endswith(b"partial"):
        # `load = partial(F, ...)`: the calls of `load` are calls of F
        state.defined.update(_text(state, t) for t in targets if t is not None and t.type == "identifier")
    value = _text(state, right, _MAX_TABLE_TEXT if right.type in _TABLES else _MAX_TEXT)
    for target in targets:
        if target is not None:
            state.bindings.append(Binding(scope, _text(state, target, 300), value, BindKind.ASSIGN, _line(node), state.top,
                                          state.guards, state.direct))


def _augmented(node: ts.Node, scope: int, state: _State) -> None:
    """`name += value` is kept as `name = name + (value)`: read at its own line,
    `name` is what it held just before (resolve/names.py). In a loop, where it
    adds up over the passes, and for other operators and targets, it stays opaque."""
    left, right, operator = (node.child_by_field_name(f) for f in ("left", "right", "operator"))
    if not state.direct or left is None or right is None or left.type != "identifier" or operator is None or operator.type != "+=" \
            or right.type == "call" and _tensor_call(right, state):
        return
    name = _text(state, left)
    state.bindings.append(Binding(scope, name, f"{name} + ({_text(state, right)})", BindKind.ASSIGN, _line(node),
                                  state.top, state.guards, state.direct))


def _return(node: ts.Node, scope: int, state: _State) -> None:
    if not node.named_child_count or state.scopes[scope].kind != ScopeKind.FUNCTION:
        return  # a bare `return`
    value = node.named_child(0)
    if value.type == "comment" or value.type == "call" and _tensor_call(value, state):
        return
    text = _text(state, value, _MAX_TABLE_TEXT if value.type in _TABLES else _MAX_TEXT)
    state.bindings.append(Binding(scope, RETURNED, text, BindKind.RETURN, _line(node), state.top))


def _walrus_bindings(root: ts.Node, state: _State) -> None:
    """`(name := value)` binds `name` in the innermost function or class
    around it (a comprehension's too, as Python does)."""
    # In source order: a capture list's order varies from run to run.
    for node in sorted(ts.QueryCursor(_WALRUS).captures(root).get("walrus", []), key=lambda n: n.start_byte):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None or value is None:
            continue
        around = [(start, scope) for start, end, scope in state.scope_spans if start <= node.start_byte < end]
        scope = max(around)[1] if around else 0
        state.bindings.append(Binding(scope, _text(state, name, 300), _text(state, value), BindKind.ASSIGN, _line(node), False))


def _tensor_call(call: ts.Node, state: "_State") -> bool:
    callee = call.child_by_field_name("function")
    if callee is None or callee.type != "attribute":
        return False
    raw = _raw(state, callee)
    return raw.split(b".", 1)[0] in _TENSOR_HEADS and raw.rsplit(b".", 1)[-1] not in _VALUE_METHODS


def _for(node: ts.Node, scope: int, state: _State) -> None:
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if left is not None and right is not None:
        state.bindings.append(Binding(scope, _text(state, left, 300), _text(state, right), BindKind.FOR, _line(node), state.top))


def _calls(root: ts.Node, state: _State, keywords: frozenset[str]) -> tuple[tuple[CallSite, int], ...]:
    """The calls worth keeping, each with the start byte of its callee's last name."""
    # Compared as bytes: decoding each callee would cost more than the parse.
    static = _static_callees(keywords)
    wanted: set[bytes] | _AnyName = {w.encode() for w in state.defined | state.imported}
    heads = {a.encode() for a in state.module_aliases}
    if state.star_import:  # `from helpers import *`: any name called may be one it brings
        wanted = _AnyName()
    src = state.src
    kept: dict[tuple[int, int], tuple[ts.Node, bytes, bytes]] = {}
    for call in _candidate_calls(root, src, static, wanted if isinstance(wanted, _AnyName) else wanted | heads, heads):
        callee = call.child_by_field_id(_FUNCTION)
        if callee is None:
            continue
        raw = src[callee.start_byte:callee.end_byte]
        if callee.type in ("identifier", "attribute"):
            last = raw.rsplit(b".", 1)[-1]
            if last in static or last in wanted or raw.split(b".", 1)[0] in heads:
                kept[call.start_byte, call.end_byte] = (call, raw, last)
        elif _chosen_by_name(callee, src, heads):
            kept[call.start_byte, call.end_byte] = (call, raw, b"")
    # In source order, as the resolver's caps (callers followed, candidates) must see them.
    ordered = [kept[key] for key in sorted(kept, key=lambda span: (span[0], -span[1]))]
    calls = [call for call, _, _ in ordered]
    scopes = _enclosing_scopes(calls, _comprehensions_around(calls), state)
    return tuple((_call_site(call, raw[:300].decode("utf-8", errors="replace"), scope, state, guarded=last in static),
                  call.start_byte + len(raw) - len(last))
                 for (call, raw, last), scope in zip(ordered, scopes))


def _chosen_by_name(callee: ts.Node, src: bytes, heads: set[bytes]) -> bool:
    """A callee that picks a function of a module by name, `getattr(models, name)`
    or `models.__dict__[name]`, where `models` is a module."""
    if callee.type == "call":
        function, arguments = callee.child_by_field_id(_FUNCTION), callee.child_by_field_id(_ARGUMENTS)
        if function is None or src[function.start_byte:function.end_byte] != b"getattr" or arguments is None:
            return False
        module = arguments.named_children[0] if arguments.named_child_count == 2 else None
    elif callee.type == "subscript":
        value = callee.child_by_field_name("value")
        if value is None or value.type != "attribute" or not src[value.start_byte:value.end_byte].endswith(b".__dict__"):
            return False
        module = value.child_by_field_name("object")
    else:
        return False
    return module is not None and module.type in ("identifier", "attribute") \
        and src[module.start_byte:module.end_byte].split(b".", 1)[0] in heads


_IDENTIFIER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset(k.encode() for k in keyword.kwlist)
# Bindings the statement walk does not keep: `x += 1`, `... as x` (with, except,
# import), `global x` / `nonlocal x, y`. Each pattern starts with a literal, which
# `re` finds fast; the word boundary is a lookbehind after it.
_AUGMENTED = re.compile(rb"=(?<=[-+*/%&|^@<>]=)")
_OPAQUE = tuple(re.compile(p) for p in (rb"as(?<!\was)\s+([A-Za-z_]\w*+)",
                                         rb"global(?<!\wglobal)\s+([A-Za-z_][\w \t,]*)",
                                         rb"nonlocal(?<!\wnonlocal)\s+([A-Za-z_][\w \t,]*)"))
_SPACE = frozenset(b" \t\n\r\f\v")
_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _opaque_names(src: bytes) -> frozenset[str]:
    """Names some statement binds in a way `bindings` does not show (read from the
    text: a mention in a string or comment only adds names, which is safe)."""
    found = {src[start:end] for start, end in map(_augmented_target, _AUGMENTED.finditer(src)) if start < end}
    for pattern in _OPAQUE:
        for match in pattern.finditer(src):
            found.update(_IDENTIFIER.findall(match.group(1)))
    return frozenset(n.decode("utf-8", "replace") for n in found)


def _augmented_target(match: re.Match[bytes]) -> tuple[int, int]:
    """The span of the plain name before `op=` (`x += 1`, `n **= 2`); empty for
    `self.x += 1`, `a[i] += 1` and comparisons (`a <= b`)."""
    src, at = match.string, match.start() - 1
    op = src[at]
    if op in b"<>" or (op in b"*/" and at and src[at - 1] == op):
        if not at or src[at - 1] != op:
            return 0, 0
        at -= 1
    end = at
    while end and src[end - 1] in _SPACE:
        end -= 1
    start = end
    while start and src[start - 1] in _WORD:
        start -= 1
    if start == end or src[start] in b"0123456789" or (start and src[start - 1] == ord(".")):
        return 0, 0
    return start, end


def _loose_names(state: _State, calls: tuple[tuple[CallSite, int], ...]) -> frozenset[str]:
    """Names the file mentions other than as a kept call's callee, a definition's
    name or inside an import statement: counted, not walked."""
    src = state.src
    mentioned = _identifiers(src)
    accounted: Counter = Counter()
    for at in [at for _, at in calls] + state.def_names:
        match = _IDENTIFIER.match(src, at)
        if match is not None:
            accounted[match.group()] += 1
    for start, end in state.import_spans:
        accounted.update(_IDENTIFIER.findall(src, start, end))
    loose = (mentioned.keys() - accounted.keys()) | {n for n, count in accounted.items() if mentioned[n] > count}
    return frozenset(b" ".join(loose - _KEYWORDS).decode("ascii").split())  # identifiers are ASCII


_NOT_WORD_TO_SPACE = bytes(b if b in _WORD else 32 for b in range(256))


def _identifiers(src: bytes) -> Counter:
    """`Counter(_IDENTIFIER.findall(src))`, twice as fast: the words between
    non-word bytes, less their leading digits (`1e5` holds `e5`)."""
    found = Counter(src.translate(_NOT_WORD_TO_SPACE).split())
    for word in [w for w in found if w[0] in b"0123456789"]:
        count, name = found.pop(word), word.lstrip(b"0123456789")
        if name:
            found[name] += count
    return found


def _guards(call: ts.Node, state: _State) -> tuple[Guard, ...]:
    """The `if`/`elif` tests around `call` inside its innermost definition, and
    whether each holds where the call runs."""
    at = call.start_byte
    floor = max((start for start, end, _ in state.scope_spans if start <= at < end), default=-1)
    out: list[Guard] = []
    for node in state.ifs:
        if not (floor < node.start_byte <= at < node.end_byte):
            continue
        out += _branch_guards(node, at, state)
    return tuple(out)


def _branch_guards(node: ts.Node, at: int, state: _State) -> list[Guard]:
    def inside(n: ts.Node | None) -> bool:
        return n is not None and n.start_byte <= at < n.end_byte

    condition = _text(state, node.child_by_field_name("condition"))
    if inside(node.child_by_field_name("consequence")):
        return [Guard(condition, True, _line(node))]
    passed = [Guard(condition, False, _line(node))]
    for clause in node.named_children:
        if clause.type == "elif_clause":
            test = _text(state, clause.child_by_field_name("condition"))
            if inside(clause.child_by_field_name("consequence")):
                return passed + [Guard(test, True, _line(clause))]
            passed.append(Guard(test, False, _line(clause)))
        elif clause.type == "else_clause" and inside(clause):
            return passed
    return []  # in a test, not in a branch


_BUILTIN_NAMES = frozenset(n.encode() for n in dir(builtins))


class _AnyName:
    """The called names worth keeping in a file with a star import of another
    module: any name but a builtin's."""

    def __contains__(self, name: object) -> bool:
        return name not in _BUILTIN_NAMES


def _candidate_calls(root: ts.Node, src: bytes, static: frozenset[bytes], names: set[bytes],
                     heads: set[bytes]) -> Iterator[ts.Node]:
    """Every call whose callee ends in a name of `static` or `names`, or starts
    with `head.` (and some more, which the caller filters)."""
    for start, end in _called_spans(src, static, names):
        node = root.descendant_for_byte_range(start, end)
        if node.type != "identifier" or node.start_byte != start or node.end_byte != end:
            continue  # in a string or a comment
        parent = node.parent
        if parent is not None and parent.type == "attribute" and parent.end_byte == end:
            node, parent = parent, parent.parent  # `x.name(`
        if parent is not None and parent.type == "call" and parent.child_by_field_id(_FUNCTION) == node:
            yield parent
    for match in _LINE_LEADING_PAREN.finditer(src):  # `name  # comment`, then `(` on a later line
        node = root.named_descendant_for_byte_range(match.end() - 1, match.end())
        parent = node.parent
        if parent is not None and parent.type == "call" and parent.child_by_field_id(_ARGUMENTS) == node:
            yield parent
    for match in _GETATTR_CALLED.finditer(src):  # `getattr(models, name)(...)`: the outer call
        node = root.descendant_for_byte_range(match.start(), match.start() + len(b"getattr"))
        inner = node.parent if node.type == "identifier" else None
        if inner is not None and inner.type == "call" and inner.child_by_field_id(_FUNCTION) == node:
            outer = inner.parent
            if outer is not None and outer.type == "call" and outer.child_by_field_id(_FUNCTION) == inner:
                yield outer
    # `head.x.y(...)`, `head.x().y(...)`: calls starting at a head, every head found in one pass
    needles = [head + b"." for head in heads]
    for _, at, end in ahocorasick_rs.BytesAhoCorasick(needles).find_matches_as_indexes(src, overlapping=True) \
            if needles else ():
        node = root.descendant_for_byte_range(at, end - 1)
        if node.type == "identifier" and node.start_byte == at:
            parent = node.parent
            while parent is not None and parent.start_byte == at:
                if parent.type == "call" and parent.child_by_field_id(_FUNCTION) == node:
                    yield parent
                node, parent = parent, parent.parent


def _called_spans(src: bytes, static: frozenset[bytes], names: set[bytes]) -> Iterator[tuple[int, int]]:
    """The span of each name of `static` or `names` that `(` follows, after
    blanks or line continuations (in code or not: the tree says)."""
    size = len(src)
    for match in _CALLED_REVERSED.finditer(src[::-1]):
        name = match.group(1)[::-1]
        if name in static or name in names:
            yield size - match.end(1), size - match.start(1)


def _comprehensions_around(calls: list[ts.Node]) -> list[ts.Node]:
    """The comprehensions that contain each call, found by walking up from it
    to its statement (no statement lies inside an expression); an ancestor
    already seen ends the walk, so nested calls cost the size of the tree."""
    found: list[ts.Node] = []
    seen: set[tuple[int, int, int]] = set()
    for call in calls:
        node = call.parent
        while node is not None:
            key = (node.start_byte, node.end_byte, node.kind_id)
            if key in seen or node.type.endswith(_STATEMENT_LIKE):
                break
            seen.add(key)
            if node.type in _COMPREHENSIONS:
                found.append(node)
            node = node.parent
    return found


_STATEMENT_LIKE = ("statement", "definition", "block", "module")


@lru_cache(maxsize=8)
def _static_callees(keywords: frozenset[str]) -> frozenset[bytes]:
    """Callee names kept in every file: the registry's keywords and the CLI definitions."""
    return frozenset(w.encode() for w in keywords | RESOLVER_CALLS)


def _call_site(call: ts.Node, callee: str, scope: int, state: _State, *, guarded: bool = False) -> CallSite:
    args: list[Arg] = []
    arguments = call.child_by_field_name("arguments")
    if arguments is not None and arguments.type == "argument_list":
        for a in arguments.named_children:
            if a.type == "keyword_argument":
                args.append(Arg(_text(state, a.child_by_field_name("name")), _text(state, a.child_by_field_name("value"))))
            elif a.type == "list_splat":
                args.append(Arg(None, _text(state, a)[1:], star="*"))
            elif a.type == "dictionary_splat":
                args.append(Arg(None, _text(state, a)[2:], star="**"))
            elif a.type != "comment":
                args.append(Arg(None, _text(state, a)))
    return CallSite(scope, callee, tuple(args), _line(call), _text(state, call, _MAX_CALL_TEXT),
                    _guards(call, state) if guarded and state.ifs else ())


def _enclosing_scopes(calls: list[ts.Node], comprehensions: list[ts.Node], state: _State) -> list[int]:
    """The innermost function or class around each call; the loop variables of
    the comprehensions around a call become bindings of that scope.

    One sweep over byte ranges (definitions and comprehensions nest like the
    tree): walking up `Node.parent` costs the depth of the tree at each step,
    and nested calls made that cubic."""
    if not calls:
        return []
    spans: list[tuple[int, int, int | ts.Node]] = list(state.scope_spans)
    spans += [(c.start_byte, c.end_byte, c) for c in comprehensions]
    spans.sort(key=lambda s: (s[0], -s[1]))
    order = sorted(range(len(calls)), key=lambda i: calls[i].start_byte)
    # Open spans, outermost first: (end, scope or comprehension, scope it is in, loops added).
    stack: list[list] = []
    seen = set(state.bindings)
    scopes = [0] * len(calls)
    j = 0
    for i in order:
        at = calls[i].start_byte
        while j < len(spans) and spans[j][0] <= at:
            start, end, what = spans[j]
            j += 1
            while stack and stack[-1][0] <= start:
                stack.pop()
            inner = stack[-1][2] if stack else 0
            stack.append([end, what, what if isinstance(what, int) else inner, False])
        while stack and stack[-1][0] <= at:
            stack.pop()
        scope = stack[-1][2] if stack else 0
        scopes[i] = scope
        # Comprehensions around the call, innermost first, until one already done
        # (everything around a done one is done too).
        for entry in reversed(stack):
            if isinstance(entry[1], int) or entry[3]:
                break
            entry[3] = True
            _comprehension_loops(entry[1], entry[2], state, seen)
    return scopes


def _comprehension_loops(node: ts.Node, scope: int, state: _State, seen: set[Binding]) -> None:
    for loop in node.named_children:
        if loop.type != "for_in_clause":
            continue
        left, right = loop.child_by_field_name("left"), loop.child_by_field_name("right")
        if left is not None and right is not None:
            binding = Binding(scope, _text(state, left, 300), _text(state, right), BindKind.FOR, _line(loop), False)
            if binding not in seen:
                seen.add(binding)
                state.bindings.append(binding)
