"""Abstractive summaries of long documents, chunk by chunk."""
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

import textkit.settings as s


class Summarizer:
    CHECKPOINT = "facebook/bart-large-cnn"
    CHUNK_TOKENS = 900

    def __init__(self, device: str = "cpu"):
        self.tokenizer = AutoTokenizer.from_pretrained(s.SUMMARIZER)  # expect: facebook/bart-large-cnn res=constant
        self.model = AutoModelForSeq2SeqLM.from_pretrained(self.CHECKPOINT).to(device)  # expect: facebook/bart-large-cnn res=constant
        self.device = device

    def _chunks(self, text):
        ids = self.tokenizer(text, add_special_tokens=False).input_ids
        for i in range(0, len(ids), self.CHUNK_TOKENS):
            yield self.tokenizer.decode(ids[i : i + self.CHUNK_TOKENS])

    def summarize(self, text: str, max_new_tokens: int = 142) -> str:
        parts = []
        for chunk in self._chunks(text):
            enc = self.tokenizer(chunk, return_tensors="pt", truncation=True).to(self.device)
            out = self.model.generate(**enc, num_beams=4, max_new_tokens=max_new_tokens)
            parts.append(self.tokenizer.decode(out[0], skip_special_tokens=True))
        return " ".join(parts)
