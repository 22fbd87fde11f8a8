"""The records that cross a stage, and the closed sets they use.

Extraction turns one file's bytes into a `FileFacts`; resolution turns one
repository's facts into `Usage` rows. Every record here is a frozen, slotted
dataclass so that it pickles cheaply between worker processes and can be cached.
Expressions are kept as their source text: the resolver parses the few it needs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


def _positional(self):
    """Pickle a slotted record as its class and field values: unpickling calls
    the constructor, several times faster than dataclasses' generic
    `__setstate__` (facts of a large corpus are hundreds of thousands of records)."""
    return (type(self), tuple(getattr(self, name) for name in self.__slots__))


class FileKind(str, Enum):
    PYTHON = "python"
    NOTEBOOK = "notebook"
    SHELL = "shell"
    CONFIG = "config"


class ParseStatus(str, Enum):
    OK = "ok"
    PARTIAL = "partial"  # parsed with syntax errors (Python 2, broken code)
    FAILED = "failed"  # nothing could be read (undecodable, invalid JSON)
    SKIPPED = "skipped"  # not parsed: too large, binary, LFS pointer, ...


class ScopeKind(str, Enum):
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"


class BindKind(str, Enum):
    ASSIGN = "assign"
    FOR = "for"  # `for target in value`: value is the iterable
    WITH = "with"
    IMPORT = "import"
    RETURN = "return"  # `return value` in a function, with the target RETURNED


RETURNED = "return"  # a keyword: no assignment binds it, so no lookup of a name finds it


class Resolution(str, Enum):
    LITERAL = "literal"
    CONSTANT = "constant"
    DEFAULT_PARAM = "default_param"
    CALL_ARG = "call_arg"
    ARGPARSE_DEFAULT = "argparse_default"
    DATACLASS_DEFAULT = "dataclass_default"
    FSTRING = "fstring"
    CONCAT = "concat"
    DICT_LOOKUP = "dict_lookup"
    ENV_DEFAULT = "env_default"
    LOOP = "loop"
    CONDITIONAL = "conditional"
    SHELL_ARG = "shell_arg"
    CONFIG_FILE = "config_file"
    PIPELINE_TASK_DEFAULT = "pipeline_task_default"
    LIBRARY_DEFAULT = "library_default"  # the library's own default model, no id given
    LOCAL_PATH = "local_path"
    UNRESOLVED = "unresolved"


class RepoStatus(str, Enum):
    OK = "ok"
    NOT_FOUND = "not_found"
    CLONE_FAILED = "clone_failed"
    EMPTY = "empty"  # a git repository with no commit
    INVALID_LINE = "invalid_line"
    DUPLICATE = "duplicate"
    FAILED = "failed"  # anything else, with the error


@dataclass(frozen=True, slots=True)
class Param:
    __reduce__ = _positional

    name: str
    default: str | None = None  # source text of the default, if any
    annotation: str | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    __reduce__ = _positional

    """A module, class or function body. Scope 0 is always the module."""

    id: int
    parent: int | None
    kind: ScopeKind
    name: str
    line: int
    params: tuple[Param, ...] = ()
    bases: tuple[str, ...] = ()  # class bases, as source text
    decorators: tuple[str, ...] = ()  # as source text, without the `@`


@dataclass(frozen=True, slots=True)
class Import:
    __reduce__ = _positional

    """`alias` names `target` in `scope`; a relative target keeps its dots
    (`from .cfg import X` gives target `.cfg.X`); `alias == "*"` is a star import."""

    scope: int
    alias: str
    target: str
    line: int


@dataclass(frozen=True, slots=True)
class Guard:
    __reduce__ = _positional

    """An `if` (or `elif`) test around a call or an assignment, in its own
    function: that runs only where `test` evaluates to `holds`."""

    test: str  # source text of the condition
    holds: bool
    line: int = 0  # of the `if` or `elif`


@dataclass(frozen=True, slots=True)
class Binding:
    __reduce__ = _positional

    """`target = value` (or `for target in value`, ...) in `scope`. `target` is a
    name, a dotted attribute (`self.name`) or a tuple's source text."""

    scope: int
    target: str
    value: str
    kind: BindKind
    line: int
    top: bool = True  # directly in the scope's body, not inside an if/for/try/with block
    guards: tuple[Guard, ...] = ()  # the `if` tests around it in its scope (assignments only)
    # Runs whenever its `guards` hold: no loop, try, with or match block lies between
    # it and its scope's body (assignments only). Two such bindings in different
    # branches of one `if` never both run in one pass through the scope.
    direct: bool = False


@dataclass(frozen=True, slots=True)
class Arg:
    __reduce__ = _positional

    keyword: str | None  # None for a positional argument
    value: str  # source text
    star: str = ""  # "*" or "**" for unpacked arguments


@dataclass(frozen=True, slots=True)
class CallSite:
    __reduce__ = _positional

    scope: int
    callee: str  # source text of the called expression, e.g. `AM.from_pretrained`
    args: tuple[Arg, ...]
    line: int
    text: str  # source text of the whole call, shortened
    guards: tuple[Guard, ...] = ()  # the tests it runs under (kept for calls of the registry's names)


