"""Retrieval-augmented QA over a local document index."""
from .settings import EMBEDDING_MODEL, RERANKER_MODEL, TOP_K, TOP_N

__all__ = ["EMBEDDING_MODEL", "RERANKER_MODEL", "TOP_K", "TOP_N"]
__version__ = "0.3.1"
