"""Scores mined tables against the labels: a pure function, no I/O.

Two levels. (Repository, model): the labelled pairs (rows with an id, outside
vendored copies) against the miner's `repo_models` pairs, matched on (repo,
hub, repo_type, id), a Hugging Face id compared without case (the Hub treats
it so). Call site: each labelled row is found when a mined usage sits on its
path and line with its id (any id when the label has none); a usage at the
row's `origin=` (where a script or config writes the id) counts apart, as
does a usage on the right line with another id. A command continued over
several lines is attributed to its first line, so a usage up to ORIGIN_SPAN
lines above the origin, in its file, is at the origin.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable, Mapping

from miner.evaluation.labels import Decoy, Load, RepoLabels, Role

HF = "huggingface"
ORIGIN_SPAN = 30  # lines a continued command may span above the line that writes the id


def norm(hub: str, model_id: str) -> str:
    """The form ids are compared in."""
    text = model_id.strip()
    return text.casefold() if hub == HF else text


@dataclass(frozen=True, slots=True, order=True)
class Pair:
    repo: str
    hub: str
    repo_type: str
    key: str  # norm(hub, id)


@dataclass(frozen=True, slots=True)
class Mined:
    """One mined usage, its repository key mapped back to owner/name."""

    repo: str
    path: str
    line: int
    hub: str
    repo_type: str
    model_id: str | None
    resolution: str
    expression: str = ""
    vendored: bool = False


@dataclass(frozen=True, slots=True)
class MinedPair:
    """One row of `repo_models` (resolutions: its comma-joined column, split)."""

    repo: str
    hub: str
    repo_type: str
    model_id: str
    resolutions: tuple[str, ...]

    @property
    def pair(self) -> Pair:
        return Pair(self.repo, self.hub, self.repo_type, norm(self.hub, self.model_id))


class Site(str, Enum):
    FOUND = "found"
    AT_ORIGIN = "found at origin"  # the miner put the row where the id is written
    OTHER_ID = "site found, other id"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class SiteResult:
    load: Load
    outcome: Site
    seen: tuple[str, ...] = ()  # the ids (or resolutions) mined on that line, for OTHER_ID


@dataclass
class Scores:
    labelled: dict[Pair, list[Load]] = field(default_factory=dict)  # outside vendored copies
    vendored_only: set[Pair] = field(default_factory=set)
    mined: dict[Pair, MinedPair] = field(default_factory=dict)
    where: dict[Pair, list[Mined]] = field(default_factory=dict)  # the usages behind a mined pair
    sites: list[SiteResult] = field(default_factory=list)
    decoys_taken: list[tuple[Decoy, str]] = field(default_factory=list)
    n_decoys: int = 0
    unmined: dict[str, str] = field(default_factory=dict)  # repo -> why it was not mined
    negatives: dict[str, int] = field(default_factory=dict)  # model-free repo -> mined model pairs

    def matched(self, repo_type: str | None = None) -> set[Pair]:
        return {p for p in self.labelled.keys() & self.mined.keys() if repo_type in (None, p.repo_type)}

    def missed(self) -> list[Pair]:
        return sorted(self.labelled.keys() - self.mined.keys())

    def false(self) -> list[Pair]:
        return sorted(self.mined.keys() - self.labelled.keys())


def score(labels: Iterable[RepoLabels], usages: Iterable[Mined], pairs: Iterable[MinedPair],
          unmined: Mapping[str, str] | None = None) -> Scores:
    """Scores of the mined rows against `labels`; repositories in `unmined`
    (not mined: clone failed, commit missing) keep their labels, all missed."""
    labels = list(labels)
    scores = Scores(unmined=dict(unmined or {}))
    known = {r.repo for r in labels}
    at: dict[tuple[str, str, int], list[Mined]] = defaultdict(list)
    in_file: dict[tuple[str, str], list[Mined]] = defaultdict(list)
    for u in usages:
        if u.repo in known:
            at[(u.repo, u.path, u.line)].append(u)
            in_file[(u.repo, u.path)].append(u)
            if u.model_id is not None:
                scores.where.setdefault(Pair(u.repo, u.hub, u.repo_type, norm(u.hub, u.model_id)), []).append(u)
    for p in pairs:
        if p.repo in known:
            scores.mined[p.pair] = p
    for r in labels:
        _label_pairs(r, scores)
        scores.sites.extend(_site(load, at, in_file) for load in r.loads)
        scores.n_decoys += len(r.decoys)
        scores.decoys_taken.extend(_decoys_taken(r, scores, at))
        if not any(p.repo == r.repo for p in scores.labelled) and r.repo not in scores.unmined:
            scores.negatives[r.repo] = sum(1 for p in scores.mined if p.repo == r.repo and p.repo_type == "model")
    return scores


def _label_pairs(r: RepoLabels, scores: Scores) -> None:
    vendored: set[Pair] = set()
    for load in r.loads:
        if load.model_id is None:
            continue
        pair = Pair(r.repo, load.hub, load.repo_type, norm(load.hub, load.model_id))
        if load.role == Role.VENDORED:
            vendored.add(pair)
        else:
            scores.labelled.setdefault(pair, []).append(load)
    scores.vendored_only |= vendored - scores.labelled.keys()


def _site(load: Load, at: Mapping[tuple[str, str, int], list[Mined]],
          in_file: Mapping[tuple[str, str], list[Mined]]) -> SiteResult:
    here = at.get((load.repo, load.path, load.line), [])
    if any(_same(load, u) for u in here):
        return SiteResult(load, Site.FOUND)
    if load.origin and any(_same(load, u) for u in _near_origin(load, in_file)):
        return SiteResult(load, Site.AT_ORIGIN)
    if here:
        return SiteResult(load, Site.OTHER_ID, tuple(sorted({u.model_id or f"<{u.resolution}>" for u in here})))
    return SiteResult(load, Site.MISSED)


def _near_origin(load: Load, in_file: Mapping[tuple[str, str], list[Mined]]) -> list[Mined]:
    path, line = load.origin
    return [u for u in in_file.get((load.repo, path), []) if line - ORIGIN_SPAN <= u.line <= line]


def _same(load: Load, u: Mined) -> bool:
    if load.model_id is None:
        return True
    return u.model_id is not None and norm(load.hub, u.model_id) == norm(load.hub, load.model_id)


def _decoys_taken(r: RepoLabels, scores: Scores, at) -> Iterable[tuple[Decoy, str]]:
    for d in r.decoys:
        pair = next((p for p in scores.mined if p.repo == r.repo and p.key == norm(p.hub, d.text)
                     and p not in scores.labelled), None)
        if pair is not None:
            yield d, f"mined pair {pair.hub}:{scores.mined[pair].model_id}"
        elif any(u.model_id and norm(u.hub, u.model_id) == norm(u.hub, d.text) for u in at.get((r.repo, d.path, d.line), [])):
            yield d, "usage on its line"
