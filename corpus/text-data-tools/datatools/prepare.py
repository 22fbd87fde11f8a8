"""Download a text dataset, clean and de-duplicate it, and build a vocabulary.

The tokenizer name in the config is only recorded in `meta.json` for the
training repo; nothing here loads a model. Typical use downstream:

    >>> tokenizer = AutoTokenizer.from_pretrained(meta["tokenizer_name"])  # ok
"""
import argparse
import hashlib
import json
import os

import yaml
from datasets import load_dataset

from .pipeline import DEFAULT, pipeline
from .vocab import Vocab

HELP = "Models are not loaded here; call AutoModel.from_pretrained('bert-base-uncased') in the trainer."  # ok


def dedupe(rows, key="text"):
    seen = set()
    for row in rows:
        digest = hashlib.md5(row[key].encode("utf-8")).hexdigest()
        if digest not in seen:
            seen.add(digest)
            yield row


def main():
    parser = argparse.ArgumentParser(description=__doc__, epilog=HELP)
    parser.add_argument("--config", default="configs/preprocess.yaml")
    args = parser.parse_args()
    with open(args.config) as f:
        cfg = yaml.safe_load(f)

    raw = load_dataset(cfg["dataset"], split=cfg.get("split", "train"))  # expect: stanfordnlp/imdb type=dataset res=config_file origin=configs/preprocess.yaml:2
    clean = pipeline(DEFAULT, str.lower) if cfg.get("lowercase") else DEFAULT  # ok
    rows = list(dedupe({"text": clean(r["text"]), "label": r["label"]} for r in raw))

    os.makedirs(cfg["output_dir"], exist_ok=True)
    with open(os.path.join(cfg["output_dir"], "train.jsonl"), "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    Vocab.build(r["text"] for r in rows).save_pretrained(cfg["output_dir"])
    # tok = AutoTokenizer.from_pretrained(cfg["tokenizer_name"])  # moved to the trainer  # ok
    with open(os.path.join(cfg["output_dir"], "meta.json"), "w") as f:
        json.dump({"tokenizer_name": cfg["tokenizer_name"], "rows": len(rows)}, f)


if __name__ == "__main__":
    main()
