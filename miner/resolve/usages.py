"""From a repository's facts to usage rows.

A call is a usage when its callee, qualified through the file's imports, matches
a pattern of the registry (or is a method of an in-repo subclass of a pattern's
class). Its id argument is evaluated to candidates; each candidate becomes a row
with the id checked against the pattern's id form, its canonical id, and the
reuse attributes read from the same call.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace

from miner.patterns import ApiPattern, ArgSpec, Registry
from miner.records import Arg, BindKind, CallSite, FileFacts, Resolution, ScopeKind, Usage
from miner.resolve import ids
from miner.resolve.evaluate import LOCAL_VALUE, Candidate, Evaluator, consistent_via, parse_expr
from miner.resolve.repo import FileView, RepoView, visible_at
from miner.resolve.shipped import ships
from miner.resolve.tree import TreeEvidence

_VENDOR_DIRS = frozenset({"third_party", "thirdparty", "third-party", "vendor", "vendored", "_vendor",
                          "site-packages", "dist-packages", "node_modules", "external", "externals", "extern"})
_LOCAL_HINTS = ("os.path", "Path(", "pathlib", "output_dir", "out_dir", "save_dir", "save_path", "ckpt",
                "checkpoint", "_dir", "cache_dir", "local_", ".joinpath", "tmp", "folder", "directory")


@dataclass(frozen=True, slots=True)
class Hit:
    view: FileView
    call: CallSite
    api: ApiPattern
    qualname: str
    chosen_by: str | None = None  # `getattr(models, name)(...)`: the expression naming the function


@dataclass(frozen=True, slots=True)
class RepoContext:
    repo: str
    commit: str | None
    vendored_roots: frozenset[str]  # folders holding a copy of a pattern library
    mirrors: frozenset[str] = frozenset()  # hosts that serve the Hugging Face Hub's paths
    tree: TreeEvidence | None = None  # what the commit's tree says (its folders, README)
    documented: frozenset[str] = frozenset()  # folders the README documents as local (miner/resolve/shipped.py)
    unread: frozenset[str] | None = None  # files that code left unread may import (narrow.py); None: any

    def ships(self, model_id: str | None) -> bool:
        """A Hugging Face-shaped id that names a folder the repository ships or documents as local."""
        return model_id is not None and ships(model_id, self.tree, self.documented)


def find_hits(repo: RepoView, registry: Registry) -> list[Hit]:
    hits = []
    for view in repo.files.values():
        for call in view.facts.calls:
            unwrapped = _unwrapped(view, call)
            picked, chosen_by = _chosen_by_name(_picked_receiver(view, unwrapped) or unwrapped.callee)
            if picked is not None:
                unwrapped = replace(unwrapped, callee=picked)
            found = match_call(view, unwrapped, registry, repo)
            if found is None or (chosen_by is not None and not found[0].id.callee):
                continue  # a function picked by name is an id only where the function's name is the id
            from_partial = len(unwrapped.args) < len(call.args)
            if from_partial and not found[0].id.callee and UsageBuilder._arg_text(unwrapped, found[0].id) is None:
                continue  # `partial(hf_hub_download, library_name="x")` loads nothing: its calls do
            hits.append(Hit(view, unwrapped, *found, chosen_by=chosen_by))
    return hits


_BY_NAME = "*"  # the last name of a function picked by name (a glob pattern's `*` takes it)
_PICKS = ("getattr(", "__dict__[")


def _chosen_by_name(callee: str) -> tuple[str | None, str | None]:
    """`getattr(torchvision.models, name)` and `torchvision.models.__dict__[name]`:
    the callee to match (`torchvision.models.*`) and the expression that names
    the function; with a constant name, `torchvision.models.resnet50` and None.
    Also an object so picked whose method is called
    (`torchaudio.pipelines.__dict__[name].get_model`: `torchaudio.pipelines.*.get_model`)."""
    if not callee.endswith((")", "]")) and not any(p in callee for p in _PICKS):
        return None, None
    node, tail = parse_expr(callee), ""
    while isinstance(node, ast.Attribute):
        node, tail = node.value, f".{node.attr}{tail}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
            and len(node.args) == 2 and not node.keywords:
        module, name = node.args
    elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "__dict__":
        module, name = node.value.value, node.slice
    else:
        return None, None
    dotted = ast.unparse(module) if isinstance(module, (ast.Name, ast.Attribute)) else None
    if dotted is None or not all(part.isidentifier() for part in dotted.split(".")):
        return None, None
    if isinstance(name, ast.Constant) and isinstance(name.value, str):
        return (f"{dotted}.{name.value}{tail}", None) if name.value.isidentifier() else (None, None)
    return f"{dotted}.{_BY_NAME}{tail}", ast.unparse(name)


def _picked_receiver(view: FileView, call: CallSite) -> str | None:
    """`bundle.get_model()` after `bundle = torchaudio.pipelines.__dict__[name]`
    (or `getattr(...)`): the callee with the object's one binding written out."""
    head, dot, rest = call.callee.partition(".")
    if not dot or not head.isidentifier():
        return None
    for s in view.chain(call.scope):
        bindings = visible_at(view.bindings.get((s, head), []), call.line if s == call.scope else None)
        if bindings:
            value = bindings[0].value
            one = len(bindings) == 1 and bindings[0].kind == BindKind.ASSIGN and bindings[0].target == head
            return f"{value}.{rest}" if one and any(p in value for p in _PICKS) else None
    return None


