"""textkit: typed helpers for text models."""
from .backbones import load_backbone, load_tokenizer
from .encoders import SentenceEncoder
from .registry import LabelSet
from .settings import BASE_MODEL, DEFAULT_ENCODER, SUMMARIZER
from .summarize import Summarizer

__all__ = [
    "BASE_MODEL",
    "DEFAULT_ENCODER",
    "SUMMARIZER",
    "LabelSet",
    "SentenceEncoder",
    "Summarizer",
    "load_backbone",
    "load_tokenizer",
]
