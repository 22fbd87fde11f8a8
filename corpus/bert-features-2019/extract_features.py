# -*- coding: utf-8 -*-
"""Extract averaged BERT hidden states for every line of a text file."""
import argparse
import sys

import numpy as np
import torch
from transformers import BertModel, BertTokenizer

from utils import batches, read_lines

parser = argparse.ArgumentParser()
parser.add_argument("--input", required=True)
parser.add_argument("--output", required=True)
parser.add_argument("--layers", default="-1")
parser.add_argument("--batch_size", type=int, default=16)
args = parser.parse_args()

print "Loading BERT (bert-base-uncased)..."
tokenizer = BertTokenizer.from_pretrained("bert-base-uncased")  # expect: bert-base-uncased res=literal
model = BertModel.from_pretrained("bert-base-uncased", output_hidden_states=True)  # expect: bert-base-uncased res=literal
model.eval()

layers = [int(x) for x in args.layers.split(",")]
sentences = read_lines(args.input)
print >>sys.stderr, "%d sentences" % len(sentences)

features = []
for batch in batches(sentences, args.batch_size):
    ids = [tokenizer.encode(s, add_special_tokens=True)[:128] for s in batch]
    width = max(len(x) for x in ids)
    padded = torch.tensor([x + [0] * (width - len(x)) for x in ids])
    mask = (padded != 0).long()
    with torch.no_grad():
        hidden = model(padded, attention_mask=mask)[2]
    stacked = torch.stack([hidden[l] for l in layers]).mean(0)
    summed = (stacked * mask.unsqueeze(-1).float()).sum(1) / mask.sum(1, keepdim=True).float()
    features.append(summed.numpy())

np.save(args.output, np.concatenate(features))
print "wrote", args.output