_GETATTR = re.compile(r"""getattr\(\s*([A-Za-z_][\w.]*)\s*,\s*(["'])([A-Za-z_]\w*)\2\s*\)""")


def _unwrapped(view: FileView, call: CallSite) -> CallSite:
    """The call a wrapper stands for: `functools.partial(F, a, k=b)` is a call of
    F with those arguments (at the line of `partial`), and a callee written with
    a constant `getattr(mod, "Name")` is `mod.Name`."""
    if call.callee.endswith("partial") and call.args and call.args[0].keyword is None and not call.args[0].star \
            and view.qualify(call.callee, call.scope, call.line) == "functools.partial":
        call = replace(call, callee=call.args[0].value, args=call.args[1:])
    elif "." not in call.callee:
        call = _through_partial(view, call)
    if "getattr" in call.callee:
        call = replace(call, callee=_GETATTR.sub(r"\1.\3", call.callee))
    return call


def _through_partial(view: FileView, call: CallSite) -> CallSite:
    """`load("x")` after `load = partial(F, a, k=b)`: a call of F with a, the
    call's own arguments, and k=b."""
    for s in view.chain(call.scope):
        bindings = visible_at(view.bindings.get((s, call.callee), []), call.line if s == call.scope else None)
        if bindings:
            break
    else:
        return call
    node = parse_expr(bindings[-1].value)
    if not (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and node.args
            and not isinstance(node.args[0], ast.Starred)
            and view.qualify(ast.unparse(node.func), s) == "functools.partial"):
        return call
    bound = [Arg(k.arg, ast.unparse(k.value), star="**" if k.arg is None else None) for k in node.keywords]
    bound_positional = [Arg(None, ast.unparse(a.value), star="*") if isinstance(a, ast.Starred) else Arg(None, ast.unparse(a))
                        for a in node.args[1:]]
    return replace(call, callee=ast.unparse(node.args[0]), args=(*bound_positional, *call.args, *bound))


def match_call(view: FileView, call: CallSite, registry: Registry, repo: RepoView) -> tuple[ApiPattern, str] | None:
    qualified = view.qualify(call.callee, call.scope, call.line)
    candidates = [qualified] if qualified else []
    head, dot, rest = call.callee.partition(".")
    if qualified is None:
        if not view.binds(head, call.scope):
            candidates += [f"{module}.{call.callee}" for module in view.star_imports]
        candidates += [base + dot + rest for base in _library_bases(view, head, registry, depth=0, repo=repo)]
        if dot:
            candidates += [cls + dot + rest for cls in _bound_classes(view, head, call.scope, registry)]
    for name in candidates:
        api = registry.match(name)
        if api is not None:
            return api, name
    return _imported_subclass(view, call, registry, repo)


def _imported_subclass(view: FileView, call: CallSite, registry: Registry,
                       repo: RepoView) -> tuple[ApiPattern, str] | None:
    """A class of another in-repo module that derives from library classes:
    `from pkg.model import Net` (or `import pkg.model as m; m.Net`), then
    `Net.from_pretrained(...)` or `Net(...)`: the method of whichever library
    class above it defines it, as for a class of the same file."""
    parts = call.callee.split(".")
    names, aliases = _class_names(view, repo)
    if names.isdisjoint(parts) and aliases.isdisjoint(parts):
        return None  # names no class of the repository that has bases, by its name or an alias
    for j in range(1, len(parts) + 1):
        qualified = view.qualify(".".join(parts[:j]), call.scope, call.line)
        found = _in_repo_class(repo, view, qualified) if qualified else None
        if found is not None:
            other, cls = found
            rest = "".join("." + p for p in parts[j:])
            for base in _library_bases(other, cls, registry, depth=0, repo=repo):
                api = registry.match(base + rest)
                if api is not None:
                    return api, base + rest
            return None
    return None


