#!/bin/bash
# LoRA runs: the 7B reference run, then a size sweep and an OpenLLaMA comparison.
set -e
cd "$(dirname "$0")/.."

BASE=huggyllama/llama-7b
DATA=data/alpaca_data_cleaned.json

# 1. reference run on one GPU
CUDA_VISIBLE_DEVICES=0 python finetune.py --base_model $BASE --data_path $DATA --output_dir ./lora-alpaca  # ok: the call that reads it is the usage (origin_path/origin_line point here)

# 2. LLaMA sizes, 4 GPUs each
for size in 7b 13b; do
  torchrun --nproc_per_node=4 finetune.py --base_model=huggyllama/llama-$size --data_path $DATA --output_dir ./lora-llama-$size --micro_batch_size 8  # ok: the call that reads it is the usage (origin_path/origin_line point here)
done

# 3. OpenLLaMA, same recipe
ORG=openlm-research
for m in open_llama_3b open_llama_7b; do python finetune.py --base_model "$ORG/$m" --data_path $DATA --output_dir "./lora-$m"; done  # ok: the call that reads it is the usage (origin_path/origin_line point here)

# collect the adapters
mkdir -p adapters
cp -r ./lora-* adapters/ \
  2>/dev/null || true
