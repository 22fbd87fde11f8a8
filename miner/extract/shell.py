"""Command lines that run Python code, and the values their options take.

Owns `ShellArg` extraction from shell scripts, Makefile recipes, the shell code
blocks of Markdown files and the `!` escapes of notebooks. Nothing is ever run:
`shell_syntax` parses the text and this module evaluates the parse abstractly.
Each variable holds the set of values it may have (`if` and `case` branches,
loop items and function calls give several), `${X:-d}` gives `d` for a variable
the script never sets, and anything not fully known (`$(cmd)`, a variable from
the environment) gives no value. Every set is capped, and so is the work done
per file, so hostile input ends in bounded time with a PARTIAL status.

For a command that runs Python (`python`, `python3.x`, `torchrun`, `deepspeed`,
`accelerate launch`, `python -m mod`, behind `nohup`, `srun`, env prefixes,
`bash -c`, ...), every argument after the script gives a `ShellArg`: options as
written (`--model`, `--model=x`, single-dash ones too) with the words after them
up to the next option as their values (one `ShellArg` per word), and words
before the first option as positionals `#1`, `#2`, ... (`sys.argv[n]`).
"""
from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

from miner.extract.shell_syntax import (
    MAX_NESTING, Branches, Case, For, FuncDef, Lit, Maybe, Node, Param, Seq, Simple, Subst, Word, parse,
)
from miner.records import FileFacts, FileKind, ParseStatus, ShellArg, ShellSource, ShellVar

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_VALUES = 64  # values kept per word, variable and argument
MAX_VALUE_LEN = 4096  # a longer value is not an id: `A=$A$A` doubling stops here
MAX_STEPS = 100_000  # simple commands evaluated per file (function calls re-run bodies)
MAX_CALL_DEPTH = 8
MAX_SCRIPT_DEPTH = 4  # `bash -c`, `$(...)` and here-documents inside each other

Fields = tuple[str, ...]

# A variable that a script uses after `source FILE` without setting it may come
# from FILE: it stands in a value as this marker, which resolution replaces by
# FILE's values (a value still holding it then is unknown, never shown).
_SOURCED = "\x00sourced:"


def sourced_placeholder(name: str) -> str:
    return f"{_SOURCED}{name}\x00"


SOURCED_NAME = re.compile(r"\x00sourced:(\w+)\x00")
# What locates a sourced file next to the script: `$(dirname "$0")/`, `${BASH_SOURCE%/*}/`, `$DIR/`.
_SCRIPT_DIR = re.compile(r"""^(?:"?\$(?:\([^)]*\)|\{[^}]*\}|\w+)"?/)+""")


# The files python-dotenv's `load_dotenv()` reads, and the templates committed in their place.
DOTENV_NAMES = (".env", ".env.example", ".env.sample", ".env.template", ".env.local", ".env.dist", "example.env")


def is_dotenv(path: str) -> bool:
    """`KEY=value` lines for the environment (read as shell assignments)."""
    return path.rsplit("/", 1)[-1].lower() in DOTENV_NAMES


