#!/usr/bin/env python
"""Fine-tune a transformer for sequence classification on a GLUE task.

Trimmed from the transformers `text-classification` example.
"""
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Optional

import evaluate
import numpy as np
from datasets import load_dataset
from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    EvalPrediction,
    HfArgumentParser,
    Trainer,
    TrainingArguments,
    set_seed,
)

logger = logging.getLogger(__name__)

TASK_TO_KEYS = {
    "cola": ("sentence", None),
    "mnli": ("premise", "hypothesis"),
    "mrpc": ("sentence1", "sentence2"),
    "qnli": ("question", "sentence"),
    "qqp": ("question1", "question2"),
    "rte": ("sentence1", "sentence2"),
    "sst2": ("sentence", None),
    "stsb": ("sentence1", "sentence2"),
    "wnli": ("sentence1", "sentence2"),
}


@dataclass
class ModelArguments:
    """Which model/config/tokenizer we fine-tune from."""

    model_name_or_path: str = field(
        default="bert-base-cased",
        metadata={"help": "Path to pretrained model or model identifier from huggingface.co/models"},
    )
    config_name: Optional[str] = field(
        default=None, metadata={"help": "Pretrained config name or path if not the same as model_name"}
    )
    tokenizer_name: Optional[str] = field(
        default=None, metadata={"help": "Pretrained tokenizer name or path if not the same as model_name"}
    )
    cache_dir: Optional[str] = field(default=None, metadata={"help": "Where to store the downloaded models"})


@dataclass
class DataTrainingArguments:
    task_name: str = field(default="mrpc", metadata={"help": "One of: " + ", ".join(TASK_TO_KEYS)})
    max_seq_length: int = field(default=128)
    pad_to_max_length: bool = field(default=False)


def main():
    parser = HfArgumentParser((ModelArguments, DataTrainingArguments, TrainingArguments))
    if len(sys.argv) == 2 and sys.argv[1].endswith(".json"):
        model_args, data_args, training_args = parser.parse_json_file(json_file=os.path.abspath(sys.argv[1]))
    else:
        model_args, data_args, training_args = parser.parse_args_into_dataclasses()

    logging.basicConfig(level=logging.INFO)
    set_seed(training_args.seed)

    raw_datasets = load_dataset("nyu-mll/glue", data_args.task_name)  # expect: nyu-mll/glue type=dataset
    is_regression = data_args.task_name == "stsb"
    if is_regression:
        num_labels = 1
    else:
        label_list = raw_datasets["train"].features["label"].names
        num_labels = len(label_list)

    config = AutoConfig.from_pretrained(  # expect: bert-base-cased, roberta-base origin=-,scripts/run_mrpc.sh:9
        model_args.config_name if model_args.config_name else model_args.model_name_or_path,
        num_labels=num_labels,
        finetuning_task=data_args.task_name,
        cache_dir=model_args.cache_dir,
    )
    tokenizer = AutoTokenizer.from_pretrained(  # expect: bert-base-cased, roberta-base origin=-,scripts/run_mrpc.sh:9
        model_args.tokenizer_name or model_args.model_name_or_path,
        cache_dir=model_args.cache_dir,
        use_fast=True,
    )
    model = AutoModelForSequenceClassification.from_pretrained(  # expect: bert-base-cased, roberta-base origin=-,scripts/run_mrpc.sh:9
        model_args.model_name_or_path,
        config=config,
        cache_dir=model_args.cache_dir,
    )

    key1, key2 = TASK_TO_KEYS[data_args.task_name]
    padding = "max_length" if data_args.pad_to_max_length else False

    def preprocess(examples):
        texts = (examples[key1],) if key2 is None else (examples[key1], examples[key2])
        return tokenizer(*texts, padding=padding, max_length=data_args.max_seq_length, truncation=True)

    raw_datasets = raw_datasets.map(preprocess, batched=True, desc="Tokenizing")
    eval_split = "validation_matched" if data_args.task_name == "mnli" else "validation"

    metric = evaluate.load("glue", data_args.task_name)  # ok

    def compute_metrics(p: EvalPrediction):
        preds = p.predictions[0] if isinstance(p.predictions, tuple) else p.predictions
        preds = np.squeeze(preds) if is_regression else np.argmax(preds, axis=1)
        return metric.compute(predictions=preds, references=p.label_ids)

    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=raw_datasets["train"] if training_args.do_train else None,
        eval_dataset=raw_datasets[eval_split] if training_args.do_eval else None,
        compute_metrics=compute_metrics,
        tokenizer=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8 if training_args.fp16 else None),
    )

    if training_args.do_train:
        result = trainer.train()
        trainer.save_model()
        trainer.log_metrics("train", result.metrics)
        trainer.save_metrics("train", result.metrics)
        trainer.save_state()

    if training_args.do_eval:
        metrics = trainer.evaluate()
        trainer.log_metrics("eval", metrics)
        trainer.save_metrics("eval", metrics)


if __name__ == "__main__":
    main()
