"""Cross-encoder re-ranking of retrieved passages."""
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

import rag.settings as s


class Reranker:
    def __init__(self, device: str = "cpu"):
        self.device = device
        self.tokenizer = AutoTokenizer.from_pretrained(s.RERANKER_MODEL)  # expect: BAAI/bge-reranker-base res=constant
        self.model = AutoModelForSequenceClassification.from_pretrained(s.RERANKER_MODEL).to(device).eval()  # expect: BAAI/bge-reranker-base res=constant

    @torch.no_grad()
    def __call__(self, query, passages, top_n=s.TOP_N):
        pairs = [[query, p] for p in passages]
        enc = self.tokenizer(pairs, padding=True, truncation=True, max_length=512, return_tensors="pt").to(self.device)
        scores = self.model(**enc).logits.view(-1).float()
        order = scores.argsort(descending=True)[:top_n]
        return [passages[i] for i in order.tolist()]
