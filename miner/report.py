"""`ptm-miner report OUT_DIR --to report.html`: the numbers a study opens with.

This module owns the report: it reads an output folder (`miner.export.load`),
counts what a paper's first table and figures show (repositories mined and
failed, top models and hubs, libraries, resolution kinds, pinned revisions,
trust_remote_code, pickle-format downloads, the share of unresolved calls),
and renders one self-contained
HTML page: inline CSS and SVG bar charts drawn here, no script, no fonts or
files fetched when it is viewed. The layout is fixed whatever the ids: a long id
(an S3 URL) is cut with an ellipsis in its table cell and shortened in chart
labels, with the full id on hover (`title`).
"""
from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from miner.atomic import replacing
from miner.export.load import ExportError, Mined, read_mined
from miner.export.reuse import REVISION_HUBS, downloaded_file, file_format, trust_label

TOP = 15  # bars in a "top" chart
Counts = tuple[tuple[str, int], ...]  # (label, count), largest first


@dataclass(frozen=True, slots=True)
class Stats:
    """Everything the page shows, counted once."""

    out: str
    repos_listed: int
    repos_ok: int
    repos_failed: int
    repos_stale: int
    repos_with_models: int
    repo_status: Counts
    usages: int
    usages_resolved: int
    models: int
    pairs: int
    top_models: tuple[tuple[str, str, int, int], ...]  # (hub, model id, repositories, usages)
    hubs: Counts  # distinct models per hub
    repo_types: Counts
    libraries: Counts  # usages per library
    resolutions: Counts  # usages per resolution kind
    outcomes: Counts  # usages resolved to an id / a local path / unresolved
    non_literal: int  # resolved usages whose id is not written as a literal at the call
    pinned: Counts  # pinned / unpinned, resolved usages on hubs with revisions
    trust: Counts  # true / false / unset, resolved usages
    file_formats: Counts  # pickle / safe / other, usages that download a named file
    pickle_files: Counts  # the pickle-format files, by name
    known: Counts  # known / unknown models, when `--known-models` was given
    problems: Counts


def compute(mined: Mined) -> Stats:
    repos = mined.repos.to_pylist()
    usages = mined.usages.to_pylist()
    links = mined.repo_models.to_pylist()
    resolved = [u for u in usages if u["model_id"] is not None]
    status = Counter(r["status"] for r in repos)
    by_model_repos: Counter[tuple[str, str]] = Counter()
    by_model_usages: Counter[tuple[str, str]] = Counter()
    for r in links:
        by_model_repos[(r["hub"], r["model_id"])] += 1
        by_model_usages[(r["hub"], r["model_id"])] += r["n_usages"] or 0
    top = sorted(by_model_repos, key=lambda k: (-by_model_repos[k], -by_model_usages[k], k))[:TOP]
    models = {(r["hub"], r["repo_type"], r["model_id"]) for r in links}
    revisioned = [u for u in resolved if u["hub"] in REVISION_HUBS]
    files = [f for u in resolved if (f := downloaded_file(u["hub"], u["model_id"], u["file"]))]
    known = {(r["hub"], r["repo_type"], r["model_id"]): r["known"] for r in links if r["known"] is not None}
    return Stats(
        out=str(mined.out),
        repos_listed=sum(n for s, n in status.items() if s != "duplicate"),
        repos_ok=status.get("ok", 0),
        repos_failed=sum(n for s, n in status.items() if s not in ("ok", "duplicate")),
        repos_stale=sum(1 for r in repos if r.get("stale")),
        repos_with_models=len({r["repo"] for r in links}),
        repo_status=_counts(status),
        usages=len(usages),
        usages_resolved=len(resolved),
        models=len(models),
        pairs=len(links),
        top_models=tuple((hub, mid, by_model_repos[(hub, mid)], by_model_usages[(hub, mid)]) for hub, mid in top),
        hubs=_counts(Counter(hub for hub, _, _ in models)),
        repo_types=_counts(Counter(t for _, t, _ in models)),
        libraries=_counts(Counter(u["library"] or "(unknown)" for u in usages)),
        resolutions=_counts(Counter(u["resolution"] for u in usages)),
        outcomes=_counts(Counter(_outcome(u) for u in usages), keep=OUTCOMES),
        non_literal=sum(1 for u in resolved if u["resolution"] != "literal"),
        pinned=_counts(Counter("pinned" if u["revision"] else "unpinned" for u in revisioned), keep=("pinned", "unpinned")),
        trust=_counts(Counter(trust_label([u["trust_remote_code"]]) for u in resolved), keep=("true", "false", "unset")),
        file_formats=_counts(Counter(file_format(f) for f in files)),
        pickle_files=_counts(Counter(f for f in files if file_format(f) == "pickle")),
        known=_counts(Counter("known" if v else "unknown" for v in known.values()), keep=("known", "unknown"))
        if known else (),
        problems=_counts(Counter(f"{p['stage']}: {p['reason']}" for p in mined.problems.to_pylist())),
    )


