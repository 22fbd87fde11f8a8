"""String values of configuration files, by dotted key path and line.

Owns `ConfigValue` extraction from YAML, JSON, TOML and INI/cfg files, chosen by
extension. Parsing is PyYAML's (composition only, with the safe loader: no tag
ever constructs an object) or the standard library's; lines come from YAML node
marks, from the offsets the JSON decoder reads strings at, and from a scan of
TOML and INI key lines. Key paths join mapping keys and list indices with dots
(`models.0.name`); only string scalars are reported.
"""
from __future__ import annotations

import configparser
import json
import json.decoder
import json.scanner
import posixpath
import re
import sys
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Callable

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from miner.records import ConfigValue, FileFacts, FileKind, ParseStatus

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 200  # nesting followed in a parsed document
MAX_VISITS = 500_000  # nodes visited per file: YAML aliases can repeat a subtree exponentially

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same safe loader, parsed in C when built
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"

_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml", ".cfg": "ini", ".ini": "ini"}
# Config-shaped files that never name a model: package manifests, lock files, editor,
# CI and linter settings, packaging metadata, and tokenizer vocabularies (large, and
# their strings are tokens).
_NOISE = frozenset({"package.json", "package-lock.json", "composer.json", "jsconfig.json", "vocab.json",
                    "tokenizer.json", "pnpm-lock.yaml", ".eslintrc.json", ".prettierrc.json", ".babelrc.json",
                    "pipfile.lock", "poetry.lock", ".pre-commit-config.yaml", "environment.yml",
                    "environment.yaml", "pyproject.toml", "setup.cfg", "tox.ini", ".readthedocs.yaml",
                    "mkdocs.yml", ".codecov.yml", "codecov.yml", "dependabot.yml", ".flake8", "pytest.ini"})
_NOISE_DIRS = frozenset({".github", ".circleci", "node_modules", ".vscode", ".idea"})


def is_config_path(path: str) -> bool:
    """A YAML/JSON/TOML/cfg/ini file by extension, except the noise above,
    files under CI or editor folders, `*-lock.*`/`*.lock.*` lock files and `tsconfig*.json`."""
    name = posixpath.basename(path).lower()
    if _format(name) is None or name in _NOISE or set(path.split("/")[:-1]) & _NOISE_DIRS:
        return False
    return not (re.search(r"[-.]lock\.", name) or name.startswith("tsconfig"))


def _format(name: str) -> str | None:
    return _SUFFIXES.get(posixpath.splitext(name.lower())[1])


class _Exhausted(Exception):
    """The walk met more nesting or more nodes than the caps allow."""


@dataclass
class _Found:
    """Values collected in document order, with the walk's budget."""

    values: list[ConfigValue] = field(default_factory=list)
    visits: int = 0
    walked: set[int] = field(default_factory=set)  # YAML collections, which aliases share

    def visit(self, depth: int) -> None:
        self.visits += 1
        if depth > MAX_DEPTH or self.visits > MAX_VISITS:
            raise _Exhausted(f"more than {MAX_DEPTH} levels or {MAX_VISITS} nodes")

    def add(self, line: int, path: tuple[str, ...], value: str) -> None:
        self.values.append(ConfigValue(line, ".".join(path), value))


