"""`sentiment TEXT...`: classify short texts."""
import sys

import click
from transformers import AutoModelForSequenceClassification, AutoTokenizer, TextClassificationPipeline


@click.command()
@click.argument("texts", nargs=-1)
@click.option("--model", default="cardiffnlp/twitter-roberta-base-sentiment-latest", show_default=True, help="Model id or folder.")
@click.option("--device", default=-1, type=int, help="CUDA device, -1 for CPU.")
@click.option("--json", "as_json", is_flag=True)
def main(texts, model, device, as_json):
    """Classify TEXTS (or lines of stdin)."""
    if not texts:
        texts = [line.strip() for line in sys.stdin if line.strip()]
    tokenizer = AutoTokenizer.from_pretrained(model)  # expect: cardiffnlp/twitter-roberta-base-sentiment-latest res=argparse_default
    clf_model = AutoModelForSequenceClassification.from_pretrained(model)  # expect: cardiffnlp/twitter-roberta-base-sentiment-latest res=argparse_default
    clf = TextClassificationPipeline(model=clf_model, tokenizer=tokenizer, device=device)  # ok
    for text, pred in zip(texts, clf(list(texts), truncation=True)):
        if as_json:
            click.echo(f'{{"text": {text!r}, "label": "{pred["label"]}", "score": {pred["score"]:.4f}}}')
        else:
            click.echo(f"{pred['label']:>8}  {pred['score']:.3f}  {text}")


if __name__ == "__main__":
    main()
