"""Chunk the documents under a folder and build the dense index.

With no folder, indexes the rag-mini-wikipedia corpus for a quick demo.
"""
import json
import sys
from pathlib import Path

from huggingface_hub import snapshot_download

from rag.embed import Embedder, build_index
from rag.settings import CHUNK_OVERLAP, CHUNK_SIZE


def chunks(text, size=CHUNK_SIZE, overlap=CHUNK_OVERLAP):
    words = text.split()
    step = size - overlap
    for i in range(0, max(len(words) - overlap, 1), step):
        yield " ".join(words[i : i + size])


def read_folder(folder):
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix in {".md", ".txt"}:
            yield path.read_text(encoding="utf-8", errors="ignore")


def demo_corpus():
    root = snapshot_download("rag-datasets/rag-mini-wikipedia", repo_type="dataset")  # expect: rag-datasets/rag-mini-wikipedia res=literal type=dataset
    import pandas as pd

    frame = pd.read_parquet(next(Path(root).rglob("passages*.parquet")))
    return frame["passage"].tolist()


def main():
    docs = list(read_folder(sys.argv[1])) if len(sys.argv) > 1 else demo_corpus()
    passages = [c for d in docs for c in chunks(d)]
    vectors = Embedder().passages(passages)
    build_index(vectors)
    Path("index/passages.json").write_text(json.dumps(passages))
    print(f"indexed {len(passages)} passages")


if __name__ == "__main__":
    main()
