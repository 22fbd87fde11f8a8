"""Telling a hub id from a local path, a URL, a file name or a word.

One function per id form of the pattern schema (`hf`, `name`, `url`,
`torch_hub`); each answers with an `IdVerdict`: the id as it goes into
`model_id`, or that the string names something local, or neither.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from enum import Enum


class IdKind(str, Enum):
    HUB = "hub"
    LOCAL = "local"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class IdVerdict:
    kind: IdKind
    model_id: str | None = None
    hub: str | None = None  # when a prefix names another hub
    revision: str | None = None
    file: str | None = None  # a file of the repository that a URL names


LOCAL = IdVerdict(IdKind.LOCAL)
INVALID = IdVerdict(IdKind.INVALID)

_HF_PART = re.compile(r"^[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9_])?$")
_FILE_SUFFIX = re.compile(
    r"\.(bin|pt|pth|ckpt|safetensors|json|h5|hdf5|onnx|pkl|pickle|gguf|ggml|txt|yaml|yml|model|msgpack|"
    r"npz|npy|tar|gz|zip|tflite|pb|engine|mlmodel|joblib|csv|py|cfg|ini)$",
    re.IGNORECASE,
)
# First path segments that name a working folder, not a hub user.
_LOCAL_DIRS = frozenset(
    """output outputs out ckpt ckpts checkpoint checkpoints model models saved saved_models save saves
    data dataset datasets tmp temp runs run results result weights pretrained pretrained_models cache
    logs log exp exps experiments local trained trained_models artifacts assets resources src lib
    model_dir output_dir save_dir workspace work files path your_model my_model best_model""".split()
)
_CHECKPOINT = re.compile(r"(^|[-_/])(checkpoint|ckpt|epoch|step)[-_]?\d+$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"[<>{}$%*\s\\]|^\.|\.\.|--|//")
# Parts of an id or URL path that documentation writes for the reader to fill
# (`username/your-model-name`, `YOUR_MODEL`, `.../path/to/model.pt`): no id.
_PLACEHOLDER_PART = re.compile(
    r"^(?:your(?:[-_].*|name|username|model|org|repo)?|username|user[-_]name|(?:hf|huggingface)[-_]?user(?:name)?|"
    r"org(?:anization)?[-_]name|model[-_](?:name|id)|repo[-_](?:name|id))$", re.IGNORECASE)


def placeholder(value: str) -> bool:
    """An id or URL whose parts are a documentation placeholder."""
    path = re.sub(r"^[a-z]+://[^/]*", "", value.strip())
    return any(_PLACEHOLDER_PART.match(p) for p in path.split("/")) or "path/to/" in path.lower() \
        or value.startswith(("http://", "https://")) and "//" in path


def names_file(value: str) -> bool:
    """A path, or a file name with a weights or data suffix (`model.bin`)."""
    return _path_like(value) or bool(_FILE_SUFFIX.search(value))


def _path_like(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~", ".\\")) or "\\" in value or bool(re.match(r"^[A-Za-z]:[/\\]", value))


_HF_HOSTS = ("huggingface.co", "hf.co")
NO_MIRRORS: frozenset[str] = frozenset()


@lru_cache(maxsize=16)
def _hub_urls(mirrors: frozenset[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The URL of a repository, and of a file or folder in it at a revision
    (`.../owner/name/resolve/main/model.bin`; `.../gpt2/resolve/...` for an
    un-namespaced legacy repository), on huggingface.co or one of `mirrors`
    (hosts that serve the same paths, as `HF_ENDPOINT` mirrors do)."""
    hosts = "|".join(re.escape(h) for h in sorted({*_HF_HOSTS, *mirrors}))
    head = rf"^https?://(?:www\.)?(?:{hosts})/(?!datasets/|spaces/)"
    return (re.compile(head + r"([^/?#\s]+(?:/[^/?#\s]+)?)/?$"),
            re.compile(head + r"([^/?#\s]+(?:/[^/?#\s]+)??)/(?:resolve|blob|raw|tree)/([^/?#\s]+)(?:/([^?#\s]*))?(?:[?#]\S*)?$"))


def hub_file_url(value: str, mirrors: frozenset[str] = NO_MIRRORS) -> IdVerdict | None:
    """The repository (and revision) that a Hugging Face file URL points into."""
    match = _hub_urls(mirrors)[1].match(value.strip())
    if match is None or not all(_HF_PART.match(p) for p in match.group(1).split("/")):
        return None
    return IdVerdict(IdKind.HUB, match.group(1), hub="huggingface", revision=match.group(2),
                     file=match.group(3) or None)


def hf_id(value: str, *, legacy: dict[str, str], namespace: str | None = None,
          mirrors: frozenset[str] = NO_MIRRORS) -> IdVerdict:
    """A Hugging Face repository id (`owner/name`, or a legacy un-namespaced name;
    a `https://huggingface.co/owner/name` URL, or the same path on a mirror host,
    names the same repository)."""
    value = value.strip()
    in_repo = hub_file_url(value, mirrors)
    if in_repo is not None:
        return in_repo
    url = _hub_urls(mirrors)[0].match(value)
    if url:
        value = url.group(1)
    if value.endswith("/") and not value.startswith(("http:", "https:")):
        return LOCAL  # a folder
    if not value or _path_like(value):
        return LOCAL if value else INVALID
    if placeholder(value):
        return INVALID  # `username/your-model-name`: written for the reader to fill
    if _PLACEHOLDER.search(value) or _FILE_SUFFIX.search(value) and value.count("/") != 1:
        return LOCAL if "/" in value or _FILE_SUFFIX.search(value) else INVALID
    parts = value.split("/")
    if len(parts) > 2:
        return LOCAL
    if not all(_HF_PART.match(p) for p in parts):
        return INVALID
    if _CHECKPOINT.search(value) or _FILE_SUFFIX.search(value):
        return LOCAL
    if len(parts) == 2:
        return LOCAL if parts[0].lower() in _LOCAL_DIRS else IdVerdict(IdKind.HUB, value)
    if value in legacy or namespace is not None:
        return IdVerdict(IdKind.HUB, value)
    return _bare_name(value, legacy)


