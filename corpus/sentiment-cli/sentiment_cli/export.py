"""Export a sentiment classifier to ONNX."""
import argparse
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-m", "--model", dest="model_id", default="distilbert/distilbert-base-uncased-finetuned-sst-2-english")
    parser.add_argument("--tokenizer", help="tokenizer id, if not the model's")
    parser.add_argument("--opset", type=int)
    parser.add_argument("--output", default="onnx/model.onnx")
    parser.set_defaults(opset=14, tokenizer="distilbert/distilbert-base-uncased")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    model = AutoModelForSequenceClassification.from_pretrained(args.model_id).eval()  # expect: distilbert/distilbert-base-uncased-finetuned-sst-2-english res=argparse_default
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)  # expect: distilbert/distilbert-base-uncased res=argparse_default
    dummy = tokenizer(["an example sentence"], return_tensors="pt")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (dummy["input_ids"], dummy["attention_mask"]),
        args.output,
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}},
        opset_version=args.opset,
    )
    print("wrote", args.output)


if __name__ == "__main__":
    main()
