"""Score a TSV file (sentence1 <tab> sentence2) with a model fine-tuned by run_glue.py."""
import argparse
import csv
import os

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output_dir", default="outputs/mrpc", help="the --output_dir given to run_glue.py")
    parser.add_argument("--input", required=True, help="TSV file to score")
    parser.add_argument("--use_best", action="store_true", help="use the early-stopping checkpoint")
    parser.add_argument("--batch_size", type=int, default=32)
    return parser.parse_args()


def load_best():
    # the early-stopping callback copies the best checkpoint here
    return AutoModelForSequenceClassification.from_pretrained("./checkpoints/best")  # expect-local


def batches(rows, size):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


@torch.no_grad()
def main():
    args = parse_args()
    tokenizer = AutoTokenizer.from_pretrained(args.output_dir)  # expect-local
    if args.use_best:
        model = load_best()
    else:
        final_dir = os.path.join(args.output_dir, "final")
        model = AutoModelForSequenceClassification.from_pretrained(final_dir)  # expect-local
    model.eval()

    with open(args.input, newline="") as f:
        rows = [r for r in csv.reader(f, delimiter="\t") if len(r) >= 2]

    for chunk in batches(rows, args.batch_size):
        enc = tokenizer([r[0] for r in chunk], [r[1] for r in chunk], padding=True, truncation=True, return_tensors="pt")
        probs = model(**enc).logits.softmax(-1)
        for row, p in zip(chunk, probs.tolist()):
            print("\t".join(row[:2] + [f"{p[-1]:.4f}"]))


if __name__ == "__main__":
    main()