@dataclass(frozen=True, slots=True)
class ShellArg:
    __reduce__ = _positional

    """A command line in a shell script that passes `values` to `option`."""

    line: int
    program: str | None  # the script or module run (`train.py`, `-m pkg.train`), if known
    option: str  # `--model_name_or_path`, or `$1`-style positional as `#1`
    values: tuple[str, ...]  # every value it can take after variable expansion
    expression: str  # the source text of the argument


@dataclass(frozen=True, slots=True)
class ShellVar:
    __reduce__ = _positional

    """A variable a shell script leaves set, with every known value: what a
    script that `source`s this one finds in it."""

    line: int  # where it was last assigned
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ShellSource:
    __reduce__ = _positional

    """A `source FILE` (or `. FILE`) in a shell script: its variables are read
    from FILE, where the script uses one it does not set itself."""

    line: int
    path: str  # as written, without a leading `$(dirname "$0")/`-like part


@dataclass(frozen=True, slots=True)
class ConfigValue:
    __reduce__ = _positional

    """A string value in a YAML/JSON/TOML/INI config file, by its dotted key path."""

    line: int
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class FileFacts:
    __reduce__ = _positional

    """Everything resolution needs from one file; produced without looking at
    any other file, so it can be cached by content."""

    path: str
    kind: FileKind
    status: ParseStatus = ParseStatus.OK
    error: str | None = None
    scopes: tuple[Scope, ...] = ()
    imports: tuple[Import, ...] = ()
    bindings: tuple[Binding, ...] = ()
    calls: tuple[CallSite, ...] = ()
    shell_args: tuple[ShellArg, ...] = ()
    config_values: tuple[ConfigValue, ...] = ()
    shell_vars: tuple[ShellVar, ...] = ()
    shell_sources: tuple[ShellSource, ...] = ()
    # Names the file mentions other than as the callee of a call in `calls`, a
    # definition's name or in an import (in code, strings or comments): what
    # may reach a function without a call the resolver sees.
    loose: frozenset[str] = frozenset()
    # Names the file binds in ways `bindings` does not show (`x += 1`, `with ... as x`,
    # `except E as x`, `global x`, an assignment from a tensor or `self` method call).
    opaque: frozenset[str] = frozenset()
    # The copyright lines at the head of a Python file, as written (extract/notice.py).
    notice: str = ""


@dataclass(frozen=True, slots=True)
class RepoSpec:
    __reduce__ = _positional

    """One line of the repository list."""

    key: str  # `owner/name`, the URL, or the absolute path
    source: str  # the line as written
    kind: str  # "remote", "git", "bare", "folder", or "invalid"
    location: str  # URL to clone, or local path
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SourceFile:
    __reduce__ = _positional

    """A file to mine: its path in the repository and its content id."""

    path: str
    blob: str  # git blob id, or a content hash for a plain folder ("" for a plain file never read)
    size: int
    # Listed in the tree, but its blob is not in the repository (a partial clone): size 0, or for
    # a blob that our own partial clone left out, one more than the size it leaves out from.
    missing: bool = False


@dataclass(frozen=True, slots=True)
class Usage:
    __reduce__ = _positional

    repo: str
    commit: str | None
    path: str
    line: int
    api: str
    hub: str
    repo_type: str
    model_id: str | None
    resolution: str
    expression: str
    library: str = ""
    canonical_id: str | None = None
    revision: str | None = None
    trust_remote_code: bool | None = None
    file: str | None = None
    auth: bool = False
    vendored: bool = False
    partial_parse: bool = False
    role: str = "code"  # code, test, example, docs or vendored (miner/resolve/roles.py)
    origin_path: str | None = None  # where the id was written, when not at the call (a shell line, a config key)
    origin_line: int | None = None
    carrier: str | None = None  # what carried it to the call: `shell:--model_path`, `config:model.name`, `env:M`


@dataclass(frozen=True, slots=True)
class Problem:
    __reduce__ = _positional

    """A file or repository that was skipped or failed, and why."""

    repo: str
    path: str | None
    stage: str  # "repo", "read", "parse", ...
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ModelSpan:
    __reduce__ = _positional

    """When a model was first and last referenced on the mined history."""

    hub: str
    repo_type: str
    model_id: str
    first_commit: str
    first_date: str
    last_commit: str
    last_date: str


@dataclass(frozen=True, slots=True)
class RepoResult:
    __reduce__ = _positional

    spec: RepoSpec
    status: RepoStatus
    commit: str | None = None
    error: str | None = None
    files_seen: int = 0
    files_parsed: int = 0
    files_cached: int = 0
    reused: bool = False  # an unchanged commit: the previous run's rows, nothing read
    usages: tuple[Usage, ...] = field(default=())
    problems: tuple[Problem, ...] = field(default=())
    spans: tuple[ModelSpan, ...] = field(default=())  # with --history only