def _class_names(view: FileView, repo: RepoView) -> tuple[frozenset[str], frozenset[str]]:
    """The names of the repository's module-level classes that have bases, and
    the aliases the imports of `view` give them (`from .model import Net as
    Backbone`)."""
    names = repo.memo.get(("class names",))
    if names is None:
        names = repo.memo[("class names",)] = _class_names_passed_on(repo)
    key = ("class aliases", view.path)
    if key not in repo.memo:
        repo.memo[key] = frozenset(alias for (_, alias), imp in view.imports.items()
                                   if imp.target.rsplit(".", 1)[-1] in names)
    return names, repo.memo[key]


def _class_names_passed_on(repo: RepoView) -> frozenset[str]:
    """The names of the module-level classes that have bases, and every name a
    module re-exports one under (`from .model import Net as Backbone` in
    `pkg/__init__.py`), and so on."""
    names = {s.name for v in repo.files.values() for s in v.scopes
             if s.kind == ScopeKind.CLASS and s.parent == 0 and s.bases}
    imports = [(alias, imp.target.rsplit(".", 1)[-1]) for v in repo.files.values()
               for (scope, alias), imp in v.imports.items() if scope == 0 and alias != imp.target.rsplit(".", 1)[-1]]
    while True:
        more = {alias for alias, name in imports if name in names and alias not in names}
        if not more:
            return frozenset(names)
        names |= more


def _in_repo_class(repo: RepoView, importer: FileView, dotted: str) -> tuple[FileView, str] | None:
    """The in-repo module and name of the module-level class that `dotted`
    (`pkg.model.Net`, `.model.Net`) names, through the modules that pass the
    name on (`from .model import Net` in `pkg/__init__.py`, a star import)."""
    key = ("class", importer.path, dotted)
    if key not in repo.memo:
        repo.memo[key] = _find_in_repo_class(repo, importer, dotted, set())
    return repo.memo[key]


def _find_in_repo_class(repo: RepoView, importer: FileView, dotted: str,
                        seen: set[tuple[str, str]]) -> tuple[FileView, str] | None:
    level = len(dotted) - len(dotted.lstrip("."))
    module, _, name = dotted.rpartition(".")
    if not name or (not module and not level) or len(seen) > _MAX_PASSED_ON:
        return None
    other = repo.module(module or dotted[:level], importer=importer.path)
    if other is None or (other.path, name) in seen:
        return None
    seen.add((other.path, name))  # each module is asked once: star imports fan out
    if any(s.kind == ScopeKind.CLASS and s.parent == 0 for s in other.defs.get(name, ())):
        return other, name
    imp = other.imports.get((0, name))
    if imp is not None:
        return _find_in_repo_class(repo, other, imp.target, seen)
    for star in other.star_imports:
        found = _find_in_repo_class(repo, other, f"{star}{'' if star.endswith('.') else '.'}{name}", seen)
        if found is not None:
            return found
    return None


_MAX_PASSED_ON = 256  # modules asked for one class name (re-exports and star imports)


def _bound_classes(view: FileView, name: str, scope: int, registry: Registry) -> list[str]:
    """Library classes a variable may hold: `model_class = AutoModel`,
    `config_class, model_class, tok_class = MODEL_CLASSES[args.model_type]`,
    `cls = A if large else B`, or a parameter whose default is a class."""
    for s in view.chain(scope):
        texts = [b.value for b in view.bindings.get((s, name), [])]
        texts += [p.default for p in view.scopes[s].params if p.name == name and p.default]
        if not texts:
            continue
        found: list[str] = []
        for node in filter(None, map(parse_expr, texts)):
            for dotted in _names_in(node, view):
                qualified = view.qualify(dotted, s)
                if qualified and qualified.split(".")[0] in registry.roots and qualified not in found \
                        and "__" not in qualified:  # `mod.__dict__[name]` is what `_picked_receiver` reads
                    found.append(qualified)
        return found
    return []


