"""Shell syntax, read without running anything: words with their quoting, and
the command structure (lists, `if`, `for`, `case`, functions) they form.

Owns the lexer and the parser that `miner.extract.shell` evaluates. `shlex`
cannot be used for this: it drops the difference between `'$x'` and `"$x"` and
knows nothing of `$(...)`, `${x:-d}`, arrays or here-documents. Both stages are
linear in the text, never raise on any input, and cap their recursion: input
nested deeper than the caps is read as flat text instead.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Union

MAX_NESTING = 40  # deepest `${...}` default and compound command that is followed

_BLANKS = " \t\r\f\v"
_META = _BLANKS + "\n;&|()<>"
_PLAIN = re.compile(r"[^\s'\"\\$`;&|()<>]+")
_DQ_PLAIN = re.compile(r'[^"\\$`]*')
_OPERATORS = ("<<<", "<<-", ";;&", "&>>", "&&", "||", ";;", ";&", "|&", "&>", ">>", "<<", "<&", ">&", "<>", ">|",
              ";", "&", "|", "(", ")", "<", ">")
_HEREDOC_OPS = ("<<", "<<-")
_ASSIGN_HEAD = re.compile(r"([A-Za-z_]\w*)(\[[^\]]*\])?\+?=$")
_PARAM_HEAD = re.compile(r"([A-Za-z_]\w*|\d+|[@*#?$!-])(?:\[([^\]]*)\])?")


@dataclass(frozen=True, slots=True)
class Lit:
    text: str
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Param:
    """`$name`, `${name}`, `${name[i]}`, `${name:-word}`; op "?" is any form we do not model."""

    name: str
    op: str = ""
    arg: Word | None = None
    index: str | None = None
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Subst:
    """`$(...)`, backticks or `$((...))`: never a known value. `script` is the
    text of a command substitution, itself scanned for commands."""

    script: str | None = None
    line: int = 0


Part = Union[Lit, Param, Subst]


@dataclass(frozen=True, slots=True)
class Word:
    parts: tuple[Part, ...]
    raw: str
    line: int
    array: tuple[Word, ...] | None = None  # `NAME=(a b c)`: the elements


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "word", "op" or "nl"
    text: str
    line: int
    word: Word | None = None
    heredoc: tuple[int, str] | None = None  # (first line, body) read for a `<<` operator


# --- lexer -----------------------------------------------------------------


class _Lexer:
    def __init__(self, text: str, first_line: int) -> None:
        text = text.replace("\r\n", "\n")  # same lines; a `\` before CRLF still continues the line
        self.s = text
        self.n = len(text)
        self.first_line = first_line
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]
        self.errors: list[str] = []

    def line_at(self, i: int) -> int:
        return self.first_line + bisect_right(self.newlines, i - 1)

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        pending: list[tuple[int, str]] = []  # heredoc operators (token index, delimiter) awaiting a body
        i = 0
        while i < self.n:
            c = self.s[i]
            if c in _BLANKS:
                i += 1
            elif c == "\\" and self.s.startswith("\n", i + 1):
                i += 2
            elif c == "\n":
                out.append(Token("nl", "\n", self.line_at(i)))
                i = self._read_heredocs(i + 1, pending, out)
                pending = []
            elif c == "#":
                end = self.s.find("\n", i)
                i = self.n if end < 0 else end
            elif c in ";&|()<>":
                op = next(o for o in _OPERATORS if self.s.startswith(o, i))
                out.append(Token("op", op, self.line_at(i)))
                i += len(op)
            else:
                word, i = self.read_word(i, in_word=False)
                if word.raw.isdigit() and self.s[i: i + 1] in ("<", ">"):
                    continue  # `2>log`: the 2 belongs to the redirection
                if out and out[-1].kind == "op" and out[-1].text in _HEREDOC_OPS:
                    pending.append((len(out) - 1, _unquote(word.raw)))
                out.append(Token("word", word.raw, word.line, word))
        return out

    def _read_heredocs(self, i: int, pending: list[tuple[int, str]], out: list[Token]) -> int:
        for at, delimiter in pending:
            op, start = out[at], i
            while i < self.n:
                end = self.s.find("\n", i)
                end = self.n if end < 0 else end
                if self.s[i:end].strip() == delimiter:
                    body = self.s[start:i]
                    i = min(end + 1, self.n)
                    break
                i = end + 1
            else:
                body = self.s[start:]
                self.errors.append(f"unterminated here-document at line {op.line}")
            out[at] = Token("op", op.text, op.line, heredoc=(self.line_at(start), body))
        return i

    def read_word(self, i: int, in_word: bool, quoted: bool = False, depth: int = 0,
                  array_ok: bool = True) -> tuple[Word, int]:
        """Read one word from `i`. With `in_word` (a `${x:-...}` default) blanks and
        operators are part of the word and only the end of the text stops it."""
        start, parts, buf = i, [], []
        while i < self.n:
            c = self.s[i]
            if not in_word and c in _META:
                if c == "(" and array_ok and not parts and _ASSIGN_HEAD.match("".join(buf)):
                    _flush(buf, parts, quoted)
                    return self._read_array(start, i, parts)
                break
            if c == "\\":
                if not self.s.startswith("\n", i + 1):
                    buf.append(self.s[i + 1: i + 2] or "\\")
                i += 2
            elif c in "$`" or (c in "'\"" and not quoted):
                _flush(buf, parts, quoted)
                i = self._read_part(i, parts, quoted, depth)
            else:
                m = None if in_word else _PLAIN.match(self.s, i)
                chunk = m.group() if m else c
                buf.append(chunk)
                i += len(chunk)
        _flush(buf, parts, quoted)
        return Word(tuple(parts), self.s[start:i], self.line_at(start)), i

    def _read_part(self, i: int, parts: list[Part], quoted: bool, depth: int) -> int:
        """A quoted string or an expansion starting at `i`; returns where it ends."""
        c = self.s[i]
        if c == "'":
            end = self._closing(i + 1, "'")
            parts.append(Lit(self.s[i + 1: end], True))
            return end + 1
        if c == '"':
            return self._read_double(i + 1, parts, depth)
        if c == "$":
            part, i = self.read_dollar(i, quoted, depth)
            parts.append(part)
            return i
        end = self._backtick_end(i + 1)
        parts.append(Subst(self.s[i + 1: end], self.line_at(i)))
        return end + 1

    def _read_array(self, start: int, i: int, parts: list[Part]) -> tuple[Word, int]:
        i += 1
        items: list[Word] = []
        while i < self.n and self.s[i] != ")":
            c = self.s[i]
            if c in _BLANKS + "\n":
                i += 1
            elif c == "#":
                end = self.s.find("\n", i)
                i = self.n if end < 0 else end
            elif c in ";&|(<>":
                i += 1
            else:
                word, i = self.read_word(i, in_word=False, array_ok=False)  # arrays do not nest
                items.append(word)
        if i >= self.n:
            self.errors.append(f"unterminated array from line {self.line_at(start)}")
        end = min(i + 1, self.n)
        return Word(tuple(parts), self.s[start:end], self.line_at(start), tuple(items)), end

    def _read_double(self, i: int, parts: list[Part], depth: int) -> int:
        buf: list[str] = []
        before, start = len(parts), i
        while i < self.n and self.s[i] != '"':
            c = self.s[i]
            if c == "\\" and self.s[i + 1: i + 2] in ('"', "\\", "$", "`", "\n"):
                if self.s[i + 1] != "\n":
                    buf.append(self.s[i + 1])
                i += 2
            elif c in "$`":
                if buf:
                    parts.append(Lit("".join(buf), True))
                    buf = []
                if c == "$":
                    part, i = self.read_dollar(i, True, depth)
                else:
                    end = self._backtick_end(i + 1)
                    part, i = Subst(self.s[i + 1: end], self.line_at(i)), end + 1
                parts.append(part)
            else:
                chunk = _DQ_PLAIN.match(self.s, i).group() or c
                buf.append(chunk)
                i += len(chunk)
        if i >= self.n:
            self.errors.append(f"unterminated double quote from line {self.line_at(start)}")
        if buf or len(parts) == before:  # `""` is still one (empty) field
            parts.append(Lit("".join(buf), True))
        return i + 1

    def read_dollar(self, i: int, quoted: bool, depth: int) -> tuple[Part, int]:
        s, nxt = self.s, self.s[i + 1: i + 2]
        if s.startswith("$((", i):
            end = self._paren_end(i + 2)
            return Subst(None, self.line_at(i)), end + 1
        if nxt == "(":
            end = self._paren_end(i + 2)
            return Subst(s[i + 2: end], self.line_at(i)), end + 1
        if nxt == "{":
            end = self._brace_end(i + 2)
            return self._brace(s[i + 2: end], quoted, i + 2, depth), end + 1
        if nxt == '"' and not quoted:  # $"..." is a translated "..."
            return Lit("", quoted), i + 1
        if nxt == "'" and not quoted:
            end = self._escaped_end(i + 2, "'")
            return Lit(_ansi_c(s[i + 2: end]), True), end + 1
        m = _PARAM_HEAD.match(s, i + 1)
        if m is None or (m.group(1)[0].isdigit() and len(m.group(1)) > 1):
            if m is not None:  # `$10` is `${1}0`
                return Param(m.group(1)[0], quoted=quoted), i + 2
            return Lit("$", quoted), i + 1
        return Param(m.group(1), quoted=quoted), i + 1 + len(m.group(1))

    def _brace(self, inner: str, quoted: bool, at: int, depth: int) -> Part:
        m = _PARAM_HEAD.match(inner)
        if depth >= MAX_NESTING:
            self.errors.append(f"`${{...}}` nested deeper than {MAX_NESTING} levels")
        if m is None or depth >= MAX_NESTING or (inner[:1] in "#!" and len(inner) > 1):
            return Subst(None, self.line_at(at))
        name, index, rest = m.group(1), m.group(2), inner[m.end():]
        if not rest:
            return Param(name, index=index, quoted=quoted)
        op = next((o for o in (":-", ":=", "-", "=") if rest.startswith(o)), "?")
        if op == "?":
            return Param(name, "?", index=index, quoted=quoted)
        sub = _Lexer(rest[len(op):], self.line_at(at))
        arg, _ = sub.read_word(0, in_word=True, quoted=quoted, depth=depth + 1)
        self.errors.extend(sub.errors)
        return Param(name, op, arg, index, quoted)

    def _closing(self, i: int, quote: str) -> int:
        end = self.s.find(quote, i)
        if end < 0:
            self.errors.append(f"unterminated {quote} quote at line {self.line_at(i)}")
            return self.n
        return end

    def _backtick_end(self, i: int) -> int:
        return self._escaped_end(i, "`")

    def _escaped_end(self, i: int, quote: str) -> int:
        """Index of the next `quote` not escaped by a backslash."""
        while i < self.n and self.s[i] != quote:
            i += 2 if self.s[i] == "\\" else 1
        if i >= self.n:
            self.errors.append(f"unterminated {quote} at end of text")
        return min(i, self.n)

    def _paren_end(self, i: int) -> int:
        return self._group_end(i, "(", ")")

    def _brace_end(self, i: int) -> int:
        return self._group_end(i, "{", "}")

    def _group_end(self, i: int, open_: str, close: str) -> int:
        """Index of the `close` matching an already opened `open_`, skipping quotes."""
        depth = 1
        while i < self.n:
            c = self.s[i]
            if c == "\\":
                i += 2
                continue
            if c == "'" and close == ")":
                i = self._closing(i + 1, "'") + 1
                continue
            if c == '"':
                i = self._dq_end(i + 1) + 1
                continue
            if c == open_:
                depth += 1
            elif c == close:
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        self.errors.append(f"unterminated {open_} at end of text")
        return self.n

    def _dq_end(self, i: int) -> int:
        while i < self.n and self.s[i] != '"':
            i += 2 if self.s[i] == "\\" else 1
        return min(i, self.n)


def _flush(buf: list[str], parts: list[Part], quoted: bool) -> None:
    if buf:
        parts.append(Lit("".join(buf), quoted))
        buf.clear()


def _unquote(raw: str) -> str:
    return raw.replace("\\", "").replace("'", "").replace('"', "")


def _ansi_c(body: str) -> str:
    """`$'...'`: only the escapes that stay within the text (`\\'`, `\\\\`)."""
    return body.replace("\\'", "'").replace("\\\\", "\\")


def tokenize(text: str, first_line: int = 1) -> tuple[list[Token], list[str]]:
    """The tokens of `text`, whose first line is `first_line`, and any lexing errors."""
    lexer = _Lexer(text, first_line)
    return lexer.tokens(), lexer.errors


def lex_word(text: str, line: int) -> Word:
    """One word's text (`a"b"$c`) lexed as a word, blanks included."""
    return _Lexer(text, line).read_word(0, in_word=True)[0]


