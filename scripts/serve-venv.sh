#!/usr/bin/env bash
# The Python clients scripts/serve-test.sh drives `remask serve` with, in their own virtual environment:
# the openai client and lm-evaluation-harness's API models (no torch or transformers: `lm-eval[api]`).
# scripts/test.sh runs this in the background while Swift builds. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${REMASK_SERVE_VENV:-.build/serve-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check openai==3.60.0 "lm-eval[api]==0.4.13"
