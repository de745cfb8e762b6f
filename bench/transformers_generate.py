#!/usr/bin/env python3
"""transformers on CPU beside `remask bench --only generate`: a LlamaForCausalLM with the SmolLM2-135M geometry
and random weights (float32), batch 1 and 8 prompts of --prompt-length tokens prefilled together, then
--new-tokens greedy steps with the KV cache. Rows prefill-bN (prompt tokens/s) and generate-bN (new tokens/s),
median over --reps after --warmup.

    pip install torch transformers
    python3 bench/transformers_generate.py --json
"""
import argparse
import json
import sys
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompt-length", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                         num_attention_heads=9, num_key_value_heads=3, rope_theta=100000.0, rms_norm_eps=1e-5,
                         tie_word_embeddings=True, max_position_embeddings=8192)
    model = LlamaForCausalLM(config).eval()
    rows = []
    for batch in (1, 8):
        ids = torch.randint(0, config.vocab_size, (batch, a.prompt_length))
        prefill, decode = [], []
        for rep in range(a.warmup + a.reps):
            with torch.no_grad():
                t0 = time.perf_counter()
                out = model(input_ids=ids, use_cache=True)
                t1 = time.perf_counter()
                past, logits = out.past_key_values, out.logits[:, -1]
                for _ in range(a.new_tokens):
                    nxt = logits.argmax(-1, keepdim=True)
                    out = model(input_ids=nxt, past_key_values=past, use_cache=True)
                    past, logits = out.past_key_values, out.logits[:, -1]
                t2 = time.perf_counter()
            if rep >= a.warmup:
                prefill.append(t1 - t0)
                decode.append(t2 - t1)
        p, d = sorted(prefill)[len(prefill) // 2], sorted(decode)[len(decode) // 2]
        rows.append({"name": f"prefill-b{batch}", "tokens_per_second": batch * a.prompt_length / p, "seconds_median": p})
        rows.append({"name": f"generate-b{batch}", "tokens_per_second": batch * a.new_tokens / d, "seconds_median": d})
        print(f"· batch {batch} done", file=sys.stderr)
    if a.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            print(f"{r['name']:<12} {r['tokens_per_second']:9.1f} tokens/s  ({r['seconds_median']:.3f} s)")


if __name__ == "__main__":
    main()