# Model families whose original checkpoints were published without a namespace.
_LEGACY_FAMILIES = re.compile(
    r"^(bert|distilbert|roberta|distilroberta|gpt2|distilgpt2|openai-gpt|ctrl|t5|xlnet|xlm|albert|"
    r"camembert|flaubert|transfo-xl|bart|mbart|longformer|electra|funnel|squeezebert|deberta|"
    r"layoutlm)[-_]\w",
    re.IGNORECASE,
)


def _bare_name(value: str, legacy: dict[str, str]) -> IdVerdict:
    """An un-namespaced name that is not in the legacy table: a hub id only when it
    has the shape of a legacy checkpoint name; otherwise a local folder name."""
    lowered = {k.lower() for k in legacy}
    if value.lower() in lowered or _LEGACY_FAMILIES.match(value):
        return IdVerdict(IdKind.HUB, value)
    return LOCAL


def plain_name(value: str, *, known: str | None = None) -> IdVerdict:
    """A library's own model name (`en_core_web_sm`, `large-v3`, `yolov8n.pt`,
    CLIP's `ViT-B/32`); with `known` (a regex of the names the library fetches),
    any other name is a file of the user's own when it has a file suffix, else no id."""
    value = value.strip()
    if not value:
        return INVALID
    if known is not None and _known(known).fullmatch(value) is not None:
        return IdVerdict(IdKind.HUB, value)  # a name the library fetches, even with a slash
    if _path_like(value) or "/" in value:
        return LOCAL
    if _PLACEHOLDER.search(value) and not value.startswith("."):
        return INVALID
    if known is not None and _known(known).fullmatch(value) is None:
        return LOCAL if _FILE_SUFFIX.search(value) else INVALID
    return IdVerdict(IdKind.HUB, value)


@lru_cache(maxsize=64)
def _known(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def is_known(value: str, pattern: str) -> bool:
    """`value` is one of the ids a library's `known_ids` regex names."""
    return _known(pattern).fullmatch(value.strip()) is not None


# A downloaded file with one of these suffixes is an image, a recording, a video or
# a page (a demo's example inputs), never model weights.
_MEDIA_URL = re.compile(
    r"\.(jpe?g|png|gif|bmp|webp|svg|tiff?|ico|mp3|wav|flac|ogg|m4a|mp4|avi|mov|mkv|webm|pdf|html?|css|js)"
    r"([?#].*)?$", re.IGNORECASE)


def url_or_handle(value: str, mirrors: frozenset[str] = NO_MIRRORS) -> IdVerdict:
    """A TF Hub / Kaggle URL or handle, kept as written; a Hugging Face file
    URL names its repository; a URL of a media file or a page is no model."""
    value = value.strip()
    in_repo = hub_file_url(value, mirrors)
    if in_repo is not None:
        return in_repo
    if _MEDIA_URL.search(value) or placeholder(value):
        return INVALID
    if re.match(r"^(https?|gs|hf|kaggle)://\S+$", value):
        return IdVerdict(IdKind.HUB, value)
    if _path_like(value) or value.startswith("file:"):
        return LOCAL
    if re.match(r"^[\w.-]+(/[\w.-]+){1,4}$", value) and not _FILE_SUFFIX.search(value):
        return IdVerdict(IdKind.HUB, value)
    return LOCAL if "/" in value else INVALID


def torch_hub(repo: str, entry: str | None) -> IdVerdict:
    """`owner/repo[:ref]` plus the entrypoint gives `owner/repo:entrypoint`."""
    repo = repo.strip()
    if _path_like(repo):
        return LOCAL
    match = re.match(r"^([\w.-]+/[\w.-]+)(?::([\w./-]+))?$", repo)
    if not match:
        return LOCAL if "/" in repo else INVALID
    name, ref = match.group(1), match.group(2)
    model_id = f"{name}:{entry}" if entry else name
    return IdVerdict(IdKind.HUB, model_id, revision=ref)


# The builders that `datasets` ships: `load_dataset("json", data_files=...)` reads local files.
_PACKAGED_BUILDERS = frozenset({"json", "csv", "parquet", "text", "arrow", "pandas", "sql", "generator", "imagefolder",
                                "audiofolder", "videofolder", "webdataset", "xml", "cache", "spark", "hdf5", "pdffolder"})


def hf_dataset_id(value: str, mirrors: frozenset[str] = NO_MIRRORS) -> IdVerdict:
    """A Hugging Face dataset id: namespaced, or a canonical un-namespaced name."""
    value = value.strip()
    if value.lower() in _PACKAGED_BUILDERS:
        return LOCAL
    if "/" in value or _path_like(value):
        return hf_id(value, legacy={}, mirrors=mirrors)
    if _HF_PART.match(value) and not _FILE_SUFFIX.search(value):
        return IdVerdict(IdKind.HUB, value)
    return LOCAL if _FILE_SUFFIX.search(value) else INVALID
