#!/usr/bin/env bash
# Set up and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/fetch-model.sh >/dev/null
swift build -c release --build-tests -Xswiftc -enable-testing
# The test runner loads OpenBLAS too: give it the kernels remask picks (see `remask info`).
eval "$(.build/release/remask info --shell)"
swift test -c release --skip-build --disable-swift-testing -Xswiftc -enable-testing
