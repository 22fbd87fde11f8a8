"""Ids that name a folder the repository ships, or asks its user to fill.

`from_pretrained("roberta-zh/base")` has the shape of a Hugging Face id, but
when the repository holds a folder `roberta-zh/base/`, or its README tells the
user to put the model into `roberta_zh/`, the code loads a local folder. Both
are read from the tree (`miner/resolve/tree.py`): the folder exists at the
root with that exact path, or the first segment of the id (`-` and `_` alike)
is written in the README as a folder (`roberta_zh/`) or a relative path
(`./roberta_zh/base`) on a
line that says to put, download, save or unzip something there (a line that
only names a folder, `the google/ folder holds our scripts`, does not). A README line that
names the segment only inside a URL, or with no such verb, is no evidence.
"""
from __future__ import annotations

import re

from miner.resolve.tree import TreeEvidence

_PLACING = re.compile(r"\b(download|downloaded|put|place|placed|save|saved|unzip|unzipped|extract|extracted|copy|"
                      r"move|store)\b|下载|放到|放在|放入|解压|保存", re.I)
# `roberta_zh/` (a folder: nothing after the slash) or `./roberta_zh...` (a relative path);
# `hfl/chinese-roberta` is an id as much as a path, and no evidence.
_FOLDER_WORD = re.compile(r"""(?:^|(?<=[\s`'"(\[=:]))([A-Za-z0-9][\w.-]*)/(?=$|[\s`'")\],.;:])""")
_RELATIVE = re.compile(r"""(?:^|(?<=[\s`'"(\[=:]))\./([A-Za-z0-9][\w.-]*)""")
_URL = re.compile(r"\S+://\S+")


def documented_folders(tree: TreeEvidence | None) -> frozenset[str]:
    """First path segments (normalised) that the README writes as a local
    folder on a line that places something there."""
    if tree is None or not tree.readme:
        return frozenset()
    found = set()
    for line in tree.readme.splitlines():
        if not _PLACING.search(line):
            continue
        bare = _URL.sub(" ", line)  # `https://huggingface.co/org/name` names no local folder
        found.update(_normal(m.group(1)) for pattern in (_FOLDER_WORD, _RELATIVE) for m in pattern.finditer(bare))
    return frozenset(found)


def ships(model_id: str, tree: TreeEvidence | None, documented: frozenset[str]) -> bool:
    """`owner/name` is a folder of the repository, or its owner segment is a
    folder the README documents as local."""
    if tree is None or "/" not in model_id:
        return False
    return model_id in tree.folders or _normal(model_id.split("/", 1)[0]) in documented


def _normal(name: str) -> str:
    return name.lower().replace("-", "_")
