from .pipeline import pipeline
from .vocab import Vocab

__all__ = ["Vocab", "pipeline"]
