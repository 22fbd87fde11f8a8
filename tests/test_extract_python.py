"""The Python extractor's call finder: it looks calls up at the names that `(`
follows, so it must keep exactly the calls that the plain definition keeps (a
tree-sitter query for every call, filtered by callee), with the same
comprehensions around them, however a call is laid out."""
from __future__ import annotations

import re
from collections import Counter

import tree_sitter as ts
from hypothesis import given, settings
from hypothesis import strategies as st

from miner.extract import python as P
from miner.patterns import default_registry
from miner.records import BindKind

KEYWORDS = default_registry().keywords
_ALL_CALLS = ts.Query(P.LANGUAGE, "(call function: [(identifier) (attribute)]) @call")
_ALL_COMPREHENSIONS = ts.Query(P.LANGUAGE, """
  [(list_comprehension) (set_comprehension) (dictionary_comprehension) (generator_expression)] @c
""")
HEADER = "import mod\nfrom pkg import helper\n\ndef local(x):\n    return x\n\n"


def walked(src: bytes) -> tuple[ts.Node, P._State]:
    tree = P._parse(src)
    if tree.root_node.has_error and len(src) <= P.REPARSE_MAX_BYTES:  # parsed again, its broken lines blanked
        src, tree = P._without_broken_lines(src, tree)
    root = tree.root_node
    state = P._State(src=src)
    state.scopes.append(P.Scope(id=0, parent=None, kind=P.ScopeKind.MODULE, name="", line=1))
    P._walk_statements(root, 0, state)
    return root, state


def plain_kept(root: ts.Node, state: P._State) -> list[ts.Node]:
    """The definition: every call, kept by the callee's last or first segment."""
    static = P._static_callees(KEYWORDS)
    wanted = P._AnyName() if state.star_import else {w.encode() for w in state.defined | state.imported}
    heads = {a.encode() for a in state.module_aliases}
    kept = []
    for call in ts.QueryCursor(_ALL_CALLS).captures(root).get("call", []):
        callee = call.child_by_field_name("function")
        raw = state.src[callee.start_byte:callee.end_byte]
        if raw.rsplit(b".", 1)[-1] in static or raw.rsplit(b".", 1)[-1] in wanted or raw.split(b".", 1)[0] in heads:
            kept.append(call)
    return sorted(kept, key=lambda call: (call.start_byte, -call.end_byte))


def plain_loops(root: ts.Node, state: P._State, kept: list[ts.Node]) -> set[tuple[str, str, int]]:
    """The loops of the comprehensions around the kept calls, and of `for` statements."""
    loops = {(b.target, b.value, b.line) for b in state.bindings if b.kind is BindKind.FOR}
    for c in ts.QueryCursor(_ALL_COMPREHENSIONS).captures(root).get("c", []):
        if any(c.start_byte <= call.start_byte < c.end_byte for call in kept):
            loops |= {(P._text(state, f.child_by_field_name("left"), 300), P._text(state, f.child_by_field_name("right")),
                       f.start_point[0] + 1) for f in c.named_children if f.type == "for_in_clause"}
    return loops


def check_against_plain_query(source: str) -> None:
    root, state = walked(source.encode())
    kept = plain_kept(root, state)
    expected_loops = plain_loops(root, state, kept)
    facts = P.extract_python("x.py", source, keywords=KEYWORDS)
    assert [(c.line, c.text) for c in facts.calls] == [(k.start_point[0] + 1, P._text(state, k, P._MAX_CALL_TEXT))
                                                       for k in kept]
    assert {(b.target, b.value, b.line) for b in facts.bindings if b.kind is BindKind.FOR} == expected_loops


CALLEES = st.sampled_from([
    "from_pretrained", "AutoModel.from_pretrained", "mod.helper", "mod.a().b", "mod.a[0].c", "mod.x.y.z",
    "x[0].from_pretrained", "helper", "local", "mod", "mod . helper", "print", "obj.method", "(from_pretrained)",
    "AutoModel .from_pretrained", "AutoModel. from_pretrained", "pipeline", "hf_hub_download",
])
GAPS = st.sampled_from(["", " ", "\t", "\\\n", "  # note\n", "\n", "\n# c\n  # d (x)\n", " # a # b\n  "])
ARGS = st.sampled_from(['("x")', "(a for a in b)", "(helper(local(1)))", "()", "(n)", "(*xs, **kw)"])
CONTEXTS = st.sampled_from([
    "y = ({call})", "y = [({call}) for n in names]", "y = [n for n in ({call})]", "y = {{k: ({call}) for k in d}}",
    "y = [[({call}) for m in n] for n in names]", "@({call})\ndef f():\n    pass", "y = lambda q: ({call})",
    "y = f'{{({call})}}'", "y = '({call})'", "# ({call})", "def g(p=[({call}) for t in ts]):\n    return ({call})",
    "for i in ({call}):\n    z = ({call})",
])


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(st.tuples(CONTEXTS, CALLEES, GAPS, ARGS), min_size=1, max_size=4))
def test_calls_found_are_those_of_the_plain_query(parts: list[tuple[str, str, str, str]]) -> None:
    body = "\n".join(context.format(call=f"{callee}{gap}{args}") for context, callee, gap, args in parts)
    check_against_plain_query(HEADER + body + "\n")