# --- syntax tree -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Simple:
    words: tuple[Word, ...]
    line: int
    heredocs: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Maybe:
    """Commands that may or may not run (`a && b`: b; a loop body)."""

    body: Node


@dataclass(frozen=True, slots=True)
class Branches:
    """`if`: exactly one body runs, or none when `exhaustive` is false."""

    bodies: tuple[Node, ...]
    exhaustive: bool


@dataclass(frozen=True, slots=True)
class Case:
    subject: Word | None
    arms: tuple[tuple[tuple[Word, ...], Node], ...]  # (patterns, body)


@dataclass(frozen=True, slots=True)
class For:
    var: str
    words: tuple[Word, ...] | None  # None: `for x; do` loops over "$@"
    body: Node


@dataclass(frozen=True, slots=True)
class FuncDef:
    name: str
    body: Node


Node = Union[Simple, Seq, Maybe, Branches, Case, For, FuncDef]

_REDIRECTS = frozenset({"<", ">", ">>", "<<", "<<-", "<<<", "&>", "&>>", "<&", ">&", "<>", ">|"})
_COMPOUND = {"if": "parse_if", "for": "parse_for", "select": "parse_for", "while": "parse_while",
             "until": "parse_while", "case": "parse_case", "{": "parse_group", "function": "parse_function"}


