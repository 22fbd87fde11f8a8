"""LoRA fine-tuning of a causal LM on Alpaca-format JSON."""
import argparse
import json
import os

import torch
import transformers
from datasets import load_dataset
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
from transformers import LlamaForCausalLM, LlamaTokenizer


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base_model", default="huggyllama/llama-7b")
    parser.add_argument("--data_path", default="data/alpaca_data_cleaned.json")
    parser.add_argument("--output_dir", default="./lora-alpaca")
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--micro_batch_size", type=int, default=4)
    parser.add_argument("--num_epochs", type=int, default=3)
    parser.add_argument("--learning_rate", type=float, default=3e-4)
    parser.add_argument("--cutoff_len", type=int, default=256)
    parser.add_argument("--lora_r", type=int, default=8)
    parser.add_argument("--lora_alpha", type=int, default=16)
    parser.add_argument("--lora_dropout", type=float, default=0.05)
    parser.add_argument("--val_set_size", type=int, default=2000)
    return parser.parse_args()


def main():
    args = parse_args()
    world_size = int(os.environ.get("WORLD_SIZE", 1))
    ddp = world_size != 1
    grad_accum = args.batch_size // args.micro_batch_size // world_size
    device_map = {"": int(os.environ.get("LOCAL_RANK") or 0)} if ddp else "auto"

    model = LlamaForCausalLM.from_pretrained(  # expect: huggyllama/llama-7b, huggyllama/llama-13b, openlm-research/open_llama_3b, openlm-research/open_llama_7b origin=-,scripts/finetune.sh:14,scripts/finetune.sh:19
        args.base_model,
        load_in_8bit=True,
        torch_dtype=torch.float16,
        device_map=device_map,
    )
    tokenizer = LlamaTokenizer.from_pretrained(args.base_model)  # expect: huggyllama/llama-7b, huggyllama/llama-13b, openlm-research/open_llama_3b, openlm-research/open_llama_7b origin=-,scripts/finetune.sh:14,scripts/finetune.sh:19
    tokenizer.pad_token_id = 0
    tokenizer.padding_side = "left"

    with open("templates/alpaca.json") as f:
        template = json.load(f)

    def tokenize(example):
        key = "prompt_input" if example["input"] else "prompt_no_input"
        prompt = template[key].format(**example) + example["output"]
        out = tokenizer(prompt, truncation=True, max_length=args.cutoff_len, padding=False)
        if out["input_ids"][-1] != tokenizer.eos_token_id and len(out["input_ids"]) < args.cutoff_len:
            out["input_ids"].append(tokenizer.eos_token_id)
            out["attention_mask"].append(1)
        out["labels"] = out["input_ids"].copy()
        return out

    model = prepare_model_for_kbit_training(model)
    config = LoraConfig(
        r=args.lora_r,
        lora_alpha=args.lora_alpha,
        target_modules=["q_proj", "v_proj"],
        lora_dropout=args.lora_dropout,
        bias="none",
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, config)
    model.print_trainable_parameters()

    data = load_dataset("json", data_files=args.data_path)  # expect-local
    split = data["train"].train_test_split(test_size=args.val_set_size, shuffle=True, seed=42)
    train_data = split["train"].shuffle().map(tokenize)
    val_data = split["test"].shuffle().map(tokenize)

    trainer = transformers.Trainer(
        model=model,
        train_dataset=train_data,
        eval_dataset=val_data,
        args=transformers.TrainingArguments(
            per_device_train_batch_size=args.micro_batch_size,
            gradient_accumulation_steps=grad_accum,
            warmup_steps=100,
            num_train_epochs=args.num_epochs,
            learning_rate=args.learning_rate,
            fp16=True,
            logging_steps=10,
            optim="adamw_torch",
            evaluation_strategy="steps",
            save_strategy="steps",
            eval_steps=200,
            save_steps=200,
            output_dir=args.output_dir,
            save_total_limit=3,
            load_best_model_at_end=True,
            ddp_find_unused_parameters=False if ddp else None,
        ),
        data_collator=transformers.DataCollatorForSeq2Seq(tokenizer, pad_to_multiple_of=8, return_tensors="pt", padding=True),
    )
    model.config.use_cache = False
    trainer.train()
    model.save_pretrained(args.output_dir)


if __name__ == "__main__":
    main()
