"""Reuse attributes of a usage, as the BOMs and the report state them.

This module owns three judgements over usage rows: is the revision pinned,
what did the call say about `trust_remote_code`, and is the file it downloads
in a pickle-based format (arbitrary code on load) or a safe one. The file is
the `file` column (`hf_hub_download(..., filename=)`), or the URL itself for a
weight file fetched by URL (hub `url`, e.g. `load_state_dict_from_url`).
"""
from __future__ import annotations

import posixpath
from typing import Iterable
from urllib.parse import urlsplit

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
SAFE_SUFFIXES = (".safetensors", ".gguf", ".onnx")
# Hubs whose ids take a revision (a commit, tag or branch) at the call.
REVISION_HUBS = frozenset({"huggingface", "torch_hub", "modelscope"})


def downloaded_file(hub: str, model_id: str | None, file: str | None) -> str | None:
    """The file a usage fetches, when it names one."""
    if file:
        return file
    if hub == "url" and model_id:
        return posixpath.basename(urlsplit(model_id).path) or None
    return None


def file_format(name: str | None) -> str | None:
    """`pickle`, `safe` or `other` for a file name; None when there is none."""
    if not name:
        return None
    lowered = name.lower()
    if lowered.endswith(PICKLE_SUFFIXES):
        return "pickle"
    if lowered.endswith(SAFE_SUFFIXES):
        return "safe"
    return "other"


def trust_label(values: Iterable[bool | None]) -> str:
    """`true` if any call passes trust_remote_code=True, `false` if calls pass
    only False, `unset` if none passes it (or only unknown values)."""
    seen = {v for v in values if v is not None}
    if True in seen:
        return "true"
    return "false" if False in seen else "unset"
