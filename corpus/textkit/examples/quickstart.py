"""Five-minute tour of textkit."""
import torch
from sentence_transformers import SentenceTransformer

from textkit import DEFAULT_ENCODER, LabelSet, SentenceEncoder, Summarizer, load_backbone, load_tokenizer

# embeddings, the default encoder
enc = SentenceEncoder()
print(enc.similarity("A man is playing guitar.", "Someone plays an instrument."))

# the same model, straight from sentence-transformers
raw = SentenceTransformer(DEFAULT_ENCODER)  # expect: sentence-transformers/all-mpnet-base-v2 res=constant

# a bigger backbone for a classification head
backbone = load_backbone("roberta-large", dtype=torch.bfloat16)
tokenizer = load_tokenizer("roberta-large")
labels = LabelSet.from_pretrained("resources/emotions")  # ok
head = torch.nn.Linear(backbone.config.hidden_size, len(labels.names))
batch = tokenizer(["what a day!"], return_tensors="pt")
print(head(backbone(**batch).last_hidden_state[:, 0]).softmax(-1))

text = open(__file__).read() * 3
print(Summarizer().summarize(text)[:300])