def extract_config(path: str, text: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> FileFacts:
    """Every string value of a config file, with its key path and 1-based line."""
    kind = _format(posixpath.basename(path))
    if kind is None:
        return FileFacts(path, FileKind.CONFIG, ParseStatus.SKIPPED, "not a config file extension")
    if len(text) > max_bytes or len(text.encode("utf-8", "replace")) > max_bytes:
        return FileFacts(path, FileKind.CONFIG, ParseStatus.SKIPPED, f"larger than {max_bytes} bytes")
    found = _Found()
    readers: dict[str, Callable[[str, _Found], None]] = {
        "yaml": _read_yaml, "json": _read_json, "toml": _read_toml, "ini": _read_ini}
    try:
        readers[kind](text, found)
    except Exception as exc:  # noqa: BLE001 - invalid input is a value, never a crash
        status = ParseStatus.PARTIAL if found.values else ParseStatus.FAILED
        return FileFacts(path, FileKind.CONFIG, status, _message(exc), config_values=tuple(found.values))
    return FileFacts(path, FileKind.CONFIG, config_values=tuple(found.values))


def _message(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500]


# --- YAML ---------------------------------------------------------------------


_YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _read_yaml(text: str, found: _Found) -> None:
    line_of = _yaml_lines(text)
    for document in yaml.compose_all(text, Loader=_YAML_LOADER):
        if document is not None:
            _walk_yaml(document, (), found, 0, line_of)


def _yaml_lines(text: str) -> Callable[[int], int]:
    """YAML's 0-based line (it also breaks at a lone CR, NEL, LS and PS) to
    the 1-based line counted in line feeds, as everywhere else."""
    if not re.search("\r(?!\n)|[\x85\u2028\u2029]", text):
        return lambda line: line + 1
    starts = [0] + [m.end() for m in _YAML_BREAK.finditer(text)]
    newlines = [i for i, c in enumerate(text) if c == "\n"]
    return lambda line: bisect_right(newlines, starts[min(line, len(starts) - 1)] - 1) + 1


def _walk_yaml(node: yaml.Node, path: tuple[str, ...], found: _Found, depth: int,
               line_of: Callable[[int], int]) -> None:
    found.visit(depth)
    if not isinstance(node, yaml.ScalarNode):
        if id(node) in found.walked:  # an alias: its values are in at their anchor (a billion laughs stays small)
            return
        found.walked.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR_TAG:
            found.add(line_of(node.start_mark.line), path, node.value)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk_yaml(item, path + (str(i),), found, depth + 1, line_of)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            if key.tag == _MERGE_TAG:  # `<<: *defaults` merges the keys in place
                for merged in value.value if isinstance(value, yaml.SequenceNode) else [value]:
                    found.walked.discard(id(merged))  # its keys belong here too
                    _walk_yaml(merged, path, found, depth + 1, line_of)
            else:
                _walk_yaml(value, path + (key.value,), found, depth + 1, line_of)


# --- JSON -----------------------------------------------------------------


class _At(str):
    """A decoded JSON string that remembers the offset it was read at."""

    offset: int


def _read_json(text: str, found: _Found) -> None:
    text = text[1:] if text.startswith("\ufeff") else text

    def parse_string(s: str, end: int, strict: bool) -> tuple[str, int]:
        value, new_end = json.decoder.scanstring(s, end, strict)
        at = _At(value)
        at.offset = end - 1
        return at, new_end

    decoder = json.JSONDecoder()
    decoder.parse_string = parse_string  # the pure-Python scanner reads string values through this hook
    scan = json.scanner.py_make_scanner(decoder)
    start = _skip_space(text, 0)
    try:
        document, end = scan(text, start)
    except StopIteration as stop:
        raise ValueError(f"invalid JSON value at line {_line_of(text, stop.value)}") from None
    if _skip_space(text, end) != len(text):
        raise ValueError(f"extra data after the JSON value at line {_line_of(text, end)}")
    newlines = [i for i, c in enumerate(text) if c == "\n"]
    _walk_json(document, (), found, 0, newlines)


def _skip_space(text: str, i: int) -> int:
    return json.decoder.WHITESPACE.match(text, i).end()


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _walk_json(value: Any, path: tuple[str, ...], found: _Found, depth: int, newlines: list[int]) -> None:
    found.visit(depth)
    if isinstance(value, _At):
        found.add(bisect_right(newlines, value.offset) + 1, path, str(value))
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk_json(item, path + (str(key),), found, depth + 1, newlines)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk_json(item, path + (str(i),), found, depth + 1, newlines)


# --- TOML -----------------------------------------------------------------

_TOML_KEY = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*""")


def _read_toml(text: str, found: _Found) -> None:
    data = tomllib.loads(text)
    lines = text.split("\n")
    key_lines = _toml_key_lines(lines)
    ordered = sorted(set(key_lines.values()))
    _walk_toml(data, (), found, 0, lambda path, value: _toml_line(path, value, key_lines, ordered, lines))


def _walk_toml(value: Any, path: tuple[str, ...], found: _Found, depth: int,
               line_of: Callable[[tuple[str, ...], str], int]) -> None:
    found.visit(depth)
    if isinstance(value, str):
        found.add(line_of(path, value), path, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk_toml(item, path + (key,), found, depth + 1, line_of)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk_toml(item, path + (str(i),), found, depth + 1, line_of)


def _toml_line(path: tuple[str, ...], value: str, key_lines: dict[tuple[str, ...], int], ordered: list[int],
               lines: list[str]) -> int:
    """The line of the key that holds `path`; for an item of an array or inline
    table, the first line from there (up to the next key) that shows the value."""
    for n in range(len(path), -1, -1):
        line = key_lines.get(path[:n])
        if line is not None:
            break
    else:
        return 1
    if n == len(path):
        return line
    nxt = ordered[bisect_right(ordered, line)] if bisect_right(ordered, line) < len(ordered) else len(lines) + 1
    return next((k for k in range(line, nxt) if value in lines[k - 1]), line)


def _toml_key_lines(lines: list[str]) -> dict[tuple[str, ...], int]:
    """The line of every table header and `key = value`, by full key path
    (arrays of tables get their item index: `[[runs]]` twice gives `runs.0`, `runs.1`)."""
    out: dict[tuple[str, ...], int] = {}
    arrays: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    open_string: str | None = None
    for number, line in enumerate(lines, 1):
        if open_string is not None:
            open_string = None if line.count(open_string) % 2 else open_string
            continue
        stripped = line.strip()
        if stripped.startswith("[["):
            path = _resolve(_toml_keys(stripped[2:])[0], arrays)
            arrays[path] = arrays.get(path, -1) + 1
            table = path + (str(arrays[path]),)
            out.setdefault(table, number)
        elif stripped.startswith("["):
            table = _resolve(_toml_keys(stripped[1:])[0], arrays)
            out.setdefault(table, number)
        elif stripped and not stripped.startswith("#"):
            keys, rest = _toml_keys(stripped)
            if keys and rest.startswith("="):
                out[table + keys] = number
                open_string = _opens_multiline(rest[1:].strip())
    return out


def _toml_keys(text: str) -> tuple[tuple[str, ...], str]:
    """A dotted TOML key at the start of `text`, and the text after it."""
    keys: list[str] = []
    i = 0
    while (m := _TOML_KEY.match(text, i)) is not None and m.end() > i:
        keys.append(next(g for g in m.groups() if g is not None))
        i = m.end()
        if not text.startswith(".", i):
            break
        i += 1
    return tuple(keys), text[i:]


def _resolve(keys: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> tuple[str, ...]:
    """A table name with the current index of every array of tables it is inside."""
    path: tuple[str, ...] = ()
    for key in keys[:-1]:
        path += (key,)
        if path in arrays:
            path += (str(arrays[path]),)
    return path + keys[-1:]


def _opens_multiline(value: str) -> str | None:
    for quote in ('"""', "'''"):
        if value.startswith(quote) and value.count(quote) % 2:
            return quote
    return None


# --- INI / cfg ------------------------------------------------------------

_SECTION = re.compile(r"\[(?P<header>.+)\]")
_OPTION = re.compile(r"(?P<option>.*?)\s*[=:]\s*(?P<value>.*)$")


_TOP = "\0top"  # the section of keys above any header (`width = 800` files); reported without a section


def _read_ini(text: str, found: _Found) -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=False, allow_no_value=True)
    parser.optionxform = str  # keep the case of keys as written
    try:
        parser.read_string(text)
        top = parser.default_section
    except configparser.MissingSectionHeaderError:
        parser.read_string(f"[{_TOP}]\n{text}")
        top = _TOP
    for (section, key), line in _ini_key_lines(text, top).items():
        if section == parser.default_section:
            value = parser.defaults().get(key)
        else:
            value = parser.get(section, key, raw=True, fallback=None) if parser.has_section(section) else None
        if isinstance(value, str):
            found.add(line, (key,) if section == _TOP else (section, key), value)


def _ini_key_lines(text: str, top: str) -> dict[tuple[str, str], int]:
    """The line of each (section, key), the last one when a key repeats (configparser keeps the last value)."""
    out: dict[tuple[str, str], int] = {}
    section, option_indent = top, None
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if not stripped or stripped[0] in "#;" or (option_indent is not None and indent > option_indent):
            continue  # blank, comment, or a continuation of the value above
        header = _SECTION.match(stripped)
        if header:
            section, option_indent = header.group("header"), None
            continue
        option = _OPTION.match(stripped)
        if option and option.group("option"):
            key = (section, option.group("option").rstrip())
            out.pop(key, None)
            out[key] = number
        option_indent = indent
    return out