@dataclass
class _Parser:
    tokens: list[Token]
    pos: int = 0
    depth: int = 0
    errors: list[str] = field(default_factory=list)

    def peek(self, offset: int = 0) -> Token | None:
        at = self.pos + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def at_word(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text in texts

    def at_op(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text in texts

    def skip_separators(self) -> None:
        while (tok := self.peek()) is not None and (tok.kind == "nl" or (tok.kind == "op" and tok.text in ";&")):
            self.pos += 1

    def expect(self, word: str) -> None:
        if self.at_word(word):
            self.pos += 1

    def parse_list(self, stop_words: frozenset[str] = frozenset(), stop_ops: frozenset[str] = frozenset()) -> Seq:
        items: list[Node] = []
        while True:
            self.skip_separators()
            tok = self.peek()
            if tok is None or (tok.kind == "word" and tok.text in stop_words) or (
                    tok.kind == "op" and tok.text in stop_ops):
                return Seq(tuple(items))
            before = self.pos
            items.append(self.parse_and_or())
            if self.pos == before:  # a token no command starts with (a stray `)`, `;;`, ...)
                self.pos += 1

    def parse_and_or(self) -> Node:
        items = [self.parse_pipeline()]
        while self.at_op("&&", "||"):
            self.pos += 1
            self.skip_newlines()
            items.append(Maybe(self.parse_pipeline()))
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def skip_newlines(self) -> None:
        while (tok := self.peek()) is not None and tok.kind == "nl":
            self.pos += 1

    def parse_pipeline(self) -> Node:
        items = [self.parse_command()]
        while self.at_op("|", "|&"):
            self.pos += 1
            self.skip_newlines()
            items.append(self.parse_command())
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def parse_command(self) -> Node:
        while self.at_word("!", "time"):
            self.pos += 1
        tok = self.peek()
        if tok is None:
            return Seq(())
        if self.depth < MAX_NESTING:
            compound = self._compound(tok)
            if compound is not None:
                return compound
        elif (tok.kind == "op" and tok.text == "(") or (tok.kind == "word" and tok.text in _COMPOUND):
            if not self.errors:
                self.errors.append(f"commands nested deeper than {MAX_NESTING} levels read as flat")
            if tok.kind == "op":
                self.pos += 1
                return Seq(())
        return self.parse_simple()

    def _compound(self, tok: Token) -> Node | None:
        if tok.kind == "word" and tok.text in _COMPOUND:
            return self._nested(getattr(self, _COMPOUND[tok.text]))
        if tok.kind == "op" and tok.text == "(":
            return self._nested(self.parse_subshell)
        nxt, after = self.peek(1), self.peek(2)
        if tok.kind == "word" and nxt is not None and nxt.text == "(" and after is not None and after.text == ")":
            self.pos += 3
            return self._nested(lambda: FuncDef(tok.text, self._function_body()))
        return None

    def _nested(self, parse) -> Node:
        self.depth += 1
        try:
            return parse()
        finally:
            self.depth -= 1

    def parse_if(self) -> Node:
        self.pos += 1
        conds, bodies = [], []
        while True:
            conds.append(self.parse_list(frozenset({"then"})))
            self.expect("then")
            bodies.append(self.parse_list(frozenset({"elif", "else", "fi"})))
            if not self.at_word("elif"):
                break
            self.pos += 1
        exhaustive = self.at_word("else")
        if exhaustive:
            self.pos += 1
            bodies.append(self.parse_list(frozenset({"fi"})))
        self.expect("fi")
        # The first condition always runs; a later one only on the way to its own branch or a later one.
        branch_bodies = [Seq((*conds[1:i + 1], body)) for i, body in enumerate(bodies)]
        return Seq((conds[0], Branches(tuple(branch_bodies), exhaustive)))

    def parse_for(self) -> Node:
        self.pos += 1
        if self.at_op("("):  # for ((i=0; i<n; i++))
            while (tok := self.peek()) is not None and not (tok.kind == "word" and tok.text in ("do", "{")):
                self.pos += 1
            return For("", (), self._loop_body())
        var = self.peek()
        self.pos += 1
        words: tuple[Word, ...] | None = None
        self.skip_newlines()
        if self.at_word("in"):
            self.pos += 1
            items = []
            while (tok := self.peek()) is not None and tok.kind == "word":
                items.append(tok.word)
                self.pos += 1
            words = tuple(items)
        return For(var.text if var is not None else "", words, self._loop_body())

    def _loop_body(self) -> Node:
        self.skip_separators()
        if self.at_word("{"):
            return self.parse_group()
        self.expect("do")
        body = self.parse_list(frozenset({"done"}))
        self.expect("done")
        return body

    def parse_while(self) -> Node:
        self.pos += 1
        cond = self.parse_list(frozenset({"do"}))
        return Seq((cond, Maybe(self._loop_body())))

    def parse_case(self) -> Node:
        self.pos += 1
        subject = self.peek()
        if subject is not None and subject.kind == "word":
            self.pos += 1
        self.skip_newlines()
        self.expect("in")
        arms = []
        while True:
            self.skip_newlines()
            if self.peek() is None or self.at_word("esac"):
                break
            patterns = self._case_patterns()
            arms.append((patterns, self.parse_list(frozenset({"esac"}), frozenset({";;", ";&", ";;&"}))))
            if self.at_op(";;", ";&", ";;&"):
                self.pos += 1
        self.expect("esac")
        return Case(subject.word if subject is not None else None, tuple(arms))

    def _case_patterns(self) -> tuple[Word, ...]:
        patterns = []
        if self.at_op("("):
            self.pos += 1
        while (tok := self.peek()) is not None and not self.at_op(")"):
            if tok.kind == "nl" or self.at_word("esac"):
                return tuple(patterns)
            if tok.word is not None:
                patterns.append(tok.word)
            self.pos += 1
        self.pos += 1
        return tuple(patterns)

    def parse_group(self) -> Node:
        self.pos += 1
        body = self.parse_list(frozenset({"}"}))
        self.expect("}")
        return body

    def parse_subshell(self) -> Node:
        self.pos += 1
        body = self.parse_list(stop_ops=frozenset({")"}))
        if self.at_op(")"):
            self.pos += 1
        return body

    def parse_function(self) -> Node:
        self.pos += 1
        name = self.peek()
        if name is None or name.kind != "word":
            return Seq(())
        self.pos += 1
        if self.at_op("(") and (nxt := self.peek(1)) is not None and nxt.text == ")":
            self.pos += 2
        return FuncDef(name.text, self._function_body())

    def _function_body(self) -> Node:
        self.skip_newlines()
        return self.parse_command()

    def parse_simple(self) -> Node:
        words: list[Word] = []
        heredocs: list[tuple[int, str]] = []
        first = self.peek()
        while (tok := self.peek()) is not None:
            if tok.kind == "word":
                words.append(tok.word)
            elif tok.kind == "op" and tok.text in _REDIRECTS:
                if tok.heredoc is not None:
                    heredocs.append(tok.heredoc)
                nxt = self.peek(1)
                if nxt is not None and nxt.kind == "word":
                    self.pos += 1
            else:
                break
            self.pos += 1
        return Simple(tuple(words), first.line if first else 0, tuple(heredocs))


def parse(text: str, first_line: int = 1) -> tuple[Node, list[str]]:
    """The syntax tree of a script and the errors met on the way (the tree is
    still built: unterminated constructs end at the end of the text)."""
    tokens, errors = tokenize(text, first_line)
    parser = _Parser(tokens)
    tree = parser.parse_list()
    return tree, errors + parser.errors
