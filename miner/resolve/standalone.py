"""Ids that shell scripts and config files name on their own.

A command line `python run.py --model_name_or_path x` or a config key
`base_model: x` names a model even when the script it feeds is not in the
repository or cannot be followed. Option and key names come from the
`model_keys` table in `patterns/`; a value is kept only if it has the shape of a
Hugging Face id, and never twice when resolution already linked it to a call.
Download commands (`hf download x`, `git clone https://huggingface.co/x`) name
their model by the `[[command]]` patterns of `patterns/`.
"""
from __future__ import annotations

import posixpath
from collections import defaultdict

from miner.patterns import CommandPattern, Registry
from miner.records import Resolution, ShellArg, Usage
from miner.resolve import ids
from miner.resolve.repo import RepoView
from miner.resolve.usages import RepoContext, is_vendored


def _key(name: str) -> str:
    return name.lstrip("-").replace("-", "_").lower()


def _configs_read_by_code(view: RepoView) -> set[str]:
    """Config files whose name appears in a string of the repository's Python
    code (a default path, an `open(...)`): those are read by code we can follow,
    so their keys alone do not make a usage."""
    if not view.config_paths:
        return set()
    strings = "\n".join(
        text
        for f in view.files.values()
        for text in [*(b.value for b in f.facts.bindings), *(a.value for c in f.facts.calls for a in c.args),
                     *(p.default or "" for s in f.scopes for p in s.params)]
        if "'" in text or '"' in text
    )
    def named(path: str) -> bool:
        base = posixpath.basename(path)
        stem = base.rsplit(".", 1)[0]
        return base in strings or f'"{stem}"' in strings or f"'{stem}'" in strings

    return {path for path in view.config_paths if named(path)}


def standalone_usages(view: RepoView, registry: Registry, ctx: RepoContext, *,
                      linked: set[tuple[str, int, str | None]]) -> list[Usage]:
    """`linked`: (path, line, model_id) of the shell and config values that
    resolution already carried to a loading call."""
    keys = {k.lower(): v for k, v in registry.table("model_keys").items()}
    legacy = registry.table("legacy_hf")
    done = set(linked)
    rows: list[Usage] = []

    def add(path: str, line: int, carrier: str, key: str, value: str, kind: Resolution, expression: str) -> None:
        repo_type = keys.get(key)
        verdict = ids.hf_id(value, legacy=legacy, mirrors=ctx.mirrors)
        if repo_type is None or verdict.kind != ids.IdKind.HUB or (path, line, verdict.model_id) in done \
                or ctx.ships(verdict.model_id):
            return
        done.add((path, line, verdict.model_id))
        rows.append(Usage(
            repo=ctx.repo, commit=ctx.commit, path=path, line=line, api=carrier, hub="huggingface",
            repo_type=repo_type, model_id=verdict.model_id, resolution=kind.value, expression=expression[:500],
            canonical_id=legacy.get(verdict.model_id), vendored=is_vendored(path, ctx),
        ))

    for path, arg in view.shell_args:
        if arg.program in registry.command_programs:
            continue  # a download command's words: read below
        for value in arg.values:
            add(path, arg.line, f"shell:{arg.option}", _key(arg.option), value, Resolution.SHELL_ARG, arg.expression)
    rows += [u for u in command_usages(view, registry, ctx) if (u.path, u.line, u.model_id) not in done]
    read_by_code = _configs_read_by_code(view)
    for path, cv in view.config_values:
        if path in read_by_code:
            continue  # the code reads it: resolution already linked what it loads
        last = cv.key.rsplit(".", 1)[-1]
        add(path, cv.line, f"config:{cv.key}", _key(last), cv.value, Resolution.CONFIG_FILE, f"{cv.key}: {cv.value}")
    return rows


_REPO_TYPES = frozenset({"model", "dataset", "space"})


def command_usages(view: RepoView, registry: Registry, ctx: RepoContext) -> list[Usage]:
    """The models that download commands in shell scripts, Makefiles, Markdown
    and notebook `!` lines name (their words come as `#1`, `#2`, ...)."""
    lines: dict[tuple[str, int, str], dict[int, ShellArg]] = defaultdict(dict)
    for path, arg in view.shell_args:
        if arg.program in registry.command_programs and arg.option[1:].isdigit():
            lines[(path, arg.line, arg.program)][int(arg.option[1:])] = arg
    rows: dict[tuple[str, int, str | None], Usage] = {}
    for (path, line, program), words in lines.items():
        for command in registry.commands:
            if program in command.programs:
                sequence = [words.get(i) for i in range(1, max(words) + 1)]
                for row in _command_rows(command, program, sequence, path, line, registry, ctx):
                    rows.setdefault((path, line, row.model_id), row)  # two patterns of one program: one row
    return list(rows.values())


def _command_rows(command: CommandPattern, program: str, words: list[ShellArg | None], path: str, line: int,
                  registry: Registry, ctx: RepoContext) -> list[Usage]:
    positional, options = _split_words(words, command)
    for sub in command.subcommands:
        if len(positional) < len(sub) + command.id_position or any(
                w is None or word not in w.values for w, word in zip(positional, sub)):
            continue
        word = positional[len(sub) + command.id_position - 1]
        if word is None:
            return []
        legacy = registry.table("legacy_hf")
        repo_type = _option(options, command.repo_type_option, command.repo_type)
        if repo_type not in _REPO_TYPES:
            repo_type = command.repo_type  # `--repo-type $KIND`, or a typo: the command's own default
        revision = _option(options, command.revision)
        rows = []
        for value in word.values:
            if command.require_known and not ids.is_known(value, command.known_ids):
                continue  # `wget` of a dataset or a page: no model
            verdict = (ids.hf_id(value, legacy=legacy, mirrors=ctx.mirrors) if command.id_form == "hf"
                       else ids.url_or_handle(value, ctx.mirrors))
            if verdict.kind != ids.IdKind.HUB:
                continue
            rows.append(Usage(
                repo=ctx.repo, commit=ctx.commit, path=path, line=line, api=" ".join((program, *sub)),
                hub=verdict.hub or command.hub, repo_type=repo_type, model_id=verdict.model_id,
                resolution=(Resolution.LITERAL if word.expression.strip("'\"") == value else Resolution.SHELL_ARG).value,
                expression=word.expression[:500], library=command.library, canonical_id=legacy.get(verdict.model_id),
                revision=revision or verdict.revision, file=verdict.file, vendored=is_vendored(path, ctx),
            ))
        return rows
    return []


def _option(options: dict[str, tuple[str, ...]], names: tuple[str, ...], default: str | None = None) -> str | None:
    """The value given to the first of the option `names` that a command line has."""
    return next((values[0] for name in names if (values := options.get(name))), default)


def _split_words(words: list[ShellArg | None], command: CommandPattern
                 ) -> tuple[list[ShellArg | None], dict[str, tuple[str, ...]]]:
    """A command line's positional words (None: a word of unknown value), and
    its options' values; options named by the pattern take the next word."""
    takes_value = {*command.value_options, *command.revision, *command.repo_type_option}
    positional: list[ShellArg | None] = []
    options: dict[str, tuple[str, ...]] = {}
    rest = iter(words)
    for word in rest:
        text = word.values[0] if word is not None and len(word.values) == 1 else ""
        if not (text.startswith("-") and len(text) > 1):
            positional.append(word)
            continue
        name, eq, value = text.partition("=")
        if eq:
            options[name] = (value,)
        elif name in takes_value:
            following = next(rest, None)
            options[name] = following.values if following is not None else ()
    return positional, options
