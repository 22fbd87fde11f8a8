"""When each model entered and left a repository's history (`--history`).

Commits are seen oldest first; a model's span runs from the first commit whose
usages name it to the last one. A model that was dropped and came back keeps
one span: first and last sighting.
"""
from __future__ import annotations

from miner.records import ModelSpan, Usage


class SpanTracker:
    def __init__(self) -> None:
        self._first: dict[tuple[str, str, str], tuple[str, str]] = {}
        self._last: dict[tuple[str, str, str], tuple[str, str]] = {}

    def see(self, usages: list[Usage], commit: str, date: str) -> None:
        for u in usages:
            if u.model_id is None or u.vendored:
                continue
            key = (u.hub, u.repo_type, u.model_id)
            self._first.setdefault(key, (commit, date))
            self._last[key] = (commit, date)

    def spans(self) -> tuple[ModelSpan, ...]:
        return tuple(
            ModelSpan(hub, repo_type, model_id, *self._first[(hub, repo_type, model_id)], *self._last[(hub, repo_type, model_id)])
            for hub, repo_type, model_id in sorted(self._first)
        )
