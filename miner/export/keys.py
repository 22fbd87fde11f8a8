"""Identifiers in other datasets' and tools' terms.

This module owns how our keys are spelled elsewhere: a repository key as
PeaTMOSS's `reuse_repository` (owner, name, url), a hub as PeaTMOSS's
`model_hub.id`, a model id as PeaTMOSS's `model.context_id` (the Hugging Face
id a model is published under, spelled as in 2023, when it has one), and a model as a
package URL (purl) for CycloneDX. Every function is pure and total: any key or
id the miner writes gets a spelling.
"""
from __future__ import annotations

import posixpath
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from packageurl import PackageURL

# PeaTMOSS's model_hub rows are 1 (Hugging Face) and 2 (PyTorch Hub). The other
# hubs get fixed ids from 101 on, far from PeaTMOSS's, so that exports of
# different runs agree; a hub added to patterns/ later gets 1000 + a checksum of
# its name (stable too). `model_hub.hub` holds our name for every id.
HUB_IDS: dict[str, int] = {
    "huggingface": 1, "torch_hub": 2,
    "tf_hub": 101, "kaggle": 102, "modelscope": 103, "paddlehub": 104, "onnx_model_zoo": 105, "url": 106,
    "timm": 107, "torchvision": 108, "open_clip": 109, "spacy": 110, "stanza": 111, "flair": 112,
    "allennlp": 113, "fairseq": 114, "openai_whisper": 115, "paddlenlp": 116, "torchtext": 117,
    "ultralytics": 118,
}
# PeaTMOSS's names and URLs for its two hubs (its data_collection.py); ours otherwise.
HUB_NAMES: dict[str, tuple[str, str | None]] = {
    "huggingface": ("HuggingFace", "https://huggingface.co/"),
    "torch_hub": ("PyTorch", "https://pytorch.org"),
    "tf_hub": ("TensorFlow Hub", "https://tfhub.dev/"),
    "kaggle": ("Kaggle Models", "https://www.kaggle.com/models"),
    "modelscope": ("ModelScope", "https://modelscope.cn/"),
    "paddlehub": ("PaddleHub", "https://www.paddlepaddle.org.cn/hub"),
    "onnx_model_zoo": ("ONNX Model Zoo", "https://github.com/onnx/models"),
}

_GITHUB_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")
_HUB_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")  # a Hugging Face repo id
_SCP = re.compile(r"^(?:[^@/:\s]+@)?(?P<host>[^@/:\s]+):(?P<path>.+)$")


def hub_id(hub: str) -> int:
    """PeaTMOSS's `model_hub_id` for our hub name."""
    return HUB_IDS.get(hub, 1000 + zlib.crc32(hub.encode()) % 1_000_000)


def hub_row(hub: str) -> tuple[int, str, str | None, str]:
    """(id, name, url, hub) of a `model_hub` row."""
    name, url = HUB_NAMES.get(hub, (hub, None))
    return hub_id(hub), name, url, hub


def context_id(hub: str, model_id: str) -> str:
    """PeaTMOSS's `model.context_id`: the Hugging Face id as is; a PyTorch Hub
    `owner/repo:entry` as `owner/repo/entry` (PeaTMOSS joined the hub repository
    and the entrypoint with a slash); other hubs' ids as written."""
    if hub == "torch_hub" and ":" in model_id:
        repo, entry = model_id.split(":", 1)
        return f"{repo}/{entry}"
    return model_id


def peatmoss_model(hub: str, model_id: str, canonical_id: str | None,
                   legacy: Mapping[str, str]) -> tuple[int, str]:
    """PeaTMOSS's (`model_hub_id`, `context_id`) for a mined model.

    A model published on the Hugging Face Hub (hub `huggingface`, or a
    `canonical_id` naming a Hub repository: `spacy/en_core_web_sm`,
    `timm/resnet50.a1_in1k`, `sentence-transformers/all-MiniLM-L6-v2`) is in
    PeaTMOSS's Hugging Face hub (1), spelled as in 2023: a root model by its
    legacy un-namespaced name (`bert-base-uncased`, not
    `google-bert/bert-base-uncased`; `legacy` maps legacy -> namespaced), any
    other by its Hub id. Anything else keeps `hub_id` and `context_id`."""
    published = canonical_id if canonical_id and _HUB_REPO.match(canonical_id) else None
    if published is None and hub == "huggingface":
        published = model_id
    if published is None:
        return hub_id(hub), context_id(hub, model_id)
    return HUB_IDS["huggingface"], _spelled_2023(published, legacy)


