"""Hugging Face URLs: a file URL names its repository, revision and file."""
from __future__ import annotations

import pytest

from miner.resolve import ids


@pytest.mark.parametrize("url, expected", [
    ("https://huggingface.co/Salesforce/blip-image-captioning-base/resolve/main/pytorch_model.bin",
     ("Salesforce/blip-image-captioning-base", "main", "pytorch_model.bin")),
    ("https://hf.co/org/model/blob/v1.0/sub/dir/model.safetensors?download=true", ("org/model", "v1.0", "sub/dir/model.safetensors")),
    ("https://huggingface.co/org/model/tree/0123abcd", ("org/model", "0123abcd", None)),
    ("https://huggingface.co/gpt2/resolve/main/pytorch_model.bin", ("gpt2", "main", "pytorch_model.bin")),
])
def test_a_file_url_names_its_repository(url: str, expected: tuple) -> None:
    for verdict in (ids.url_or_handle(url), ids.hf_id(url, legacy={})):
        assert (verdict.kind, verdict.hub) == (ids.IdKind.HUB, "huggingface")
        assert (verdict.model_id, verdict.revision, verdict.file) == expected


@pytest.mark.parametrize("url", [
    "https://huggingface.co/datasets/org/data/resolve/main/train.csv",  # a dataset, not a model
    "https://huggingface.co/spaces/org/demo/blob/main/app.py",
    "https://huggingface.co/org/model",  # no file: the plain repository URL
    "https://example.com/org/model/resolve/main/x.bin",
    "https://huggingface.co/-bad-/model/resolve/main/x.bin",
])
def test_other_urls_are_not_file_urls(url: str) -> None:
    assert ids.hub_file_url(url) is None
