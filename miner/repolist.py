"""The repository list: one line, one `RepoSpec`.

This module owns the list format of CONTRACT.md and the repository key. A line
is an https/ssh git URL, the GitHub shorthand `owner/name`, or a local path (a
git work tree, a bare git directory or a plain folder); blank lines and `#`
comments are skipped. Parsing never raises on a bad line: the line becomes a
spec of kind "invalid" with a readable `error`, so the runner can record it.

Keys: `owner/name` for GitHub (URL or shorthand, case kept, `.git` and trailing
`/` removed), the URL as written for any other host. A local path's key is, in
order: the key written after it on the line (`path/to/clone  owner/name`, or a
git URL, which gets the key it would get as a line of its own); the GitHub key
of its `origin` remote, for a git work tree or bare repository whose origin is
a GitHub URL (read from its config file, git is not run); else its absolute
path. An existing relative path wins over the shorthand it looks like, and over
a path-and-key reading of a line with spaces.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from git.config import GitConfigParser

from miner.extract.text import decode_text
from miner.records import RepoSpec

__all__ = ["read_repo_list", "parse_line", "mark_duplicates"]

_GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})
_SCHEMES = frozenset({"https", "http", "ssh", "git", "git+ssh", "ssh+git", "file"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# git's rule: `[user@]host:path` is ssh when a colon comes before any slash.
_SCP = re.compile(r"^(?:(?P<user>[^@/:\s]+)@)?(?P<host>[^@/:\s]+):(?P<path>[^\s]*)$")
_HOST = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_COMMENT = re.compile(r"\s#.*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# No repository location comes near this (a path is at most 4 KiB); a longer line
# would also be too long an argument for git (128 KiB).
MAX_LINE = 8192
_KEYED = re.compile(r"^(?P<path>.*\S) +(?P<key>\S+)$")  # `path  key` (spaces: a tab is a control character)
_GITDIR = re.compile(r"^gitdir:\s*(.+?)\s*$")
_MAX_CONFIG = 1 << 20  # a git config larger than this is not read for the origin


def read_repo_list(path: Path) -> list[RepoSpec]:
    """Every non-blank, non-comment line of the list at `path`, in order
    (duplicates included). Relative paths are relative to the list's folder.
    The list is UTF-8 (or UTF-16 with a BOM); undecodable bytes are replaced,
    so such a line is a bad line of its own, not the end of the run."""
    text = decode_text(Path(path).read_bytes()).text
    base = Path(os.path.abspath(path)).parent
    specs = (parse_line(line, base=base) for line in text.split("\n"))
    return [spec for spec in specs if spec is not None]


def parse_line(line: str, *, base: Path) -> RepoSpec | None:
    """The spec for one list line, or None for a blank or comment line."""
    source = line.strip()
    text = _COMMENT.sub("", source).strip()
    if not text or text.startswith("#"):
        return None
    if _CONTROL.search(text):
        return _invalid(text, source, "the line contains control characters")
    if len(text) > MAX_LINE:
        return _invalid(text, source, f"the line is {len(text):,} characters long (at most {MAX_LINE:,}): {text[:80]}...")
    if _SCHEME.match(text):
        return _parse_url(text, source)
    keyed = _keyed_local(text, source, base=base)
    if keyed is not None:
        return keyed
    if text.startswith(("/", "./", "../", "~")) or text in (".", ".."):
        return _parse_local(text, source, base=base)
    local = _absolute(text, base=base)
    if os.path.exists(local):
        return _parse_local(text, source, base=base)
    if _SCP.match(text):
        return _parse_scp(text, source)
    shorthand = _github_key(text)
    if shorthand is not None:
        return RepoSpec(key=shorthand, source=source, kind="remote",
                        location=f"https://github.com/{shorthand}.git")
    if "/" in text or text.startswith("."):
        return _invalid(local, source, f"not found: {local} (no such path, and not a URL or owner/name)")
    return _invalid(text, source, f"not a git URL, an owner/name shorthand or an existing path: {text!r}")


def mark_duplicates(specs: Iterable[RepoSpec]) -> list[tuple[RepoSpec, bool]]:
    """Each spec with True when an earlier valid spec has the same key.
    Invalid lines are never duplicates: they are reported as invalid."""
    seen: set[str] = set()
    marked: list[tuple[RepoSpec, bool]] = []
    for spec in specs:
        duplicate = spec.kind != "invalid" and spec.key in seen
        if spec.kind != "invalid":
            seen.add(spec.key)
        marked.append((spec, duplicate))
    return marked


def _invalid(key: str, source: str, error: str) -> RepoSpec:
    return RepoSpec(key=key, source=source, kind="invalid", location=key, error=error)


def _github_key(path: str) -> str | None:
    """`owner/name` from `owner/name(.git)(/)`, or None if it is not that shape."""
    path = path.strip("/")
    parts = path.split("/")
    if len(parts) != 2:
        return None
    owner, name = parts
    if name.endswith(".git"):
        name = name[: -len(".git")]
    if not _OWNER.match(owner) or not _NAME.match(name) or name in (".", ".."):
        return None
    return f"{owner}/{name}"


def _parse_url(text: str, source: str) -> RepoSpec:
    scheme = text.split("://", 1)[0].lower()
    if scheme not in _SCHEMES:
        return _invalid(text, source, f"unsupported URL scheme {scheme!r}: {text}")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises ValueError on a malformed port
    except ValueError as exc:
        return _invalid(text, source, f"malformed URL {text!r}: {exc}")
    if scheme == "file":
        if not parts.path or parts.path == "/":
            return _invalid(text, source, f"file URL without a path: {text}")
        return RepoSpec(key=text, source=source, kind="remote", location=text)
    if not host or not _HOST.match(host):
        return _invalid(text, source, f"URL without a valid host: {text}")
    if not parts.path.strip("/"):
        return _invalid(text, source, f"URL without a repository path: {text}")
    if host.lower() in _GITHUB_HOSTS:
        key = _github_key(parts.path)
        if key is None:
            return _invalid(text, source, f"not a GitHub repository URL (expected github.com/owner/name): {text}")
        return RepoSpec(key=key, source=source, kind="remote", location=text)
    return RepoSpec(key=text, source=source, kind="remote", location=text)


def _parse_scp(text: str, source: str) -> RepoSpec:
    match = _SCP.match(text)
    assert match is not None
    host, path = match["host"], match["path"]
    if not _HOST.match(host):
        return _invalid(text, source, f"ssh URL without a valid host: {text}")
    if not path.strip("/"):
        return _invalid(text, source, f"ssh URL without a repository path: {text}")
    if host.lower() in _GITHUB_HOSTS:
        key = _github_key(path)
        if key is None:
            return _invalid(text, source, f"not a GitHub repository (expected github.com:owner/name): {text}")
        return RepoSpec(key=key, source=source, kind="remote", location=text)
    return RepoSpec(key=text, source=source, kind="remote", location=text)


def _absolute(text: str, *, base: Path) -> str:
    return os.path.normpath(os.path.join(os.path.abspath(base), os.path.expanduser(text)))


def _parse_local(text: str, source: str, *, base: Path, key: str | None = None) -> RepoSpec:
    path = _absolute(text, base=base)
    if not os.path.exists(path):
        return _invalid(path, source, f"not found: {path}")
    if not os.path.isdir(path):
        return _invalid(path, source, f"not a folder: {path}")
    kind = _local_kind(path)
    if key is None and kind != "folder":
        key = _origin_key(path, kind)
    return RepoSpec(key=key or path, source=source, kind=kind, location=path)


def _keyed_local(text: str, source: str, *, base: Path) -> RepoSpec | None:
    """`path  key`: a local path, then the repository key it is known by. None
    when the line is not that shape (the whole line is an existing path, or
    its last word is not a key), so the line is read as before."""
    match = _KEYED.match(text)
    if match is None or os.path.exists(_absolute(text, base=base)):
        return None
    key = _remote_key(match["key"])
    if key is None:
        return None
    return _parse_local(match["path"], source, base=base, key=key)


def _remote_key(text: str) -> str | None:
    """The key `text` gets as a remote line (a git URL or `owner/name`), or None."""
    if _SCHEME.match(text):
        spec = _parse_url(text, text)
    elif _SCP.match(text):
        spec = _parse_scp(text, text)
    else:
        return _github_key(text)
    return spec.key if spec.kind == "remote" else None


def _origin_key(path: str, kind: str) -> str | None:
    """`owner/name` when the repository's `origin` remote is a GitHub URL.
    The config file is read as text (includes not followed); anything
    unreadable means no key."""
    try:
        file = _common_dir(path, kind) / "config"
        if not file.is_file() or file.stat().st_size > _MAX_CONFIG:
            return None
        text = BytesIO(file.read_bytes())
        text.name = str(file)  # GitConfigParser names what it reads
        config = GitConfigParser(text, read_only=True, merge_includes=False)
        url = str(config.get_value('remote "origin"', "url", default=""))
    except Exception:  # noqa: BLE001 -- a broken config is only a missing key
        return None
    if not url or _CONTROL.search(url):
        return None
    spec = _parse_url(url, url) if _SCHEME.match(url) else _parse_scp(url, url) if _SCP.match(url) else None
    if spec is None or spec.kind != "remote" or spec.key == url:
        return None  # not a git URL, or not GitHub's (only GitHub URLs are rekeyed)
    return spec.key


def _common_dir(path: str, kind: str) -> Path:
    """The git directory holding the config: `.git`, the target of a `.git`
    file (`gitdir: ...`), or its `commondir` for a linked work tree."""
    git_dir = Path(path) if kind == "bare" else Path(path) / ".git"
    if git_dir.is_file():
        match = _GITDIR.match(git_dir.read_text(errors="replace").splitlines()[0] if git_dir.stat().st_size < 4096 else "")
        if match is None:
            return git_dir
        git_dir = Path(path) / match[1]
    common = git_dir / "commondir"
    if common.is_file() and common.stat().st_size < 4096:
        git_dir = git_dir / common.read_text(errors="replace").strip()
    return git_dir


def _local_kind(path: str) -> str:
    if os.path.lexists(os.path.join(path, ".git")):
        return "git"
    if os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(os.path.join(path, "objects")):
        return "bare"
    return "folder"
