"""Load on `remask serve` from a separate process: CLIENTS threads, each sending REQUESTS completion requests
(short prompts, sampled with a seed) one after the other. Fails on any error; prints latency percentiles and
throughput.

Usage: python load_test.py BASE_URL [--clients 32] [--requests 20] [--max-tokens 8]
"""
import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from openai import OpenAI

parser = argparse.ArgumentParser()
parser.add_argument("base_url")
parser.add_argument("--clients", type=int, default=32)
parser.add_argument("--requests", type=int, default=20)
parser.add_argument("--max-tokens", type=int, default=8)
args = parser.parse_args()

# No retries: a refused or failed request must count as a failure.
client = OpenAI(base_url=args.base_url, api_key="unused", max_retries=0, timeout=300)
model = client.models.list().data[0].id
prompts = ["The capital of Italy is", "One, two, three,", "My favourite colour is", "Once upon a time", "The sun rises in the"]


def run_client(index):
    latencies, tokens, failures = [], 0, []
    for r in range(args.requests):
        start = time.perf_counter()
        try:
            reply = client.completions.create(model=model, prompt=prompts[(index + r) % len(prompts)], max_tokens=args.max_tokens,
                                              temperature=0.7, seed=index * 1000 + r)
            tokens += reply.usage.completion_tokens
            latencies.append(time.perf_counter() - start)
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failures.append(repr(error))
    return latencies, tokens, failures


start = time.perf_counter()
with ThreadPoolExecutor(args.clients) as pool:
    results = list(pool.map(run_client, range(args.clients)))
elapsed = time.perf_counter() - start
latencies = sorted(x for r in results for x in r[0])
tokens = sum(r[1] for r in results)
failures = [f for r in results for f in r[2]]


def percentile(p):
    return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")


total = args.clients * args.requests
print(f"load: {args.clients} clients x {args.requests} requests (max_tokens {args.max_tokens}) in {elapsed:.1f} s: "
      f"{len(failures)} failures, latency p50 {percentile(50):.3f} s p99 {percentile(99):.3f} s "
      f"(mean {statistics.mean(latencies) if latencies else float('nan'):.3f} s), "
      f"{tokens / elapsed:.1f} generated tokens/s, {len(latencies) / elapsed:.1f} requests/s")
assert not failures, failures[:5]
assert len(latencies) == total
