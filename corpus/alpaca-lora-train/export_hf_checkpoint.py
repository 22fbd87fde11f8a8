"""Merge the trained LoRA weights into the base model and save a plain HF checkpoint."""
import os

import torch
from peft import PeftModel
from transformers import LlamaForCausalLM, LlamaTokenizer

BASE_MODEL = os.environ.get("BASE_MODEL", default="huggyllama/llama-7b")
LORA_DIR = "./lora-alpaca"
OUTPUT_DIR = "./hf_ckpt"

tokenizer = LlamaTokenizer.from_pretrained(BASE_MODEL)  # expect: huggyllama/llama-7b res=env_default
base_model = LlamaForCausalLM.from_pretrained(  # expect: huggyllama/llama-7b res=env_default
    BASE_MODEL,
    load_in_8bit=False,
    torch_dtype=torch.float16,
    device_map={"": "cpu"},
)
lora_model = PeftModel.from_pretrained(base_model, LORA_DIR, device_map={"": "cpu"}, torch_dtype=torch.float16)  # expect-local

merged = lora_model.merge_and_unload()
merged.train(False)
merged.save_pretrained(OUTPUT_DIR, max_shard_size="400MB")
tokenizer.save_pretrained(OUTPUT_DIR)
