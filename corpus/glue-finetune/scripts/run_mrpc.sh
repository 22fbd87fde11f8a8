#!/usr/bin/env bash
# MRPC with two checkpoints and three seeds each; results land in outputs/.
set -euo pipefail
cd "$(dirname "$0")/.."

TASK=mrpc
for model in bert-base-cased roberta-base; do
  for seed in 13 42 87; do
    python run_glue.py --model_name_or_path $model --task_name $TASK --do_train --do_eval --seed $seed --output_dir outputs/$TASK-$model-$seed  # ok: the call that reads it is the usage (origin_path/origin_line point here)
  done
done

# summarize the eval accuracy of every run
grep -h '"eval_accuracy"' outputs/$TASK-*/eval_results.json
