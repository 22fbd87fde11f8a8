"""Turning a file's bytes into text: BOMs, PEP 263 coding cookies, UTF-16, and
bytes that decode to nothing sensible. Owns every decode in the extractors."""
from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    lossy: bool  # some bytes were replaced


def looks_binary(data: bytes) -> bool:
    """NUL bytes in the first 8 KiB, outside a UTF-16 text, mean a binary file."""
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\0" in head


def decode_python(data: bytes) -> Decoded:
    """Decode Python source the way the interpreter would, never raising."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (SyntaxError, LookupError):
        encoding = "utf-8"
    return _decode(data, encoding)


def decode_text(data: bytes) -> Decoded:
    """Decode a non-Python text file: BOM-aware UTF-8, UTF-16 by BOM."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16")
    return _decode(data, "utf-8-sig")


def _decode(data: bytes, encoding: str) -> Decoded:
    try:
        return Decoded(data.decode(encoding), encoding, lossy=False)
    except (UnicodeDecodeError, LookupError):
        text = data.decode("utf-8", errors="replace")
        return Decoded(text, "utf-8", lossy=True)
