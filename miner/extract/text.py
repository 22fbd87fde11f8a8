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
    """Decode Python source the way the interpreter would, never raising.

    A coding cookie that cannot be right is ignored and the file read as UTF-8:
    an unknown codec, one that is not a text encoding (`rot13`), and one in
    which the cookie's own line does not read as written (`utf-16-le`,
    `cp037`, `punycode` in an ASCII file: the interpreter refuses those files)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16")
    try:
        encoding, lines = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (SyntaxError, LookupError):
        encoding, lines = "utf-8-sig", []
    if not _reads_back(b"".join(lines), encoding):
        encoding = "utf-8-sig"
    return _decode(data, encoding)


def decode_text(data: bytes) -> Decoded:
    """Decode a non-Python text file: BOM-aware UTF-8, UTF-16 by BOM."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16")
    return _decode(data, "utf-8-sig")


_NON_ASCII = bytes(range(0x80, 0x100))


def _reads_back(head: bytes, encoding: str) -> bool:
    """The ASCII bytes of the first lines (those that carry the cookie) decode
    to themselves in `encoding`."""
    ascii_bytes = head.translate(None, _NON_ASCII)
    try:
        return ascii_bytes.decode(encoding) == ascii_bytes.decode("ascii")
    except (UnicodeError, LookupError):
        return False


def _decode(data: bytes, encoding: str) -> Decoded:
    """`data` in `encoding`, else in UTF-8 (without its BOM); lossy only when
    bytes were replaced."""
    fallback = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    for name in (encoding, fallback):
        try:
            return Decoded(data.decode(name), name, lossy=False)
        except (UnicodeError, LookupError):  # UnicodeError: some codecs raise it bare (punycode)
            continue
    return Decoded(data.decode(fallback, errors="replace"), fallback, lossy=True)
