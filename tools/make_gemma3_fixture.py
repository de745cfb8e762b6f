#!/usr/bin/env python3
"""Writes Tests/Fixtures/logprobs_gemma3.json: Gemma 3 270M's reference tokenization, per-token log-probs and a
64-token greedy continuation, from transformers reading the GGUF file remask reads (weights dequantized to float32).

    python tools/make_gemma3_fixture.py [--gguf ~/.cache/remask/models/gemma-3-270m-q4_k_m.gguf]

Needs torch, transformers (5.x), gguf from PyPI; `scripts/fetch-model.sh gemma3` fetches the model.
"""
import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures as mf  # noqa: E402  (shared helpers: logits, log-probs, greedy decoding, JSON layout)

DEFAULT_GGUF = "~/.cache/remask/models/gemma-3-270m-q4_k_m.gguf"
OUT_FILE = "logprobs_gemma3.json"
GREEDY_TOKENS = 64


def prompts() -> list[tuple[str, str]]:
    paragraph = ("The river rose for three days. On the fourth, the villagers moved the grain to the church on the "
                 "hill, counted the sacks twice, and wrote each family's share in a ledger. ")
    # Longer than the 512-token sliding window of the local layers, so the window's edge is checked.
    long_text = "".join(f"Day {i}: {paragraph}" for i in range(1, 19))
    return [
        ("english", "The quick brown fox jumps over the lazy dog because it was in a hurry to get home."),
        ("gsm8k", "Question: Natalia sold clips to 48 of her friends in April, and then she sold half as many clips "
                  "in May. How many clips did Natalia sell altogether in April and May?\nAnswer:"),
        ("code", "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n"),
        ("turns", "<start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n<start_of_turn>model\n"),
        ("unicode", "Café au lait costs 3,50 € in Paris — 東京ではコーヒーが高い. Привет! 😀"),
        ("long", long_text),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gguf", default=DEFAULT_GGUF)
    parser.add_argument("--out", default=str(mf.DEFAULT_OUT))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    mf.import_libraries(args.threads)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = Path(os.path.expanduser(args.gguf)).resolve()
    if not gguf_path.is_file():
        sys.exit(f"no GGUF file at {gguf_path}")
    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    versions = mf.library_versions()

    cases = []
    for case, text in prompts():
        ids = tokenizer.encode(text)  # with <bos>, as Gemma expects
        logits = mf.logits_for(model, ids)
        cases.append({"name": case, "text": text, "ids": ids,
                      "logprobs": [None if v is None else mf.r6(v) for v in mf.token_logprobs(logits, ids)]})
        print(f"{case}: {len(ids)} tokens")
    prompt = next(c for c in cases if c["name"] == "gsm8k")
    continuation, gaps = mf.greedy_continuation(model, prompt["ids"], GREEDY_TOKENS)
    fixture = {
        "source": (f"tools/make_gemma3_fixture.py; transformers {versions['transformers']} "
                   f"AutoModelForCausalLM.from_pretrained(dir, gguf_file='{name}', dtype=float32) (Q4_K/Q5_0/Q6_K/Q8_0 "
                   "dequantized to float32), eval mode, CPU; ids = tokenizer.encode(text) with <bos>; "
                   "logprobs[i] = log_softmax(logits[i-1])[ids[i]] in float64, logprobs[0] = null; greedy = argmax of a "
                   "full forward pass per step from the gsm8k prompt, no stopping at EOS"),
        "model": {"gguf_file": name, "sha256": mf.sha256(gguf_path), "versions": versions},
        "greedy": {"prompt_ids": prompt["ids"], "continuation_ids": continuation,
                   "continuation_text": tokenizer.decode(continuation), "min_top2_logit_gap": mf.r6(min(gaps))},
        "cases": cases,
    }
    mf.write_json(Path(args.out) / OUT_FILE, fixture)
    print(f"{OUT_FILE}: greedy {fixture['greedy']['continuation_text']!r}, min top-2 gap {min(gaps):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
