"""Models and retrieval settings, in one place."""

EMBEDDING_MODEL = "BAAI/bge-small-en-v1.5"
RERANKER_MODEL = "BAAI/bge-reranker-base"

CHUNK_SIZE = 512
CHUNK_OVERLAP = 64
TOP_K = 20  # candidates from the dense index
TOP_N = 4  # passages kept after re-ranking
INDEX_DIR = "index"
