#!/usr/bin/env bash
# The main job: set up, build remask in release mode, and run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product remask
.build/release/remask demo "$@"
