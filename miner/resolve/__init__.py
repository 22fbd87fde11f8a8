"""Resolution: one repository's facts, linked across files, to usage rows.

Cheap and re-run every time from (cached) facts, so a change in one file
re-resolves everything that depends on it without re-parsing the rest.
"""
from __future__ import annotations

from dataclasses import dataclass

from miner.patterns import Registry
from miner.records import FileFacts, Usage
from miner.resolve import evaluate
from miner.resolve.copies import copied_roots
from miner.resolve.headers import header_copies, mark_copies
from miner.resolve.repo import RepoView
from miner.resolve.shipped import documented_folders
from miner.resolve.tree import TreeEvidence
from miner.resolve.roles import with_roles
from miner.resolve.scriptkeys import drop_script_keys, local_outputs
from miner.resolve.standalone import standalone_usages
from miner.resolve.usages import RepoContext, UsageBuilder, find_hits, hub_mirrors, vendored_roots


@dataclass(frozen=True)
class Shard:
    """Which loading calls of a repository one task resolves: those whose
    index is `index` modulo `count` (a large repository's calls are shared
    among the pool's workers); shard 0 also reads the standalone values."""

    index: int = 0
    count: int = 1


@dataclass(frozen=True)
class ShardRows:
    """What one shard found: the rows of its calls, the standalone rows (shard
    0), and the shell and config values its calls were linked to, which no
    standalone row may repeat."""

    calls: tuple[Usage, ...]
    standalone: tuple[Usage, ...]
    linked: frozenset[tuple[str, int, str | None]]
    out_of_time: bool


def resolve_repo(files: list[FileFacts], registry: Registry, *, repo: str, commit: str | None,
                 notes: list[str] | None = None, tree: TreeEvidence | None = None,
                 unread: frozenset[str] | None = None) -> list[Usage]:
    """Every usage of a known loading API in the repository, in a stable order;
    what could not be done is added to `notes`. `unread`: the files that code
    the miner left unread may import (None: any), for narrowing (narrow.py)."""
    part = resolve_shard(files, registry, repo=repo, commit=commit, tree=tree, unread=unread, shard=Shard())
    return merge_shards([part], notes)


def resolve_shard(files: list[FileFacts], registry: Registry, *, repo: str, commit: str | None,
                  tree: TreeEvidence | None, unread: frozenset[str] | None, shard: Shard) -> ShardRows:
    """The rows of one shard of the repository's loading calls (`resolve_repo`)."""
    view = RepoView(files)
    copies = vendored_roots(files, registry) | copied_roots(tree, registry, repo)
    ctx = RepoContext(repo=repo, commit=commit, vendored_roots=copies, mirrors=hub_mirrors(files, registry),
                      tree=tree, documented=documented_folders(tree), unread=unread)
    builder = UsageBuilder(view, registry, ctx)
    calls: list[Usage] = []
    for hit in find_hits(view, registry)[shard.index::shard.count]:
        calls.extend(builder.usages(hit))
    calls = local_outputs(calls, view.shell_args, registry.table("output_keys"))
    standalone = drop_script_keys(standalone_usages(view, registry, ctx, linked=set()), builder.evaluator,
                                  registry.table("output_keys")) if shard.index == 0 else []
    by_path = {f.path: f for f in files}
    copied = header_copies(files, registry, repo)

    def finished(rows: list[Usage]) -> tuple[Usage, ...]:
        return tuple(with_roles(mark_copies(rows, copied), registry.table("roles"), by_path))
    return ShardRows(finished(calls), finished(standalone), frozenset(builder.linked_origins),
                     builder.evaluator.out_of_time)


def merge_shards(parts: list[ShardRows], notes: list[str] | None = None) -> list[Usage]:
    """The usages of a repository from all of its shards, in a stable order: a
    standalone value that some shard's call was linked to is that call's row."""
    linked = frozenset().union(*(p.linked for p in parts))
    rows = [u for p in parts for u in p.calls]
    rows += [u for p in parts for u in p.standalone if (u.path, u.line, u.model_id) not in linked]
    if any(p.out_of_time for p in parts) and notes is not None:
        notes.append(f"resolution ran past {evaluate.REPO_SECONDS:g} s: the arguments left were not evaluated "
                     "(their usages are unresolved or partly resolved)")
    return sorted(set(rows), key=lambda u: (u.path, u.line, u.api, u.model_id or "", u.resolution))
