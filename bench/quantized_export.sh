#!/usr/bin/env bash
# Quantized GGUF export of the default model: file size and perplexity on a fixed text for each --dtype, and, where
# llama-cpp-python is installed, whether llama.cpp loads and generates from each file.
#   bash bench/quantized_export.sh [text-file]      (default: docs/study.md)
set -euo pipefail
cd "$(dirname "$0")/.."
text=${1:-docs/study.md}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
remask=.build/release/remask
[ -x "$remask" ] || swift build -c release --product remask >/dev/null
printf "| dtype | file MB | perplexity | bits/byte |\n|---|---|---|---|\n"
for dtype in f16 q8_0 q4_1 q4_0; do
    "$remask" export --format gguf --dtype "$dtype" --out "$out/m-$dtype.gguf" 2>/dev/null
    "$remask" eval --task perplexity --data "$text" --model "$out/m-$dtype.gguf" --out "$out/ppl-$dtype.json" 2>/dev/null >/dev/null
    python3 - "$out/m-$dtype.gguf" "$out/ppl-$dtype.json" "$dtype" <<'PY'
import json, os, sys
path, report, dtype = sys.argv[1:]
metrics = json.load(open(report))
print(f"| {dtype} | {os.path.getsize(path) / 2**20:.1f} | {metrics['perplexity']:.3f} | {metrics['bits_per_byte']:.4f} |")
PY
    if python3 -c "import llama_cpp" 2>/dev/null; then
        python3 - "$out/m-$dtype.gguf" 2>/dev/null <<'PY'
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_threads=2, verbose=False)
text = llm("The capital of France is", max_tokens=8, temperature=0)["choices"][0]["text"]
print(f"  llama.cpp generates: {text!r}")
PY
    fi
done
