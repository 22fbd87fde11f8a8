"""The table of supported libraries, generated from `patterns/`."""
from __future__ import annotations

from collections import defaultdict

from miner.patterns import Registry


def markdown_table(registry: Registry) -> str:
    by_library: dict[str, list] = defaultdict(list)
    for api in registry.apis:
        by_library[api.library].append(api)
    lines = ["| library | hub | APIs | id argument |", "| --- | --- | --- | --- |"]
    for library in sorted(by_library, key=str.lower):
        apis = by_library[library]
        hubs = sorted({a.hub for a in apis})
        callees = sorted({c for a in apis for c in a.callees})
        args = sorted({_arg(a) for a in apis})
        lines.append(f"| {library} | {', '.join(hubs)} | {'<br>'.join(f'`{c}`' for c in callees)} | {'; '.join(args)} |")
    if registry.commands:
        lines += ["", "| command line | hub | id argument |", "| --- | --- | --- |"]
        for command in registry.commands:
            programs = " / ".join(f"`{p}`" for p in command.programs)
            subs = " / ".join(f"`{' '.join(s)}`" for s in command.subcommands if s)
            lines.append(f"| {programs} {subs} | {command.hub} | argument {command.id_position} |".replace("  ", " "))
    return "\n".join(lines)


def _arg(api) -> str:
    spec = api.id
    if spec.callee:
        return "the callee's name"
    parts = []
    if spec.position is not None:
        parts.append(f"position {spec.position}")
    parts += [f"`{k}=`" for k in spec.keywords]
    where = " or ".join(parts) or "-"
    return f"key `{spec.key!r}` of {where}" if spec.key is not None else where
