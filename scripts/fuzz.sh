#!/usr/bin/env bash
# Fuzzes every parser of user input: GGUF, safetensors, tokenizer.json, vocab.txt, JSONL training data, JSONL eval
# tasks, training and study config files (YAML), chat templates. Coverage-guided with libFuzzer where the toolchain has
# it (`swiftc -sanitize=fuzzer`), else with remask-fuzz's seeded mutation harness. Fails on the first crash, on
# any input that takes over 1 s, or (libFuzzer) on any allocation over 2 GB; the input is kept in .build-fuzz/.
#
#   bash scripts/fuzz.sh                      every target, 100,000 inputs each
#   bash scripts/fuzz.sh gguf template        some targets
#   REMASK_FUZZ_RUNS=1000000 bash scripts/fuzz.sh
#   REMASK_FUZZ_SECONDS=15 bash scripts/fuzz.sh   stop each target after 15 s (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(gguf safetensors tokenizer wordpiece jsonl eval config study template npm)
runs=${REMASK_FUZZ_RUNS:-100000}
seconds=${REMASK_FUZZ_SECONDS:-0}

# Seeds come from the plain build (a tiny exported model, the shipped configs, the bundled data, templates);
# built with the test build's flags, so that after scripts/test.sh nothing is rebuilt.
swift build -c release --product remask-fuzz -Xswiftc -enable-testing >/dev/null
work=.build-fuzz/run
rm -rf "$work" && mkdir -p "$work/artifacts"
.build/release/remask-fuzz --write-seeds "$work/seeds"

libfuzzer=.build-fuzz/release/remask-fuzz
if swift build --scratch-path .build-fuzz -c release --product remask-fuzz \
        -Xswiftc -sanitize=fuzzer -Xswiftc -DLIBFUZZER -Xswiftc -use-ld=lld >"$work/build.log" 2>&1; then
    echo "fuzz: libFuzzer, $runs inputs per target$([ "$seconds" -gt 0 ] && echo " or $seconds s")"
else
    echo "fuzz: libFuzzer unavailable here (see $work/build.log); using the seeded mutation harness"
    libfuzzer=""
fi

for target in "${targets[@]}"; do
    if [ -n "$libfuzzer" ]; then
        mkdir -p "$work/corpus/$target"
        log="$work/$target.log"
        if ! REMASK_FUZZ_TARGET=$target "$libfuzzer" -runs="$runs" -max_total_time="$seconds" -timeout=1 -malloc_limit_mb=2048 \
                -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$work/artifacts/$target-" \
                "$work/corpus/$target" "$work/seeds/$target" >"$log" 2>&1; then
            tail -n 40 "$log"
            echo "fuzz: $target FAILED; the input is in $work/artifacts/ (replay: .build/release/remask-fuzz $target --replay FILE)"
            exit 1
        fi
        executed=$(grep -o 'number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
        rate=$(grep -o 'average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
        rss=$(grep -o 'peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$')
        echo "fuzz: $target: $executed inputs, $rate exec/s, peak RSS $rss MB, no crash"
    else
        .build/release/remask-fuzz "$target" --runs "$runs"
    fi
done