def test_odd_layouts_are_found() -> None:
    source = HEADER + (
        "a = (AutoModel.from_pretrained  # the encoder\n"
        "     ('bert-base-uncased'))\n"
        "b = AutoModel.from_pretrained \\\n    ('gpt2')\n"
        "c = mod.build().load('t5-small')\n"
        "d = 'AutoModel.from_pretrained(\"not-a-call\")'\n"
        "e = [AutoModel.from_pretrained(n) for n in ('x', 'y')]\n"
    )
    facts = P.extract_python("x.py", source, keywords=KEYWORDS)
    calls = {(c.line, c.callee) for c in facts.calls}
    first = HEADER.count("\n") + 1
    assert (first, "AutoModel.from_pretrained") in calls
    assert (first + 2, "AutoModel.from_pretrained") in calls
    assert (first + 4, "mod.build().load") in calls and (first + 4, "mod.build") in calls
    assert not any(line == first + 5 for line, _ in calls)
    assert (first + 6, "AutoModel.from_pretrained") in calls
    assert any(b.target == "n" and b.value == "('x', 'y')" for b in facts.bindings)


# The opaque names' definition: one alternation over the text, as `finditer` reads it.
_ONE_PASS = re.compile(rb"(?<![\w.])([A-Za-z_]\w*+)\s*(?:\*\*|//|>>|<<|[-+*/%&|^@])=|\bas\s+([A-Za-z_]\w*+)|"
                       rb"\b(?:global|nonlocal)\s+([A-Za-z_][\w \t,]*)")


def one_pass_opaque(src: bytes) -> frozenset[str]:
    return frozenset(n.decode() for m in _ONE_PASS.finditer(src) for g in m.groups() if g
                     for n in P._IDENTIFIER.findall(g))


OPAQUE_PIECES = st.sampled_from([
    "x", "self.", "a[i]", " ", "\n", "\t", "+=", "-=", "**=", "//=", ">>=", "<<=", "<=", ">=", "==", "=", "*=",
    "|=", "@=", "%=", "1", "as", " as ", "has", "class", "global", "nonlocal", ",", "#", '"', "_y", "with f() as g",
])


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.lists(OPAQUE_PIECES, max_size=16))
def test_opaque_names_hold_those_of_one_pass(pieces: list[str]) -> None:
    """Each pattern is searched on its own, so a match no longer hides the next
    (`... as global labelled`): the names found hold the one pass's, and add
    only names another statement's match would have hidden."""
    src = "".join(pieces).encode()
    assert P._opaque_names(src) >= one_pass_opaque(src)


def test_opaque_names_of_each_statement() -> None:
    src = b"n += 1\nm **= 2\nself.k += 1\na[i] -= 1\nif a <= b >= c: pass\nwith f() as h:\n    global g1, g2\n" \
          b"import os as o\nz<<=1\n# treating it as global labelled a log\n"
    assert P._opaque_names(src) == {"n", "m", "h", "g1", "g2", "o", "z", "global", "labelled", "a", "log"}


def test_walrus_bindings_come_in_source_order() -> None:
    """tree-sitter's capture lists come in an order that varies from run to
    run: the facts (and the cache's bytes) must not."""
    src = "".join(f"def f{i}(x):\n    if (m{i} := x.get('k{i}')):\n        return m{i}\n" for i in range(40))
    runs = {P.extract_python("w.py", src, keywords=KEYWORDS).bindings for _ in range(8)}
    assert len(runs) == 1
    walrus = [b.line for b in runs.pop() if b.target.startswith("m")]
    assert walrus == sorted(walrus) and len(walrus) == 40


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(["a", "_", "1", "e5", "0x1F", " ", ".", "é", "\n", "b_2", "12", "(", "if"]), max_size=20))
def test_identifiers_count_as_the_regex_does(pieces: list[str]) -> None:
    src = "".join(pieces).encode()
    assert P._identifiers(src) == Counter(P._IDENTIFIER.findall(src))


def test_functions_picked_by_name_from_a_module_are_kept() -> None:
    """`getattr(models, name)(...)` and `models.__dict__[name](...)` call a
    function of a module picked by name; the same through an object, or a
    standard-library module, are not worth keeping."""
    src = ("import os\nimport torchvision\nfrom torchvision import models\n"
           "a = getattr(torchvision.models, name)(pretrained=True)\n"
           "b = models.__dict__[arch](pretrained=True)\n"
           "c = getattr(self, name)(1)\n"
           "d = getattr(os.path, 'join')('x')\n"
           "e = getattr(models, name, None)\n")
    facts = P.extract_python("m.py", src, keywords=KEYWORDS)
    assert [(c.line, c.callee) for c in facts.calls] == [(4, "getattr(torchvision.models, name)"),
                                                          (5, "models.__dict__[arch]")]
