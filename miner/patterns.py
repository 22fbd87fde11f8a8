"""The pattern registry: which callees load a model, and where the id is.

Patterns are data. `patterns/*.toml` holds one file per library; files whose
name starts with `_` are shared data tables (task defaults, legacy names, ...).
This module loads them, checks them strictly (an unknown key is an error, not a
silent no-op), and answers two questions: which keywords a file must contain to
be worth parsing, and which pattern a qualified callee name matches.

Schema of a library file (every key but `library`, `hub` and `api` optional):

    library = "transformers"          # the distribution that owns the APIs
    hub = "huggingface"               # default hub of its APIs
    repo_type = "model"               # default repo type
    id_form = "hf"                    # how an id is told from a path: hf | hf_dataset | name | url | torch_hub
    canonical = "legacy_hf"           # a `_<table>.toml` mapping names to hub ids
    namespace = "sentence-transformers"  # prefix an un-namespaced id for canonical_id
    keywords = ["..."]                # extra prefilter keywords (calls of these names are kept too)
    callee_names = ["ResNet50"]       # names whose calls are kept wherever written (no prefilter keyword)
    known_ids = "yolov8[nsmlx]"       # (id_form name) a regex of the names the library
                                      # fetches; another name is a file of the user's own

    [[api]]
    callee = ["transformers.*.from_pretrained"]   # fnmatch on the qualified name
    id = { position = 0, keywords = ["pretrained_model_name_or_path"] }
    # or id = { callee = true }: the id is the callee's last name (torchvision), or
    # what the glob's `*` takes (`torchaudio.pipelines.*.get_model`: the bundle)
    # or id = { keywords = ["default_args"], key = "model" }: a key of a dict argument
    entry = { position = 1, keywords = ["model"] }  # joined as `id:entry` (torch.hub)
    task = { position = 0, keywords = ["task"] }    # pipeline tasks
    task_defaults = "pipeline_tasks"               # table used when no id is given
    default_id = "sentence-transformers/all-mpnet-base-v2"  # what the library loads when no id is given
    also = [{ keywords = ["tokenizer"] }]          # more arguments that name a model (one row each)
    file = { position = 1, keywords = ["filename"] }
    revision = ["revision"]
    trust_remote_code = ["trust_remote_code"]
    auth = ["token", "use_auth_token"]
    repo_type_arg = ["repo_type"]
    hub_arg = { keyword = "hub", values = { hf = "huggingface", ms = "modelscope" } }  # a call's hub by an argument
    only_if = ["pretrained", "weights"]   # a hit only when one of these is given and truthy
    unless_false = ["weights"]            # no hit when one of these is given as None, False or ""
    local_if = { keyword = "source", value = "local" }
    local_if_given = ["weights_path"]     # local when one of these is given and not None, False or ""
    prefixed_loads = true                 # an id with one of `prefixes` loads weights whatever `only_if` says
    prefixes = { "hf_hub:" = "huggingface" }  # strip a prefix, and the hub it names
    require_prefix = false                    # ids without a listed prefix are not hub ids
    require_known = false                     # a hit only for an id matching the library's known_ids
                                              # (generic downloaders: a weights-file URL is a load, another URL is not)
    hub = ..., repo_type = ..., id_form = ... # per-API overrides

    [[command]]                       # a command line that downloads a model
    program = ["huggingface-cli", "hf"]
    subcommand = ["download"]         # words after the program ("lfs clone": two)
    id = 1                            # the id is the n-th argument after them
    value_options = ["--local-dir"]   # options that take the next word
    revision = ["--revision"]         # options whose value is the revision
    repo_type_option = ["--repo-type"]
    keywords = ["huggingface-cli"]    # a shell file must hold one (default: the programs)
    hub = ..., repo_type = ..., id_form = ...
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import tomllib

PATTERNS_DIR = Path(__file__).resolve().parent.parent / "patterns"

ID_FORMS = frozenset({"hf", "hf_dataset", "name", "url", "torch_hub"})


class PatternError(ValueError):
    """A pattern file that does not follow the schema."""


@dataclass(frozen=True, slots=True)
class ArgSpec:
    position: int | None = None
    keywords: tuple[str, ...] = ()
    callee: bool = False  # the value is the name the callee glob's `*` takes (its last name: `ApiPattern.called_name`)
    key: str | None = None  # the value is this key of the dict given there


@dataclass(frozen=True, slots=True)
class ApiPattern:
    library: str
    callees: tuple[str, ...]
    hub: str
    repo_type: str
    id_form: str
    id: ArgSpec
    entry: ArgSpec | None = None
    task: ArgSpec | None = None
    task_defaults: str | None = None
    default_id: str | None = None
    also: tuple[ArgSpec, ...] = ()
    file: ArgSpec | None = None
    revision: tuple[str, ...] = ()
    trust_remote_code: tuple[str, ...] = ()
    auth: tuple[str, ...] = ()
    repo_type_arg: tuple[str, ...] = ()
    hub_arg: tuple[str, tuple[tuple[str, str], ...]] | None = None  # (keyword, value -> hub)
    only_if: tuple[str, ...] = ()
    unless_false: tuple[str, ...] = ()
    local_if: tuple[tuple[str, str], ...] = ()
    local_if_given: tuple[str, ...] = ()
    prefixed_loads: bool = False
    prefixes: tuple[tuple[str, str], ...] = ()
    require_prefix: bool = False
    require_known: bool = False  # only ids matching `known_ids` make a usage; nothing else is one
    canonical: str | None = None
    namespace: str | None = None
    keywords: tuple[str, ...] = ()  # extra prefilter keywords of its library
    callee_names: tuple[str, ...] = ()  # more names whose calls extraction keeps
    known_ids: str | None = None  # a regex: the names the library fetches; any other names a local file
    source: str = ""  # the pattern file, for messages

    def matches(self, qualname: str) -> bool:
        return any(_match(glob, qualname) for glob in self.callees)

    def called_name(self, qualname: str) -> str:
        """What `id = { callee = true }` reads: the last name of what the first `*`
        of the matching glob takes (`torchvision.models.*`: `resnet50`;
        `torchaudio.pipelines.*.get_model`: the bundle), else the last name."""
        for glob in self.callees:
            prefix, star, suffix = glob.partition("*")
            if star and _match(glob, qualname) and not any(ch in suffix for ch in "*?[") \
                    and qualname.startswith(prefix) and qualname.endswith(suffix):
                return qualname[len(prefix):len(qualname) - len(suffix)].rsplit(".", 1)[-1]
        return qualname.rsplit(".", 1)[-1]


@lru_cache(maxsize=4096)
def _glob_regex(glob: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(glob))


def _match(glob: str, qualname: str) -> bool:
    return _glob_regex(glob).match(qualname) is not None


@dataclass(frozen=True, slots=True)
class CommandPattern:
    """A shell command that downloads a model, and where its id is."""

    library: str
    programs: tuple[str, ...]
    subcommands: tuple[tuple[str, ...], ...]  # each a sequence of words; () when none
    id_position: int  # 1 for the first argument after the subcommand
    value_options: tuple[str, ...] = ()
    revision: tuple[str, ...] = ()
    repo_type_option: tuple[str, ...] = ()
    hub: str = "huggingface"
    repo_type: str = "model"
    id_form: str = "hf"
    keywords: tuple[str, ...] = ()  # text a shell file must hold for the command to be looked for
    require_known: bool = False  # only an id matching `known_ids` is a model (a downloader of anything)
    known_ids: str | None = None
    source: str = ""


class Registry:
    """All library patterns and data tables, with the lookups built once."""

    def __init__(self, apis: tuple[ApiPattern, ...], tables: dict[str, dict[str, str]], version: str,
                 commands: tuple[CommandPattern, ...] = (), rows: dict[str, tuple[dict, ...]] | None = None):
        self.apis = apis
        self.rows = rows or {}  # the `[[row]]` records of each `_<name>.toml` (e.g. the projects of `_vendored.toml`)
        self.commands = commands
        self.command_programs = frozenset(p for c in commands for p in c.programs)
        self.tables = tables
        self.version = version  # a digest of every pattern file, for cache keys
        self.keywords = _keywords(apis)
        # What extraction keeps calls of: the keywords, and names that are no
        # keyword because another one already selects their files.
        self.callee_names = self.keywords | {n for api in apis for n in api.callee_names}
        self.roots = frozenset(glob.split(".")[0] for api in apis for glob in api.callees)
        self.keyword_roots = _keyword_roots(apis)
        self._matches: dict[str, ApiPattern | None] = {}
        # Candidate patterns by the callee's last name; globs whose last part is a
        # wildcard are tried for every name. Most calls are then ruled out at once.
        self._by_last: dict[str, list[ApiPattern]] = {}
        self._any_last: list[ApiPattern] = []
        for api in apis:
            for glob in api.callees:
                last = glob.rsplit(".", 1)[-1]
                if any(ch in last for ch in "*?["):
                    if api not in self._any_last:
                        self._any_last.append(api)
                elif api not in self._by_last.setdefault(last, []):
                    self._by_last[last].append(api)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_matches": {}}  # the lookup cache stays behind

    def match(self, qualname: str) -> ApiPattern | None:
        """The first pattern whose callee glob matches `qualname`."""
        try:
            return self._matches[qualname]
        except KeyError:
            found = None
            if qualname.split(".", 1)[0] in self.roots:
                last = qualname.rsplit(".", 1)[-1]
                candidates = self._by_last.get(last, []) + self._any_last
                # the first in registry order, as a plain scan would find
                found = min((api for api in candidates if api.matches(qualname)),
                            key=self.apis.index, default=None)
            self._matches[qualname] = found
            return found

    def table(self, name: str) -> dict[str, str]:
        return self.tables.get(name, {})


def _keyword_roots(apis: tuple[ApiPattern, ...]) -> dict[str, frozenset[str]]:
    """For each keyword, the top-level modules of the APIs it stands for: a file
    that calls `spacy.load` names `spacy` somewhere (an import at least)."""
    roots: dict[str, set[str]] = {}
    for api in apis:
        for glob in api.callees:
            stem = re.split(r"[*?\[]", glob.rsplit(".", 1)[-1], maxsplit=1)[0]
            roots.setdefault(stem, set()).add(glob.split(".")[0])
        for word in api.keywords:
            roots.setdefault(word, set()).update(g.split(".")[0] for g in api.callees)
    return {k: frozenset(v) for k, v in roots.items()}


def _keywords(apis: tuple[ApiPattern, ...]) -> frozenset[str]:
    """Names whose presence in a file makes it a candidate (bytes-searched)."""
    words: set[str] = set()
    for api in apis:
        words.update(api.keywords)
        for glob in api.callees:
            last = glob.rsplit(".", 1)[-1]
            stem = re.split(r"[*?\[]", last, maxsplit=1)[0]
            if len(stem) >= 3:
                words.add(stem)  # `TFAuto*` -> `TFAuto`
    return frozenset(words)


_LIBRARY_KEYS = {"library", "hub", "repo_type", "id_form", "canonical", "namespace", "keywords", "api", "command",
                 "description", "known_ids", "callee_names"}
_COMMAND_KEYS = {"program", "subcommand", "id", "value_options", "revision", "repo_type_option", "hub", "repo_type",
                 "id_form", "keywords", "require_known"}
_API_KEYS = {
    "callee", "id", "entry", "task", "task_defaults", "file", "revision", "trust_remote_code",
    "auth", "repo_type_arg", "hub_arg", "only_if", "unless_false", "local_if", "local_if_given", "prefixed_loads", "prefixes", "require_prefix", "require_known", "hub",
    "repo_type", "id_form", "canonical", "namespace", "note", "default_id", "also",
}


def _argspec(raw: object, where: str) -> ArgSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"position", "keywords", "callee", "key"}:
        raise PatternError(f"{where}: expected {{position, keywords, callee, key}}, got {raw!r}")
    if "key" in raw and not isinstance(raw["key"], str):
        raise PatternError(f"{where}: `key` must be a string, got {raw['key']!r}")
    return ArgSpec(
        position=raw.get("position"),
        keywords=tuple(raw.get("keywords", ())),
        callee=bool(raw.get("callee", False)),
        key=raw.get("key"),
    )


def _names(raw: object, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return tuple(raw)
    raise PatternError(f"{where}: expected a string or a list of strings, got {raw!r}")


def _hub_arg(raw: object, where: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    if raw is None:
        return None
    values = raw.get("values") if isinstance(raw, dict) else None
    if not (isinstance(raw, dict) and set(raw) == {"keyword", "values"} and isinstance(raw["keyword"], str)
            and isinstance(values, dict) and all(isinstance(v, str) for v in values.values())):
        raise PatternError(f"{where}: expected {{keyword = \"...\", values = {{value = \"hub\"}}}}, got {raw!r}")
    return raw["keyword"], tuple(sorted(values.items()))


def _regex(raw: object, where: str) -> str | None:
    if raw is None:
        return None
    try:
        re.compile(str(raw))
    except re.error as exc:
        raise PatternError(f"{where}: not a regular expression: {exc}") from exc
    return str(raw)


def _require_known(raw: dict, lib: dict, where: str) -> bool:
    wanted = bool(raw.get("require_known", False))
    if wanted and not lib.get("known_ids"):
        raise PatternError(f"{where}: require_known needs the library's known_ids")
    return wanted


def _api(lib: dict, raw: dict, where: str) -> ApiPattern:
    unknown = set(raw) - _API_KEYS
    if unknown:
        raise PatternError(f"{where}: unknown keys {sorted(unknown)}")
    callees = _names(raw.get("callee"), f"{where}.callee")
    if not callees:
        raise PatternError(f"{where}: `callee` is required")
    ident = _argspec(raw.get("id"), f"{where}.id")
    if ident is None:
        raise PatternError(f"{where}: `id` is required")
    id_form = raw.get("id_form", lib.get("id_form", "hf"))
    if id_form not in ID_FORMS:
        raise PatternError(f"{where}: id_form must be one of {sorted(ID_FORMS)}")
    local_if = raw.get("local_if")
    return ApiPattern(
        library=lib["library"],
        callees=callees,
        hub=raw.get("hub", lib["hub"]),
        repo_type=raw.get("repo_type", lib.get("repo_type", "model")),
        id_form=id_form,
        id=ident,
        entry=_argspec(raw.get("entry"), f"{where}.entry"),
        task=_argspec(raw.get("task"), f"{where}.task"),
        task_defaults=raw.get("task_defaults"),
        default_id=raw.get("default_id"),
        also=tuple(_argspec(a, f"{where}.also") for a in raw.get("also", ())),
        file=_argspec(raw.get("file"), f"{where}.file"),
        revision=_names(raw.get("revision"), f"{where}.revision"),
        trust_remote_code=_names(raw.get("trust_remote_code"), f"{where}.trust_remote_code"),
        auth=_names(raw.get("auth"), f"{where}.auth"),
        repo_type_arg=_names(raw.get("repo_type_arg"), f"{where}.repo_type_arg"),
        hub_arg=_hub_arg(raw.get("hub_arg"), f"{where}.hub_arg"),
        only_if=_names(raw.get("only_if"), f"{where}.only_if"),
        unless_false=_names(raw.get("unless_false"), f"{where}.unless_false"),
        local_if=((local_if["keyword"], str(local_if["value"])),) if local_if else (),
        local_if_given=_names(raw.get("local_if_given"), f"{where}.local_if_given"),
        prefixed_loads=bool(raw.get("prefixed_loads", False)),
        prefixes=tuple((raw.get("prefixes") or {}).items()),
        require_prefix=bool(raw.get("require_prefix", False)),
        require_known=_require_known(raw, lib, where),
        canonical=raw.get("canonical", lib.get("canonical")),
        namespace=raw.get("namespace", lib.get("namespace")),
        keywords=_names(lib.get("keywords"), f"{where}.keywords"),
        callee_names=_names(lib.get("callee_names"), f"{where}.callee_names"),
        known_ids=_regex(lib.get("known_ids"), f"{where}.known_ids"),
        source=where.split(":")[0],
    )


def _command(lib: dict, raw: dict, where: str) -> CommandPattern:
    unknown = set(raw) - _COMMAND_KEYS
    if unknown:
        raise PatternError(f"{where}: unknown keys {sorted(unknown)}")
    programs = _names(raw.get("program"), f"{where}.program")
    position = raw.get("id")
    if not programs or type(position) is not int or position < 1:
        raise PatternError(f"{where}: `program` and `id` (a position from 1) are required")
    id_form = raw.get("id_form", lib.get("id_form", "hf"))
    if id_form not in ID_FORMS:
        raise PatternError(f"{where}: id_form must be one of {sorted(ID_FORMS)}")
    return CommandPattern(
        library=lib["library"], programs=programs,
        subcommands=tuple(tuple(s.split()) for s in _names(raw.get("subcommand"), f"{where}.subcommand")) or ((),),
        id_position=position,
        value_options=_names(raw.get("value_options"), f"{where}.value_options"),
        revision=_names(raw.get("revision"), f"{where}.revision"),
        repo_type_option=_names(raw.get("repo_type_option"), f"{where}.repo_type_option"),
        hub=raw.get("hub", lib["hub"]), repo_type=raw.get("repo_type", lib.get("repo_type", "model")),
        id_form=id_form, keywords=_names(raw.get("keywords"), f"{where}.keywords") or programs,
        require_known=_require_known(raw, lib, where), known_ids=_regex(lib.get("known_ids"), f"{where}.known_ids"),
        source=where.split(":")[0],
    )


def load_library(path: Path) -> tuple[list[ApiPattern], list[CommandPattern]]:
    lib = _read_toml(path)
    unknown = set(lib) - _LIBRARY_KEYS
    if unknown:
        raise PatternError(f"{path.name}: unknown keys {sorted(unknown)}")
    for key in ("library", "hub"):
        if key not in lib:
            raise PatternError(f"{path.name}: `{key}` is required")
    if "api" not in lib and "command" not in lib:
        raise PatternError(f"{path.name}: `api` or `command` is required")
    return ([_api(lib, raw, f"{path.name}:api[{i}]") for i, raw in enumerate(lib.get("api", ()))],
            [_command(lib, raw, f"{path.name}:command[{i}]") for i, raw in enumerate(lib.get("command", ()))])


def _read_toml(path: Path) -> dict:
    """A pattern file's TOML; unreadable, not UTF-8 or not TOML is a PatternError naming the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PatternError(f"{path}: {exc}") from exc


