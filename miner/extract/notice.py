"""The copyright notice at the head of a source file.

A file copied from another project keeps that project's header
(`# Copyright (c) Facebook, Inc. and its affiliates.`, `# Copyright 2020 The
HuggingFace Team.`). Extraction keeps those lines, as written, for resolution
to judge against the notices of `patterns/_vendored.toml`
(`miner/resolve/headers.py`). Only the head counts: a notice further down is
quoted text, not the file's own.
"""
from __future__ import annotations

import re

HEAD_LINES = 40  # a header's notice is within the first lines
MAX_NOTICE = 600  # characters kept
_COPYRIGHT = re.compile(r"copyright|\(c\)|©", re.I)
_DECORATION = " \t#*/\"'-=|"


def head_notice(text: str) -> str:
    """The copyright lines among the first HEAD_LINES lines, stripped of
    comment and docstring decoration, one per line; "" when there is none."""
    found = []
    for line in text[:8192].splitlines()[:HEAD_LINES]:
        if _COPYRIGHT.search(line):
            found.append(line.strip(_DECORATION))
    return "\n".join(found)[:MAX_NOTICE]
