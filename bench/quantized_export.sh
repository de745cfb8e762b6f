#!/usr/bin/env bash
# Quantized GGUF export of the default model: file size and perplexity on a fixed text for each --dtype, and, where
# llama-cpp-python is installed, whether llama.cpp's own quantizer writes the same tensors (from an f32 export) and
# whether llama.cpp loads and generates from each file.
#   bash bench/quantized_export.sh [text-file]      (default: docs/study.md; REMASK_BIN=path picks the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
text=${1:-docs/study.md}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
remask=${REMASK_BIN:-.build/release/remask}
[ -x "$remask" ] || swift build -c release --product remask >/dev/null
llama=false
if python3 -c "import llama_cpp, gguf" 2>/dev/null; then
    llama=true
    "$remask" export --format gguf --dtype f32 --out "$out/m-f32.gguf" 2>/dev/null
fi
printf "| dtype | file MB | perplexity | vs f16 | bits/byte |\n|---|---|---|---|---|\n"
for dtype in f16 q8_0 q6_k q4_k_m q4_1 q4_0; do
    "$remask" export --format gguf --dtype "$dtype" --out "$out/m-$dtype.gguf" 2>/dev/null
    "$remask" eval --task perplexity --data "$text" --model "$out/m-$dtype.gguf" --out "$out/ppl-$dtype.json" 2>/dev/null >/dev/null
    python3 - "$out/m-$dtype.gguf" "$out/ppl-$dtype.json" "$out/ppl-f16.json" "$dtype" <<'PY'
import json, os, sys
path, report, f16_report, dtype = sys.argv[1:]
metrics, f16 = json.load(open(report)), json.load(open(f16_report))
change = 100 * (metrics['perplexity'] / f16['perplexity'] - 1)
print(f"| {dtype} | {os.path.getsize(path) / 2**20:.1f} | {metrics['perplexity']:.3f} | {change:+.1f}% | {metrics['bits_per_byte']:.4f} |")
PY
    if $llama; then
        [ "$dtype" = f16 ] || python3 bench/compare_llama_quantize.py "$out/m-f32.gguf" "$out/m-$dtype.gguf" "$dtype" || true
        python3 - "$out/m-$dtype.gguf" 2>/dev/null <<'PY'
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_threads=2, verbose=False)
text = llm("The capital of France is", max_tokens=8, temperature=0)["choices"][0]["text"]
print(f"  llama.cpp generates: {text!r}")
PY
    fi
done
