"""Ids that shell scripts and config files name on their own.

A command line `python run.py --model_name_or_path x` or a config key
`base_model: x` names a model even when the script it feeds is not in the
repository or cannot be followed. Option and key names come from the
`model_keys` table in `patterns/`; a value is kept only if it has the shape of a
Hugging Face id, and never twice when resolution already linked it to a call.
"""
from __future__ import annotations

import posixpath

from miner.patterns import Registry
from miner.records import Resolution, Usage
from miner.resolve import ids
from miner.resolve.repo import RepoView
from miner.resolve.usages import RepoContext, is_vendored


def _key(name: str) -> str:
    return name.lstrip("-").replace("-", "_").lower()


def _configs_read_by_code(view: RepoView) -> set[str]:
    """Config files whose name appears in a string of the repository's Python
    code (a default path, an `open(...)`): those are read by code we can follow,
    so their keys alone do not make a usage."""
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


def standalone_usages(view: RepoView, registry: Registry, ctx: RepoContext, *, linked: list[Usage]) -> list[Usage]:
    keys = {k.lower(): v for k, v in registry.table("model_keys").items()}
    legacy = registry.table("legacy_hf")
    done = {(u.path, u.line, u.model_id) for u in linked}
    rows: list[Usage] = []

    def add(path: str, line: int, carrier: str, key: str, value: str, kind: Resolution, expression: str) -> None:
        repo_type = keys.get(key)
        verdict = ids.hf_id(value, legacy=legacy)
        if repo_type is None or verdict.kind != ids.IdKind.HUB or (path, line, verdict.model_id) in done:
            return
        done.add((path, line, verdict.model_id))
        rows.append(Usage(
            repo=ctx.repo, commit=ctx.commit, path=path, line=line, api=carrier, hub="huggingface",
            repo_type=repo_type, model_id=verdict.model_id, resolution=kind.value, expression=expression[:500],
            canonical_id=legacy.get(verdict.model_id), vendored=is_vendored(path, ctx),
        ))

    for path, arg in view.shell_args:
        for value in arg.values:
            add(path, arg.line, f"shell:{arg.option}", _key(arg.option), value, Resolution.SHELL_ARG, arg.expression)
    read_by_code = _configs_read_by_code(view)
    for path, cv in view.config_values:
        if path in read_by_code:
            continue  # the code reads it: resolution already linked what it loads
        last = cv.key.rsplit(".", 1)[-1]
        add(path, cv.line, f"config:{cv.key}", _key(last), cv.value, Resolution.CONFIG_FILE, f"{cv.key}: {cv.value}")
    return rows