OUTCOMES = ("resolved to an id", "local path", "unresolved")


def _outcome(usage: dict) -> str:
    if usage["model_id"] is not None:
        return OUTCOMES[0]
    return OUTCOMES[1] if usage["resolution"] == "local_path" else OUTCOMES[2]


def write_report(out: Path, to: Path) -> Stats:
    """Read OUT_DIR `out`, write the page at `to` (atomically), return the numbers."""
    stats = compute(read_mined(out))
    if to.is_dir():
        raise ExportError(f"--to must be a file, not a folder: {to}")
    to.parent.mkdir(parents=True, exist_ok=True)
    page = render(stats)
    with replacing(to) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return stats


def _counts(counter: Counter, keep: tuple[str, ...] = ()) -> Counts:
    """Largest first (ties by label); the labels in `keep` come first, in order, even at 0."""
    fixed = tuple((k, counter.get(k, 0)) for k in keep)
    rest = sorted(((str(k), n) for k, n in counter.items() if k not in keep and k is not None), key=lambda kv: (-kv[1], kv[0]))
    return fixed + tuple(rest)


# -- rendering ---------------------------------------------------------------

CSS = """
:root { --ink:#1d2733; --muted:#5b6b7c; --line:#dfe5ec; --bar:#3566a8; --bar2:#c0573a; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
       color:var(--ink); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); padding:20px 32px; }
header h1 { margin:0 0 4px; font-size:22px; }
header p { margin:0; color:var(--muted); font-size:13px; }
main { padding:20px 32px 40px; max-width:1280px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(170px,1fr)); gap:12px; margin-bottom:20px; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.card .n { font-size:26px; font-weight:650; }
.card .l { color:var(--muted); font-size:12.5px; }
.grid { display:grid; grid-template-columns:repeat(auto-fill,minmax(min(100%,560px),1fr)); gap:16px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 16px;
          min-width:0; overflow:hidden; }
svg.chart { max-width:100%; height:auto; }
section h2 { margin:0 0 2px; font-size:16px; }
section p.note { margin:0 0 8px; color:var(--muted); font-size:12.5px; }
svg.chart text { font-size:12px; fill:var(--ink); }
svg.chart text.v { fill:var(--muted); }
svg.chart rect.bar { fill:var(--bar); }
svg.chart rect.bar.alt { fill:var(--bar2); }
svg.chart rect.track { fill:#eef2f6; }
table { border-collapse:collapse; width:100%; font-size:13px; table-layout:fixed; }
table col.id { width:auto; } table col.hub { width:7.5em; } table col.num { width:7em; }
td.id { overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
th, td { text-align:left; padding:4px 6px; border-bottom:1px solid var(--line); }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code { font-size:12.5px; }
.empty { color:var(--muted); font-style:italic; }
"""


