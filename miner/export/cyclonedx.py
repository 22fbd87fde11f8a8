"""`export --format cyclonedx`: one CycloneDX 1.6 JSON BOM per repository.

Each mined repository is the BOM's subject (`metadata.component`, an
application at the mined commit); each model it loads is a component of type
`machine-learning-model` (`data` for hub datasets, `application` for Spaces)
with a purl (`miner.export.keys.purl`), one per (hub, repo type, id, revision).
Every usage row behind it is an evidence occurrence (file, line, the API as
symbol, the resolution and expression as context); the reuse attributes
(revision pinned, trust_remote_code, downloaded files and whether they are
pickle-based) are `ptm-miner:*` properties. The subject depends on every model.
Built with cyclonedx-python-lib, which also validates the output in the tests.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6

from miner.export import keys, reuse
from miner.export.load import ExportError, Mined

PREFIX = "ptm-miner:"
TOOL_VERSION = "0.1.0"
COMPONENT_TYPES = {"model": ComponentType.MACHINE_LEARNING_MODEL, "dataset": ComponentType.DATA,
                   "space": ComponentType.APPLICATION}
MINED = frozenset({"ok"})  # repos.status of a repository whose BOM is written even without models


@dataclass(frozen=True, slots=True)
class CycloneSummary:
    folder: Path
    boms: int
    components: int

    def __str__(self) -> str:
        return f"{self.folder}: {self.boms} BOMs, {self.components} components"


def write_cyclonedx(mined: Mined, to: Path) -> CycloneSummary:
    """One `<repo>.cdx.json` per repository into the folder `to`."""
    if to.exists() and not to.is_dir():
        raise ExportError(f"--to must be a folder for --format cyclonedx, not a file: {to}")
    to.mkdir(parents=True, exist_ok=True)
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for usage in mined.linked_usages():
        by_repo[usage["repo"]].append(usage)
    commits = {r["repo"]: r["commit"] for r in mined.repos.to_pylist() if r["status"] in MINED}
    repos = sorted(set(commits) | set(by_repo))
    components = 0
    for repo in repos:
        usages = by_repo.get(repo, [])
        commit = commits.get(repo) or next((u["commit"] for u in usages if u["commit"]), None)
        bom = build_bom(repo, commit, usages)
        components += len(bom.components)
        (to / f"{keys.file_slug(repo)}.cdx.json").write_text(JsonV1Dot6(bom).output_as_string(indent=2) + "\n",
                                                              encoding="utf-8")
    return CycloneSummary(to, len(repos), components)


def build_bom(repo: str, commit: str | None, usages: list[dict]) -> Bom:
    """The BOM of one repository from its linked usage rows."""
    subject = _subject(repo, commit)
    groups: dict[tuple[str, str, str, str | None], list[dict]] = defaultdict(list)
    for u in usages:
        groups[(u["hub"], u["repo_type"], u["model_id"], u["revision"])].append(u)
    models = [_component(key, rows) for key, rows in sorted(groups.items(), key=lambda kv: _sort_key(kv[0]))]
    bom = Bom(
        serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"ptm-miner:{repo}@{commit or ''}"),
        metadata=BomMetaData(
            component=subject,
            tools=ToolRepository(components=[Component(type=ComponentType.APPLICATION, name="ptm-miner",
                                                       version=TOOL_VERSION)]),
            properties=[Property(name=f"{PREFIX}repo", value=repo)],
        ),
        components=models,
    )
    bom.register_dependency(subject, models)
    return bom


def _sort_key(key: tuple[str, str, str, str | None]) -> tuple[str, str, str, str]:
    hub, repo_type, model_id, revision = key
    return hub, repo_type, model_id, revision or ""


def _subject(repo: str, commit: str | None) -> Component:
    ref = keys.repo_ref(repo)
    links = [ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(ref.web))] if ref.web else []
    return Component(type=ComponentType.APPLICATION, name=ref.name, group=ref.owner or None, version=commit,
                     bom_ref="repository", external_references=links)


def _component(key: tuple[str, str, str, str | None], rows: list[dict]) -> Component:
    hub, repo_type, model_id, revision = key
    return Component(
        type=COMPONENT_TYPES.get(repo_type, ComponentType.MACHINE_LEARNING_MODEL),
        name=model_id,
        version=revision,
        bom_ref=f"{hub}:{repo_type}:{model_id}" + (f"@{revision}" if revision else ""),
        purl=keys.purl(hub, repo_type, model_id, revision),
        properties=_properties(hub, repo_type, revision, rows),
        evidence=ComponentEvidence(occurrences=[_occurrence(u) for u in rows]),
    )


def _occurrence(u: dict) -> Occurrence:
    context = f"{u['resolution']}: {u['expression']}"
    if u.get("origin_path"):  # the id came to the call from a shell line or a config key
        context += f" (from {u['origin_path']}:{u['origin_line']}, {u['carrier']})"
    return Occurrence(location=u["path"], line=u["line"] if u["line"] and u["line"] > 0 else None,
                      symbol=u["api"], additional_context=context)


def _properties(hub: str, repo_type: str, revision: str | None, rows: list[dict]) -> list[Property]:
    props = {
        "hub": hub,
        "repo_type": repo_type,
        "usages": str(len(rows)),
        "libraries": _joined(u["library"] for u in rows),
        "resolutions": _joined(u["resolution"] for u in rows),
        "canonical_id": _joined(u["canonical_id"] for u in rows),
        "revision_pinned": "true" if revision else "false",
        "trust_remote_code": reuse.trust_label(u["trust_remote_code"] for u in rows),
        "auth": "true" if any(u["auth"] for u in rows) else "false",
    }
    files = sorted({f for u in rows if (f := reuse.downloaded_file(u["hub"], u["model_id"], u["file"]))})
    if files:
        formats = {reuse.file_format(f) for f in files}
        props["downloaded_files"] = ",".join(files)
        props["pickle_download"] = "true" if "pickle" in formats else "false"
        props["file_formats"] = ",".join(sorted(f for f in formats if f))
    known = {u["known"] for u in rows if u["known"] is not None}
    if known:
        props["known"] = "true" if True in known else "false"
    return [Property(name=f"{PREFIX}{name}", value=value) for name, value in props.items() if value]


def _joined(values) -> str:
    return ",".join(sorted({v for v in values if v}))
