#!/usr/bin/env python3
"""Writes GSM8K-style fine-tuning and test data from PyPI's reasoning-gym (`arithmetic/gsm_symbolic`).

    pip install reasoning-gym==0.1.25
    python3 tools/make_gsm_symbolic.py --out data/gsm-symbolic --train 2000 --val 100 --test 500

Train and validation: `{"prompt", "completion"}` lines (completion = the template's worked rationale ending in
`#### N`), for `remask train --format model`. Test: `{"prompt", "answer"}` lines for `remask eval --task jsonl
--chat-template`, drawn with another seed, never a question that is in train or validation. Instances whose
answer is not an integer or whose rationale shows a float artifact (0.30000000000000004) are skipped.

Most gsm_symbolic templates are GSM8K test questions with new numbers: a model trained on this data must never
be scored on GSM8K test.
"""
import argparse
import json
import os
import re
import sys

ARTIFACT = re.compile(r"\d\.\d{5,}")


def clean(instances):
    for x in instances:
        answer, cot = str(x["answer"]).strip(), x["metadata"]["answer_cot"].strip()
        if not re.fullmatch(r"-?\d+", answer) or ARTIFACT.search(cot) or not cot.endswith(f"#### {answer}"):
            continue
        yield x["question"].strip(), cot, answer


def draw(seed, count, exclude):
    import reasoning_gym

    out, size = [], count * 2
    while len(out) < count:
        out, seen = [], set(exclude)
        for question, cot, answer in clean(reasoning_gym.create_dataset("gsm_symbolic", seed=seed, size=size)):
            if question not in seen:
                seen.add(question)
                out.append((question, cot, answer))
            if len(out) == count:
                break
        size *= 2
    return out


def write(path, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="folder for train.jsonl, val.jsonl and test.jsonl")
    p.add_argument("--train", type=int, default=2000)
    p.add_argument("--val", type=int, default=100)
    p.add_argument("--test", type=int, default=500)
    p.add_argument("--seed", type=int, default=1, help="training seed; the test split uses seed + 1000")
    args = p.parse_args()
    try:
        import reasoning_gym  # noqa: F401
    except ImportError:
        sys.exit("make_gsm_symbolic: needs reasoning-gym (pip install reasoning-gym==0.1.25)")
    os.makedirs(args.out, exist_ok=True)
    test = draw(args.seed + 1000, args.test, set())
    trainval = draw(args.seed, args.train + args.val, {q for q, _, _ in test})
    # No stop strings: generation ends at the end-of-turn token (the rationales hold blank lines).
    write(os.path.join(args.out, "test.jsonl"), [{"prompt": q, "answer": a, "stop": []} for q, _, a in test])
    write(os.path.join(args.out, "train.jsonl"), [{"prompt": q, "completion": c} for q, c, _ in trainval[: args.train]])
    write(os.path.join(args.out, "val.jsonl"), [{"prompt": q, "completion": c} for q, c, _ in trainval[args.train :]])
    print(f"{len(trainval) - args.val} train, {args.val} validation, {len(test)} test problems in {args.out}")


if __name__ == "__main__":
    main()
