#!/usr/bin/env bash
# Data-parallel training throughput on this machine: the same global batch trained by one process and by
# `mpirun -np 2`, one thread per process (and one process with every core, for reference). Prints, per run, the
# training tokens per second and the shares of the step spent summing gradients and waiting for the slowest rank.
#
#   bash bench/data-parallel.sh [--objective sft|remask] [--steps N] [--model PATH]
#
# Needs Open MPI (bash scripts/setup.sh) and the default model (bash scripts/fetch-model.sh). Writes its runs
# under a temporary folder and removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
objective=remask steps=4 model=""
while [ $# -gt 0 ]; do
    case "$1" in
        --objective) objective=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --model) model=$2; shift 2 ;;
        *) echo "bench/data-parallel.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
remask=.build/release/remask
[ -x "$remask" ] || swift build -c release --product remask >/dev/null
command -v mpirun >/dev/null || { echo "bench/data-parallel.sh: mpirun not found (bash scripts/setup.sh installs Open MPI)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Micro-batches of 4 sequences of up to 256 tokens, 4 per step: 2 per rank at N = 2.
args=(train --data data/sample/cot-train.jsonl --val data/sample/cot-val.jsonl --val-limit 4 --objective "$objective"
      --micro-batch 4 --batch-size 16 --max-length 256 --max-steps "$steps" --samples 0 ${model:+--model "$model"})
run() {  # run LABEL THREADS LAUNCHER…
    local label=$1 threads=$2; shift 2
    local out="$work/${label// /-}"
    "$@" "$remask" "${args[@]}" --threads "$threads" --out "$out" >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
    python3 - "$label" "$out/metrics.jsonl" <<'PY'
import json, sys
label, path = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(path) if '"split":"train"' in l]
# The first step warms caches and pages: throughput over the steps after it.
first, last = rows[0], rows[-1]
tokens, seconds = last["tokens"] - first["tokens"], last["elapsed_s"] - first["elapsed_s"]
allreduce = sum(r.get("allreduce_s", 0) for r in rows[1:])
wait = sum(r.get("rank_wait_s", 0) for r in rows[1:])
print(f"{label:<28} {tokens / seconds:9.1f} tokens/s   step {seconds / (len(rows) - 1):6.2f} s   "
      f"all-reduce {100 * allreduce / seconds:5.1f}%   waiting for the slowest rank {100 * wait / seconds:5.1f}%")
PY
}
echo "remask train --objective $objective, $steps steps of 16 × 256 tokens (steps 2-$steps timed), $(nproc) cores"
run "1 process, 1 thread" 1 env
run "mpirun -np 2, 1 thread each" 1 mpirun --oversubscribe --bind-to none -np 2
run "1 process, $(nproc) threads" "$(nproc)" env
