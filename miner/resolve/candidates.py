"""What an evaluation yields and carries: the records every rule of the
evaluator shares (`Candidate`, a value and how it was found; `Ctx`, where an
expression is read and what is being followed), the limits the rules apply,
and how candidates are relabelled (`wrap`, `_conditional`) and combined across
calls (`consistent_via`). No rule lives here.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from miner.records import Binding, Resolution
from miner.resolve.repo import FileView

MAX_DEPTH = 16
MAX_CANDIDATES = 64
MAX_CALLERS = 64  # in-repo call sites followed for one parameter (a method named like a library's has thousands)


class _Local:
    """The value of an expression that builds a filesystem path."""

    def __repr__(self) -> str:
        return "LOCAL"


LOCAL_VALUE = _Local()
_DEEP = object()  # in `Evaluator._hits`: the depth limit cut an evaluation short


@dataclass(frozen=True, slots=True)
class Candidate:
    value: object  # str, bool, int, float, None, or LOCAL_VALUE
    kind: Resolution
    origin: tuple[str, int] | None = None  # (path, line) of a shell or config file
    carrier: str | None = None  # what carried it there (`shell:--model`, `config:model.name`)
    expression: str | None = None
    # The in-repo calls it can hold in, as (function, calls) pairs: a value read from
    # a call's argument holds in that call, a default in the calls that leave it
    # out; two values with no call in common never combine into one id.
    via: frozenset = frozenset()


@dataclass(frozen=True, slots=True)
class Ctx:
    view: FileView
    scope: int
    depth: int = 0
    seen: frozenset = frozenset()
    line: int | None = None  # where the expression is, in `scope`; None: anywhere (a later call)
    # Values an `if` test leaves to a name in the expression being read (narrow.py):
    # ((source text, candidates), ...); not carried into bindings, calls or other scopes.
    pins: tuple = ()
    # The binding whose value is read at its own `line` (`x = x + "-big"`): what
    # `x` held just before it, in the branches that can run before it.
    at: Binding | None = None

    def deeper(self, key: object = None, *, view: FileView | None = None, scope: int | None = None) -> "Ctx":
        same_place = (view is None or view is self.view) and (scope is None or scope == self.scope)
        return Ctx(
            view or self.view,
            self.scope if scope is None else scope,
            self.depth + 1,
            self.seen | {key} if key is not None else self.seen,
            self.line if same_place else None,
            self.pins if same_place and key is None else (),
            self.at if same_place else None,
        )


_WEAK = (Resolution.LITERAL, Resolution.CONSTANT)


def wrap(cands: list[Candidate], kind: Resolution) -> list[Candidate]:
    """Resolution through a name keeps the more telling inner kind."""
    return [replace(c, kind=kind) if c.kind in _WEAK else c for c in cands]


def _conditional(cands: list[Candidate]) -> list[Candidate]:
    return [replace(c, kind=Resolution.CONDITIONAL) if c.kind in _WEAK else c for c in cands]


def consistent_via(vias: Iterable[frozenset]) -> frozenset | None:
    """The calls in which several values can all hold, per function, or None
    when for some function there is no such call."""
    merged: dict[object, frozenset] = {}
    for via in vias:
        for function, calls in via:
            both = merged[function] & calls if function in merged else calls
            if not both:
                return None
            merged[function] = both
    return frozenset(merged.items())
