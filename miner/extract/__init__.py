"""Extraction: one file's bytes to `FileFacts`, by file kind.

`extract_file` is the pure, module-level function that the parallel seam calls;
it never raises: whatever goes wrong becomes a `FileFacts` whose status says so.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace

from miner.extract import budget
from miner.pool import gc_paused
from miner.records import FileFacts, FileKind, ParseStatus


_LFS_POINTER = b"version https://git-lfs.github.com/spec/"


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One file to extract: the unit that crosses into a worker process."""

    path: str
    kind: FileKind
    data: bytes
    seconds: float = budget.FILE_SECONDS  # its time budget


def extract_file(item: WorkItem, keywords: frozenset[str], *, commands: frozenset[str] = frozenset()) -> FileFacts:
    """`keywords`: callee names worth keeping in Python; `commands`: the shell
    programs whose command lines are kept word by word (`hf download ...`)."""
    try:
        with budget.time_budget(item.seconds):
            return _extract(item, keywords, commands)
    except budget.BudgetExceeded:
        return FileFacts(path=item.path, kind=item.kind, status=ParseStatus.FAILED,
                         error=f"over the time budget of {item.seconds:g} s per file")
    except Exception as exc:  # noqa: BLE001 - a failure is a value, never a crash of the run
        return FileFacts(path=item.path, kind=item.kind, status=ParseStatus.FAILED,
                         error=f"{type(exc).__name__}: {exc}"[:500])


@gc_paused
def extract_batch(items: list[WorkItem], keywords: frozenset[str], *,
                  commands: frozenset[str] = frozenset()) -> list[FileFacts]:
    return [extract_file(item, keywords, commands=commands) for item in items]


def extract_packed(items: list[WorkItem], keywords: frozenset[str], *,
                   commands: frozenset[str] = frozenset()) -> list[tuple[ParseStatus, bytes]]:
    """What a worker returns: each file's status and its packed facts, so that
    packing happens on the workers and the coordinator only stores and forwards."""
    from miner.cache import pack

    return [(facts.status, pack(facts)) for facts in extract_batch(items, keywords, commands=commands)]


def _extract(item: WorkItem, keywords: frozenset[str], commands: frozenset[str]) -> FileFacts:
    from miner.extract.text import decode_python, decode_text, looks_binary

    if looks_binary(item.data):
        return FileFacts(path=item.path, kind=item.kind, status=ParseStatus.SKIPPED, error="binary content")
    if item.data.startswith(_LFS_POINTER):
        return FileFacts(path=item.path, kind=item.kind, status=ParseStatus.SKIPPED,
                         error="a git LFS pointer (its content is never fetched)")
    if item.kind == FileKind.PYTHON:
        from miner.extract.notice import head_notice
        from miner.extract.python import extract_python

        decoded = decode_python(item.data)
        facts = extract_python(item.path, decoded.text, keywords=keywords)
        if notice := head_notice(decoded.text):
            facts = replace(facts, notice=notice)
        return _mark_lossy(facts, decoded.lossy)
    decoded = decode_text(item.data)
    if item.kind == FileKind.NOTEBOOK:
        return _mark_lossy(_notebook(item, keywords, commands), decoded.lossy)
    if item.kind == FileKind.SHELL:
        from miner.extract import shell

        name = posixpath.basename(item.path)
        if name.lower().endswith(".md"):
            return shell.extract_markdown(item.path, decoded.text, commands=commands)
        if name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
            return shell.extract_makefile(item.path, decoded.text, commands=commands)
        if shell.is_dockerfile(item.path):
            return shell.extract_dockerfile(item.path, decoded.text, commands=commands)
        return shell.extract_shell(item.path, decoded.text, commands=commands)
    from miner.extract.config import extract_config

    return extract_config(item.path, decoded.text)


def _notebook(item: WorkItem, keywords: frozenset[str], commands: frozenset[str]) -> FileFacts:
    from miner.extract.notebook import notebook_code
    from miner.extract.python import extract_python
    from miner.extract.shell import extract_shell_lines

    code = notebook_code(item.data)
    if isinstance(code, str):
        return FileFacts(path=item.path, kind=FileKind.NOTEBOOK, status=ParseStatus.FAILED, error=code)
    if not code.is_python:
        return FileFacts(path=item.path, kind=FileKind.NOTEBOOK, status=ParseStatus.SKIPPED,
                         error=f"a notebook in {code.language[:40]!r}: only Python notebooks are read")
    facts = extract_python(item.path, code.source, keywords=keywords, kind=FileKind.NOTEBOOK)
    return replace(facts, shell_args=extract_shell_lines(item.path, list(code.shell_lines), commands=commands))


def _mark_lossy(facts: FileFacts, lossy: bool) -> FileFacts:
    if not lossy or facts.status != ParseStatus.OK:
        return facts
    return replace(facts, status=ParseStatus.PARTIAL, error="undecodable bytes replaced")
