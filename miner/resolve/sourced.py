"""Shell variables that come from a `source`d file.

Extraction reads one file at a time: a script that uses `$MODEL` after
`source env.sh` without setting it leaves a marker for `MODEL` in its argument
values (`miner.extract.shell.sourced_placeholder`). Here, with every shell
file of the repository at hand, each marker becomes every value that the
sourced files leave `MODEL` with; a value whose marker nothing fills is
dropped, as any unknown value is.
"""
from __future__ import annotations

from dataclasses import replace

from miner.extract.shell import MAX_VALUES, SOURCED_NAME
from miner.records import FileFacts, FileKind, ShellArg
from miner.resolve.modules import referenced_files

SOURCE_DEPTH = 3  # `source`s followed through sourced files (selection reads as deep)


def shell_args_with_sources(files: list[FileFacts]) -> list[tuple[str, ShellArg]]:
    """(path, argument) of every shell argument in `files`, markers filled."""
    shell_paths = [f.path for f in files if f.kind == FileKind.SHELL]
    by_path = {f.path: f for f in files}
    out: list[tuple[str, ShellArg]] = []
    for f in files:
        variables: dict[str, list[str]] | None = None
        for arg in f.shell_args:
            if any(SOURCED_NAME.search(v) for v in arg.values):
                if variables is None:
                    variables = _sourced_variables(f, by_path, shell_paths)
                arg = replace(arg, values=_filled(arg.values, variables))
            out.append((f.path, arg))
    return out


def _sourced_variables(script: FileFacts, by_path: dict[str, FileFacts],
                       shell_paths: list[str]) -> dict[str, list[str]]:
    """What the files `script` sources leave set, and (for what those leave
    unset) the files they source in turn, up to SOURCE_DEPTH deep."""
    variables: dict[str, list[str]] = {}
    seen = {script.path}
    sourcing = [script]
    for _ in range(SOURCE_DEPTH):
        named = referenced_files({s.path for f in sourcing for s in f.shell_sources}, shell_paths) - seen
        seen |= named
        sourcing = [by_path[p] for p in sorted(named)]
        deeper: dict[str, list[str]] = {}
        for f in sourcing:
            for var in f.shell_vars:
                known = deeper.setdefault(var.name, [])
                known += [v for v in var.values if v not in known and not SOURCED_NAME.search(v)]
        for name, values in deeper.items():
            variables.setdefault(name, values)  # a nearer file's value wins
    return variables


def _filled(values: tuple[str, ...], variables: dict[str, list[str]]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        pending = [value]
        while pending and len(out) < MAX_VALUES:
            text = pending.pop()
            marker = SOURCED_NAME.search(text)
            if marker is None:
                if text not in out:
                    out.append(text)
                continue
            for filler in variables.get(marker.group(1), [])[:MAX_VALUES]:
                pending.append(text[:marker.start()] + filler + text[marker.end():])
    return tuple(out)