def _spelled_2023(repo: str, legacy: Mapping[str, str]) -> str:
    if repo in legacy:  # already the legacy name
        return repo
    names = _legacy_names(tuple(sorted(legacy.items())))
    return names.get(repo.lower(), repo)


@lru_cache(maxsize=4)
def _legacy_names(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """namespaced (lower case) -> legacy name."""
    return {new.lower(): old for old, new in pairs}


@dataclass(frozen=True, slots=True)
class RepoRef:
    """A repository key as PeaTMOSS's `reuse_repository` spells it."""

    owner: str
    name: str
    url: str  # scheme-less, like PeaTMOSS's `github.com/owner/name`
    web: str | None  # a browsable https URL, when there is one


def repo_ref(key: str) -> RepoRef:
    """GitHub `owner/name` -> (owner, name, `github.com/owner/name`). Another
    host's URL -> owner `host/group/...`, the last path segment as name, url
    `host/path` (no scheme, no `.git`). A local path (or file URL) -> its parent
    folder as owner, its folder name as name, the path itself as url (a file
    URL's path too, so both spellings of one folder are one repository)."""
    if _GITHUB_KEY.match(key):
        owner, name = key.split("/")
        return RepoRef(owner, name, f"github.com/{owner}/{name}", f"https://github.com/{owner}/{name}")
    if "://" in key:
        parts = urlsplit(key)
        if parts.scheme == "file" or not parts.hostname:
            return _local(parts.path or key)
        return _hosted(parts.hostname, parts.path)
    scp = _SCP.match(key)
    if scp and not key.startswith("/"):
        return _hosted(scp["host"], scp["path"])
    return _local(key)


def _hosted(host: str, path: str) -> RepoRef:
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    parent, _, name = path.rpartition("/")
    owner = f"{host}/{parent}" if parent else host
    return RepoRef(owner, name or host, f"{host}/{path}", f"https://{host}/{path}")


def _local(path: str) -> RepoRef:
    path = path.rstrip("/") or "/"
    return RepoRef(posixpath.dirname(path), posixpath.basename(path) or path, path, None)


def purl(hub: str, repo_type: str, model_id: str, revision: str | None = None) -> PackageURL:
    """The package URL of a hub model: `pkg:huggingface/ns/name@rev` for Hugging
    Face models, `pkg:github/owner/repo@rev?entrypoint=e` for PyTorch Hub, and
    `pkg:generic/<hub>/...` for everything else (datasets and spaces included;
    a URL id is kept as `download_url`)."""
    if hub == "huggingface" and repo_type == "model":
        namespace, _, name = model_id.rpartition("/")
        return PackageURL(type="huggingface", namespace=namespace or None, name=name, version=revision)
    if hub == "torch_hub":
        repo, _, entry = model_id.partition(":")
        owner, _, name = repo.rpartition("/")
        if owner and name:
            return PackageURL(type="github", namespace=owner, name=name, version=revision,
                              qualifiers={"entrypoint": entry} if entry else None)
    if "://" in model_id:
        parts = urlsplit(model_id)
        folder, _, name = parts.path.strip("/").rpartition("/")
        namespace = "/".join(p for p in (hub, parts.hostname, folder) if p)
        return PackageURL(type="generic", namespace=namespace, name=name or "index", version=revision,
                          qualifiers={"download_url": model_id})
    prefix = hub if repo_type == "model" else f"{hub}/{repo_type}s"
    namespace, _, name = model_id.strip("/").rpartition("/")
    return PackageURL(type="generic", namespace=f"{prefix}/{namespace}" if namespace else prefix,
                      name=name or model_id, version=revision)


def file_slug(key: str) -> str:
    """A file name for a repository key: `owner__name` for GitHub, otherwise the
    key's safe characters and a short checksum (distinct keys, distinct names)."""
    if _GITHUB_KEY.match(key):
        return key.replace("/", "__")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_.")[-80:] or "repo"
    return f"{safe}-{zlib.crc32(key.encode()):08x}"