def render(stats: Stats) -> str:
    s = stats
    share = _pct(s.non_literal, s.usages_resolved)
    pinned = dict(s.pinned)
    cards = [
        (s.repos_ok, "repositories mined"),
        (s.repos_failed, "repositories failed"),
        (s.repos_with_models, "repositories loading a model"),
        (s.models, "distinct hub ids (models, datasets, …)"),
        (s.pairs, "repository–model pairs"),
        (s.usages, "usages"),
        (f"{_pct(s.usages_resolved, s.usages)}", "usages resolved to an id"),
        (share, "resolved ids not a literal"),
        (_pct(dict(s.outcomes).get("unresolved", 0), s.usages), "usages unresolved"),
        (_pct(pinned.get("pinned", 0), sum(pinned.values())), "revisions pinned"),
        (dict(s.trust).get("true", 0), "usages with trust_remote_code=True"),
        (dict(s.file_formats).get("pickle", 0), "pickle-format downloads"),
    ]
    sections = [
        _section("Top models", f"by repositories that load them (top {TOP}); the bar is repositories, "
                 "the number after it usages", _top_models_chart(s.top_models), _top_models_table(s.top_models)),
        _section("Hubs", "distinct models per hub", _chart("hubs", s.hubs)),
        _section("Libraries", "usages per library that owns the API", _chart("libraries", s.libraries[:TOP])),
        _section("Resolution kinds", f"usages per resolution kind, with their share; {share} of resolved ids are not "
                 "a literal at the call (followed through constants, defaults, CLIs, configs, ...)",
                 _chart("resolutions", s.resolutions, alt={"unresolved"}, extra=_shares(s.resolutions))),
        _section("Resolved or not", "usages whose id was found, that load a local path, or that static analysis "
                 "cannot resolve (kept, never guessed)",
                 _chart("outcomes", s.outcomes, alt={"unresolved"}, extra=_shares(s.outcomes))),
        _section("Pinned revisions", "resolved usages on hubs with revisions (" + ", ".join(sorted(REVISION_HUBS))
                 + "): a revision given at the call, or not", _chart("pinned", s.pinned, alt={"unpinned"})),
        _section("trust_remote_code", "resolved usages: True, False, or not given at the call",
                 _chart("trust", s.trust, alt={"true"})),
        _section("Downloaded file formats", "usages that fetch a named file (hf_hub_download filename, weight URLs): "
                 "pickle-based (.bin .pt .pth .ckpt .pkl) runs code on load; .safetensors .gguf .onnx do not",
                 _chart("formats", s.file_formats, alt={"pickle"}),
                 '<p class="note">the pickle-format files, by usages</p>'
                 + _chart("pickle-files", s.pickle_files[:TOP], alt=set(dict(s.pickle_files))) if s.pickle_files else ""),
        _section("Repository types", "distinct hub repositories by type", _chart("repo-types", s.repo_types)),
        _section("Repositories", "lines of the list by status", _chart("status", s.repo_status,
                                                                       alt={k for k, _ in s.repo_status if k != "ok"})),
    ]
    if s.known:
        sections.append(_section("Known models", "models in the `--known-models` list, or not",
                                 _chart("known", s.known, alt={"unknown"})))
    if s.problems:
        sections.append(_section("Problems", "skipped or failed files and repositories", _chart("problems", s.problems)))
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    card_html = "".join(f'<div class="card"><div class="n">{_e(n)}</div><div class="l">{_e(l)}</div></div>'
                        for n, l in cards)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>ptm-miner report: {_e(s.out)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>Pre-trained models loaded by {s.repos_ok} repositories</h1>"
        f"<p>ptm-miner report of <code>{_e(s.out)}</code> · {s.repos_listed} repositories listed, "
        f"{s.repos_ok} mined, {s.repos_failed} failed"
        + (f" ({s.repos_stale} kept from an earlier run)" if s.repos_stale else "")
        + f" · generated {generated}</p></header>"
        f"<main><div class=\"cards\">{card_html}</div><div class=\"grid\">{''.join(sections)}</div></main>"
        "</body></html>\n"
    )


def _section(title: str, note: str, *parts: str) -> str:
    return f"<section><h2>{_e(title)}</h2><p class=\"note\">{_e(note)}</p>{''.join(parts)}</section>"


def _chart(name: str, counts: Counts, *, alt: set[str] | frozenset[str] = frozenset(),
           extra: dict[str, str] | None = None) -> str:
    """A horizontal bar chart as inline SVG: one `rect.bar` per label."""
    if not counts:
        return '<p class="empty">none</p>'
    width, label_w, value_w, row = 540, 210, 70, 22
    bar_w = width - label_w - value_w
    top = max(n for _, n in counts) or 1
    height = row * len(counts) + 4
    parts = [f'<svg class="chart" data-chart="{_e(name)}" role="img" aria-label="{_e(name)}" '
             f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (label, n) in enumerate(counts):
        y = i * row + 2
        w = max(round(bar_w * n / top, 1), 1.0 if n else 0.0)
        css = "bar alt" if label in alt else "bar"
        value = (extra or {}).get(label, str(n))
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_e(_short(label, 28))}<title>{_e(label)}</title></text>'
            f'<rect class="track" x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row - 8}" rx="2"/>'
            f'<rect class="{css}" data-label="{_e(label)}" data-value="{n}" x="{label_w}" y="{y + 3}" '
            f'width="{w}" height="{row - 8}" rx="2"><title>{_e(label)}: {n}</title></rect>'
            f'<text class="v" x="{label_w + bar_w + 6}" y="{y + 15}">{_e(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _top_models_chart(top: tuple[tuple[str, str, int, int], ...]) -> str:
    counts = tuple((mid, repos) for _, mid, repos, _ in top)
    extra = {mid: f"{repos} · {usages}u" for _, mid, repos, usages in top}
    return _chart("top-models", counts, extra=extra)


def _top_models_table(top: tuple[tuple[str, str, int, int], ...]) -> str:
    if not top:
        return ""
    rows = "".join(f"<tr><td class=\"id\" title=\"{_e(mid)}\"><code>{_e(mid)}</code></td><td>{_e(hub)}</td>"
                   f"<td class=\"num\">{repos}</td><td class=\"num\">{usages}</td></tr>"
                   for hub, mid, repos, usages in top)
    return ("<table class=\"top-models\"><colgroup><col class=\"id\"><col class=\"hub\"><col class=\"num\">"
            "<col class=\"num\"></colgroup><thead><tr><th>model</th><th>hub</th><th class=\"num\">repositories</th>"
            f"<th class=\"num\">usages</th></tr></thead><tbody>{rows}</tbody></table>")


def _shares(counts: Counts) -> dict[str, str]:
    """Each count with its share of the total, as the value after a bar."""
    total = sum(n for _, n in counts)
    return {label: f"{n} · {_pct(n, total)}" for label, n in counts}


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)