def _names_in(node: ast.expr, view: FileView, follow: bool = True) -> list[str]:
    """Dotted names in an expression, and in the literal containers that the
    module-level names it mentions are bound to (a dict of model classes)."""
    out: list[str] = []
    for n in ast.walk(node):
        if isinstance(n, (ast.Name, ast.Attribute)):
            dotted = ast.unparse(n)
            out.append(dotted)
            if follow and isinstance(n, ast.Name):
                for b in view.bindings.get((0, n.id), [])[:4]:
                    value = parse_expr(b.value)
                    if isinstance(value, (ast.Dict, ast.List, ast.Tuple)):
                        out += _names_in(value, view, follow=False)
        if len(out) > 500:
            break
    return out


def _library_bases(view: FileView, name: str, registry: Registry, depth: int,
                   repo: RepoView | None = None) -> list[str]:
    """For an in-repo class deriving from library classes (`class M(BertModel)`,
    `class Net(Backbone, PyTorchModelHubMixin)` where `Backbone(nn.Module)`),
    every library class above it, nearest first, so that `M.from_pretrained`
    is the method of whichever of them defines it. With `repo`, bases defined
    in other in-repo modules are followed too."""
    if depth > 4:
        return []
    if depth == 0 and repo is not None:
        key = ("bases", view.path, name)
        if key not in repo.memo:
            repo.memo[key] = _find_library_bases(view, name, registry, 0, repo)
        return repo.memo[key]
    return _find_library_bases(view, name, registry, depth, repo)


def _find_library_bases(view: FileView, name: str, registry: Registry, depth: int,
                        repo: RepoView | None) -> list[str]:
    found: list[str] = []
    for cls in view.defs.get(name, ()):
        for base in cls.bases:
            qualified = view.qualify(base, cls.parent or 0)
            if qualified and qualified.split(".")[0] in registry.roots:
                found.append(qualified)
            elif "." not in base and base in view.defs:
                found += _library_bases(view, base, registry, depth + 1, repo)
            elif qualified and repo is not None and (located := _in_repo_class(repo, view, qualified)) is not None:
                found += _library_bases(*located, registry, depth + 1, repo)
    return list(dict.fromkeys(found))


def vendored_roots(files: list[FileFacts], registry: Registry) -> frozenset[str]:
    """Folders below the top level named like a pattern library and holding its
    `__init__.py`: a copy of the library inside the repository."""
    roots = set()
    for f in files:
        parts = f.path.split("/")
        if parts[-1] == "__init__.py" and len(parts) >= 3 and parts[-2] in registry.roots:
            roots.add("/".join(parts[:-1]) + "/")
    return frozenset(roots)


_ENDPOINT = re.compile(r"""^\s*(?:[rfbu]?["'])?https?://([A-Za-z0-9.-]+\.[A-Za-z]{2,})(?::\d+)?/?(?:["'])?\s*$""")


def hub_mirrors(files: list[FileFacts], registry: Registry) -> frozenset[str]:
    """Hosts whose URLs name Hugging Face repositories: the mirrors listed in
    `patterns/_hf_mirrors.toml`, and the hosts the repository sets `HF_ENDPOINT`
    to (a shell or dotenv variable, `os.environ["HF_ENDPOINT"] = ...`)."""
    values = [v for f in files for var in f.shell_vars if var.name == "HF_ENDPOINT" for v in var.values]
    values += [b.value for f in files for b in f.bindings
               if "HF_ENDPOINT" in b.target and b.target.replace(" ", "").endswith(("['HF_ENDPOINT']", '["HF_ENDPOINT"]'))]
    hosts = {m.group(1).lower() for v in values if (m := _ENDPOINT.match(v))}
    return frozenset(registry.table("hf_mirrors")) | hosts


def is_vendored(path: str, ctx: RepoContext) -> bool:
    parts = path.split("/")[:-1]
    return any(p in _VENDOR_DIRS for p in parts) or any(path.startswith(r) for r in ctx.vendored_roots)


