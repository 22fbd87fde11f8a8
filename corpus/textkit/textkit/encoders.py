"""Sentence embeddings."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sentence_transformers import SentenceTransformer


class SentenceEncoder:
    """Normalized sentence embeddings with a small LRU cache."""

    def __init__(self, model_name: str = "sentence-transformers/all-mpnet-base-v2", device: str | None = None):
        self.model = SentenceTransformer(model_name, device=device)  # expect: sentence-transformers/all-mpnet-base-v2 res=default_param
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self.model.encode(missing, batch_size=batch_size, normalize_embeddings=True)
            self._cache.update(zip(missing, vectors))
        return np.stack([self._cache[t] for t in texts])

    def similarity(self, a: str, b: str) -> float:
        va, vb = self.encode([a, b])
        return float(va @ vb)
