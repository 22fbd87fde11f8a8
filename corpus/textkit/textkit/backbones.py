"""Encoder backbones for classification / regression heads."""
from __future__ import annotations

import torch
import transformers as tf
from transformers import AutoModel as AM

from .settings import BASE_MODEL, MAX_LENGTH


def load_backbone(name: str = "microsoft/deberta-v3-base", dtype: torch.dtype = torch.float32, **kwargs):
    """An encoder without its pre-training head."""
    return AM.from_pretrained(name, torch_dtype=dtype, **kwargs)  # expect: microsoft/deberta-v3-base, roberta-large


def load_tokenizer(name: str):
    return tf.AutoTokenizer.from_pretrained(name, model_max_length=MAX_LENGTH)  # expect: microsoft/deberta-v3-base, roberta-large res=call_arg


def load_nli(name: str = "cross-encoder/nli-deberta-v3-base"):
    """A ready-made NLI cross-encoder, for zero-shot labels."""
    return tf.AutoModelForSequenceClassification.from_pretrained(name)  # expect: cross-encoder/nli-deberta-v3-base res=default_param


def base_config():
    return tf.AutoConfig.from_pretrained(BASE_MODEL)  # expect: microsoft/deberta-v3-base res=constant


class Pooler(torch.nn.Module):
    """Mean pooling over the non-padding tokens."""

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-6)


def default_tokenizer():
    return load_tokenizer("microsoft/deberta-v3-base")