class UsageBuilder:
    def __init__(self, repo: RepoView, registry: Registry, ctx: RepoContext):
        self.repo = repo
        self.registry = registry
        self.ctx = ctx
        self.evaluator = Evaluator(repo, ctx.unread)
        self.legacy = registry.table("legacy_hf")
        self.linked_origins: set[tuple[str, int, str | None]] = set()  # (path, line, id) of shell/config values linked to a call

    def usages(self, hit: Hit) -> list[Usage]:
        rows = self._main_usages(hit)
        for spec in hit.api.also:  # a second model in the same call (a tokenizer, a vocoder)
            text = self._arg_text(hit.call, spec)
            if text is not None and rows:
                base = replace(rows[0], expression=text[:500], model_id=None, canonical_id=None,
                               resolution=Resolution.UNRESOLVED.value)
                cands = self.evaluator.values(text, hit.view, hit.call.scope, hit.call.line)
                rows += [r for r in (self._row(base, c, hit) for c in cands) if r is not None and r.model_id]
        return _unique(rows)

    def _main_usages(self, hit: Hit) -> list[Usage]:
        api, call, view = hit.api, hit.call, hit.view
        if not self.evaluator.narrow.can_run(call, view):
            return []  # in a branch that no value the code gives selects
        prefixed_only = bool(api.only_if) and not self._truthy_any(hit, api.only_if)
        if prefixed_only and not api.prefixed_loads:
            return []  # `create_model("resnet50")`: the architecture, no weights
        if any(self._given_false(hit, kw) for kw in api.unless_false):
            return []  # `ResNet50(weights=None)`: no pretrained weights
        id_text = self._arg_text(call, api.id) if not api.id.callee else None
        base = self._base(hit, id_text or "")
        if api.id.callee:
            return self._callee_usages(hit, base)
        texts = [id_text] if id_text is not None else self._splatted(hit, api.id)
        if not texts:
            return self._without_id(hit, base)
        id_text = " or ".join(texts)
        base = replace(base, expression=id_text[:500])
        if self._local_forced(hit):
            return [self._local(base)]
        cands = [c for text in texts for c in self.evaluator.values(text, view, call.scope, call.line, call.guards)]
        if prefixed_only and cands:  # only an id that names a hub outright loads weights (open_clip's `hf-hub:`)
            prefixes = tuple(p for p, _ in api.prefixes)
            if not (cands := [c for c in cands if not isinstance(c.value, str) or c.value.startswith(prefixes)]):
                return []
        if api.require_prefix and not any(isinstance(c.value, str) and c.value.startswith(tuple(p for p, _ in api.prefixes))
                                          for c in cands):
            return []  # e.g. an architecture name: builds a model, loads no hub weights
        if api.require_known:  # a generic downloader: only a known kind of id is a model load
            if not (cands := [c for c in cands if isinstance(c.value, str) and ids.is_known(c.value, api.known_ids)]):
                return []
        if not cands and self._passes_loaded_object(id_text, hit):
            return []  # the object came from another loading call, which is its own usage
        if api.entry is not None:
            given, cands = bool(cands), self._with_entry(hit, cands)
            if given and not cands:
                return []  # `create_model(arch, pretrained=args.pretrained)`, the option's default "": no weights
        rows = [r for r in (self._row(base, c, hit) for c in cands) if r is not None]
        resolved = [r for r in rows if r.model_id is not None]
        if resolved:
            return _unique(resolved)
        if any(r.resolution == Resolution.LOCAL_PATH.value for r in rows) or api.id.key is None and _looks_local(id_text):
            return [self._local(base)]
        return [base]

    def _callee_usages(self, hit: Hit, base: Usage) -> list[Usage]:
        """The function's own name is the id (`resnet50(pretrained=True)`); for one
        picked by name (`getattr(models, name)(...)`), each name the expression
        can hold that the same pattern takes, with the api it makes."""
        named = [(hit, Candidate(hit.api.called_name(hit.qualname), Resolution.LITERAL))]
        if hit.chosen_by is not None:
            base = replace(base, expression=hit.chosen_by[:500])
            picked = [(hit.qualname.replace(_BY_NAME, c.value, 1), c)
                      for c in self.evaluator.values(hit.chosen_by, hit.view, hit.call.scope, hit.call.line)
                      if isinstance(c.value, str) and c.value.isidentifier()]
            named = [(replace(hit, qualname=name, chosen_by=None), replace(c, value=hit.api.called_name(name)))
                     for name, c in picked if self.registry.match(name) is hit.api]
            if not named:
                return [base]
        rows = []
        for one, c in named:
            cands = self._with_entry(one, [c]) if one.api.entry else [c]
            rows += [self._row(replace(base, api=one.qualname), x, one) for x in cands]
        return _unique([r for r in rows if r is not None])

    # -- helpers ---------------------------------------------------------------

    def _base(self, hit: Hit, expression: str) -> Usage:
        api, call, view = hit.api, hit.call, hit.view
        return Usage(
            repo=self.ctx.repo, commit=self.ctx.commit, path=view.path, line=call.line, api=hit.qualname,
            hub=self._hub(hit), repo_type=self._repo_type(hit), model_id=None,
            resolution=Resolution.UNRESOLVED.value, expression=expression[:500], library=api.library,
            revision=self._first_string(hit, ArgSpec(keywords=api.revision)) if api.revision else None,
            trust_remote_code=self._bool(hit, api.trust_remote_code),
            file=self._first_string(hit, api.file) if api.file else None,
            auth=self._truthy_any(hit, api.auth) if api.auth else False,
            vendored=is_vendored(view.path, self.ctx),
            partial_parse=view.facts.status.value == "partial",
        )

    def _row(self, base: Usage, cand: Candidate, hit: Hit) -> Usage | None:
        if cand.value is LOCAL_VALUE:
            return self._local(base)
        if not isinstance(cand.value, str):
            return None
        verdict, hub = self._verdict(cand.value, hit.api)
        if verdict.kind == ids.IdKind.LOCAL or (hub or base.hub) == "huggingface" and self.ctx.ships(verdict.model_id):
            return self._local(base)
        if verdict.kind == ids.IdKind.INVALID:
            return None
        row = _replace(base, model_id=verdict.model_id, resolution=cand.kind.value, hub=hub or base.hub,
                       canonical_id=self._canonical(verdict.model_id, hit.api, hub or base.hub))
        if verdict.revision and not row.revision:
            row = _replace(row, revision=verdict.revision)
        if verdict.file and not row.file:
            row = _replace(row, file=verdict.file)
        if cand.origin is not None:  # the row stays at the call; where the id was written is kept beside it
            row = _replace(row, origin_path=cand.origin[0], origin_line=cand.origin[1], carrier=cand.carrier)
            self.linked_origins.add((cand.origin[0], cand.origin[1], row.model_id))
        return row

    def _verdict(self, value: str, api: ApiPattern) -> tuple[ids.IdVerdict, str | None]:
        """Check a candidate against the API's id form. A candidate may carry an
        entry (`repo\0entry`: torch.hub's model, open_clip's pretrained tag)."""
        value, _, entry = value.partition("\0")
        if entry and ids.names_file(entry):
            return ids.LOCAL, None  # `pretrained="ckpt/open_clip_model.bin"`: the weights are a local file
        hub = next((h for prefix, h in api.prefixes if value.startswith(prefix)), None)
        if hub is not None:
            value = value[len(next(p for p, h in api.prefixes if value.startswith(p) and h == hub)):]
            form = "hf" if hub == "huggingface" else "url"
            entry = "" if hub == "huggingface" else entry  # `hf-hub:org/name` names the whole repository
        else:
            form = api.id_form
        if form == "torch_hub":
            return ids.torch_hub(value, entry or None), hub
        if form == "hf_dataset":
            return ids.hf_dataset_id(value, self.ctx.mirrors), hub
        if form == "hf":
            known = self.registry.table(api.canonical) if api.canonical else {}
            if value in known:
                return ids.IdVerdict(ids.IdKind.HUB, value), hub
            return ids.hf_id(value, legacy=self.legacy, namespace=api.namespace, mirrors=self.ctx.mirrors), hub
        full = f"{value}:{entry}" if entry else value
        if form == "url":
            verdict = ids.url_or_handle(full, self.ctx.mirrors)
            return verdict, hub or verdict.hub
        return ids.plain_name(full, known=api.known_ids), hub

    def _canonical(self, model_id: str, api: ApiPattern, hub: str) -> str | None:
        if api.canonical and (hub == api.hub or not api.hub_arg):  # the table maps names on the API's own hub
            mapped = self.registry.table(api.canonical).get(model_id)
            if mapped:
                return mapped
        if hub == "huggingface":
            if api.namespace and "/" not in model_id:
                return f"{api.namespace}/{model_id}"
            return self.legacy.get(model_id)
        return None

    def _local(self, base: Usage) -> Usage:
        return _replace(base, model_id=None, resolution=Resolution.LOCAL_PATH.value)

    def _without_id(self, hit: Hit, base: Usage) -> list[Usage]:
        api = hit.api
        if api.default_id and not any(a.star for a in hit.call.args):
            return [_replace(base, model_id=api.default_id, resolution=Resolution.LIBRARY_DEFAULT.value,
                             expression="", canonical_id=self._canonical(api.default_id, api, api.hub))]
        if api.task is None or not api.task_defaults:
            return [base]
        task_text = self._arg_text(hit.call, api.task)
        if task_text is None:
            return [base]
        table = self.registry.table(api.task_defaults)
        rows = []
        for cand in self.evaluator.values(task_text, hit.view, hit.call.scope, hit.call.line):
            model = table.get(cand.value) if isinstance(cand.value, str) else None
            if model:
                rows.append(_replace(base, model_id=model, resolution=Resolution.PIPELINE_TASK_DEFAULT.value,
                                     expression=task_text[:500], canonical_id=self.legacy.get(model)))
        return _unique(rows) or [_replace(base, expression=task_text[:500])]

    def _with_entry(self, hit: Hit, cands: list[Candidate]) -> list[Candidate]:
        entry_text = self._arg_text(hit.call, hit.api.entry)
        entries = self.evaluator.values(entry_text, hit.view, hit.call.scope, hit.call.line) if entry_text else []
        if entries and set(hit.api.entry.keywords) & set(hit.api.only_if):
            # The entry is also the weights flag (open_clip's `pretrained`): where every value
            # it takes is empty, the call builds the architecture, and only a prefixed id loads.
            entries = [e for e in entries if e.value not in ("", None, False)]
            if not entries:
                prefixes = tuple(p for p, _ in hit.api.prefixes) if hit.api.prefixed_loads else ()
                return [c for c in cands if prefixes and isinstance(c.value, str) and c.value.startswith(prefixes)]
        named = [e for e in entries if isinstance(e.value, str)] or [Candidate("", Resolution.LITERAL)]
        out = []
        for c in cands:
            if not isinstance(c.value, str):
                out.append(c)
                continue
            for e in named:  # the more telling kind of the two parts; both read from the same calls
                kind = _stronger(c.kind, e.kind) if e.value else c.kind
                via = consistent_via((c.via, e.via))
                if via is not None:
                    out.append(Candidate(f"{c.value}\0{e.value}", kind, c.origin, c.carrier, c.expression, via))
        return out

    def _passes_loaded_object(self, text: str, hit: Hit) -> bool:
        """`Inference(model)` where `model = Model.from_pretrained(...)`: the
        argument is a model object made by a known API, not an id."""
        node = parse_expr(text)
        if not isinstance(node, ast.Name):
            return False
        view = hit.view
        for scope in view.chain(hit.call.scope):
            bindings = view.bindings.get((scope, node.id))
            if bindings:
                values = [parse_expr(b.value) for b in bindings]
                return all(isinstance(v, ast.Call) and self._is_api_call(v, view, scope) for v in values)
        return False

    def _is_api_call(self, node: ast.Call, view: FileView, scope: int) -> bool:
        callee = ast.unparse(node.func) if isinstance(node.func, (ast.Name, ast.Attribute)) else ""
        qualified = view.qualify(callee, scope) if callee else None
        return bool(qualified and self.registry.match(qualified))

    def _local_forced(self, hit: Hit) -> bool:
        if hit.api.local_if_given and self._truthy_any(hit, hit.api.local_if_given):
            return True  # `from_pretrained("efficientnet-b0", weights_path="w.pth")`: the weights are a file
        for keyword, value in hit.api.local_if:
            text = self._arg_text(hit.call, ArgSpec(keywords=(keyword,)))
            if text is not None and any(c.value == value for c in self.evaluator.values(text, hit.view, hit.call.scope, hit.call.line)):
                return True
        return False

    def _hub(self, hit: Hit) -> str:
        """The API's hub, or the one its `hub_arg` names at this call (`hub="hf"`)."""
        if hit.api.hub_arg:
            keyword, values = hit.api.hub_arg
            value = self._first_string(hit, ArgSpec(keywords=(keyword,)))
            return dict(values).get(value, hit.api.hub) if value is not None else hit.api.hub
        return hit.api.hub

    def _repo_type(self, hit: Hit) -> str:
        if hit.api.repo_type_arg:
            value = self._first_string(hit, ArgSpec(keywords=hit.api.repo_type_arg))
            if value in ("model", "dataset", "space"):
                return value
        return hit.api.repo_type

    def _first_string(self, hit: Hit, spec: ArgSpec | None) -> str | None:
        text = self._arg_text(hit.call, spec) if spec else None
        if text is None:
            return None
        for c in self.evaluator.values(text, hit.view, hit.call.scope, hit.call.line):
            if isinstance(c.value, str):
                return c.value
        return None

    def _bool(self, hit: Hit, keywords: tuple[str, ...]) -> bool | None:
        text = self._arg_text(hit.call, ArgSpec(keywords=keywords)) if keywords else None
        if text is None:
            return None
        values = {c.value for c in self.evaluator.values(text, hit.view, hit.call.scope, hit.call.line)}
        if True in values:
            return True
        return False if values == {False} else None

    def _truthy_any(self, hit: Hit, keywords: tuple[str, ...]) -> bool:
        """One of `keywords` is given, and not as a constant None, False or ""."""
        return any(self._arg_text(hit.call, _spec_named(hit.api, kw)) is not None and not self._given_false(hit, kw)
                   for kw in keywords)

    def _given_false(self, hit: Hit, keyword: str) -> bool:
        text = self._arg_text(hit.call, _spec_named(hit.api, keyword))
        node = parse_expr(text) if text is not None else None
        if isinstance(node, ast.Constant):
            return node.value in (None, False, "")
        # a flag false wherever it is set: `pretrained=use_pretrained`, always given False
        return node is not None and self.evaluator.narrow.always_false(text, hit.view, hit.call.scope)

    def _splatted(self, hit: Hit, spec: ArgSpec) -> list[str]:
        """Where a call's `*args` and `**kwargs` hold the id: `args[i]` when the
        id's place falls in `args`, and `kwargs["name"]` for the first of the
        id's keywords that the dict is seen to hold; those that hold a value."""
        def holds(text: str) -> bool:
            return bool(self.evaluator.values(text, hit.view, hit.call.scope, hit.call.line))

        found: list[str] = []
        before = 0  # positional arguments before the first `*`
        for arg in hit.call.args:
            if arg.star == "*" and before >= 0:
                if spec.position is not None and before <= spec.position \
                        and holds(text := f"({arg.value})[{spec.position - before}]"):
                    found.append(text)
                before = -1  # past a `*`, places are unknown
            elif arg.star == "**":
                found += [t for t in (f"({arg.value})[{k!r}]" for k in spec.keywords) if holds(t)][:1]
            elif arg.keyword is None and before >= 0:
                before += 1
        return found

    @staticmethod
    def _arg_text(call: CallSite, spec: ArgSpec | None) -> str | None:
        """The source text of the argument `spec` names (`(arg)['key']` for a key of a dict argument)."""
        text = UsageBuilder._argument(call, spec) if spec is not None else None
        return f"({text})[{spec.key!r}]" if text is not None and spec.key is not None else text

    @staticmethod
    def _argument(call: CallSite, spec: ArgSpec) -> str | None:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword in spec.keywords:
                return arg.value
        if spec.position is not None:
            positional = []
            for arg in call.args:
                if arg.star:
                    return None if len(positional) <= spec.position else positional[spec.position]
                if arg.keyword is None:
                    positional.append(arg.value)
            if spec.position < len(positional):
                return positional[spec.position]
        return None


def _spec_named(api: ApiPattern, keyword: str) -> ArgSpec:
    """Where a call gives the argument `keyword`: the API's entry or file spec
    when it names that keyword (so a positional `pretrained` counts), else the
    keyword alone."""
    for spec in (api.entry, api.file):
        if spec is not None and keyword in spec.keywords and spec.key is None:
            return spec
    return ArgSpec(keywords=(keyword,))


def _stronger(a: Resolution, b: Resolution) -> Resolution:
    """Of two parts' kinds, the one that says more: literal < constant < the rest."""
    rank = {Resolution.LITERAL: 0, Resolution.CONSTANT: 1}
    return a if rank.get(a, 2) >= rank.get(b, 2) else b


def _looks_local(text: str) -> bool:
    return any(h in text for h in _LOCAL_HINTS)


def _replace(usage: Usage, **changes) -> Usage:
    return replace(usage, **changes)


def _unique(rows: list[Usage]) -> list[Usage]:
    seen = set()
    out = []
    for r in rows:
        key = (r.path, r.line, r.model_id, r.hub, r.api)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
