"""`sentiment-batch FILE.csv`: score a CSV column and write FILE.scored.csv."""
import json

import fire
import pandas as pd
from transformers import pipeline


def main(path, text_column="text", model_name="nlptown/bert-base-multilingual-uncased-sentiment", batch_size=32):
    """Star ratings (1-5) for each row of a CSV file."""
    clf = pipeline("sentiment-analysis", model=model_name)  # expect: nlptown/bert-base-multilingual-uncased-sentiment res=argparse_default
    frame = pd.read_csv(path)
    preds = clf(frame[text_column].astype(str).tolist(), batch_size=batch_size, truncation=True)
    frame["stars"] = [int(p["label"].split()[0]) for p in preds]
    frame["score"] = [p["score"] for p in preds]
    out = path.rsplit(".", 1)[0] + ".scored.csv"
    frame.to_csv(out, index=False)
    return out


def from_config(cfg: dict):
    """Build the classifier from a JSON job file: {"model": ..., "top_k": ...}."""
    return pipeline("sentiment-analysis", model=cfg.get("model", "siebert/sentiment-roberta-large-english"), top_k=cfg.get("top_k"))  # expect: siebert/sentiment-roberta-large-english res=dict_lookup


def run_job(job_file):
    with open(job_file) as f:
        job = json.load(f)
    clf = from_config(job)
    return clf(job["texts"])


def run():
    fire.Fire(main)


if __name__ == "__main__":
    run()
