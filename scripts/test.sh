#!/usr/bin/env bash
# Set up and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
bash scripts/fetch-model.sh >/dev/null
bash scripts/fetch-model.sh gemma3 >/dev/null  # Gemma 3 270M, for the tests that check it against transformers
bash scripts/fetch-model.sh minilm >/dev/null  # all-MiniLM-L6-v2, for the encoder's and WordPiece's tests
# The server test's Python clients (openai, lm-eval) install while Swift builds.
mkdir -p .build
bash scripts/serve-venv.sh >.build/serve-venv.log 2>&1 &
venv_install=$!
swift build -c release --build-tests -Xswiftc -enable-testing
# The test runner loads OpenBLAS too: give it the kernels remask picks (see `remask info`).
eval "$(.build/release/remask info --shell)"
swift test -c release --skip-build --disable-swift-testing -Xswiftc -enable-testing
# Every parser of user input under the fuzzer, a bounded time per target (scripts/fuzz.sh; docs/fuzzing.md).
REMASK_FUZZ_SECONDS=${REMASK_FUZZ_SECONDS:-5} bash scripts/fuzz.sh
wait "$venv_install" || { cat .build/serve-venv.log >&2; echo "test: installing the server test's Python clients failed" >&2; exit 1; }
# `remask serve` end to end: openai client, lm-evaluation-harness against `remask eval`, a 32-client load test,
# bad requests, SIGTERM (docs/serve.md)
bash scripts/serve-test.sh
