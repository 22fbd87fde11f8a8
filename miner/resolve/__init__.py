"""Resolution: one repository's facts, linked across files, to usage rows.

Cheap and re-run every time from (cached) facts, so a change in one file
re-resolves everything that depends on it without re-parsing the rest.
"""
from __future__ import annotations

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


def resolve_repo(files: list[FileFacts], registry: Registry, *, repo: str, commit: str | None,
                 notes: list[str] | None = None, tree: TreeEvidence | None = None,
                 unread: frozenset[str] | None = None) -> list[Usage]:
    """Every usage of a known loading API in the repository, in a stable order;
    what could not be done is added to `notes`. `unread`: the files that code
    the miner left unread may import (None: any), for narrowing (narrow.py)."""
    view = RepoView(files)
    copies = vendored_roots(files, registry) | copied_roots(tree, registry, repo)
    ctx = RepoContext(repo=repo, commit=commit, vendored_roots=copies, mirrors=hub_mirrors(files, registry),
                      tree=tree, documented=documented_folders(tree), unread=unread)
    builder = UsageBuilder(view, registry, ctx)
    rows: list[Usage] = []
    for hit in find_hits(view, registry):
        rows.extend(builder.usages(hit))
    rows = local_outputs(rows, view.shell_args, registry.table("output_keys"))
    rows.extend(drop_script_keys(standalone_usages(view, registry, ctx, linked=builder.linked_origins),
                                 builder.evaluator, registry.table("output_keys")))
    if builder.evaluator.out_of_time and notes is not None:
        notes.append(f"resolution ran past {evaluate.REPO_SECONDS:g} s: the arguments left were not evaluated "
                     "(their usages are unresolved or partly resolved)")
    rows = mark_copies(rows, header_copies(files, registry, repo))
    rows = with_roles(rows, registry.table("roles"), {f.path: f for f in files})
    return sorted(set(rows), key=lambda u: (u.path, u.line, u.api, u.model_id or "", u.resolution))
