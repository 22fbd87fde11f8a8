"""Dense embeddings and the FAISS index."""
from pathlib import Path

import faiss
import numpy as np
from sentence_transformers import SentenceTransformer

from .settings import EMBEDDING_MODEL, INDEX_DIR

QUERY_PREFIX = "Represent this sentence for searching relevant passages: "


class Embedder:
    def __init__(self, device: str = "cpu"):
        self.model = SentenceTransformer(EMBEDDING_MODEL, device=device)  # expect: BAAI/bge-small-en-v1.5 res=constant

    def passages(self, texts):
        return self.model.encode(texts, normalize_embeddings=True, batch_size=64, show_progress_bar=True)

    def query(self, text):
        return self.model.encode([QUERY_PREFIX + text], normalize_embeddings=True)


def build_index(vectors: np.ndarray, path: str = INDEX_DIR) -> faiss.Index:
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors.astype("float32"))
    Path(path).mkdir(exist_ok=True)
    faiss.write_index(index, str(Path(path) / "passages.faiss"))
    return index


def load_index(path: str = INDEX_DIR) -> faiss.Index:
    return faiss.read_index(str(Path(path) / "passages.faiss"))
