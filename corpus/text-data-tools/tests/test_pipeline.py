from datatools import Vocab, pipeline
from datatools.pipeline import squeeze, strip_html


def test_pipeline_chains_steps():
    clean = pipeline(strip_html, squeeze)  # ok
    assert clean("<p>Hello   <b>world</b></p>") == "Hello world"


def test_vocab_roundtrip(tmp_path):
    vocab = Vocab.build(["a b b c c c"], min_freq=1)
    vocab.save_pretrained(tmp_path)
    again = Vocab.from_pretrained(tmp_path)  # ok
    assert again.itos == vocab.itos
    assert again.encode("c z") == [vocab.stoi["c"], vocab.stoi["<unk>"]]