def is_dockerfile(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile")


def sets_environment(path: str) -> bool:
    """A file whose variables are the environment of the code: a dotenv file,
    or a Dockerfile (its `ENV` lines)."""
    return is_dotenv(path) or is_dockerfile(path)


def source_path(word: str) -> str | None:
    """The file a `source` word names, as a path to match against the
    repository's shell files; None when it is not a literal path."""
    path = _SCRIPT_DIR.sub("", word.strip().lstrip("'\""))
    path = (path.split() or [""])[0].strip("'\"")  # `source env.sh arg`: the file is the first word
    while path.startswith(("./", "../")):
        path = path.split("/", 1)[1]
    if not path or any(ch in path for ch in "$`*?{}\x00"):
        return None
    return path.lstrip("/")


# --- values ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Var:
    """What a shell variable may hold at one point of the script."""

    values: tuple[str, ...]
    unknown: bool = False  # some way here assigns a value that is not known
    maybe_unset: bool = False  # some way here leaves it unset
    items: tuple[str, ...] | None = None  # the elements, when it is one known array


class Env(dict):
    """Variables by name; remembers the names written since it was made, so
    that joining branches only looks at what they changed."""

    __slots__ = ("written",)

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.written: set[str] = set()

    def __setitem__(self, name: str, var: Var) -> None:
        self.written.add(name)
        super().__setitem__(name, var)

    def pop(self, name: str, *default: object) -> object:
        self.written.add(name)
        return super().pop(name, *default)


@dataclass(frozen=True, slots=True)
class Slot:
    """One argv entry of a command: the word it came from and its possible values."""

    raw: str
    values: tuple[str, ...]
    variadic: bool = False  # from an expansion of unknown length (`"$@"`, `$ARGS`)


def _dedup(values: Iterable[str]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for value in values:
        out.setdefault(value, None)
        if len(out) >= MAX_VALUES:
            break
    return tuple(out)


def _concat(a: Fields, b: Fields) -> Fields:
    if not a:
        return b
    if not b:
        return a
    return (*a[:-1], a[-1] + b[0], *b[1:])


def _product(left: list[Fields], right: list[Fields]) -> list[Fields]:
    out: dict[Fields, None] = {}
    for a in left:
        for b in right:
            joined = _concat(a, b)
            if all(len(f) <= MAX_VALUE_LEN for f in joined):
                out.setdefault(joined, None)
                if len(out) >= MAX_VALUES:
                    return list(out)
    return list(out)


def _join(seen: list[Var | None]) -> Var | None:
    """What a variable may hold after one of several ways through the script (None: unset on all)."""
    present = [v for v in seen if v is not None]
    if not present:
        return None
    if len(present) == len(seen) and all(v is present[0] for v in present):
        return present[0]
    items = present[0].items if len(present) == len(seen) and all(
        v.items == present[0].items for v in present) else None
    return Var(_dedup(x for v in present for x in v.values), any(v.unknown for v in present),
               len(present) < len(seen) or any(v.maybe_unset for v in present), items)


# --- assignments and words --------------------------------------------------

_ASSIGN = re.compile(r"([A-Za-z_]\w*)(\[[^\]]*\])?(\+?)=")
_IDENT = re.compile(r"[A-Za-z_]\w*$")


@dataclass(frozen=True, slots=True)
class _Assignment:
    name: str
    append: bool
    indexed: bool
    value: Word


def _assignment(word: Word) -> _Assignment | None:
    """`NAME=value`, `NAME+=value`, `NAME[i]=value`, `NAME=(a b)`, else None."""
    head = word.parts[0] if word.parts else None
    if not isinstance(head, Lit) or head.quoted:
        return None
    m = _ASSIGN.match(head.text)
    if m is None or not word.raw.startswith(m.group()):
        return None
    rest = head.text[m.end():]
    parts = ((Lit(rest),) if rest else ()) + word.parts[1:]
    value = Word(parts, word.raw[m.end():], word.line, word.array)
    return _Assignment(m.group(1), bool(m.group(3)), bool(m.group(2)), value)


def _substitutions(word: Word, depth: int = 0) -> Iterator[Subst]:
    """Command substitutions in a word, in `${x:-...}` defaults too."""
    for part in word.parts:
        if isinstance(part, Subst) and part.script:
            yield part
        elif isinstance(part, Param) and part.arg is not None and depth < MAX_NESTING:
            yield from _substitutions(part.arg, depth + 1)
    for item in word.array or ():
        yield from _substitutions(item, depth + 1)


def _may_spread(word: Word) -> bool:
    """Whether an unknown expansion of this word could be any number of fields."""
    return any(isinstance(p, Param) and (not p.quoted or p.name in ("@", "*") or p.index in ("@", "*"))
               for p in word.parts) or any(isinstance(p, Subst) for p in word.parts)


# --- programs -------------------------------------------------------------

_PYTHON = re.compile(r"i?python(\d+(\.\d+)*)?[mwd]?(\.exe)?$")
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
_HEREDOC_RUNNERS = _SHELLS | {"sbatch", "ssh", "srun"}
# Commands that run another command given later on their line, after their own options.
_WRAPPERS = frozenset({
    "nohup", "exec", "env", "sudo", "nice", "ionice", "stdbuf", "timeout", "taskset", "numactl", "xvfb-run",
    "srun", "salloc", "mpirun", "mpiexec", "horovodrun", "command", "caffeinate", "unbuffer", "time",
    "uv", "poetry", "pipenv", "pdm", "hatch", "rye", "pixi", "conda", "mamba", "micromamba",
    "singularity", "apptainer", "docker", "nvidia-docker", "podman", "coverage",
})
_LAUNCHERS = frozenset({"torchrun", "deepspeed", "composer"})
_LAUNCH_MODULES = frozenset({"torch.distributed.launch", "torch.distributed.run", "accelerate.commands.launch",
                             "deepspeed.launcher.runner", "torch.distributed.elastic.multiprocessing"})
# Launcher options that take no value (the rest take the word after them, unless it is the script).
_LAUNCHER_FLAGS = frozenset({
    "--standalone", "--use_env", "--use-env", "--no_python", "--no-python", "--no_local_rank", "--no-local-rank",
    "--multi_gpu", "--cpu", "--tpu", "--use_deepspeed", "--use_fsdp", "--use_megatron_lm", "--debug", "-q",
    "--quiet", "--force_multi", "--bind_cores_to_rank", "--no_ssh_check", "--no_python_check",
})
_PYTHON_VALUE_FLAGS = frozenset({"-W", "-X", "-Q"})
_NUMBER = re.compile(r"-\.?\d")
_SCRIPT_TAIL = re.compile(r"[}/]([\w.\-/]*?\w[\w.\-]*\.py)[\"']?$")


@dataclass(frozen=True, slots=True)
class _Launch:
    """A command that runs Python: the program(s) and where its arguments start,
    or a shell's `-c` script."""

    programs: tuple[str | None, ...] = ()
    start: int = 0
    script: Slot | None = None


def _text(slot: Slot) -> str:
    return slot.values[0] if slot.values else slot.raw


def _name(slot: Slot) -> str:
    return _text(slot).rsplit("/", 1)[-1]


def _is_python(slot: Slot) -> bool:
    return bool(_PYTHON.match(_name(slot))) or (not slot.values and "python" in slot.raw.lower())


def _programs(slot: Slot, module: bool = False) -> tuple[str | None, ...]:
    if not slot.values:
        tail = None if module else _SCRIPT_TAIL.search(slot.raw)  # `"$ROOT/scripts/train.py"`
        return (tail.group(1).lstrip("/"),) if tail else (None,)
    return tuple(f"-m {v}" if module else re.sub(r"^(\./)+", "", v) for v in slot.values)


def _starts_program(slots: list[Slot], i: int) -> bool:
    name = _name(slots[i])
    nxt = _text(slots[i + 1]) if i + 1 < len(slots) else ""
    return (_is_python(slots[i]) or name in _LAUNCHERS or name.endswith(".py")
            or (name == "accelerate" and nxt == "launch") or (name in _SHELLS and _is_c_flag(nxt)))


def _is_c_flag(text: str) -> bool:
    return bool(re.fullmatch(r"-[a-z]*c[a-z]*", text))


def _launch(slots: list[Slot]) -> _Launch | None:
    """How a command runs Python, if it does."""
    start = 0
    if _name(slots[0]) in _WRAPPERS:
        start = next((i for i in range(1, len(slots)) if _starts_program(slots, i)), -1)
        if start < 0:
            return None
    return _program_at(slots, start)


def _program_at(slots: list[Slot], i: int) -> _Launch | None:
    name = _name(slots[i])
    nxt = _text(slots[i + 1]) if i + 1 < len(slots) else ""
    if _is_python(slots[i]):
        return _after_python(slots, i + 1)
    if name in _LAUNCHERS:
        return _after_launcher(slots, i + 1)
    if name == "accelerate" and nxt == "launch":
        return _after_launcher(slots, i + 2)
    if name in _SHELLS and _is_c_flag(nxt) and i + 2 < len(slots):
        return _Launch(script=slots[i + 2])
    if name.endswith(".py"):
        return _Launch(_programs(slots[i]), i + 1)
    return None


def _after_python(slots: list[Slot], i: int) -> _Launch | None:
    """The interpreter's own options, then `-m module` or the script."""
    while i < len(slots):
        text = _text(slots[i])
        if text == "-m":
            return _module(slots[i + 1], slots, i + 2) if i + 1 < len(slots) else None
        if text.startswith("-m"):
            return _module(Slot(text, (text[2:],)), slots, i + 1)
        if text == "-" or text.startswith("-c"):
            return None
        if not text.startswith("-"):
            return _Launch(_programs(slots[i]), i + 1)
        i += 2 if text in _PYTHON_VALUE_FLAGS else 1
    return None


def _module(module: Slot, slots: list[Slot], after: int) -> _Launch | None:
    if _text(module) in _LAUNCH_MODULES:
        return _after_launcher(slots, after)
    return _Launch(_programs(module, module=True), after)


def _after_launcher(slots: list[Slot], i: int) -> _Launch | None:
    """A distributed launcher's options, then the script or (`-m`) module."""
    texts = [_text(s) for s in slots]
    script_after = [False] * (len(texts) + 1)  # whether a `*.py` word follows index k
    for k in range(len(texts) - 1, -1, -1):
        script_after[k] = script_after[k + 1] or texts[k].endswith(".py")
    module = False
    while i < len(slots):
        text, nxt = texts[i], texts[i + 1] if i + 1 < len(texts) else None
        if text in ("-m", "--module"):
            module, i = True, i + 1
        elif text.startswith("-"):
            takes_value = "=" not in text and text not in _LAUNCHER_FLAGS and nxt is not None and not (
                nxt.startswith("-") or nxt.endswith(".py"))
            i += 2 if takes_value else 1
        elif not slots[i].values and script_after[i + 1]:
            i += 1  # `$DIST_ARGS train.py`: launcher options hidden in a variable
        else:
            return _Launch(_programs(slots[i], module), i + 1)
    return None


def _is_option(slot: Slot) -> bool:
    text = _text(slot)
    return text.startswith("-") and len(text) > 1 and not _NUMBER.match(text)


def _arguments(args: list[Slot]) -> Iterator[tuple[str, tuple[str, ...], str]]:
    """(option, values, expression) for each argument word of a Python program."""
    option: str | None = None
    seen_option = variadic = False
    for position, slot in enumerate(args, 1):
        if _is_option(slot):
            seen_option = True
            name, eq, _ = _text(slot).partition("=")
            option = None if eq or name == "--" else name
            if eq:
                values = tuple(v.partition("=")[2] for v in slot.values if v.startswith(name + "="))
                yield name, values, slot.raw.partition("=")[2]
        elif option is not None:
            yield option, slot.values, slot.raw
        elif not seen_option and not variadic:
            yield f"#{position}", slot.values, slot.raw
        variadic = variadic or slot.variadic


# --- evaluation -----------------------------------------------------------

_DECLARE = frozenset({"export", "declare", "typeset", "local", "readonly"})
_POSITIONAL = tuple(str(i) for i in range(1, 10))
_INTERPOLATION = re.compile(r"\{[^{}]*\}")


@dataclass
class _Evaluator:
    """Runs a parse abstractly, collecting the arguments of Python commands."""

    ipython: bool = False  # notebook `!` lines: `{expr}` is Python interpolation, never a value
    commands: frozenset[str] = frozenset()  # programs whose every word is kept (as `#1`, `#2`, ...)
    funcs: dict[str, Node] = field(default_factory=dict)
    called: set[str] = field(default_factory=set)
    found: dict[tuple[int, str | None, str, str], dict[str, None]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    parsed: dict[tuple[str, int], tuple[Node, list[str]]] = field(default_factory=dict)
    steps: int = 0
    call_depth: int = 0
    script_depth: int = 0
    sources: dict[tuple[int, str], None] = field(default_factory=dict)  # (line, path) of `source` commands
    assigned_at: dict[str, int] = field(default_factory=dict)  # line of each variable's last assignment

    def run_text(self, text: str, line: int, env: Env) -> None:
        key = (text, line)
        if key not in self.parsed:  # a function body's `$(...)` is met again on every call
            self.parsed[key] = parse(text, line)
            self.errors.extend(self.parsed[key][1])
        self.run(self.parsed[key][0], env)

    def finish(self, env: Env) -> None:
        """Functions never called still run once, with no arguments."""
        for name in list(self.funcs):
            if name not in self.called:
                self.called.add(name)
                self._call(name, [], Env(env))

    def run(self, node: Node, env: Env) -> None:
        if isinstance(node, Simple):
            self._simple(node, env)
        elif isinstance(node, Seq):
            for item in node.items:
                self.run(item, env)
        elif isinstance(node, Maybe):
            self._branches((node.body,), env, exhaustive=False)
        elif isinstance(node, Branches):
            self._branches(node.bodies, env, node.exhaustive)
        elif isinstance(node, Case):
            self._case(node, env)
        elif isinstance(node, For):
            self._for(node, env)
        elif isinstance(node, FuncDef):
            self.funcs[node.name] = node.body

    def _branches(self, bodies: tuple[Node, ...], env: Env, exhaustive: bool) -> None:
        outs = []
        for body in bodies:
            branch = Env(env)
            self.run(body, branch)
            outs.append(branch)
        written = set().union(*(branch.written for branch in outs))
        if not exhaustive or not outs:
            outs.append(env)
        for name in written:
            var = _join([out.get(name) for out in outs])
            if var is None:
                env.pop(name, None)
            else:
                env[name] = var

    def _case(self, node: Case, env: Env) -> None:
        """Only the arms a known subject matches; every arm for an unknown one."""
        alts, unknown = self.expand(node.subject, env, split=False) if node.subject else ([], True)
        if unknown or not alts:
            exhaustive = any(p.raw == "*" for patterns, _ in node.arms for p in patterns)
            self._branches(tuple(body for _, body in node.arms), env, exhaustive)
            return
        chosen: dict[int, None] = {}
        exhaustive = True
        for value in (" ".join(alt) for alt in alts):
            arm = next((i for i, (patterns, _) in enumerate(node.arms)
                        if any(self._matches(p, value, env) for p in patterns)), None)
            if arm is None:
                exhaustive = False
            else:
                chosen.setdefault(arm, None)
        self._branches(tuple(node.arms[i][1] for i in chosen), env, exhaustive)

    def _matches(self, pattern: Word, value: str, env: Env) -> bool:
        alts, unknown = self.expand(pattern, env, split=False)
        return unknown or any(fnmatch.fnmatchcase(value, " ".join(alt)) for alt in alts)

    def _for(self, node: For, env: Env) -> None:
        if not node.var:  # C-style `for ((...))`
            self._branches((node.body,), env, exhaustive=False)
            return
        values: list[str] = []
        unknown = node.words is None
        for word in node.words or ():
            self._substitutions(word, env)
            alts, word_unknown = self.expand(word, env, split=True)
            values.extend(f for alt in alts for f in alt)
            unknown = unknown or word_unknown
        env[node.var] = Var(_dedup(values), unknown)
        if values:
            self.run(node.body, env)  # the body runs at least once, with the variable taking every item
        elif unknown:
            self._branches((node.body,), env, exhaustive=False)

    def _simple(self, node: Simple, env: Env) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            if self.steps == MAX_STEPS + 1:
                self.errors.append(f"evaluation stopped after {MAX_STEPS} commands")
            return
        for word in node.words:
            self._substitutions(word, env)
        assignments = []
        for word in node.words:
            if (a := _assignment(word)) is None:
                break
            assignments.append(a)
        words = list(node.words[len(assignments):])
        if not words:
            for a in assignments:
                self._assign(a, env)
            return
        slots = [s for w in words for s in self.slots(w, env)]
        if slots:
            self._command(node, words, slots, env)

    def _command(self, node: Simple, words: list[Word], slots: list[Slot], env: Env) -> None:
        name = _name(slots[0])
        if name in _DECLARE:
            for a in filter(None, map(_assignment, words[1:])):
                self._assign(a, env)
        elif name in ("unset", "read"):
            for value in (v for s in slots[1:] for v in s.values if _IDENT.match(v)):
                if name == "read":
                    env[value] = Var((), unknown=True)
                else:
                    env.pop(value, None)
        elif name in ("source", ".") and len(slots) > 1:
            path = source_path(_text(slots[1]) if slots[1].values else slots[1].raw)
            if path:
                self.sources[(node.line, path)] = None
        elif name in self.funcs and slots[0].values:
            self._call(name, slots[1:], env)
        elif name in self.commands:
            for position, slot in enumerate(slots[1:], 1):  # every word, options included
                self._emit(node.line, name, f"#{position}", slot.values, slot.raw)
        else:
            self._run_program(node, slots, env)
            if node.heredocs and name in _HEREDOC_RUNNERS:
                for line, body in node.heredocs:
                    self._nested(body, line, env)

    def _run_program(self, node: Simple, slots: list[Slot], env: Env) -> None:
        launch = _launch(slots)
        if launch is None:
            return
        if launch.script is not None:
            for text in launch.script.values:
                self._nested(text, node.line, env)
            return
        for option, values, expression in _arguments(slots[launch.start:]):
            for program in launch.programs:
                self._emit(node.line, program, option, values, expression)

    def _emit(self, line: int, program: str | None, option: str, values: tuple[str, ...], expression: str) -> None:
        kept = [v for v in values if v and not (self.ipython and _INTERPOLATION.search(v))]
        if not kept and option.startswith("#"):
            return
        found = self.found.setdefault((line, program, option, expression), {})
        for value in kept[: MAX_VALUES - len(found)]:
            found.setdefault(value, None)

    def _call(self, name: str, args: list[Slot], env: Env) -> None:
        if self.call_depth >= MAX_CALL_DEPTH:
            return
        self.called.add(name)
        saved = {k: env.pop(k) for k in _POSITIONAL if k in env}
        for key, slot in zip(_POSITIONAL, args):
            if slot.variadic:
                break
            env[key] = Var(slot.values, unknown=not slot.values)
        self.call_depth += 1
        try:
            self.run(self.funcs[name], env)
        finally:
            self.call_depth -= 1
            for k in _POSITIONAL:
                env.pop(k, None)
            for k, var in saved.items():
                env[k] = var

    def _nested(self, text: str, line: int, env: Env) -> None:
        """A script inside a command (`bash -c`, `$(...)`, a here-document), run in a copy of the state."""
        if self.script_depth >= MAX_SCRIPT_DEPTH:
            return
        self.script_depth += 1
        try:
            self.run_text(text, line, Env(env))
        finally:
            self.script_depth -= 1

    def _substitutions(self, word: Word, env: Env) -> None:
        for subst in _substitutions(word):
            self._nested(subst.script or "", subst.line, env)

    # -- assignments and expansion --

    def _assign(self, a: _Assignment, env: Env) -> None:
        if a.value.array is not None:
            var = self._array(a.value.array, env)
        else:
            alts, unknown = self.expand(a.value, env, split=False)
            var = Var(_dedup(" ".join(alt) for alt in alts), unknown or not alts)
        old = env.get(a.name)
        if old is not None and (a.append or a.indexed):
            var = _extend(old, var, concat=a.append and not a.indexed and a.value.array is None)
        env[a.name] = var
        self.assigned_at[a.name] = a.value.line

    def _array(self, items: tuple[Word, ...], env: Env) -> Var:
        slots = [s for w in items for s in self.slots(w, env)]
        exact = len(slots) <= MAX_VALUES and all(len(s.values) == 1 for s in slots)
        values = _dedup(v for s in slots for v in s.values)
        return Var(values, not all(s.values for s in slots), items=tuple(s.values[0] for s in slots) if exact else None)

    def slots(self, word: Word, env: Env) -> list[Slot]:
        """The argv entries a word becomes: usually one, several for `"${A[@]}"`."""
        alts, unknown = self.expand(word, env, split=True)
        spread = unknown and _may_spread(word)
        if not alts:
            return [Slot(word.raw, (), spread)]
        counts = {len(alt) for alt in alts}
        if counts == {0}:
            return []
        if len(counts) == 1:
            return [Slot(word.raw, _dedup(alt[j] for alt in alts), spread) for j in range(counts.pop())]
        return [Slot(word.raw, _dedup(f for alt in alts for f in alt), True)]

    def expand(self, word: Word, env: Env, split: bool) -> tuple[list[Fields], bool]:
        """The known alternatives of a word, each a tuple of fields, and whether
        some alternative is unknown (and so left out)."""
        alts: list[Fields] = [()]
        unknown = False
        for part in word.parts:
            if isinstance(part, Lit):
                options: list[Fields] = [(part.text,)]
            elif isinstance(part, Param):
                options, part_unknown = self._param(part, env, split)
                unknown = unknown or part_unknown
            else:
                options = []
            alts = _product(alts, options)
            if not alts:
                return [], True
        return alts, unknown

    def _param(self, p: Param, env: Env, split: bool) -> tuple[list[Fields], bool]:
        var = env.get(p.name)
        if p.op in (":-", "-", ":=", "="):
            return self._with_default(p, var, env, split)
        if var is None and not p.op and self.sources and _IDENT.match(p.name):
            return [(sourced_placeholder(p.name),)], False  # a file sourced earlier may set it
        if p.op or var is None:
            return [], True
        return _fields(var, p, split), var.unknown

    def _with_default(self, p: Param, var: Var | None, env: Env, split: bool) -> tuple[list[Fields], bool]:
        colon = p.op.startswith(":")
        alts = [f for f in _fields(var, p, split) if not colon or f not in ((), ("",))] if var else []
        unknown = var.unknown if var else False
        if var is None or var.maybe_unset or (colon and (not var.values and not var.unknown or "" in var.values)):
            default, default_unknown = self.expand(p.arg or Word((), "", 0), env, split and not p.quoted)
            alts = list(dict.fromkeys(alts + default))[:MAX_VALUES]
            unknown = unknown or default_unknown
            if p.op.endswith("=") and _IDENT.match(p.name):
                env[p.name] = Var(_dedup(" ".join(a) for a in alts), unknown)
        return alts, unknown


def _fields(var: Var, p: Param, split: bool) -> list[Fields]:
    """The alternatives of one variable's expansion."""
    if var.items is not None and p.index in ("@", "*"):
        items = [" ".join(var.items)] if p.index == "*" and p.quoted else list(var.items)
        return [tuple(f for item in items for f in _split(item, split and not p.quoted))]
    values: tuple[str, ...] = var.values
    if var.items is not None and (p.index is None or p.index.isdigit()):
        at = int(p.index or 0)
        values = var.items[at: at + 1]
    return [_split(v, split and not p.quoted) for v in values]


def _split(value: str, split: bool) -> Fields:
    return tuple(value.split()) if split else (value,)


def _extend(old: Var, new: Var, concat: bool) -> Var:
    """`A+=x` (concat) or `A[i]=x`, `A+=(x)` (more elements)."""
    if concat:
        values = _dedup(a + b for a in old.values for b in new.values)
        return Var(values, old.unknown or new.unknown)
    items = old.items + new.items if old.items is not None and new.items is not None else None
    items = items if items is None or len(items) <= MAX_VALUES else None
    return Var(_dedup(old.values + new.values), old.unknown or new.unknown, items=items)


# --- entry points -----------------------------------------------------------


def extract_shell(path: str, text: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  commands: frozenset[str] = frozenset()) -> FileFacts:
    """The Python command lines of a shell script (and those of `commands`),
    the files it sources, and the variables it leaves set (for the scripts
    that source it)."""
    return _facts(path, text, max_bytes, lambda ev: _run_script(ev, text), commands)


def extract_markdown(path: str, text: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                     commands: frozenset[str] = frozenset()) -> FileFacts:
    """The Python command lines in the ```bash / ```sh / ```shell / ```console
    blocks of a Markdown file; blocks share variables, in order."""
    def run(ev: _Evaluator) -> None:
        env = Env()
        for line, block in markdown_blocks(text):
            ev.run_text(block, line, env)
        ev.finish(env)

    return _facts(path, text, max_bytes, run, commands)


def extract_makefile(path: str, text: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                     commands: frozenset[str] = frozenset()) -> FileFacts:
    """The Python command lines of a Makefile's recipes, with `$(VAR)` taken from
    the Makefile's own assignments (`?=` ones as defaults)."""
    def run(ev: _Evaluator) -> None:
        variables, recipes = makefile_shell(text)
        env = Env()
        ev.run_text(variables, 1, env)
        for line, recipe in recipes:
            ev.run_text(recipe, line, Env(env))  # every recipe line is a shell of its own
        ev.finish(env)

    return _facts(path, text, max_bytes, run, commands)


def extract_dockerfile(path: str, text: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                       commands: frozenset[str] = frozenset()) -> FileFacts:
    """A Dockerfile as a shell script: its `RUN`, `CMD` and `ENTRYPOINT`
    command lines, and its `ENV` and `ARG` variables (each on its own line)."""
    script = dockerfile_shell(text)
    return _facts(path, script, max_bytes, lambda ev: _run_script(ev, script), commands)


def extract_shell_lines(path: str, lines: list[tuple[int, str]], *,
                        commands: frozenset[str] = frozenset()) -> tuple[ShellArg, ...]:
    """The Python command lines among notebook shell escapes, given as (line,
    text) without the `!`; each runs in a shell of its own, as in IPython."""
    try:
        ev = _Evaluator(ipython=True, commands=commands)
        for line, text in lines:
            if len(text) <= DEFAULT_MAX_BYTES:
                env = Env()
                ev.run_text(text, line, env)
                ev.finish(env)
                ev.funcs.clear()
        return _shell_args(ev)
    except Exception:  # noqa: BLE001 - never raise; a notebook's escapes are a bonus
        return ()


def _run_script(ev: _Evaluator, text: str) -> Env:
    env = Env()
    ev.run_text(text, 1, env)
    ev.finish(env)
    return env


def _facts(path: str, text: str, max_bytes: int, run, commands: frozenset[str]) -> FileFacts:
    if len(text) > max_bytes or len(text.encode("utf-8", "replace")) > max_bytes:
        return FileFacts(path, FileKind.SHELL, ParseStatus.SKIPPED, f"larger than {max_bytes} bytes")
    try:
        ev = _Evaluator(commands=commands)
        env = run(ev)  # a script's final variables; None for Markdown and Makefiles
        args = _shell_args(ev)
    except Exception as exc:  # noqa: BLE001 - a failure is a value
        return FileFacts(path, FileKind.SHELL, ParseStatus.FAILED, f"{type(exc).__name__}: {exc}"[:500])
    facts = FileFacts(path, FileKind.SHELL, shell_args=args,
                      shell_vars=_shell_vars(env, ev.assigned_at) if env is not None else (),
                      shell_sources=tuple(ShellSource(line, source) for line, source in ev.sources))
    if ev.errors:
        return replace(facts, status=ParseStatus.PARTIAL, error="; ".join(dict.fromkeys(ev.errors))[:500])
    return facts


def _shell_vars(env: Env, assigned_at: dict[str, int]) -> tuple[ShellVar, ...]:
    """The variables the script assigns and leaves with known values only."""
    return tuple(ShellVar(assigned_at[name], name, var.values) for name, var in sorted(env.items())
                 if name in assigned_at and var.values and not var.unknown and not var.maybe_unset)


def _shell_args(ev: _Evaluator) -> tuple[ShellArg, ...]:
    args = [ShellArg(line, program, option, tuple(values), expression)
            for (line, program, option, expression), values in ev.found.items()]
    return tuple(sorted(args, key=lambda a: a.line))


# --- Markdown and Makefiles as shell text ---------------------------------

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)")
_SHELL_LANGS = frozenset({"bash", "sh", "shell", "zsh", "console", "shell-session", "shellsession", "terminal"})
_PROMPT = re.compile(r"^\s*(?:\([\w.-]+\)\s*)?\$\s+")


def markdown_blocks(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each shell code block, prompts (`$ `) removed;
    in `console` blocks, lines without a prompt are output and left out."""
    lines = text.split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        i += 1
        if m is None:
            continue
        fence, lang, start = m.group(1), m.group(2).lower(), i
        while i < len(lines) and not _closes(lines[i], fence):
            i += 1
        if lang in _SHELL_LANGS:
            prompted = lang in ("console", "shell-session", "shellsession", "terminal")
            blocks.append((start + 1, "\n".join(_unprompt(line, prompted) for line in lines[start:i])))
        i += 1
    return blocks


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and not stripped.strip(fence[0])


def _unprompt(line: str, prompted: bool) -> str:
    m = _PROMPT.match(line)
    if m:
        return line[m.end():]
    return "" if prompted else line


_MAKE_ASSIGN = re.compile(r"^(?:export\s+|override\s+)*([A-Za-z_][\w.-]*)\s*(\?=|::=|:=|\+=|!=|=)\s*(.*)$")
_MAKE_REF = re.compile(r"\$\$|\$\(([A-Za-z_][\w.-]*)\)|\$\{([A-Za-z_][\w.-]*)\}|\$([@<^?*+|%])")
_MAKE_COND = re.compile(r"^\s*(ifeq|ifneq|ifdef|ifndef|else|endif)\b(.*)$")


_DOCKER_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s*(.*)$", re.S)
_DOCKER_ENV_PAIR = re.compile(r"""([A-Za-z_]\w*)=("[^"]*"|'[^']*'|\S*)""")


def dockerfile_shell(text: str) -> str:
    """The shell script a Dockerfile amounts to, line for line: commands stay
    where they were, `ENV K=V` becomes `export K=V`, other instructions blank."""
    lines = text.split("\n")
    out = [""] * len(lines)
    i = 0
    while i < len(lines):
        start, logical = i, [lines[i]]
        while logical[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            logical.append(lines[i])
        i += 1
        joined = " ".join(part.rstrip().rstrip("\\") for part in logical if not part.lstrip().startswith("#"))
        match = _DOCKER_INSTRUCTION.match(joined)
        if match is not None and not logical[0].lstrip().startswith("#"):
            out[start] = _docker_line(match.group(1).upper(), match.group(2).strip())
    return "\n".join(out)


def _docker_line(instruction: str, rest: str) -> str:
    if instruction in ("RUN", "CMD", "ENTRYPOINT"):
        if rest.startswith("["):  # the exec form: a JSON array of words
            try:
                words = json.loads(rest)
            except ValueError:
                return ""
            return shlex.join(str(w) for w in words) if isinstance(words, list) else ""
        return rest
    if instruction in ("ENV", "ARG"):
        pairs = _DOCKER_ENV_PAIR.findall(rest)
        if not pairs and instruction == "ENV" and len(rest.split(None, 1)) == 2:  # the old `ENV KEY value` form
            key, value = rest.split(None, 1)
            pairs = [(key, shlex.quote(value))]
        prefix = "export " if instruction == "ENV" else ""
        return "; ".join(f"{prefix}{key}={value}" for key, value in pairs)
    return ""


def makefile_shell(text: str) -> tuple[str, list[tuple[int, str]]]:
    """A Makefile as shell: one script of its variable assignments (conditionals
    become `if`s), and each recipe line (continuations joined) with its line."""
    assigns: list[str] = []
    recipes: list[tuple[int, str]] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        start, logical = i, [lines[i]]
        while logical[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            logical.append(lines[i])
        i += 1
        if logical[0].startswith("\t"):
            body = "\n".join(line[1:] if line.startswith("\t") else line for line in logical)
            recipes.append((start + 1, _make_refs(re.sub(r"^[\s@+-]*", "", body), quoted=False)))
        else:
            assigns.append(_make_line(" ".join(line.rstrip("\\") for line in logical), assigns))
    return "\n".join(assigns), recipes


def _make_line(line: str, earlier: list[str]) -> str:
    cond = _MAKE_COND.match(line)
    if cond:
        word, rest = cond.groups()
        if word == "endif":
            return "fi"
        if word == "else":
            return "elif true; then" if _MAKE_COND.match(rest.strip()) else "else"
        return "if true; then"
    m = _MAKE_ASSIGN.match(line)
    if m is None:
        return ""
    name, op, value = re.sub(r"[.-]", "_", m.group(1)), m.group(2), _make_refs(m.group(3).strip(), quoted=True)
    if op == "!=":
        return f"{name}=$(:)"
    if op == "?=":
        return f'{name}="${{{name}:-{value}}}"'
    if op == "+=" and any(e.startswith(name + "=") for e in earlier):
        return f'{name}="${name} {value}"'
    return f'{name}="{value}"'


def _make_refs(text: str, quoted: bool) -> str:
    """Make's `$(VAR)` as shell `${VAR}`, `$$` as `$`; automatic variables stay unknown."""
    if quoted:
        text = re.sub(r'(["`\\])', r"\\\1", text)

    def ref(m: re.Match[str]) -> str:
        if m.group() == "$$":
            return "\\$" if quoted else "$"
        name = m.group(1) or m.group(2)
        return "${" + re.sub(r"[.-]", "_", name) + "}" if name else "${__make_automatic__}"

    return _MAKE_REF.sub(ref, text)
