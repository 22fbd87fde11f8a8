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
    variables: dict[str, list[str]] = {}
    named = referenced_files({s.path for s in script.shell_sources}, shell_paths)
    for path in sorted(named - {script.path}):
        for var in by_path[path].shell_vars:
            known = variables.setdefault(var.name, [])
            known += [v for v in var.values if v not in known and not SOURCED_NAME.search(v)]
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
