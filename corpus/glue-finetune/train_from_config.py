"""Fine-tune on MNLI with every hyper-parameter taken from configs/train.yaml."""
import yaml
from datasets import load_dataset
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
)

cfg = yaml.safe_load(open("configs/train.yaml"))

# the checkpoint name is read from the YAML recipe (origin_path/origin_line point to its line)
tokenizer = AutoTokenizer.from_pretrained(cfg["model_name_or_path"])  # expect: roberta-large res=config_file origin=configs/train.yaml:2
model = AutoModelForSequenceClassification.from_pretrained(cfg["model_name_or_path"], num_labels=3)  # expect: roberta-large res=config_file origin=configs/train.yaml:2

dataset = load_dataset("nyu-mll/glue", cfg["task_name"])  # expect: nyu-mll/glue type=dataset


def tokenize(batch):
    return tokenizer(batch["premise"], batch["hypothesis"], truncation=True, max_length=cfg["max_seq_length"])


dataset = dataset.map(tokenize, batched=True)

training_args = TrainingArguments(
    output_dir=cfg["output_dir"],
    learning_rate=float(cfg["learning_rate"]),
    num_train_epochs=cfg["num_train_epochs"],
    per_device_train_batch_size=cfg["per_device_train_batch_size"],
    evaluation_strategy="epoch",
    save_strategy="epoch",
    load_best_model_at_end=True,
)

trainer = Trainer(
    model=model,
    args=training_args,
    train_dataset=dataset["train"],
    eval_dataset=dataset["validation_matched"],
    data_collator=DataCollatorWithPadding(tokenizer),
)
trainer.train()
trainer.save_model(cfg["output_dir"])
