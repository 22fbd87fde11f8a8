"""Expectations written on the lines of fixture files, and their check.

    model = AutoModel.from_pretrained("bert-base-uncased")  # expect: bert-base-uncased
    pipe = pipeline("sentiment-analysis")  # expect: distilbert/... res=pipeline_task_default
    m = from_pretrained(args.output_dir)  # expect-local
    m = from_pretrained(name)  # expect-unresolved
    cfg.from_pretrained("x")  # ok            (no usage at all on this line)
    in a vendored copy:  # expect-vendored: gpt2

Several ids: `# expect: a, b`. Qualifiers after the ids: `hub=H type=T res=R canonical=C`,
and `origin=run.sh:6,conf/x.yaml,-` (where an id that reaches the call was written:
each id has a row whose origin_path:origin_line, or origin_path, is one of them; `-`: at the call).
Notebooks are annotated inside their code cells; lines count in the code
cells joined with a newline, as CONTRACT.md says.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from miner.extract.notebook import notebook_code

_EXPECT = re.compile(r"#\s*expect(-vendored)?:\s*(.+?)\s*$")
_FLAG = re.compile(r"#\s*(expect-local|expect-unresolved)\b")
_OK = re.compile(r"#\s*ok\b")


@dataclass
class LineExpectation:
    ids: list[str] = field(default_factory=list)
    qualifiers: dict[str, str] = field(default_factory=dict)
    vendored: bool = False
    flag: str | None = None  # expect-local / expect-unresolved
    ok: bool = False


def file_lines(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        code = notebook_code(path.read_bytes())
        if isinstance(code, str):
            return []
        # Annotations are comments; notebook_code blanks magics but keeps comments.
        return code.source.split("\n")
    return path.read_text(encoding="utf-8", errors="replace").split("\n")


def expectations(path: Path) -> dict[int, LineExpectation]:
    out: dict[int, LineExpectation] = {}
    for number, text in enumerate(file_lines(path), start=1):
        match = _EXPECT.search(text)
        if match:
            exp = out.setdefault(number, LineExpectation())
            exp.vendored = bool(match.group(1))
            words = match.group(2).split()
            for word in words:
                if "=" in word and word.split("=")[0] in ("hub", "type", "res", "canonical", "origin"):
                    key, value = word.split("=", 1)
                    exp.qualifiers[key] = value
                else:
                    exp.ids += [w for w in word.split(",") if w]
            continue
        flag = _FLAG.search(text)
        if flag:
            out.setdefault(number, LineExpectation()).flag = flag.group(1)
        elif _OK.search(text):
            out.setdefault(number, LineExpectation()).ok = True
    return out


def check_file(path: Path, rel: str, usages: list) -> list[str]:
    """Differences between a file's annotations and the usage rows found in it."""
    exp = expectations(path)
    rows = [u for u in usages if u.path == rel]
    errors: list[str] = []
    for line, e in sorted(exp.items()):
        here = [u for u in rows if u.line == line]
        where = f"{rel}:{line}"
        if e.ok and here:
            errors.append(f"{where}: expected no usage, found {[(u.model_id, u.resolution) for u in here]}")
        for model_id in e.ids:
            found = [u for u in here if u.model_id == model_id]
            if not found:
                errors.append(f"{where}: expected {model_id}, found {[(u.model_id, u.resolution) for u in here]}")
                continue
            for key, attr in (("hub", "hub"), ("type", "repo_type"), ("res", "resolution"), ("canonical", "canonical_id")):
                want = e.qualifiers.get(key)
                if want and all(getattr(u, attr) != want for u in found):
                    errors.append(f"{where}: {model_id}: expected {key}={want}, got {[getattr(u, attr) for u in found]}")
            origins = set(e.qualifiers.get("origin", "").split(",")) - {""}
            if origins and not any({f"{u.origin_path}:{u.origin_line}", u.origin_path or "-"} & origins for u in found):
                errors.append(f"{where}: {model_id}: expected origin in {sorted(origins)}, "
                              f"got {[(u.origin_path, u.origin_line) for u in found]}")
            if e.vendored and not all(u.vendored for u in found):
                errors.append(f"{where}: {model_id}: expected vendored")
        if e.flag == "expect-local" and not any(u.resolution == "local_path" for u in here):
            errors.append(f"{where}: expected a local_path usage, found {[(u.model_id, u.resolution) for u in here]}")
        if e.flag == "expect-unresolved" and not any(u.resolution == "unresolved" for u in here):
            errors.append(f"{where}: expected an unresolved usage, found {[(u.model_id, u.resolution) for u in here]}")
    for u in rows:
        e = exp.get(u.line)
        if u.model_id is not None and (e is None or u.model_id not in e.ids):
            errors.append(f"{rel}:{u.line}: unexpected {u.model_id} ({u.api}, {u.resolution})")
    return errors
