"""lm-evaluation-harness through `remask serve` against `remask eval` on the same five questions: every choice's
log-likelihood must agree within a tolerance and acc must be equal. The two paths share no scoring code: the
harness builds the requests, counts tokens through the server's /tokenize and reads /v1/completions' echoed
logprobs; remask eval scores the choices in process.

Usage: python compare_lmeval.py LMEVAL_OUTPUT_DIR REMASK_ITEMS_JSONL
"""
import glob
import json
import sys

TOLERANCE = 2e-2  # the server batches requests, remask eval batches choices: the same kernels, other row groupings

samples_files = glob.glob(f"{sys.argv[1]}/**/samples_remask_serve_mc_*.jsonl", recursive=True)
if len(samples_files) != 1:
    sys.exit(f"compare_lmeval: expected one samples file under {sys.argv[1]}, found {samples_files}")
harness = sorted((json.loads(line) for line in open(samples_files[0])), key=lambda s: s["doc_id"])
remask = [json.loads(line) for line in open(sys.argv[2])]
if len(harness) != len(remask):
    sys.exit(f"compare_lmeval: {len(harness)} harness samples, {len(remask)} remask items")

worst = 0.0
harness_correct = remask_correct = 0
for sample, item in zip(harness, remask):
    lls = [float(resp[0]) for resp in sample["filtered_resps"]]  # numpy floats come back as strings
    if len(lls) != len(item["loglikelihoods"]):
        sys.exit(f"compare_lmeval: question {sample['doc_id']}: {len(lls)} choices vs {len(item['loglikelihoods'])}")
    for a, b in zip(lls, item["loglikelihoods"]):
        worst = max(worst, abs(a - b))
    harness_correct += int(sample["acc"])
    remask_correct += int(item["correct"])
if worst > TOLERANCE:
    print([[float(r[0]) for r in s["filtered_resps"]] for s in harness], [i["loglikelihoods"] for i in remask], file=sys.stderr)
    sys.exit(f"compare_lmeval: log-likelihoods differ by up to {worst:.2e} (tolerance {TOLERANCE:.0e})")
if harness_correct != remask_correct:
    sys.exit(f"compare_lmeval: harness acc {harness_correct}/{len(harness)}, remask eval {remask_correct}/{len(remask)}")
print(f"lm-eval via serve = remask eval: acc {harness_correct}/{len(harness)}, log-likelihoods within {worst:.1e}")
