#!/usr/bin/env bash
# End-to-end test of `remask serve` with the default model: the openai client (chat, streaming, completions with
# logprobs and echo, bad requests), a load test from a second process, and a clean exit on SIGTERM.
# lm-evaluation-harness (local-completions) then scores a local five-question task through the server, and its
# log-likelihoods and acc are compared with `remask eval` on the same questions (REMASK_SERVE_LMEVAL=0 skips it).
# Expects the release build (.build/release/remask, or $REMASK_BINARY) and the default model (scripts/fetch-model.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${REMASK_BINARY:-.build/release/remask}
venv=${REMASK_SERVE_VENV:-.build/serve-venv}
[ -x "$venv/bin/lm_eval" ] || REMASK_SERVE_VENV="$venv" bash scripts/serve-venv.sh
python="$venv/bin/python"

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
logs=$(mktemp -d)
"$binary" serve --port "$port" >"$logs/stdout" 2>"$logs/stderr" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$logs"' EXIT
fail() { echo "serve-test: $*" >&2; tail -n 20 "$logs/stderr" >&2; exit 1; }

for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
    kill -0 "$server" 2>/dev/null || fail "the server exited before answering /health"
    sleep 0.5
done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || fail "no answer from /health after 60 s"
grep -q "on http://127.0.0.1:$port" "$logs/stdout" || fail "the listening address was not printed"

base="http://127.0.0.1:$port/v1"
"$python" tests/serve/test_serve.py "$base"
"$python" tests/serve/load_test.py "$base" --clients 32 --requests 20 --max-tokens 8

if [ "${REMASK_SERVE_LMEVAL:-1}" = 1 ]; then
    model=$(curl -sf "$base/models" | "$python" -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["id"])')
    HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 "$venv/bin/lm_eval" --model local-completions \
        --model_args "model=$model,base_url=$base/completions,tokenizer_backend=remote,num_concurrent=2,max_retries=1" \
        --include_path tests/serve/lmeval --tasks remask_serve_mc --limit 5 \
        --output_path "$logs/lmeval" --log_samples >"$logs/lmeval.log" 2>&1 \
        || { tail -n 30 "$logs/lmeval.log" >&2; fail "lm_eval failed"; }
    # The same questions as a `remask eval --task jsonl` file: the harness's prompt, choices after its " " delimiter.
    "$python" -c '
import json, sys
for line in open(sys.argv[1]):
    q = json.loads(line)
    print(json.dumps({"prompt": "Question: " + q["question"] + "\nAnswer:", "choices": [" " + c for c in q["choices"]], "gold": q["answer"]}))
' tests/serve/lmeval/questions.jsonl >"$logs/questions.jsonl"
    "$binary" eval --task jsonl --data "$logs/questions.jsonl" --log "$logs/remask.items.jsonl" >/dev/null \
        || fail "remask eval on the lm-eval questions failed"
    "$python" tests/serve/compare_lmeval.py "$logs/lmeval" "$logs/remask.items.jsonl"
fi

requests=$(grep -c " /v1/" "$logs/stderr" || true)
[ "$requests" -ge 640 ] || fail "expected a log line per request on stderr, found $requests"
kill -TERM "$server"
status=0
wait "$server" || status=$?
trap 'rm -rf "$logs"' EXIT
[ "$status" -eq 0 ] || fail "exit status $status after SIGTERM"
grep -q "stopped" "$logs/stderr" || fail "no clean stop after SIGTERM"
echo "serve-test: passed (exit 0 after SIGTERM; $requests requests logged)"
