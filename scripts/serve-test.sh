#!/usr/bin/env bash
# End-to-end test of `remask serve` with the default model: the openai client (chat, streaming, completions with
# logprobs and echo, bad requests), a load test from a second process, and a clean exit on SIGTERM.
# REMASK_SERVE_LMEVAL=1 also runs lm-evaluation-harness (local-completions) on a local five-question task; CI
# leaves it out (installing lm-eval takes minutes; see docs/serve.md).
# Expects the release build (.build/release/remask, or $REMASK_BINARY) and the default model (scripts/fetch-model.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${REMASK_BINARY:-.build/release/remask}
venv=${REMASK_SERVE_VENV:-.build/serve-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check openai==3.60.0
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

if [ "${REMASK_SERVE_LMEVAL:-0}" = 1 ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check "lm-eval[api]==0.4.13"
    model=$(curl -sf "$base/models" | "$python" -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["id"])')
    HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 "$venv/bin/lm_eval" --model local-completions \
        --model_args "model=$model,base_url=$base/completions,tokenizer_backend=remote,num_concurrent=2,max_retries=1" \
        --include_path tests/serve/lmeval --tasks remask_serve_mc --limit 5
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
