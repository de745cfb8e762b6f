#!/usr/bin/env bash
# The main job: set up, build remask in release mode, and run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/fetch-model.sh >/dev/null   # the default model, for generate/chat/score/export
swift build -c release --product remask
.build/release/remask demo "$@"
