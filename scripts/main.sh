#!/usr/bin/env bash
# The main job: set up, build remask in release mode, fetch SmolLM2-135M-Instruct, and fine-tune it with ReMask
# on the bundled sample data (configs/sample-remask.yaml), printing the validation loss and generations
# before and after. The run goes to runs/sample-remask (replaced on every run). Extra arguments are passed to
# `remask train`, e.g. `bash scripts/main.sh --max-steps 4`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/fetch-model.sh >/dev/null
swift build -c release --product remask
rm -rf runs/sample-remask
.build/release/remask train --config configs/sample-remask.yaml "$@"
