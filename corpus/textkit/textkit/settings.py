"""Default checkpoints. Change them here, not at the call sites."""

DEFAULT_ENCODER = "sentence-transformers/all-mpnet-base-v2"
BASE_MODEL = "microsoft/deberta-v3-base"
SUMMARIZER = "facebook/bart-large-cnn"
MAX_LENGTH = 512