def load_table(path: Path) -> dict[str, str]:
    """A `_name.toml` data table: its `[map]` section, name -> value."""
    data = _read_toml(path)
    table = data.get("map", {})
    if not isinstance(table, dict):
        raise PatternError(f"{path.name}: `map` must be a table")
    return {str(k): str(v) for k, v in table.items()}


def load_rows(path: Path) -> tuple[dict, ...]:
    """A `_name.toml` data file's `[[row]]` records (checked by the module that reads them)."""
    rows = tomllib.loads(path.read_text(encoding="utf-8")).get("row", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise PatternError(f"{path.name}: `row` must be an array of tables")
    return tuple(rows)


def load_registry(directory: Path = PATTERNS_DIR) -> Registry:
    import hashlib

    digest = hashlib.sha256()
    apis: list[ApiPattern] = []
    commands: list[CommandPattern] = []
    tables: dict[str, dict[str, str]] = {}
    rows: dict[str, tuple[dict, ...]] = {}
    for path in sorted(directory.glob("*.toml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        if path.name.startswith("_"):
            tables[path.stem.lstrip("_")] = load_table(path)
            rows[path.stem.lstrip("_")] = load_rows(path)
        else:
            library_apis, library_commands = load_library(path)
            apis += library_apis
            commands += library_commands
    return Registry(apis=tuple(apis), tables=tables, version=digest.hexdigest()[:16], commands=tuple(commands),
                    rows=rows)


@lru_cache(maxsize=4)
def default_registry(directory: str = str(PATTERNS_DIR)) -> Registry:
    return load_registry(Path(directory))
