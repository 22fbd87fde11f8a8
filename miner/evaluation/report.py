"""The benchmark's figures and every disagreement, as Markdown text."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Callable, Iterable

from miner.evaluation.labels import Load
from miner.evaluation.score import Pair, Scores, Site, SiteResult

FOUND = (Site.FOUND, Site.AT_ORIGIN)


def ratio(hit: int, total: int) -> str:
    return f"{hit}/{total} ({100 * hit / total:.1f}%)" if total else "-"


def render(scores: Scores, *, header: Iterable[str] = ()) -> str:
    parts = [*header, "", _summary(scores), "", _by_hub(scores), "", _by_resolution(scores), "",
             _by_group(scores), "", _negatives(scores), "", _misses(scores), "", _false_pairs(scores), "",
             _site_misses(scores), "", _decoys(scores)]
    if scores.unmined:
        parts += ["", "## Not mined", ""] + [f"- {repo}: {why}" for repo, why in sorted(scores.unmined.items())]
    return "\n".join(parts).strip() + "\n"


def _pr(scores: Scores, keep: Callable[[Pair], bool]) -> tuple[str, str]:
    labelled = {p for p in scores.labelled if keep(p)}
    mined = {p for p in scores.mined if keep(p)}
    hit = len(labelled & mined)
    return ratio(hit, len(mined)), ratio(hit, len(labelled))


def _site_recall(sites: list[SiteResult]) -> str:
    return ratio(sum(s.outcome in FOUND for s in sites), len(sites))


def _summary(scores: Scores) -> str:
    rows = ["## Summary", "", "| level | precision | recall |", "| --- | --- | --- |"]
    for repo_type in ("model", "dataset", "space"):
        if any(p.repo_type == repo_type for p in (*scores.labelled, *scores.mined)):
            p, r = _pr(scores, lambda x, t=repo_type: x.repo_type == t)
            rows.append(f"| (repository, {repo_type}) pairs | {p} | {r} |")
    sites = scores.sites
    outcome = Counter(s.outcome for s in sites)
    rows.append(f"| call sites (found, or at the id's origin) | | {_site_recall(sites)} |")
    rows.append(f"| call sites, exact (path, line, id) | | {ratio(outcome[Site.FOUND], len(sites))} |")
    rows += ["", f"Call sites: {', '.join(f'{outcome[o]} {o.value}' for o in Site)}; "
             f"{len(scores.vendored_only)} labelled pairs only inside vendored copies (not expected in repo_models)."]
    return "\n".join(rows)


def _by_hub(scores: Scores) -> str:
    hubs = sorted({p.hub for p in (*scores.labelled, *scores.mined)})
    rows = ["## Per hub (pairs of every repo_type; call sites)", "",
            "| hub | labelled pairs | mined pairs | precision | recall | call-site recall |", "| --- | --- | --- | --- | --- | --- |"]
    for hub in hubs:
        p, r = _pr(scores, lambda x, h=hub: x.hub == h)
        n_l = sum(x.hub == hub for x in scores.labelled)
        n_m = sum(x.hub == hub for x in scores.mined)
        rows.append(f"| {hub} | {n_l} | {n_m} | {p} | {r} | {_site_recall([s for s in scores.sites if s.load.hub == hub])} |")
    return "\n".join(rows)


def _by_resolution(scores: Scores) -> str:
    """Recall by the labels' resolution kinds; precision by the miner's (its `resolutions` column)."""
    label_kinds: dict[str, set[Pair]] = defaultdict(set)
    for pair, loads in scores.labelled.items():
        for load in loads:
            label_kinds[load.resolution].add(pair)
    mined_kinds: dict[str, set[Pair]] = defaultdict(set)
    for pair, m in scores.mined.items():
        for kind in m.resolutions:
            mined_kinds[kind].add(pair)
    rows = ["## Per resolution kind", "",
            "Recall: pairs and call sites by the kind the labeller wrote; precision: mined pairs by the kinds the miner gives.", "",
            "| resolution | pair recall | pair precision | call-site recall |", "| --- | --- | --- | --- |"]
    for kind in sorted(label_kinds.keys() | mined_kinds.keys()):
        labelled, mined = label_kinds.get(kind, set()), mined_kinds.get(kind, set())
        recall = ratio(len(labelled & scores.mined.keys()), len(labelled))
        precision = ratio(len(mined & scores.labelled.keys()), len(mined))
        rows.append(f"| {kind} | {recall} | {precision} | {_site_recall([s for s in scores.sites if s.load.resolution == kind])} |")
    return "\n".join(rows)


def _by_group(scores: Scores) -> str:
    rows = ["## Default path or optional; role", "", "| group | pair recall | call-site recall |", "| --- | --- | --- |"]
    default = {p for p, loads in scores.labelled.items() if any(not x.optional for x in loads)}
    optional = scores.labelled.keys() - default
    for name, group, sites in (
        ("default path", default, [s for s in scores.sites if not s.load.optional]),
        ("optional only", optional, [s for s in scores.sites if s.load.optional]),
    ):
        rows.append(f"| {name} | {ratio(len(group & scores.mined.keys()), len(group))} | {_site_recall(sites)} |")
    for role in sorted({s.load.role.value for s in scores.sites}):
        rows.append(f"| role {role} | | {_site_recall([s for s in scores.sites if s.load.role.value == role])} |")
    return "\n".join(rows)


def _negatives(scores: Scores) -> str:
    clean = sum(1 for n in scores.negatives.values() if n == 0)
    return "\n".join(["## Repositories that load no model", "",
                      f"{ratio(clean, len(scores.negatives))} with no mined model pair: "
                      + (", ".join(f"{r} ({n})" for r, n in sorted(scores.negatives.items())) or "none labelled")])


def _where(loads: Iterable[Load]) -> str:
    return "; ".join(f"{x.path}:{x.line} {x.resolution}{' optional' if x.optional else ''}" for x in loads)


def _misses(scores: Scores) -> str:
    missed = scores.missed()
    rows = [f"## Missed pairs ({len(missed)})", ""]
    for p in missed:
        loads = scores.labelled[p]
        rows.append(f"- {p.repo} {p.hub}/{p.repo_type} `{loads[0].model_id}`: {_where(loads)}")
    return "\n".join(rows)


def _false_pairs(scores: Scores) -> str:
    false = scores.false()
    rows = [f"## False pairs ({len(false)})", ""]
    for p in false:
        m = scores.mined[p]
        why = " (labelled only inside a vendored copy)" if p in scores.vendored_only else ""
        seen = "; ".join(f"{u.path}:{u.line} {u.resolution} `{u.expression[:60]}`" for u in scores.where.get(p, [])[:3])
        rows.append(f"- {p.repo} {p.hub}/{p.repo_type} `{m.model_id}`{why}: {seen}")
    return "\n".join(rows)


def _site_misses(scores: Scores) -> str:
    bad = [s for s in scores.sites if s.outcome not in FOUND]
    rows = [f"## Call sites not found ({len(bad)})", ""]
    for s in bad:
        x = s.load
        seen = f" (mined there: {', '.join(s.seen)})" if s.seen else ""
        rows.append(f"- {x.repo} {x.path}:{x.line} `{x.model_id or '<unresolved>'}` {x.hub} {x.resolution}"
                    f"{' optional' if x.optional else ''} [{x.role.value}]: {s.outcome.value}{seen}")
    return "\n".join(rows)


def _decoys(scores: Scores) -> str:
    rows = [f"## Decoys taken for models: {ratio(len(scores.decoys_taken), scores.n_decoys)}", ""]
    rows += [f"- {d.repo} {d.path}:{d.line} `{d.text}` ({d.why}): {how}" for d, how in scores.decoys_taken]
    return "\n".join(rows)
