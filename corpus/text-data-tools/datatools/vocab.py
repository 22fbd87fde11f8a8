"""A word-level vocabulary with the familiar save/load method names."""
import json
import os
from collections import Counter


class Vocab:
    SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")

    def __init__(self, tokens):
        self.itos = list(self.SPECIALS) + [t for t in tokens if t not in self.SPECIALS]
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def build(cls, texts, min_freq=2, max_size=50000):
        counts = Counter(w for t in texts for w in t.split())
        return cls([w for w, c in counts.most_common(max_size) if c >= min_freq])

    @classmethod
    def from_pretrained(cls, directory):
        """Load a vocabulary saved with `save_pretrained` (a local folder)."""
        with open(os.path.join(directory, "vocab.json")) as f:
            return cls(json.load(f))

    def save_pretrained(self, directory):
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "vocab.json"), "w") as f:
            json.dump(self.itos, f)

    def encode(self, text):
        unk = self.stoi["<unk>"]
        return [self.stoi.get(w, unk) for w in text.split()]

    def __len__(self):
        return len(self.itos)


def default_vocab():
    return Vocab.from_pretrained("assets/vocab-en")  # ok
