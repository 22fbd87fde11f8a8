"""Exports of the mined tables into the datasets and tools people already use.

`export(OUT_DIR, format, to)` reads an output folder of `mine` (`load`) and
writes it as PeaTMOSS's reuse tables in SQLite (`peatmoss`) or as one CycloneDX
BOM per repository (`cyclonedx`). How our keys are spelled there is `keys`;
the reuse attributes both the BOMs and the report state are `reuse`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from miner.export.load import ExportError, Mined, read_mined

FORMATS = ("peatmoss", "cyclonedx")

__all__ = ["FORMATS", "ExportError", "Exported", "Mined", "export", "read_mined"]


@dataclass(frozen=True, slots=True)
class Exported:
    format: str
    summary: str  # one readable line: what was written where


def export(out: Path, fmt: str, to: Path) -> Exported:
    """Read OUT_DIR `out` and write it in format `fmt` at `to`."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    mined = read_mined(out)
    if fmt == "peatmoss":
        from miner.export.peatmoss import write_peatmoss
        return Exported(fmt, str(write_peatmoss(mined, to)))
    from miner.export.cyclonedx import write_cyclonedx
    return Exported(fmt, str(write_cyclonedx(mined, to)))
